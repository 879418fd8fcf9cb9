-- Review before apply and checkpoints against the real daemon (`silcrow
-- serve`, fake provider): what the user does in the diff tab, what lands in
-- the buffer and on disk, what the model is told, and :SilcrowRevert.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local turn = require("silcrow.turn")
local review = require("silcrow.review")

local OLD = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"
local NEW = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"

---@param name string
---@param args table
local function call(name, args)
  return "§call: " .. vim.json.encode({ name = name, args = args }) .. "\n§execute\n"
end

---@param cmd string
local function ask(cmd)
  turn.state.last_result = nil
  vim.cmd(cmd)
end

local override_ui = H.override_ui

local function wait_review()
  H.wait(review.active, "the review tab")
  return assert(review.active())
end

---The content of the model's `result` events of `tool` in the conversation.
---@param conversation_id string
---@param tool string
---@return string
local function results(conversation_id, tool)
  local client = vim.lsp.get_clients({ name = "silcrow" })[1]
  local history = client:request_sync("silcrow/history", { conversationId = conversation_id }, H.timeout)
  local out = {}
  for _, ev in ipairs(history.result.events) do
    if ev.type == "result" and ev.payload.name == tool then
      out[#out + 1] = ev.content
    end
  end
  return table.concat(out, "\n")
end

---@param buf integer
---@return string
local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

H.test("accepting the change under the cursor of two: the buffer and disk hold exactly that", function()
  local root = H.workspace({ ["calc.py"] = OLD })
  H.setup(root, { call("write", { file = "calc.py", content = NEW }), "§respond: Done.\n§end\n" })
  local buf = H.edit(root .. "/calc.py")
  ask("SilcrowAsk Fix both")
  local session = wait_review()
  H.eq(OLD, H.read_file(root .. "/calc.py"), "nothing on disk before the answer")
  H.eq(OLD, buffer_text(buf), "nor in the buffer")
  H.eq(2, vim.api.nvim_win_get_cursor(0)[1], "the cursor starts on the first change")
  H.eq(session.left, vim.api.nvim_get_current_buf())
  vim.cmd.normal("ga") -- accept `add`'s fix
  vim.cmd.normal("]c")
  vim.cmd.normal("gr") -- reject the change to `sub`
  local result = H.wait_turn()
  H.eq("end", result.stopReason)
  local want = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n"
  H.eq(want, H.read_file(root .. "/calc.py"), "the file holds the accepted hunk only")
  H.eq(want, buffer_text(buf), "so does the buffer")
  local told = results(result.conversationId, "write")
  H.truthy(told:find("rejected", 1, true), "the model is told the rest was rejected: " .. told)
  H.truthy(H.chat_line_starting("± edit calc.py +2 −2"), "the chat showed the diff with its counts")
  H.truthy(H.chat_line("calc.py partly accepted"), "and the outcome")
end)

H.test(":SilcrowReject leaves the file alone and the model is told", function()
  local root = H.workspace({ ["calc.py"] = OLD })
  H.setup(root, { call("write", { file = "calc.py", content = NEW }), "§respond: Understood.\n§end\n" })
  local buf = H.edit(root .. "/calc.py")
  ask("SilcrowAsk Fix both")
  wait_review()
  vim.cmd("SilcrowReject")
  local result = H.wait_turn()
  H.eq(OLD, H.read_file(root .. "/calc.py"))
  H.eq(OLD, buffer_text(buf))
  H.eq(false, vim.bo[buf].modified)
  local told = results(result.conversationId, "write")
  H.truthy(told:find("rejected", 1, true), "the model is told: " .. told)
end)

H.test("an accepted new file holds exactly the proposed text", function()
  local root = H.workspace({ ["calc.py"] = OLD })
  H.setup(root, { call("write", { file = "notes.md", content = "# Notes\n\nadd and sub\n" }), "§respond: Done.\n§end\n" })
  H.edit(root .. "/calc.py")
  ask("SilcrowAsk Write notes")
  local session = wait_review()
  H.eq("create", session.file.kind)
  H.eq(nil, H.read_file(root .. "/notes.md"), "not created before the answer")
  vim.cmd("SilcrowAccept")
  H.eq("end", H.wait_turn().stopReason)
  H.eq("# Notes\n\nadd and sub\n", H.read_file(root .. "/notes.md"))
end)

H.test(":SilcrowStop while a review is open closes it and nothing is written", function()
  local root = H.workspace({ ["calc.py"] = OLD })
  H.setup(root, { call("write", { file = "calc.py", content = NEW }), "§respond: never\n§end\n" })
  H.edit(root .. "/calc.py")
  ask("SilcrowAsk Fix both")
  wait_review()
  vim.cmd("SilcrowStop")
  H.wait(function()
    return review.active() == nil
  end, "the review to close")
  H.wait(function()
    return H.chat_line_starting("── cancelled")
  end, "the cancelled turn")
  H.eq(OLD, H.read_file(root .. "/calc.py"))
  H.eq(1, #vim.api.nvim_list_tabpages(), "the review tab is gone")
end)

H.test(":SilcrowRevert 1 restores the files of that turn and every later one", function()
  local root = H.workspace({ ["calc.py"] = OLD })
  H.setup(root, {
    call("write", { file = "calc.py", content = NEW }),
    "§respond: Fixed.\n§end\n",
    call("write", { file = "notes.md", content = "# Notes\n" }),
    "§respond: Noted.\n§end\n",
  }, { review = "auto" })
  local buf = H.edit(root .. "/calc.py")
  ask("SilcrowAsk Fix both")
  H.wait_turn()
  ask("SilcrowAsk Write notes")
  H.wait_turn()
  H.eq(NEW, H.read_file(root .. "/calc.py"))
  H.eq("# Notes\n", H.read_file(root .. "/notes.md"), "the later turn created notes.md")
  vim.cmd("SilcrowRevert 1")
  H.wait(function()
    return H.chat_line_starting("restored to before that turn: ")
  end, "the revert")
  H.eq(OLD, H.read_file(root .. "/calc.py"), "calc.py is back")
  H.eq(OLD, buffer_text(buf), "in its buffer too")
  H.eq(nil, H.read_file(root .. "/notes.md"), "the file the later turn created is gone")
  local said = H.chat_lines()[H.chat_line_starting("restored to before that turn: ")]
  H.truthy(said:find("calc.py", 1, true) and said:find("notes.md", 1, true), "both files are named: " .. said)
  H.wait(function()
    return H.chat_line_starting("↺ restored to before a turn: ")
  end, "the daemon's revert notice, as a note")
  H.eq(false, require("silcrow.chat").is_busy(), "the notice starts no turn")
end)

H.test("a file changed since the turn is only overwritten when the user says so", function()
  local root = H.workspace({ ["calc.py"] = OLD })
  H.setup(root, { call("write", { file = "calc.py", content = NEW }), "§respond: Fixed.\n§end\n" },
    { review = "auto" })
  local buf = H.edit(root .. "/calc.py")
  ask("SilcrowAsk Fix both")
  H.wait_turn()
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { "# mine" })
  local asked = {}
  override_ui("select", function(items, opts, on_choice)
    asked[#asked + 1] = opts.prompt
    on_choice(#asked == 1 and items[2] or items[1]) -- keep, then overwrite
  end)
  vim.cmd("SilcrowRevert 1")
  H.wait(function()
    return H.chat_line_starting("revert cancelled: ")
  end, "the kept change")
  H.eq("# mine\n" .. NEW, buffer_text(buf), "nothing was restored")
  H.truthy(asked[1]:find("calc.py", 1, true), "the question names the file: " .. asked[1])
  local reverted
  require("silcrow.checkpoints").revert("1", function(result)
    reverted = result
  end)
  H.wait(function()
    return reverted
  end, "the forced revert")
  H.eq(OLD, buffer_text(buf), "overwritten once the user said so")
end)

H.run()
