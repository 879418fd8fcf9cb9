-- The plugin against the real daemon (`silcrow serve`, fake provider): what a
-- user does in Neovim and what they see in the chat and their buffers.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local turn = require("silcrow.turn")
local chat = require("silcrow.chat")

local SOURCE = "def add(a, b):\n    return a - b\n\n\nprint(add(1, 2))\n"

---Runs an Ex command that starts a turn, forgetting the previous turn's result.
---@param cmd string
local function ask(cmd)
  turn.state.last_result = nil
  vim.cmd(cmd)
end

local override_ui = H.override_ui

---@param reply string
---@param ... string
local function script(reply, ...)
  return { reply, ... }
end

H.test("asking about a selection streams the answer into the chat", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  H.setup(root, script(
    "§think: The operator is wrong.\n§respond: `add` subtracts: use `a + b`.\nThat fixes it.\n§end\n"
  ))
  H.edit(root .. "/calc.py")
  ask("1,2SilcrowAsk Why is add wrong?")
  local result = H.wait_turn()
  H.eq("end", result.stopReason)
  local lines = H.chat_lines()
  H.eq({
    "» Why is add wrong?",
    "  (with calc.py:1-2)",
    "The operator is wrong.",
    "`add` subtracts: use `a + b`.",
    "That fixes it.",
  }, vim.list_slice(lines, 1, 5))
  H.truthy(lines[6]:match("^── done"), "the turn ends with a done line: " .. lines[6])
  H.eq(6, #lines)
  H.eq(false, chat.is_busy(), "the spinner stops when the turn ends")
  H.eq(result.conversationId, turn.state.conversation_id)
end)

H.test("with review = auto a write by the model lands in the open buffer and on disk", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local fixed = SOURCE:gsub("a %- b", "a + b")
  local call = vim.json.encode({ name = "write", args = { file = "calc.py", content = fixed } })
  H.setup(root, script(
    "§call: " .. call .. "\n§execute\n",
    "§respond: Fixed.\n§end\n"
  ), { review = "auto" })
  local buf = H.edit(root .. "/calc.py")
  ask("2SilcrowAsk Fix it")
  H.eq("end", H.wait_turn().stopReason)
  H.eq(vim.split(fixed, "\n", { plain = true }), vim.list_extend(
    vim.api.nvim_buf_get_lines(buf, 0, -1, false), { "" }
  ), "the buffer holds the model's text")
  H.eq(fixed, H.read_file(root .. "/calc.py"), "the file on disk holds it too")
  H.eq(false, vim.bo[buf].modified, "saveDocuments wrote the buffer")
  H.truthy(H.chat_line("Fixed."), "the answer after the write is shown")
end)

H.test(":SilcrowStop cancels a running turn; the UI resets and the daemon reports cancelled", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local long = "§respond: " .. string.rep("streaming words ", 300) .. "\n§end\n"
  H.setup(root, script(long, "§respond: Still here.\n§end\n"), nil, { chunk = 8, delay = 0.02 })
  H.edit(root .. "/calc.py")
  ask("SilcrowAsk Talk for a long time")
  local answer -- the answer's line (after the question and its "(with calc.py)")
  H.wait(function()
    answer = H.chat_line_starting("streaming words streaming")
    return answer
  end, "the answer to start streaming")
  H.truthy(require("silcrow").statusline():find("working", 1, true), "the status shows the turn running")
  vim.cmd("SilcrowStop")
  H.eq(false, chat.is_busy(), "the spinner stops at once")
  H.eq(nil, turn.state.pending, "no prompt is pending after stop")
  H.wait(function()
    return H.chat_line("── cancelled")
  end, "the daemon's cancelled event")
  H.eq({ cancelled = true }, turn.state.last_cancel, "silcrow/cancel stopped a running turn")
  local streamed = #H.chat_lines()[answer]
  H.truthy(streamed < #long, "the answer was cut short")
  ask("SilcrowAsk Are you there?")
  H.eq("end", H.wait_turn().stopReason, "the conversation takes the next question")
  H.truthy(H.chat_line("Still here."), "the next answer is shown")
end)

H.test("a permission request is answered through vim.ui.select", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local function shell(command)
    return "§call: " .. vim.json.encode({ name = "shell", args = { command = command } }) .. "\n§execute\n"
  end
  H.setup(root, script(
    shell("echo rejected > rejected.txt"),
    shell("echo allowed > allowed.txt"),
    "§respond: Ran it.\n§end\n"
  ), { permissions = { shell = "ask" } })
  local asked = {}
  override_ui("select", function(items, opts, on_choice)
    asked[#asked + 1] = { prompt = opts.prompt, names = vim.tbl_map(opts.format_item, items) }
    local want = #asked == 1 and "reject" or "allow_once"
    for _, item in ipairs(items) do
      if item.optionId == want then
        return vim.schedule(function()
          on_choice(item)
        end)
      end
    end
  end)
  H.edit(root .. "/calc.py")
  ask("SilcrowAsk Run the commands")
  H.eq("end", H.wait_turn().stopReason)
  H.eq(2, #asked, "asked once per shell command")
  H.eq({ "Allow once", "Allow always", "Reject" }, asked[1].names)
  H.truthy(asked[1].prompt:find("echo rejected", 1, true), "the prompt says what will run: " .. asked[1].prompt)
  H.eq(nil, H.read_file(root .. "/rejected.txt"), "the rejected command never ran")
  H.eq("allowed\n", H.read_file(root .. "/allowed.txt"), "the allowed command ran")
  H.truthy(H.chat_line("Ran it."), "the turn went on to the answer")
end)

H.test("a shell command runs in a terminal split; its output streams into the chat", function()
  local root = H.workspace({ ["calc.py"] = SOURCE, ["notes.txt"] = "on disk\n" })
  local call = vim.json.encode({ name = "shell", args = { command = "echo first; sleep 0.3; echo second; exit 4" } })
  local read = vim.json.encode({ name = "read", args = { file = "notes.txt" } })
  H.setup(root, script(
    "§call: " .. call .. "\n§execute\n",
    "§call: " .. read .. "\n§execute\n",
    "§respond: Ran it.\n§end\n"
  ), { permissions = { shell = "allow" } })
  H.edit(root .. "/calc.py")
  local notes = vim.fn.bufadd(root .. "/notes.txt") -- loaded without autocommands: no LSP client
  vim.cmd("noautocmd call bufload(" .. notes .. ")")
  vim.api.nvim_buf_set_lines(notes, 0, -1, false, { "from the Neovim buffer" })
  local before = vim.api.nvim_get_current_win()
  ask("SilcrowAsk Run it")
  local result = H.wait_turn()
  H.eq("end", result.stopReason)
  local client = vim.lsp.get_clients({ name = "silcrow" })[1]
  local history = client:request_sync("silcrow/history", { conversationId = result.conversationId }, H.timeout)
  local read_result = vim.tbl_filter(function(ev)
    return ev.type == "result" and ev.payload.name == "read"
  end, history.result.events)[1]
  H.truthy(read_result.content:find("from the Neovim buffer", 1, true), "the model got the buffer: " .. read_result.content)
  local term = vim.tbl_filter(function(buf)
    return vim.bo[buf].buftype == "terminal" and vim.b[buf].silcrow_run ~= nil
  end, vim.api.nvim_list_bufs())
  H.eq(1, #term, "one terminal buffer for the command")
  local shown = table.concat(vim.api.nvim_buf_get_lines(term[1], 0, -1, false), "\n")
  H.truthy(shown:find("first\n.*second") or shown:find("first.*second"), "the terminal shows the output: " .. shown)
  H.truthy(vim.fn.bufwinid(term[1]) ~= -1, "the terminal is shown in a split")
  H.eq(before, vim.api.nvim_get_current_win(), "focus stays where it was")
  H.truthy(H.chat_line("  │ first"), "the output streamed into the chat")
  H.truthy(H.chat_line_starting("← `echo first"), "the result is in the chat")
  H.truthy(table.concat(H.chat_lines(), "\n"):find("exited 4", 1, true), "with the exit code")
  H.truthy(H.chat_line("Ran it."), "the turn went on to the answer")
end)

H.test("settings set outside setup() (a project's config) cannot raise permissions", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local call = vim.json.encode({ name = "shell", args = { command = "echo owned > owned.txt" } })
  H.setup(root, script("§call: " .. call .. "\n§execute\n", "§respond: Done.\n§end\n"))
  local raised = { permissions = { shell = "allow" }, provider = "fake" }
  vim.lsp.config("silcrow", { init_options = raised, settings = { silcrow = raised } })
  H.after(function()
    vim.lsp.config("silcrow", { init_options = {}, settings = { silcrow = {} } })
  end)
  local asked = 0
  override_ui("select", function(items, _, on_choice)
    asked = asked + 1
    for _, item in ipairs(items) do
      if item.optionId == "reject" then
        return vim.schedule(function()
          on_choice(item)
        end)
      end
    end
  end)
  H.edit(root .. "/calc.py")
  local client = vim.lsp.get_clients({ name = "silcrow" })[1]
  H.eq(nil, client.settings.silcrow.permissions, "client.settings come from setup()")
  ask("SilcrowAsk Run it")
  H.eq("end", H.wait_turn().stopReason)
  H.eq(1, asked, "the shell command was asked")
  H.eq(nil, H.read_file(root .. "/owned.txt"), "the rejected command never ran")
end)

H.test("the code action 'Ask Silcrow about this…' asks for the question", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  H.setup(root, script("§respond: It adds two numbers (badly).\n§end\n"))
  H.edit(root .. "/calc.py")
  override_ui("input", function(_, on_confirm)
    on_confirm("What does it do?")
  end)
  turn.state.last_result = nil
  vim.lsp.buf.code_action({
    range = { start = { 1, 0 }, ["end"] = { 2, 0 } },
    apply = true,
    filter = function(action)
      return action.command and action.command.command == "silcrow.ask"
    end,
  })
  H.eq("end", H.wait_turn().stopReason)
  H.eq("» What does it do?", H.chat_lines()[1])
  H.eq("  (with calc.py:1-2)", H.chat_lines()[2])
  H.truthy(H.chat_line("It adds two numbers (badly)."), "the answer is shown")
end)

H.test("'Explain this' runs on the daemon and its answer streams into the chat", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  H.setup(root, script("§respond: It prints the result of add(1, 2).\n§end\n"))
  H.edit(root .. "/calc.py")
  vim.lsp.buf.code_action({
    range = { start = { 5, 0 }, ["end"] = { 5, 16 } },
    apply = true,
    filter = function(action)
      return action.command and action.command.command == "silcrow.explain"
    end,
  })
  H.wait(function()
    return H.chat_line_starting("── done")  -- usage figures may follow
  end, "the explanation to finish")
  H.truthy(require("silcrow.chat").win(), "the chat opened by itself")
  H.truthy(H.chat_line("It prints the result of add(1, 2)."), "the answer is shown")
  H.truthy(H.chat_lines()[2]:find("calc.py:5", 1, true), "the selection went along: " .. H.chat_lines()[2])
  H.eq(false, chat.is_busy(), "the spinner stops at the end event")
end)

H.test(":SilcrowHistory reopens a conversation and the next question continues it", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  H.setup(root, script("§respond: First answer.\n§end\n", "§respond: Second answer.\n§end\n"))
  H.edit(root .. "/calc.py")
  ask("SilcrowAsk First question")
  local first = H.wait_turn()
  vim.cmd("SilcrowNew")
  H.eq({ "" }, H.chat_lines(), "a new conversation starts empty")
  local offered
  override_ui("select", function(items, opts, on_choice)
    offered = vim.tbl_map(opts.format_item, items)
    on_choice(items[1])
  end)
  vim.cmd("SilcrowHistory")
  H.wait(function()
    return H.chat_line("First answer.")
  end, "the stored conversation to be shown")
  H.truthy(offered[1]:find("First question", 1, true), "listed by title: " .. vim.inspect(offered))
  H.eq("» First question", H.chat_lines()[1])
  ask("SilcrowAsk Second question")
  local second = H.wait_turn()
  H.eq(first.conversationId, second.conversationId, "the question continued the conversation")
  H.truthy(H.chat_line("First answer.") and H.chat_line("Second answer."), "both turns are shown")
end)

H.run()
