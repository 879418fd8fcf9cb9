-- `:SilcrowInstall [source]`: the daemon in a virtual environment of the
-- plugin's own, `stdpath("data")/silcrow/venv`, and which daemon the plugin
-- starts when `setup()` names none.
--
-- Algorithm:
-- 1. The source is what the user gives (a wheel, a source folder, a URL pip
--    understands), else this plugin's own repository checkout
--    (silcrow.install.repository), from which pip builds the wheel.
-- 2. A Python >= 3.11: `vim.g.silcrow_python`, else `python3`, else `python`.
-- 3. `<python> -m venv <dir>/venv` (when missing), then `<venv python> -m pip
--    install --upgrade <source>` (dependencies from the package index), each
--    step announced with `vim.notify`, pip's output in `<dir>/install.log`.
--    Nothing blocks: the steps run with `vim.system` callbacks.
-- 4. On success the `silcrow` LSP config's `cmd` points at the installed
--    daemon (unless the user set another `cmd`); running clients are left
--    alone. On failure one error names the cause, the log and the exact
--    commands to run by hand.
-- 5. `version_warning()`: a daemon of another minor version than the plugin
--    (lua/silcrow/version.lua) gets one warning when its client starts.
-- 6. `daemon()` is the `cmd[1]` of lsp/silcrow.lua: `silcrow` on $PATH, else
--    the installed daemon, else `silcrow` (so a start failure says "not found"
--    and advises `:SilcrowInstall`).

local M = {}

---The latest install's state (nil before the first).
---@type silcrow.InstallState?
M.state = nil

---@class silcrow.InstallState
---@field done boolean
---@field ok? boolean
---@field message? string What happened: the installed version, or the failure with its fix

local is_windows = vim.fn.has("win32") == 1

---The folder that holds the venv and the install log.
---@return string
function M.dir()
  return vim.fs.joinpath(vim.fn.stdpath("data"), "silcrow")
end

---A program of the plugin's venv (`python`, `silcrow`).
---@param name string
---@return string
function M.venv_bin(name)
  return vim.fs.joinpath(M.dir(), "venv", is_windows and "Scripts" or "bin", name .. (is_windows and ".exe" or ""))
end

---The installed daemon, when there is one.
---@return string?
function M.installed()
  local exe = M.venv_bin("silcrow")
  return vim.fn.executable(exe) == 1 and exe or nil
end

---The daemon program the plugin starts by default.
---@return string
function M.daemon()
  if vim.fn.executable("silcrow") == 1 then
    return "silcrow"
  end
  return M.installed() or "silcrow"
end

---The Python to create the venv with, or nil and why none fits.
---@return string? python, string? problem
function M.find_python()
  local problems = {}
  local candidates = { "python3", "python" }
  if type(vim.g.silcrow_python) == "string" then
    table.insert(candidates, 1, vim.g.silcrow_python)
  end
  for _, candidate in ipairs(candidates) do
    if vim.fn.executable(candidate) == 1 then
      local probe = vim.system({ candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])" }, { text = true }):wait()
      local major, minor = (probe.stdout or ""):match("^(%d+)%.(%d+)")
      if major and (tonumber(major) > 3 or (tonumber(major) == 3 and tonumber(minor) >= 11)) then
        return candidate
      end
      problems[#problems + 1] = ("%s is Python %s"):format(candidate, major and (major .. "." .. minor) or "?")
    end
  end
  return nil,
    ("no Python 3.11 or newer found (%s); install one, or set vim.g.silcrow_python to its path"):format(
      #problems > 0 and table.concat(problems, ", ") or "python3 and python are not on $PATH"
    )
end

---What to install: the argument, else this plugin's checkout.
---@param arg? string
---@return string? source, string? problem
function M.source(arg)
  if arg and arg ~= "" then
    local expanded = vim.fn.expand(arg)
    return vim.uv.fs_stat(expanded) and vim.fn.fnamemodify(expanded, ":p") or arg
  end
  local repo = require("silcrow.install").repository()
  if repo then
    return repo
  end
  return nil,
    "this plugin is not inside a Silcrow checkout; give a wheel, a source folder or a URL: :SilcrowInstall /path/to/silcrow-<version>-py3-none-any.whl"
end

---The commands that do the install by hand.
---@param python string
---@param source string
---@return string
function M.manual(python, source)
  return ("%s -m venv %s && %s -m pip install --upgrade %s"):format(
    python,
    vim.fs.joinpath(M.dir(), "venv"),
    M.venv_bin("python"),
    source
  )
end

---A warning when the daemon's version (`serverInfo.version`) is of another
---minor version than this plugin's, whose editor contract may differ; else nil.
---@param server_version? string
---@return string?
function M.version_warning(server_version)
  local mine = require("silcrow.version")
  local function minor(version)
    return version:match("^(%d+%.%d+)")
  end
  if type(server_version) ~= "string" or minor(server_version) == minor(mine) then
    return nil
  end
  return ("the daemon is version %s but this plugin is %s; some features may not work. "
    .. "Run :SilcrowInstall to install the daemon of this plugin's checkout"):format(server_version, mine)
end

---@param text string
---@param level? integer
local function say(text, level)
  vim.schedule(function()
    vim.notify("Silcrow: " .. text, level or vim.log.levels.INFO)
  end)
end

---Point the `silcrow` config at the installed daemon unless the user chose another command.
local function use_installed()
  local current = vim.lsp.config.silcrow and vim.lsp.config.silcrow.cmd
  local exe = type(current) == "table" and current[1] or nil
  if exe == nil or exe == "silcrow" or exe == M.venv_bin("silcrow") then
    vim.lsp.config("silcrow", { cmd = { M.venv_bin("silcrow"), "serve" } })
  end
end

---Runs `cmd`, appending its output to the log; `next(ok, last_line)` afterwards (scheduled).
---@param cmd string[]
---@param log file*
---@param next fun(ok: boolean, last: string)
local function step(cmd, log, next)
  log:write("$ " .. table.concat(cmd, " ") .. "\n")
  local last = ""
  local function collect(_, data)
    if data then
      log:write(data)
      for line in data:gmatch("[^\r\n]+") do
        last = line
      end
    end
  end
  local ok, err = pcall(vim.system, cmd, { text = true, stdout = collect, stderr = collect, env = { PIP_NO_INPUT = "1" } }, function(done)
    log:flush()
    vim.schedule(function()
      next(done.code == 0, last)
    end)
  end)
  if not ok then
    vim.schedule(function()
      next(false, tostring(err))
    end)
  end
end

---Installs the daemon from `arg` (see `source`); returns a state that fills in when it is done.
---@param arg? string
---@return silcrow.InstallState
function M.install(arg)
  local state = { done = false } ---@type silcrow.InstallState
  M.state = state
  local function finish(ok, message)
    state.done, state.ok, state.message = true, ok, message
    say(message, ok and vim.log.levels.INFO or vim.log.levels.ERROR)
  end
  local source, problem = M.source(arg)
  local python, no_python = M.find_python()
  if not source or not python then
    finish(false, "cannot install the daemon: " .. (problem or no_python))
    return state
  end
  vim.fn.mkdir(M.dir(), "p")
  local log_path = vim.fs.joinpath(M.dir(), "install.log")
  local log = assert(io.open(log_path, "w"))
  local function failed(what, last)
    log:close()
    finish(
      false,
      ("installing the daemon failed at %s (%s). The log is %s. By hand: %s"):format(what, last, log_path, M.manual(python, source))
    )
  end
  local function pip()
    say(("installing the daemon from %s (pip; dependencies from the package index)…"):format(source))
    step({ M.venv_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "--upgrade", source }, log, function(ok, last)
      if not ok then
        return failed("pip install", last)
      end
      log:close()
      use_installed()
      local version = vim.system({ M.venv_bin("silcrow"), "--version" }, { text = true }):wait()
      finish(true, ("installed %s at %s"):format(vim.trim(version.stdout or "silcrow"), M.venv_bin("silcrow")))
    end)
  end
  if vim.fn.executable(M.venv_bin("python")) == 1 then
    pip()
  else
    say(("creating a virtual environment with %s in %s…"):format(python, M.dir()))
    step({ python, "-m", "venv", vim.fs.joinpath(M.dir(), "venv") }, log, function(ok, last)
      if not ok then
        return failed("python -m venv", last)
      end
      pip()
    end)
  end
  return state
end

return M
