-- The first minutes: `:help silcrow` from the documented install (the plugin
-- directory on 'runtimepath', nothing else), and a daemon that cannot start:
-- one message in the chat saying what to install or set, and a UI that is
-- not left "starting".
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local chat = require("silcrow.chat")
local turn = require("silcrow.turn")

---Captures vim.notify for the test.
---@return {msg: string, level: integer?}[]
local function capture_notify()
  local seen, original = {}, vim.notify
  vim.notify = function(msg, level)
    seen[#seen + 1] = { msg = msg, level = level }
  end
  H.after(function()
    vim.notify = original
  end)
  return seen
end

---Lines of the chat that start with `✗`.
---@return string[]
local function error_lines()
  return vim.tbl_filter(function(line)
    return vim.startswith(line, "✗")
  end, H.chat_lines())
end

---Asks a question with `cmd` as the daemon command and waits for the chat to give up.
---@param cmd string[]
local function ask_with(cmd)
  local root = H.workspace({ ["a.py"] = "x = 1\n" })
  require("silcrow").setup({ cmd = cmd, enable = false })
  vim.cmd.cd(root)
  H.after(H.reset)
  vim.cmd.edit("a.py")
  vim.cmd("SilcrowAsk what is x?")
  H.wait(function()
    return #error_lines() > 0
  end, "the start failure in the chat")
end

---The chat's winbar text.
---@return string
local function winbar()
  return vim.wo[chat.open()].winbar
end

H.test(":help silcrow opens the help file from the documented install", function()
  vim.cmd("help silcrow")
  H.eq("help", vim.bo.buftype, "a help buffer")
  H.eq("silcrow.txt", vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ":t"))
  H.truthy(vim.api.nvim_get_current_line():find("*silcrow*", 1, true), "the cursor is on the *silcrow* tag")
  vim.cmd("helpclose")
end)

H.test("a daemon command that is not installed: one message saying what to install, the UI reset", function()
  local notes = capture_notify()
  ask_with({ "/nonexistent/silcrow", "serve" })
  local errors = error_lines()
  H.eq(1, #errors, "one message: " .. vim.inspect(errors))
  H.truthy(errors[1]:find("`/nonexistent/silcrow serve` not found on $PATH", 1, true), errors[1])
  H.truthy(errors[1]:find("pipx install ", 1, true), "names the install command: " .. errors[1])
  H.truthy(errors[1]:find("cmd = {", 1, true), "names the cmd option: " .. errors[1])
  H.eq({}, notes, "nothing else is shown")
  H.eq(false, chat.is_busy(), "the spinner stopped")
  H.eq(nil, winbar():find("starting", 1, true), "the winbar is not left starting: " .. winbar())
  vim.cmd("SilcrowStop")
  H.eq("Silcrow: nothing is running", notes[#notes].msg, ":SilcrowStop agrees that nothing runs")
end)

H.test("a daemon that exits at once: its exit code and where its output is, the UI reset", function()
  capture_notify()
  ask_with({ "sh", "-c", "echo 'No module named silcrow' >&2; exit 3" })
  local errors = error_lines()
  H.eq(1, #errors, "one message: " .. vim.inspect(errors))
  H.truthy(errors[1]:find("exited with code 3 before it was ready", 1, true), errors[1])
  H.truthy(errors[1]:find(vim.lsp.log.get_filename(), 1, true), "names the LSP log: " .. errors[1])
  H.eq(false, chat.is_busy(), "the spinner stopped")
  H.eq(nil, turn.state.starting, "no turn is waiting for the daemon")
  H.eq(nil, winbar():find("starting", 1, true), "the winbar is not left starting: " .. winbar())
end)

H.test("a turn that fails shows one error line, not the event and the reply twice", function()
  local notes = capture_notify()
  local root = H.workspace({ ["a.py"] = "x = 1\n" })
  vim.env.SILCROW_TEST_UNSET_KEY = nil
  H.setup(root, {}, { provider = "openai", apiKeyEnv = "SILCROW_TEST_UNSET_KEY" })
  H.edit(root .. "/a.py")
  vim.cmd("SilcrowAsk what is x?")
  local result = H.wait_turn()
  H.eq("error", result.stopReason)
  local errors = error_lines()
  H.eq(1, #errors, "one error line: " .. vim.inspect(H.chat_lines()))
  H.truthy(errors[1]:find("SILCROW_TEST_UNSET_KEY", 1, true), "names the variable to set: " .. errors[1])
  H.eq({}, notes, "no notification besides the chat")
end)

H.run()
