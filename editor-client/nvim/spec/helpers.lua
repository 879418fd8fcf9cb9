-- A small test runner for specs run with `nvim --headless -l spec/<name>_spec.lua`:
-- `H.test(name, fn)` registers a test, `H.run()` runs them in order and exits
-- non-zero when one fails. Helpers start the real daemon (fake provider) in a
-- throwaway workspace and wait for the chat to show things.

local H = {}

H.spec_dir = vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")))
H.plugin_dir = vim.fs.dirname(H.spec_dir)
H.repo = vim.fs.dirname(vim.fs.dirname(H.plugin_dir))

vim.opt.runtimepath:prepend(H.plugin_dir)
-- Python files are realistic test files; probing for a Python host costs seconds.
vim.g.loaded_python3_provider = 0
vim.cmd("filetype on")
if vim.env.SILCROW_TEST_LSP_LOG then
  vim.lsp.set_log_level(vim.env.SILCROW_TEST_LSP_LOG)
end
vim.cmd.runtime("plugin/silcrow.lua")

---Failure guard for waits (not a speed assertion): generous on a slow CI box.
H.timeout = tonumber(vim.env.SILCROW_TEST_TIMEOUT) or 30000

---@type {name: string, fn: fun()}[]
local tests = {}

---@param name string
---@param fn fun()
function H.test(name, fn)
  tests[#tests + 1] = { name = name, fn = fn }
end

---@type fun()[]
local cleanups = {}

---Runs `fn` after the current test, pass or fail.
---@param fn fun()
function H.after(fn)
  cleanups[#cleanups + 1] = fn
end

local function run_cleanups()
  for i = #cleanups, 1, -1 do
    pcall(cleanups[i])
  end
  cleanups = {}
end

---Runs every registered test and exits (status 1 when any failed).
function H.run()
  local failed, ran = 0, 0
  local file = vim.fn.fnamemodify(debug.getinfo(2, "S").source:sub(2), ":t")
  local only = vim.env.SILCROW_TEST_FILTER
  for _, t in ipairs(tests) do
    if only and not t.name:find(only, 1, true) then
      goto continue
    end
    ran = ran + 1
    local started = vim.uv.hrtime()
    local ok, err = xpcall(t.fn, debug.traceback)
    run_cleanups()
    local ms = (vim.uv.hrtime() - started) / 1e6
    if ok then
      io.stdout:write(("ok    %s: %s (%.0f ms)\n"):format(file, t.name, ms))
    else
      failed = failed + 1
      io.stdout:write(("FAIL  %s: %s\n%s\n"):format(file, t.name, err))
    end
    ::continue::
  end
  io.stdout:write(("%s: %d passed, %d failed\n"):format(file, ran - failed, failed))
  os.exit(failed > 0 and 1 or 0)
end

---@param expected any
---@param actual any
---@param what? string
function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(
      ("%s\nexpected: %s\nactual:   %s"):format(
        what or "values differ",
        vim.inspect(expected),
        vim.inspect(actual)
      ),
      2
    )
  end
end

---@param value any
---@param what string
function H.truthy(value, what)
  if not value then
    error(what, 2)
  end
end

---Replaces vim.ui.select / vim.ui.input for the current test.
---@param name "select"|"input"
---@param fn function
function H.override_ui(name, fn)
  local original = vim.ui[name]
  vim.ui[name] = fn
  H.after(function()
    vim.ui[name] = original
  end)
end

---The chat buffer's lines.
---@return string[]
function H.chat_lines()
  return require("silcrow.chat").lines()
end

---Waits until `cond()` is true; fails with `what` and the chat's lines if it never is.
---@param cond fun(): any
---@param what string
---@param timeout? integer
function H.wait(cond, what, timeout)
  if not vim.wait(timeout or H.timeout, cond, 10) then
    error(("timed out waiting for %s\nchat:\n  %s"):format(
      what,
      table.concat(H.chat_lines(), "\n  ")
    ), 2)
  end
end

---Index of the first chat line that starts with `prefix`, or nil.
---@param prefix string
---@return integer?
function H.chat_line_starting(prefix)
  for i, l in ipairs(H.chat_lines()) do
    if l:sub(1, #prefix) == prefix then
      return i
    end
  end
end

---Index of the first chat line equal to `line`, or nil.
---@param line string
---@return integer?
function H.chat_line(line)
  for i, l in ipairs(H.chat_lines()) do
    if l == line then
      return i
    end
  end
end

---@param path string
---@param text string
function H.write_file(path, text)
  vim.fn.mkdir(vim.fs.dirname(path), "p")
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

---@param path string
---@return string?
function H.read_file(path)
  local f = io.open(path, "r")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

---A fresh workspace (a directory with `.git`) holding `files`; removed after the test.
---@param files table<string, string>
---@return string root
function H.workspace(files)
  local root = vim.fn.resolve(vim.fn.tempname())
  vim.fn.mkdir(root .. "/.git", "p")
  for name, text in pairs(files) do
    H.write_file(root .. "/" .. name, text)
  end
  H.after(function()
    vim.fn.delete(root, "rf")
  end)
  return root
end

---The daemon executable: $SILCROW_BIN, else the project venv's `silcrow`.
---@return string
function H.daemon()
  local bin = vim.env.SILCROW_BIN or (H.repo .. "/.venv/bin/silcrow")
  if vim.fn.executable(bin) ~= 1 then
    error("daemon not found at " .. bin .. "; set SILCROW_BIN or create the venv (scripts/test)")
  end
  return bin
end

---Configures the plugin to run the real daemon on the fake provider with
---`replies` (one per model response) and extra `settings`, with a database
---private to the test. Stops every client after the test.
---@param root string Workspace root
---@param replies string[]
---@param settings? table
---@param script? {chunk?: integer, delay?: number}
function H.setup(root, replies, settings, script)
  vim.env.SILCROW_DB = root .. "/.git/silcrow-test.db"
  local fake = vim.tbl_extend("force", { replies = replies, chunk = 4, delay = 0 }, script or {})
  require("silcrow").setup({
    cmd = { H.daemon(), "serve" },
    settings = vim.tbl_deep_extend("force", { provider = "fake", fakeScript = fake }, settings or {}),
  })
  vim.cmd.cd(root)
  H.after(H.reset)
end

---Stops all Silcrow clients and empties the plugin's state and the chat.
function H.reset()
  vim.cmd.cd(vim.fn.fnameescape(H.plugin_dir))
  local clients = vim.lsp.get_clients({ name = "silcrow" })
  for _, client in ipairs(clients) do
    client:stop(true)
  end
  vim.wait(5000, function()
    return #vim.lsp.get_clients({ name = "silcrow" }) == 0
  end, 10)
  local turn = require("silcrow.turn")
  for key in pairs(turn.state) do
    turn.state[key] = nil
  end
  require("silcrow.chat").busy(nil)
  require("silcrow.chat").reset()
  vim.cmd("silent! %bwipeout!")
end

---Edits `path` and waits until the daemon's client is attached to it.
---@param path string
---@return integer bufnr
function H.edit(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(function()
    local client = vim.lsp.get_clients({ name = "silcrow", bufnr = buf })[1]
    return client and client.initialized
  end, "the silcrow client to attach to " .. path)
  return buf
end

---Waits until the running turn has finished (the prompt resolved).
---@return table result The `silcrow/prompt` result
function H.wait_turn()
  local turn = require("silcrow.turn")
  H.wait(function()
    return turn.state.pending == nil and turn.state.running == nil and turn.state.last_result
  end, "the turn to end")
  return turn.state.last_result
end

return H
