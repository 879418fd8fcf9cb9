-- Review before apply, through the `silcrow/review` handler and the keys a
-- user presses in the diff tab (no daemon: the handler is called as Neovim's
-- LSP client calls it, inside a coroutine), and the chat's diff.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local review = require("silcrow.review")

local OLD = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"
vim.fn.mkdir("/tmp/r18n", "p")
vim.cmd.cd("/tmp/r18n") -- file names are shown relative to it
local NEW = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"

---Calls the handler as the LSP client does; returns a function giving its answer.
---@param files table[]
---@param turn_id? string default "t1"
---@return fun(): table?
local function request(files, turn_id)
  local answer
  local co = coroutine.create(function()
    answer = review.request(nil, { conversationId = "c1", turnId = turn_id or "t1", files = files })
  end)
  local ok, err = coroutine.resume(co)
  assert(ok, err)
  H.after(function()
    review.decide_turn(turn_id or "t1", false)
    review.decided = {}
    vim.cmd("silent! tabonly!")
    require("silcrow.chat").reset()
  end)
  return function()
    return answer
  end
end

---@param name string
---@param old? string
---@param new? string
---@param kind? string
local function file(name, old, new, kind)
  return { uri = vim.uri_from_fname("/tmp/r18n/" .. name), kind = kind or "edit", oldText = old or vim.NIL, newText = new or vim.NIL }
end

local function wait_answer(answer)
  H.wait(answer, "the review's answer")
  return answer()
end

H.test("accepting the change under the cursor, rejecting the other, answers exactly that", function()
  local answer = request({ file("calc.py", OLD, NEW) })
  local session = review.active()
  H.truthy(session, "a review is on screen")
  H.eq(2, #vim.api.nvim_tabpage_list_wins(0), "two windows in the review tab")
  H.truthy(vim.wo.diff, "in diff mode")
  H.eq(2, vim.api.nvim_win_get_cursor(0)[1], "the cursor is on the first change")
  vim.cmd.normal("ga")
  H.eq("    return a + b", vim.api.nvim_buf_get_lines(session.left, 1, 2, false)[1], "the hunk was taken")
  H.eq(nil, answer(), "one change is still open")
  vim.cmd.normal("]c")
  H.eq(6, vim.api.nvim_win_get_cursor(0)[1])
  vim.cmd.normal("gr")
  local want = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n"
  H.eq({ files = { { uri = vim.uri_from_fname("/tmp/r18n/calc.py"), newText = want } } }, wait_answer(answer))
  H.eq(nil, review.active(), "the review is closed")
  H.eq(1, #vim.api.nvim_list_tabpages(), "its tab is gone")
end)

H.test("deciding returns to the tab the review was opened from", function()
  vim.cmd("tabnew")
  local origin = vim.api.nvim_get_current_tabpage()
  vim.cmd("tabnew") -- a tab after it, where Neovim would otherwise land
  vim.api.nvim_set_current_tabpage(origin)
  local answer = request({ file("calc.py", OLD, NEW) })
  vim.cmd("SilcrowAccept")
  wait_answer(answer)
  H.eq(origin, vim.api.nvim_get_current_tabpage())
end)

H.test("an added block and a removed block are each taken with the cursor next to them", function()
  local old = "a\nb\nc\nd\n"
  local new = "a\nnew 1\nnew 2\nb\nd\n" -- two lines added after a, c removed
  local answer = request({ file("abc.txt", old, new) })
  local session = assert(review.active())
  vim.api.nvim_win_set_cursor(0, { 1, 0 }) -- on "a": the added lines show below it
  vim.cmd.normal("ga")
  H.eq({ "a", "new 1", "new 2", "b", "c", "d" }, vim.api.nvim_buf_get_lines(session.left, 0, -1, false))
  vim.api.nvim_set_current_win(vim.fn.bufwinid(session.right))
  vim.api.nvim_win_set_cursor(0, { 4, 0 }) -- on "b" of the proposal: c was removed after it
  vim.cmd.normal("ga")
  H.eq(new, wait_answer(answer).files[1].newText)
end)

H.test("do and dp move a change as in a diff; gA accepts the rest", function()
  local answer = request({ file("calc.py", OLD, NEW) })
  local session = assert(review.active())
  vim.cmd.normal("dp") -- in the left window: keep the current text of the first change
  H.eq("    return a - b", vim.api.nvim_buf_get_lines(session.right, 1, 2, false)[1], "dp put it into the proposal")
  vim.cmd.normal("gA")
  H.eq(NEW:gsub("a %+ b", "a - b", 1), wait_answer(answer).files[1].newText)
end)

H.test(":SilcrowReject answers null; :SilcrowAccept the proposal, file by file", function()
  local answer = request({ file("a.py", OLD, NEW), file("b.py", nil, "print(1)\n", "create") })
  H.truthy(vim.api.nvim_buf_get_name(0):find("a.py", 1, true), "the first file first")
  vim.cmd("SilcrowReject")
  H.wait(function()
    local s = review.active()
    return s and s.file.uri:find("b.py", 1, true)
  end, "the second file to open")
  vim.cmd("SilcrowAccept")
  local files = wait_answer(answer).files
  H.eq(vim.NIL, files[1].newText, "the rejected file")
  H.eq("print(1)\n", files[2].newText, "the created file, as proposed")
end)

H.test(":write in the left side applies it as it is, your own edits included", function()
  local answer = request({ file("calc.py", OLD, NEW) })
  local session = assert(review.active())
  vim.cmd.normal("ga")
  vim.api.nvim_buf_set_lines(session.left, 0, 1, false, { "def add(a, b):  # fixed" })
  vim.cmd("write")
  H.eq("def add(a, b):  # fixed\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n",
    wait_answer(answer).files[1].newText)
end)

H.test("closing the review tab, or the turn ending, rejects", function()
  local answer = request({ file("a.py", OLD, NEW), file("b.py", OLD, NEW) })
  vim.cmd("tabclose")
  H.wait(function()
    local s = review.active()
    return s and s.file.uri:find("b.py", 1, true)
  end, "the second file to open")
  review.on_event({ type = "cancelled", turnId = "t1", conversationId = "c1", seq = 1 })
  H.eq({ vim.NIL, vim.NIL }, vim.tbl_map(function(f)
    return f.newText
  end, wait_answer(answer).files))
end)

H.test("a review that arrives while another is open waits for it", function()
  local first = request({ file("a.py", OLD, NEW) }, "t1")
  local second = request({ file("b.py", nil, "x = 1\n", "create") }, "t2")
  H.truthy(review.active().file.uri:find("a.py", 1, true), "the first stays on screen")
  vim.cmd("SilcrowAccept")
  H.eq(NEW, wait_answer(first).files[1].newText)
  H.wait(function()
    local s = review.active()
    return s and s.file.uri:find("b.py", 1, true)
  end, "the second review to open")
  vim.cmd.normal("gr") -- the only change of a new file: nothing of it
  H.eq(vim.NIL, wait_answer(second).files[1].newText, "a rejected new file is null, not an empty file")
end)

H.test("the daemon's revert notice is a note in the chat and starts no turn", function()
  local turn = require("silcrow.turn")
  turn.state.conversation_id = "c1"
  H.after(function()
    turn.state.conversation_id = nil
    require("silcrow.chat").reset()
  end)
  local uri = vim.uri_from_fname("/tmp/r18n/calc.py")
  turn.on_event({ conversationId = "c1", turnId = "n1", seq = 9, type = "user", content = "(files restored)",
    payload = { notice = true, revert = { turnId = "t1", files = { uri } } } })
  H.eq({ "↺ restored to before a turn: calc.py" }, H.chat_lines())
  H.eq(false, require("silcrow.chat").is_busy(), "no spinner")
  H.eq(nil, turn.state.running)
end)

H.test("the chat shows each proposed diff with +/- counts and the outcome", function()
  local answer = request({ file("calc.py", OLD, NEW) })
  vim.cmd("SilcrowAccept")
  wait_answer(answer)
  local lines = H.chat_lines()
  H.eq("± edit calc.py +2 −2", lines[1])
  H.truthy(vim.list_contains(lines, "-    return a - b") and vim.list_contains(lines, "+    return a + b"),
    "the diff lines: " .. table.concat(lines, "\n"))
  H.eq("calc.py accepted", lines[#lines])
end)

H.test("option review: ask or auto, sent as the daemon's setting when set", function()
  local config = require("silcrow.config")
  H.after(function()
    config.apply({})
  end)
  local options, problems = config.apply({ review = "auto" })
  H.eq({}, problems)
  H.eq("auto", options.settings.review)
  options, problems = config.apply({ review = "sometimes" })
  H.eq({ 'option review must be "ask" (review each change as a diff) or "auto" (apply at once), got "sometimes"' },
    problems)
  H.eq("ask", options.review)
  H.eq(nil, options.settings.review, "the default is the daemon's own")
end)

H.test("an insert into an empty document reaches line 1 (no extra empty line); elsewhere it is kept", function()
  local fix = require("silcrow.apply_edit").fix_empty_inserts
  H.write_file("/tmp/r18n/full.py", "x = 1\n")
  local function insert(uri)
    return { textDocument = { uri = uri, version = vim.NIL }, edits = { {
      range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } }, newText = "a\n" } } }
  end
  local new, full = vim.uri_from_fname("/tmp/r18n/new.py"), vim.uri_from_fname("/tmp/r18n/full.py")
  local edit = { documentChanges = { { kind = "create", uri = new }, insert(new), insert(full) } }
  fix(edit)
  H.eq({ line = 1, character = 0 }, edit.documentChanges[2].edits[1].range["end"], "the new file")
  H.eq({ line = 0, character = 0 }, edit.documentChanges[3].edits[1].range["end"], "a file with text")
end)

H.test("a proposed deletion is kept (the contract has no answer that accepts one), and said so", function()
  local answer = request({ file("old.py", OLD, nil, "delete") })
  H.eq({ files = { { uri = vim.uri_from_fname("/tmp/r18n/old.py"), newText = vim.NIL } } }, wait_answer(answer))
  H.eq(nil, review.active(), "no review tab for it")
  H.eq("old.py: deleting a file cannot be accepted yet; it is kept", H.chat_lines()[#H.chat_lines()])
end)

H.test("a malformed request is refused with what to fix", function()
  local result, err
  coroutine.resume(coroutine.create(function()
    result, err = review.request(nil, { files = { { kind = "edit" } } })
  end))
  H.eq(nil, result)
  H.eq("silcrow/review: files[1] needs a uri", err.message)
end)

H.run()
