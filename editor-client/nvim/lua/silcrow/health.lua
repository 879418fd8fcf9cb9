-- `:checkhealth silcrow`: Neovim version, the daemon command, the provider
-- configuration, running clients.
--
-- Algorithm:
-- 1. The daemon command must be executable; the advice is the install command
--    for this checkout and the `cmd` option (silcrow.install).
-- 2. The provider: `<cmd[1]> doctor --json` is asked first (it checks the key,
--    reaches the endpoint, the model and live sessions, and prints
--    `{"checks": [{name, ok, detail, fix}]}`); each check is reported. A daemon
--    without `doctor` gets the local check instead: is the API key the
--    configured provider needs present in Neovim's environment (the daemon
--    inherits it)?
-- 3. Running `silcrow` clients and their roots.

local install = require("silcrow.install")

local M = {}

---Seconds `silcrow doctor` may take (it reaches the provider's endpoint).
M.doctor_timeout = 20

---Environment variables that may hold the key of each vendor (docs/providers.md).
---@type table<string, string[]>
M.key_variables = {
  openai = { "OPENAI_API_KEY" },
  anthropic = { "ANTHROPIC_API_KEY" },
  gemini = { "GEMINI_API_KEY", "GOOGLE_API_KEY" },
}

---@class silcrow.HealthCheck
---@field name string
---@field ok boolean
---@field detail string
---@field fix? string

---The key check done here when the daemon has no `doctor`: is the key the
---provider needs set? `env` maps variable names to values (default: Neovim's).
---@param settings silcrow.Settings
---@param env? table<string, string?>
---@return silcrow.HealthCheck
function M.key_check(settings, env)
  env = env or vim.env
  local provider = settings.provider or "auto"
  local function set(name)
    return type(env[name]) == "string" and env[name] ~= ""
  end
  if settings.apiKeyEnv then
    local name = settings.apiKeyEnv
    return set(name) and { name = "API key", ok = true, detail = ("%s is set (settings.apiKeyEnv)"):format(name) }
      or {
        name = "API key",
        ok = false,
        detail = ("settings.apiKeyEnv names %s, which is not set in Neovim's environment"):format(name),
        fix = ("export %s=<your key> before starting Neovim, or change settings.apiKeyEnv"):format(name),
      }
  end
  if provider == "auto" then
    for _, vendor in ipairs({ "openai", "anthropic", "gemini" }) do
      for _, name in ipairs(M.key_variables[vendor]) do
        if set(name) then
          return { name = "API key", ok = true, detail = ("provider auto: %s is set, so %s is used"):format(name, vendor) }
        end
      end
    end
    return {
      name = "API key",
      ok = false,
      detail = "provider auto and no API key in the environment: questions get the offline demo",
      fix = "export OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY, "
        .. "or set settings.provider (e.g. \"ollama\") in require('silcrow').setup()",
    }
  end
  local names = M.key_variables[provider]
  if not names then
    return { name = "API key", ok = true, detail = ("provider %s needs no API key"):format(provider) }
  end
  for _, name in ipairs(names) do
    if set(name) then
      return { name = "API key", ok = true, detail = ("provider %s: %s is set"):format(provider, name) }
    end
  end
  return {
    name = "API key",
    ok = false,
    detail = ("provider %s: %s is not set in Neovim's environment"):format(provider, table.concat(names, " or ")),
    fix = ("export %s=<your key> before starting Neovim, or name another variable with settings.apiKeyEnv"):format(
      names[1]
    ),
  }
end

---The environment for `silcrow doctor`: the provider and model of `setup()`.
---@param settings silcrow.Settings
---@return table<string, string>
local function doctor_env(settings)
  local env = {}
  if settings.provider then
    env.SILCROW_PROVIDER = settings.provider
  end
  if settings.model then
    env.SILCROW_MODEL = settings.model
  end
  return env
end

---The checks of `<exe> doctor --json`, or nil when that command is unknown or fails to answer.
---@param exe string
---@param settings silcrow.Settings
---@return silcrow.HealthCheck[]?
function M.doctor(exe, settings)
  local ok, proc = pcall(vim.system, { exe, "doctor", "--json" }, { text = true, env = doctor_env(settings) })
  if not ok then
    return nil
  end
  local done = proc:wait(M.doctor_timeout * 1000)
  local decoded_ok, decoded = pcall(vim.json.decode, done.stdout or "")
  if not decoded_ok or type(decoded) ~= "table" or type(decoded.checks) ~= "table" then
    return nil
  end
  return decoded.checks
end

---@param check silcrow.HealthCheck
local function report(check)
  local text = ("%s: %s"):format(check.name or "check", check.detail or "")
  if check.ok then
    vim.health.ok(text)
  else
    vim.health.warn(text, (check.fix or "") ~= "" and { check.fix } or nil)
  end
end

function M.check()
  local health = vim.health
  health.start("silcrow")
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok("Neovim " .. tostring(vim.version()))
  else
    health.error("Neovim 0.11 or newer is required")
  end
  local cmd = require("silcrow.client").config().cmd
  local exe = type(cmd) == "table" and cmd[1] or nil
  local settings = require("silcrow.config").options.settings
  if exe and vim.fn.executable(exe) == 1 then
    health.ok(("daemon command: %s"):format(table.concat(cmd, " ")))
  else
    health.error(
      ("daemon command not executable: %s"):format(vim.inspect(cmd)),
      { ("install Silcrow: %s"):format(install.command()), ("or point at it: %s"):format(install.cmd_option()) }
    )
  end

  health.start("silcrow: provider")
  local checks = exe and vim.fn.executable(exe) == 1 and M.doctor(exe, settings)
  if checks then
    for _, check in ipairs(checks) do
      report(check)
    end
  else
    report(M.key_check(settings))
    health.info("endpoint not checked: this daemon has no `silcrow doctor --json`")
  end

  health.start("silcrow: clients")
  local clients = vim.lsp.get_clients({ name = "silcrow" })
  if #clients == 0 then
    health.info("no Silcrow client is running (it starts on :Silcrow* commands or file buffers)")
  end
  for _, client in ipairs(clients) do
    health.ok(("client %d: root %s"):format(client.id, client.root_dir or "(none)"))
  end
end

return M
