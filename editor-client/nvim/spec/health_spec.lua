-- `:checkhealth silcrow`: advice that names commands that exist, the
-- provider checks of `silcrow doctor --json` when the daemon has them, and the
-- key-present check otherwise. The daemons here are small shell scripts.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local health = require("silcrow.health")

---An executable script standing in for `silcrow`; removed after the test.
---@param body string Shell code
---@return string path
local function fake_daemon(body)
  local path = vim.fn.tempname() .. "-silcrow"
  H.write_file(path, "#!/bin/sh\n" .. body .. "\n")
  vim.fn.setfperm(path, "rwx------")
  H.after(function()
    vim.fn.delete(path)
  end)
  return path
end

---The text of `:checkhealth silcrow` with `cmd` and `settings`.
---@param cmd string[]
---@param settings? table
---@return string
local function checkhealth(cmd, settings)
  require("silcrow").setup({ cmd = cmd, settings = settings or {}, enable = false })
  vim.cmd("checkhealth silcrow")
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  vim.cmd("bwipeout!")
  return text
end

---@param text string
---@param needle string
local function has(text, needle)
  H.truthy(text:find(needle, 1, true), ("expected %q in:\n%s"):format(needle, text))
end

H.test("a missing daemon: the advice is the install command of this checkout and the cmd option", function()
  local text = checkhealth({ "/nonexistent/silcrow", "serve" })
  has(text, "daemon command not executable")
  has(text, ":SilcrowInstall")
  has(text, "pipx install " .. H.repo)
  has(text, "setup({ cmd = {")
  H.eq(nil, text:find("pip install silcrow", 1, true), "no advice to install a package that does not exist")
end)

H.test("silcrow doctor --json: each check is reported with its fix", function()
  local exe = fake_daemon([[
[ "$1 $2" = "doctor --json" ] || exit 2
printf '{"checks": [{"name": "key", "ok": true, "detail": "OPENAI_API_KEY is set (%s)", "fix": ""},
 {"name": "endpoint", "ok": false, "detail": "https://api.example.invalid not reachable", "fix": "set baseUrl"}]}' "$SILCROW_PROVIDER"]])
  local text = checkhealth({ exe, "serve" }, { provider = "openai" })
  has(text, "key: OPENAI_API_KEY is set (openai)")
  has(text, "endpoint: https://api.example.invalid not reachable")
  has(text, "set baseUrl")
end)

H.test("a daemon without doctor: the key the configured provider needs is checked here", function()
  local exe = fake_daemon("echo 'invalid choice: doctor' >&2; exit 2")
  local saved = vim.env.OPENAI_API_KEY
  vim.env.OPENAI_API_KEY = nil
  H.after(function()
    vim.env.OPENAI_API_KEY = saved
  end)
  local text = checkhealth({ exe, "serve" }, { provider = "openai" })
  has(text, "provider openai: OPENAI_API_KEY is not set in Neovim's environment")
  has(text, "export OPENAI_API_KEY=<your key>")
  has(text, "endpoint not checked")
end)

H.test("the key check follows the provider, apiKeyEnv and auto", function()
  H.eq(true, health.key_check({ provider = "gemini" }, { GOOGLE_API_KEY = "k" }).ok)
  H.eq(false, health.key_check({ provider = "anthropic" }, { OPENAI_API_KEY = "k" }).ok)
  H.eq(true, health.key_check({ provider = "ollama" }, {}).ok, "ollama needs no key")
  H.eq(false, health.key_check({ provider = "openai", apiKeyEnv = "MY_KEY" }, { OPENAI_API_KEY = "k" }).ok,
    "apiKeyEnv names the variable that must be set")
  local auto = health.key_check({}, {})
  H.eq(false, auto.ok)
  H.truthy(auto.detail:find("offline demo", 1, true), auto.detail)
  H.truthy(health.key_check({}, { ANTHROPIC_API_KEY = "k" }).detail:find("anthropic", 1, true), "auto picks the vendor")
end)

H.run()
