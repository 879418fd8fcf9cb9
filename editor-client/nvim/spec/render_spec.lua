-- Folding events into the chat transcript, and the handlers that need no daemon.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local render = require("silcrow.render")

local seq = 0
---@param type string
---@param content? string
---@param payload? table
---@param turn? string
local function ev(type, content, payload, turn)
  seq = seq + 1
  return {
    conversationId = "c1",
    turnId = turn or "t1",
    seq = seq,
    type = type,
    content = content or "",
    payload = payload,
  }
end

local delta = { delta = true }

H.test("token deltas of one kind are concatenated into one block", function()
  local t = render.new()
  t:apply(ev("user", "Why?"))
  t:apply(ev("think", "look at ", delta))
  t:apply(ev("think", "the file\n", delta))
  t:apply(ev("respond", "It is ", delta))
  t:apply(ev("respond", "fine.\nReally.", delta))
  t:apply(ev("end", "", { stopReason = "end" }))
  H.eq({ "» Why?", "look at the file", "It is fine.", "Really.", "── done" }, t:lines())
end)

H.test("semantic blocks of the same kind stay separate", function()
  local t = render.new()
  t:apply(ev("respond", "one"))
  t:apply(ev("respond", "two"))
  H.eq({ "one", "two" }, t:lines())
end)

H.test("a delta does not extend a block of another turn", function()
  local t = render.new()
  t:apply(ev("respond", "first", delta, "t1"))
  t:apply(ev("respond", "second", delta, "t2"))
  H.eq({ "first", "second" }, t:lines())
end)

H.test("apply names the block to redraw; execute and metric redraw nothing", function()
  local t = render.new()
  H.eq(1, t:apply(ev("respond", "a", delta)))
  H.eq(1, t:apply(ev("respond", "b", delta)))
  H.eq(nil, t:apply(ev("execute")))
  H.eq(nil, t:apply(ev("metric", "", { input_tokens = 3 })))
  H.eq(2, t:apply(ev("call", "", { name = "read", args = { file = "a.py" } })))
end)

H.test("a running command's output pieces join into one indented block", function()
  local t = render.new()
  t:apply(ev("call", "", { name = "shell", args = { command = "make" } }))
  t:apply(ev("execute"))
  H.eq(2, t:apply(ev("output", "one\ntw", { name = "shell" })))
  H.eq(2, t:apply(ev("output", "o\n", { name = "shell" })))
  t:apply(ev("result", "", { name = "shell", outcome = "`make` exited 0" }))
  H.eq({ '→ shell {"command":"make"}', "  │ one", "  │ two", "← `make` exited 0" }, t:lines())
end)

H.test("calls, results, errors and usage are rendered", function()
  local t = render.new()
  t:apply(ev("user", "go", { context = {
    { uri = "file:///w/a.py", range = { start = { line = 1, character = 0 }, ["end"] = { line = 3, character = 0 } } },
  } }))
  t:apply(ev("call", "", { name = "read", args = { file = "a.py" } }))
  t:apply(ev("call", "{bad", { raw = "{bad", error = "invalid JSON" }))
  t:apply(ev("result", "text", { name = "read", outcome = "read a.py (3 lines)", error = false }))
  t:apply(ev("result", "no", { name = "shell", outcome = "rejected by the user", error = true }))
  t:apply(ev("metric", "", { input_tokens = 100, cached_tokens = 60, output_tokens = 7 }))
  t:apply(ev("metric", "", { input_tokens = 20, cached_tokens = 0, output_tokens = 3 }))
  t:apply(ev("error", "set OPENAI_API_KEY", { stopReason = "error" }))
  t:apply(ev("cancelled", "", { stopReason = "cancelled" }))
  H.eq({
    "» go",
    "  (with a.py:2-3)",
    '→ read {"file":"a.py"}',
    "→ malformed call: invalid JSON",
    "← read a.py (3 lines)",
    "← rejected by the user",
    "✗ set OPENAI_API_KEY",
    "── cancelled · 120 in (60 cached) · 10 out tokens",
  }, t:lines())
  local _, hl = t:block_lines(5)
  H.eq("SilcrowError", hl, "a failed result is highlighted as an error")
  H.eq({ input_tokens = 120, cached_tokens = 60, output_tokens = 10, sent_bytes = 0 }, t.usage)
end)

H.test("long call arguments are cut short", function()
  local t = render.new()
  t:apply(ev("call", "", { name = "write", args = { file = "a.py", content = string.rep("x", 500) } }))
  local line = t:lines()[1]
  H.eq(render.max_args + vim.fn.strchars("→ write "), vim.fn.strchars(line))
  H.truthy(vim.endswith(line, "x…"), "ends with an ellipsis: " .. line)
end)

H.test("metrics without token figures add no usage to the end line", function()
  local t = render.new()
  t:apply(ev("metric", "", { cycle = 1, elapsed_ms = 6.7, mode = "resume" }))
  t:apply(ev("end", "", { stopReason = "end" }))
  H.eq({ "── done" }, t:lines())
end)

H.test("a new user turn starts usage from zero and a blank line", function()
  local t = render.new()
  t:apply(ev("metric", "", { input_tokens = 5, output_tokens = 1 }))
  t:apply(ev("respond", "a"))
  t:apply(ev("user", "next", nil, "t2"))
  H.eq(0, t.usage.input_tokens)
  H.eq({ "a", "", "» next" }, t:lines())
end)

H.test("the chat buffer shows the transcript with think highlighted", function()
  local chat = require("silcrow.chat")
  H.after(chat.reset)
  chat.reset()
  chat.apply(ev("user", "q", nil, "t9"))
  chat.apply(ev("think", "hm", delta, "t9"))
  chat.apply(ev("think", "m", delta, "t9"))
  chat.apply(ev("respond", "answer", delta, "t9"))
  H.eq({ "» q", "hmm", "answer" }, chat.lines())
  H.eq("silcrow", vim.bo[chat.buf()].filetype)
  local ns = vim.api.nvim_get_namespaces()["silcrow.chat"]
  local marks = vim.api.nvim_buf_get_extmarks(chat.buf(), ns, { 1, 0 }, { 1, -1 }, { details = true })
  H.eq("SilcrowThink", marks[1] and marks[1][4].hl_group, "think line highlight")
  H.eq("Comment", vim.api.nvim_get_hl(0, { name = "SilcrowThink" }).link)
end)

H.test("saveDocuments writes modified buffers and reports them saved", function()
  local root = H.workspace({ ["a.txt"] = "old\n" })
  vim.cmd.edit(root .. "/a.txt")
  H.after(function()
    vim.cmd("silent! %bwipeout!")
  end)
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { "new" })
  local uri = vim.uri_from_fname(root .. "/a.txt")
  local missing = vim.uri_from_fname(root .. "/not-open.txt")
  local reply = require("silcrow.handlers").save_documents(nil, { uris = { uri, missing } })
  H.eq({ saved = { uri, missing } }, reply)
  H.eq("new\n", H.read_file(root .. "/a.txt"))
  H.eq(false, vim.bo.modified)
end)

H.test("a permission request waits for an asynchronous vim.ui.select", function()
  local original = vim.ui.select
  H.after(function()
    vim.ui.select = original
  end)
  local seen
  vim.ui.select = function(items, opts, on_choice)
    seen = { names = vim.tbl_map(opts.format_item, items), prompt = opts.prompt }
    vim.defer_fn(function()
      on_choice(items[2])
    end, 20)
  end
  local reply
  coroutine.wrap(function()
    reply = require("silcrow.handlers").request_permission(nil, {
      tool = "shell",
      summary = "Run `ls`",
      options = {
        { optionId = "allow_once", name = "Allow once" },
        { optionId = "allow_always", name = "Allow always" },
        { optionId = "reject", name = "Reject" },
      },
    })
  end)()
  H.eq(nil, reply, "no answer before the user chose")
  H.wait(function()
    return reply
  end, "the permission answer")
  H.eq({ optionId = "allow_always" }, reply)
  H.eq({ names = { "Allow once", "Allow always", "Reject" }, prompt = "Silcrow: Run `ls`" }, seen)
end)

H.test("dismissing the permission prompt rejects", function()
  local original = vim.ui.select
  H.after(function()
    vim.ui.select = original
  end)
  vim.ui.select = function(_, _, on_choice)
    on_choice(nil)
  end
  local reply
  coroutine.wrap(function()
    reply = require("silcrow.handlers").request_permission(nil, { tool = "shell", options = {} })
  end)()
  H.eq({ optionId = "reject" }, reply)
end)

H.test("bad setup options are reported and defaults kept", function()
  local config = require("silcrow.config")
  H.after(function()
    config.apply({})
  end)
  local options, problems = config.apply({ layout = "diagonal", width = 80, nope = 1 })
  H.eq("vertical", options.layout)
  H.eq(80, options.width)
  H.eq(2, #problems)
  H.truthy(table.concat(problems, "\n"):find('layout must be "vertical" or "horizontal"', 1, true),
    "the layout problem names the option and the fix: " .. vim.inspect(problems))
end)

H.test("a daemon setting given at the top level of setup() is pointed to settings", function()
  local config = require("silcrow.config")
  H.after(function()
    config.apply({})
  end)
  local options, problems = config.apply({ provider = "openai" })
  H.eq({}, options.settings)
  H.eq({ 'provider is a daemon setting: put it under settings, e.g. setup({ settings = { provider = "openai" } })' },
    problems)
end)

H.test("a selection becomes a context item with an LSP range", function()
  local buf = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_buf_set_name(buf, "/tmp/sel.py")
  H.after(function()
    vim.api.nvim_buf_delete(buf, { force = true })
  end)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "a", "bé", "c" })
  local mid = require("silcrow").selection(buf, 1, 2)
  H.eq({ start = { line = 0, character = 0 }, ["end"] = { line = 2, character = 0 } }, mid.range)
  H.eq("a\nbé", mid.text)
  local tail = require("silcrow").selection(buf, 2, 3)
  H.eq({ line = 2, character = 1 }, tail.range["end"])
  H.eq("file:///tmp/sel.py", tail.uri)
end)

H.run()
