-- `:SilcrowInstall` as a new user runs it: no `silcrow` on $PATH, a fresh data
-- directory (scripts/test-nvim gives each run a temporary XDG_DATA_HOME), the
-- daemon installed from this checkout into stdpath("data")/silcrow/venv with
-- the package index reachable, then a first question with no provider and no
-- key, answered by the offline demo from the installed daemon.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local installer = require("silcrow.installer")

---Seconds pip may take to build the wheel and install the dependencies on a busy machine.
local INSTALL_TIMEOUT = 900

-- The PATH of a machine where Silcrow was never installed: no directory that holds `silcrow`.
local dirs = vim.tbl_filter(function(dir)
  return vim.fn.executable(vim.fs.joinpath(dir, "silcrow")) ~= 1
end, vim.split(vim.env.PATH or "", ":", { plain = true }))
vim.env.PATH = table.concat(dirs, ":")
for _, name in ipairs({ "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "SILCROW_PROVIDER" }) do
  vim.env[name] = nil
end

---@type string[]
local notes = {}
vim.notify = function(message)
  notes[#notes + 1] = message
  io.stdout:write("  notify: " .. message .. "\n")
end

H.test("before the install the daemon is not found and the advice is :SilcrowInstall", function()
  H.eq(0, vim.fn.executable("silcrow"), "no silcrow on $PATH")
  H.eq(nil, installer.installed(), "nothing installed yet in " .. installer.dir())
  H.eq("silcrow", installer.daemon())
  local message = require("silcrow.install").start_failure({ "silcrow", "serve" }, "not found on $PATH")
  H.truthy(message:find(":SilcrowInstall", 1, true), message)
end)

H.test(":SilcrowInstall installs the daemon of this checkout into stdpath('data')/silcrow", function()
  vim.cmd("SilcrowInstall")
  local state = installer.state
  H.truthy(state, ":SilcrowInstall started an install")
  H.wait(function()
    return state.done
  end, "the install to finish", INSTALL_TIMEOUT * 1000)
  H.eq(true, state.ok, state.message)
  local version = require("silcrow.version")
  H.truthy(state.message:find("installed silcrow " .. version, 1, true), state.message)
  H.eq(vim.fs.joinpath(vim.fn.stdpath("data"), "silcrow", "venv", "bin", "silcrow"), installer.installed())
  H.truthy(notes[1]:find("creating a virtual environment", 1, true), "progress was shown: " .. vim.inspect(notes))
  H.eq({ installer.installed(), "serve" }, vim.lsp.config.silcrow.cmd, "the plugin starts the installed daemon")
end)

H.test("a first question after the install gets the offline demo from the installed daemon", function()
  local root = H.workspace({ ["hello.py"] = "print('hi')\n" })
  vim.env.SILCROW_DB = root .. "/.git/silcrow-test.db"
  require("silcrow").setup({})
  vim.cmd.cd(root)
  H.edit(root .. "/hello.py")
  vim.cmd("SilcrowAsk hello")
  H.wait(function()
    return vim.iter(H.chat_lines()):any(function(line)
      return line:find("OFFLINE DEMO", 1, true) ~= nil
    end)
  end, "the offline demo's answer")
  local client = vim.lsp.get_clients({ name = "silcrow" })[1]
  H.eq(installer.installed(), client.config.cmd[1], "the running daemon is the installed one")
  H.eq(require("silcrow.version"), client.server_info.version, "serverInfo.version is the plugin's")
end)

H.test("a source that does not exist fails with the cause and the commands to run by hand", function()
  local state = installer.install("/nonexistent/silcrow-9.9.9-py3-none-any.whl")
  H.wait(function()
    return state.done
  end, "the failed install", INSTALL_TIMEOUT * 1000)
  H.eq(false, state.ok)
  H.truthy(state.message:find("failed at pip install", 1, true), state.message)
  H.truthy(state.message:find("-m pip install --upgrade /nonexistent/silcrow-9.9.9-py3-none-any.whl", 1, true), state.message)
end)

H.run()
