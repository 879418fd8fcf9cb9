-- Editor context, mentions, modes and model choice against the real daemon:
-- what the user types in Neovim and what reaches the daemon and the model
-- (an OpenAI-compatible loopback server, tests/fakes/http_server.py, records
-- every request the daemon makes).
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local turn = require("silcrow.turn")
local input = require("silcrow.input")
local modes = require("silcrow.modes")

local SOURCE = "def add(a, b):\n    return a - b\n\n\nprint(add(1, 2))\n"

local override_ui = H.override_ui

---Puts the chat back in agent mode with the daemon's model after a test.
local function reset_modes()
  modes.state.mode = "agent"
  modes.state.model = nil
  modes.state.planned = nil
  input.state.question = { chosen = {} }
end

---Starts the loopback OpenAI-compatible server serving `replies` and points
---the daemon at it. Returns a function giving the request bodies it received.
---@param root string
---@param replies string[]
---@return fun(): table[] requests
local function model_server(root, replies)
  local script = root .. "/.git/replies.json"
  local record = root .. "/.git/requests.jsonl"
  H.write_file(script, vim.json.encode({ replies = replies, chunk = 16 }))
  local python = vim.fs.joinpath(vim.fs.dirname(H.daemon()), "python")
  local url
  local proc = vim.system(
    { python, "-m", "fakes.http_server", "--script", script, "--api-key", "", "--record", record },
    {
      env = { PYTHONPATH = H.repo .. "/tests:" .. (vim.env.PYTHONPATH or H.repo .. "/server") },
      stdout = function(_, data)
        url = url or (data or ""):match("openai: (%S+)")
      end,
    }
  )
  H.after(function()
    proc:kill("sigterm")
  end)
  H.wait(function()
    return url
  end, "the loopback model server to start")
  H.setup(root, {}, { provider = url, model = "test-model", fakeScript = vim.NIL })
  return function()
    local text = H.read_file(record) or ""
    return vim.tbl_map(vim.json.decode, vim.split(text, "\n", { trimempty = true }))
  end
end

---The text of the messages of `request` with `role`.
---@param request table
---@param role string
---@return string
local function said(request, role)
  local parts = {}
  for _, message in ipairs(request.messages or {}) do
    if message.role == role then
      local content = message.content
      parts[#parts + 1] = type(content) == "string" and content or vim.json.encode(content)
    end
  end
  return table.concat(parts, "\n")
end

---Context items without the `text` the daemon stores with each (what the model got).
---@param items table[]
---@return table[]
local function without_text(items)
  return vim.tbl_map(function(item)
    local copy = vim.deepcopy(item)
    copy.text = nil
    return copy
  end, items)
end

---The stored `user` events of the conversation the chat follows.
---@return table[]
local function stored_user_events()
  local client = require("silcrow.client").get()
  local reply = assert(client:request_sync("silcrow/history", {
    conversationId = turn.state.conversation_id,
  }, H.timeout))
  H.truthy(not reply.err, "silcrow/history failed: " .. vim.inspect(reply.err))
  return vim.tbl_filter(function(event)
    return event.type == "user"
  end, reply.result.events)
end

local Child = dofile(vim.fs.joinpath(H.spec_dir, "child.lua"))

---A child Neovim (spec/child.lua) running the plugin against the real daemon
---(fake provider answering `replies`) in `root`, editing `file`.
---@param root string
---@param file string
---@param replies string[]
---@return silcrow.spec.Child
local function child_editing(root, file, replies)
  local child = Child.start(H.plugin_dir, H.timeout)
  H.after(child.stop)
  child.lua(
    [[
    local daemon, root, file, replies = ...
    vim.env.SILCROW_DB = root .. "/.git/silcrow-test.db"
    require("silcrow").setup({
      cmd = { daemon, "serve" },
      settings = { provider = "fake", fakeScript = { replies = replies, chunk = 4, delay = 0 } },
    })
    vim.cmd.cd(root)
    vim.cmd.edit(file)
  ]],
    H.daemon(),
    root,
    root .. "/" .. file,
    replies
  )
  child.wait([[
    local c = vim.lsp.get_clients({ name = "silcrow", bufnr = 0 })[1]
    return c and c.initialized or false
  ]], "the silcrow client to attach")
  return child
end

---Types `keys` in the child and returns the completion menu's items once it opens.
---@param child silcrow.spec.Child
---@param keys string
---@return table[]
local function menu_after(child, keys)
  child.input(keys)
  child.wait("return vim.fn.pumvisible() == 1", "the completion menu after " .. keys)
  return child.lua("return vim.fn.complete_info({ 'items' }).items")
end

---@param items table[]
---@return string[]
local function words(items)
  return vim.tbl_map(function(item)
    return item.word
  end, items)
end

---Waits until the child's turn has ended; returns the stored `user` events
---of its conversation.
---@param child silcrow.spec.Child
---@return table[]
local function child_user_events(child)
  child.wait([[
    local s = require("silcrow.turn").state
    return s.pending == nil and s.running == nil and s.last_result ~= nil
  ]], "the turn to end")
  return child.lua([[
    local c = require("silcrow.client").get()
    local reply = c:request_sync("silcrow/history", { conversationId = require("silcrow.turn").state.conversation_id })
    return vim.tbl_filter(function(e) return e.type == "user" end, reply.result.events)
  ]])
end

H.test(":SilcrowAsk sends the selection and the diagnostics under it", function()
  H.after(reset_modes)
  local root = H.workspace({ ["calc.py"] = SOURCE })
  H.setup(root, { "§respond: It subtracts.\n§end\n" })
  local buf = H.edit(root .. "/calc.py")
  local ns = vim.api.nvim_create_namespace("spec.lint")
  vim.diagnostic.set(ns, buf, {
    { lnum = 1, col = 11, end_col = 16, message = "add subtracts", severity = vim.diagnostic.severity.WARN, source = "lint" },
    { lnum = 4, col = 0, end_col = 5, message = "not under the selection", severity = vim.diagnostic.severity.ERROR },
  })
  turn.state.last_result = nil
  vim.cmd("1,2SilcrowAsk Why is add wrong?")
  H.eq("end", H.wait_turn().stopReason)
  local context = stored_user_events()[1].payload.context
  H.eq({ "selection", "diagnostics" }, vim.tbl_map(function(item)
    return item.kind
  end, context), "what the daemon stored with the question")
  H.eq("def add(a, b):\n    return a - b", context[1].text)
  H.eq(1, #context[2].diagnostics, "only the diagnostic under the selection")
  H.eq("add subtracts", context[2].diagnostics[1].message)
  H.eq({ start = { line = 1, character = 11 }, ["end"] = { line = 1, character = 16 } }, context[2].diagnostics[1].range)
end)

H.test(":SilcrowAsk without a range sends the current file", function()
  H.after(reset_modes)
  local root = H.workspace({ ["calc.py"] = SOURCE })
  H.setup(root, { "§respond: Fine.\n§end\n" })
  H.edit(root .. "/calc.py")
  turn.state.last_result = nil
  vim.cmd("SilcrowAsk What is this?")
  H.eq("end", H.wait_turn().stopReason)
  local context = stored_user_events()[1].payload.context
  H.eq(SOURCE, context[1].text, "the daemon read the file for the model")
  H.eq({ { kind = "file", uri = vim.uri_from_fname(root .. "/calc.py") } }, without_text(context))
end)

H.test("@ in the chat input offers files, symbols and @problems; the chosen ones go as context", function()
  local root = H.workspace({ ["calc.py"] = SOURCE, ["calendar/notes.md"] = "x\n", ["other.py"] = "" })
  local child = child_editing(root, "calc.py", { "§respond: Noted.\n§end\n" })
  local calc = vim.uri_from_fname(root .. "/calc.py")
  local add_range = { start = { line = 0, character = 0 }, ["end"] = { line = 1, character = 16 } }
  child.lua([[
    local calc, range = ...
    spec_child.symbol_server({ { name = "calculate", kind = 12, location = { uri = calc, range = range } } })
    vim.diagnostic.set(vim.api.nvim_create_namespace("spec.lint"), 0, {
      { lnum = 1, col = 11, end_col = 16, message = "add subtracts", severity = vim.diagnostic.severity.WARN },
    })
  ]], calc, add_range)
  child.wait("return #vim.lsp.get_clients({ name = 'symbols', bufnr = 0 }) == 1", "the symbol server to attach")
  child.wait([[
    local reply = require("silcrow.client").get():request_sync("silcrow/mentions", { query = "cal" })
    return reply and reply.result and #reply.result.items == 3
  ]], "the daemon's file index (built in the background at start-up)")
  child.lua("require('silcrow').open()") -- :Silcrow from the file: the cursor is in the chat
  child.input("i") -- the chat's key for a question
  child.wait("return vim.bo.filetype == 'silcrowinput' and vim.fn.mode() == 'i'", "the chat input")
  H.eq(calc, child.lua("return vim.uri_from_bufnr(require('silcrow.input').state.question.bufnr)"),
    "the question is about the file the chat was opened from")
  local items = menu_after(child, "Look at @cal")
  H.eq({ "@calc.py", "@calendar/", "@calendar/notes.md", "@calculate" }, words(items))
  H.eq({ "file", "folder", "file", "symbol" }, vim.tbl_map(function(item)
    return item.kind
  end, items))
  child.input("<C-n><C-n><C-n><C-y>")
  H.eq({ "@problems" }, words(menu_after(child, " and @pro")))
  child.input("<C-y> in @other.py<Esc>")
  H.eq({ "Look at @calculate and @problems in @other.py" }, child.lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)"))
  child.input("<CR>")
  local context = child_user_events(child)[1].payload.context
  H.eq({ "" }, child.lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)"), "the input is empty again")
  H.eq({
    SOURCE,
    "def add(a, b):\n    return a - b",
    "calc.py:2:12 warning add subtracts\n    return a - b",
    "",
  }, vim.tbl_map(function(item)
    return item.text
  end, context), "what the model got of each item")
  H.eq({
    { kind = "file", uri = calc },
    { kind = "symbol", uri = calc, range = add_range, name = "calculate" },
    { kind = "diagnostics", uri = calc, diagnostics = context[3] and context[3].diagnostics },
    { kind = "file", uri = vim.uri_from_fname(root .. "/other.py") },
  }, without_text(context), "the current file, then the mentions in order")
  H.eq("add subtracts", context[3].diagnostics[1].message)
end)

H.test("/ at the start of the chat input completes the commands; /help lists them", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local child = child_editing(root, "calc.py", {})
  child.lua("require('silcrow.input').open()")
  H.eq({ "/new", "/ask", "/plan", "/agent", "/model", "/clear", "/help" }, words(menu_after(child, "/")))
  H.eq({ "/plan" }, words(menu_after(child, "<C-e>pl")))
  child.input("<C-e><C-u>/help<CR>")
  child.wait([[return vim.iter(require("silcrow.chat").lines()):any(function(l) return l:find("^/plan %[text%]") ~= nil end)]],
    "/help to list /plan in the chat")
  child.input("/frobnicate<CR>")
  child.wait([[return vim.list_contains(require("silcrow.chat").lines(), "✗ unknown command /frobnicate; /help lists the commands")]],
    "an unknown command to say so")
end)

H.test(":'<,'>SilcrowAsk without a question opens the chat input; the selection goes with what is typed", function()
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local child = child_editing(root, "calc.py", { "§respond: Subtraction.\n§end\n" })
  child.lua("vim.cmd('1,2SilcrowAsk')")
  child.wait("return vim.bo.filetype == 'silcrowinput' and vim.fn.mode() == 'i'", "the chat input")
  H.truthy(child.lua("return vim.wo.winbar"):find("calc.py:1-2", 1, true), "the input says what the question is about")
  child.input("What does it do?<CR>")
  local users = child_user_events(child)
  H.eq("What does it do?", users[1].content)
  H.eq({ { kind = "selection", uri = vim.uri_from_fname(root .. "/calc.py"),
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 2, character = 0 } } } },
    without_text(users[1].payload.context))
  H.eq({ "" }, child.lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)"), "the input is empty again")
end)

H.test(":Silcrow ask sends ask mode: the model is offered no write tool and a write is refused", function()
  H.after(reset_modes)
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local write = vim.json.encode({ name = "write", args = { file = "calc.py", content = "x = 1\n" } })
  local requests = model_server(root, { "§call: " .. write .. "\n§execute\n", "§respond: I may not write here.\n§end\n" })
  H.edit(root .. "/calc.py")
  vim.cmd("Silcrow ask")
  H.truthy(require("silcrow").statusline():find("ask", 1, true), "the status shows the mode")
  turn.state.last_result = nil
  vim.cmd("SilcrowAsk Rewrite calc.py")
  H.eq("end", H.wait_turn().stopReason)
  H.eq(SOURCE, H.read_file(root .. "/calc.py"), "the file is untouched")
  H.truthy(H.chat_line("← write is not available in ask mode"), "the refusal is shown")
  local first = requests()[1]
  local system = said(first, "system")
  H.truthy(system:find("\nread", 1, true), "read is offered:\n" .. system)
  H.truthy(not system:find("\nwrite", 1, true) and not system:find("\nshell", 1, true), "write and shell are not:\n" .. system)
  H.truthy(said(first, "user"):find("return a - b", 1, true), "the current file is in the user message")
  H.eq("ask", stored_user_events()[1].payload.chatMode, "the daemon stored the mode")
end)

H.test("/plan asks for a plan; /agent alone then runs it in agent mode with the chosen model", function()
  H.after(reset_modes)
  local root = H.workspace({ ["calc.py"] = SOURCE })
  local requests = model_server(root, { "§respond: 1. Fix the operator.\n§end\n", "§respond: Done.\n§end\n" })
  H.edit(root .. "/calc.py")
  override_ui("select", function(items, opts, on_choice)
    H.eq("test-model", opts.format_item(items[1]):match("^%S+"), "the model in use is listed first")
    on_choice({ id = "other-model" })
  end)
  vim.cmd("SilcrowModel")
  H.wait(function()
    return modes.state.model == "other-model"
  end, "the chosen model")
  turn.state.last_result = nil
  vim.cmd("SilcrowAsk /plan How do I fix add?")
  H.eq("end", H.wait_turn().stopReason)
  turn.state.last_result = nil
  vim.cmd("SilcrowAsk /agent")
  H.eq("end", H.wait_turn().stopReason)
  local users = stored_user_events()
  H.eq({ "How do I fix add?", require("silcrow.commands").RUN_PLAN }, { users[1].content, users[2].content })
  H.eq({ "plan", vim.NIL }, { users[1].payload.chatMode, users[2].payload.chatMode or vim.NIL })
  local sent = requests()
  H.eq({ "other-model", "other-model" }, { sent[1].model, sent[2].model }, "the chosen model answered both")
  H.truthy(not said(sent[1], "system"):find("\nwrite", 1, true), "plan mode offers no write tool")
  H.truthy(said(sent[2], "system"):find("\nwrite", 1, true), "agent mode does")
  H.truthy(vim.json.encode(sent[1].messages):find("numbered plan", 1, true), "plan mode asks for a numbered plan")
  H.truthy(not vim.json.encode(sent[2].messages[1]):find("numbered plan", 1, true), "agent mode does not")
end)

H.test("the question's line in the chat names each context item", function()
  local t = require("silcrow.render").new()
  local range = { start = { line = 1, character = 0 }, ["end"] = { line = 3, character = 0 } }
  t:apply({ conversationId = "c", turnId = "t", seq = 1, type = "user", content = "go", payload = { context = {
    { kind = "file", uri = "file:///w/a.py" },
    { kind = "symbol", uri = "file:///w/a.py", range = range, name = "add" },
    { kind = "diagnostics", uri = "file:///w/a.py", diagnostics = { { message = "x", range = range } } },
  } } })
  H.eq({ "» go", "  (with a.py, add (a.py:2-3), 1 problem in a.py)" }, t:lines())
end)

H.test("an @word is a mention only at the start of a word; sentence punctuation is not part of a path", function()
  local mentions = require("silcrow.mentions")
  H.eq({ 4, "src/a" }, { mentions.token("see @src/a", 10) })
  H.eq({ 0, "" }, { mentions.token("@", 1) })
  H.eq({}, { mentions.token("mail me@example.com", 19) }, "an address is not a mention")
  H.eq({}, { mentions.token("@a.py now", 9) }, "the cursor is past the word")
  local root = H.workspace({ ["a.py"] = "", ["b.py"] = "" })
  H.after(H.reset)
  vim.cmd.edit(root .. "/a.py")
  local buf = vim.api.nvim_get_current_buf()
  H.eq({ { kind = "file", uri = vim.uri_from_fname(root .. "/a.py") } },
    mentions.context_items("Is @a.py, or @missing.py, right? See @a.py. Mail x@b.py", {}, buf),
    "a typed path of an existing file counts once; a missing one, or one inside a word, is left as text")
end)

H.run()
