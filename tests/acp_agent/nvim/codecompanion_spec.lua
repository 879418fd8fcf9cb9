-- `silcrow acp` driven by CodeCompanion's ACP client in real headless Neovim.
--
-- CodeCompanion (olimorris/codecompanion.nvim) and plenary.nvim are not on any
-- package registry this project installs from, so the files the test loads are
-- vendored under vendor/ with their licences (see vendor/README.md). The adapter
-- is the one docs/acp.md tells CodeCompanion users to write. The agent runs the
-- scripted provider: a read (fs/read_text_file, served by CodeCompanion), an edit
-- (fs/write_text_file: it lands in the open Neovim buffer, which CodeCompanion
-- then saves), a shell
-- command the user rejects (session/request_permission), then the answer.
--
-- Run by scripts/test-acp: nvim --clean --headless -l codecompanion_spec.lua
-- with SILCROW_PROVIDER=fake, SILCROW_FAKE_SCRIPT, SILCROW_DB set and `silcrow`
-- on PATH; the working directory is the workspace (it holds a.py).
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
vim.opt.rtp:prepend(here .. "/vendor/plenary.nvim")
vim.opt.rtp:prepend(here .. "/vendor/codecompanion.nvim")

local failures = 0
local function check(ok, what, detail)
  if ok then
    print("ok - " .. what)
  else
    failures = failures + 1
    print("not ok - " .. what .. (detail and ("\n  " .. vim.inspect(detail)) or ""))
  end
end

require("codecompanion").setup({
  adapters = {
    acp = {
      silcrow = function()
        local helpers = require("codecompanion.adapters.acp.helpers")
        return {
          name = "silcrow",
          formatted_name = "Silcrow",
          type = "acp",
          roles = { llm = "assistant", user = "user" },
          commands = { default = { "silcrow", "acp" } },
          defaults = { mcpServers = {}, timeout = 20000 },
          parameters = {
            protocolVersion = 1,
            clientCapabilities = { fs = { readTextFile = true, writeTextFile = true } },
            clientInfo = { name = "CodeCompanion.nvim", version = "1.0.0" },
          },
          handlers = {
            setup = function(self) return true end,
            auth = function(self) return true end,
            form_messages = function(self, messages, capabilities)
              return helpers.form_messages(self, messages, capabilities)
            end,
            on_exit = function(self, code) end,
          },
        }
      end,
    },
  },
  interactions = { chat = { adapter = "silcrow" } },
})

local root = vim.fn.getcwd()
local target = root .. "/a.py"
vim.cmd.edit(target) -- the buffer the edit must land in
local buf = vim.api.nvim_get_current_buf()

local adapter = require("codecompanion.adapters").resolve("silcrow")
local conn = require("codecompanion.acp").new({ adapter = adapter })
check(conn:connect_and_initialize() ~= nil, "initialize and session/new")
check(conn._agent_info.agentCapabilities.loadSession == true, "the agent can load sessions")

local message, calls, updates, asked, done = {}, {}, {}, {}, nil
conn
  :session_prompt({ { role = "user", content = "fix a.py", _meta = {} } })
  :on_message_chunk(function(text) table.insert(message, text) end)
  :on_tool_call(function(call) table.insert(calls, call) end)
  :on_tool_update(function(update) table.insert(updates, update) end)
  :on_permission_request(function(request)
    table.insert(asked, request)
    request.respond("reject_once")
  end)
  :on_complete(function(reason) done = reason end)
  :on_error(function(err) done = "error: " .. tostring(err) end)
  :send()
vim.wait(60000, function() return done ~= nil end, 20)

check(done == "end_turn", "the prompt ends with end_turn", done)
check(table.concat(message):find("done", 1, true) ~= nil, "the answer streamed", message)
local kinds = vim.tbl_map(function(c) return c.kind end, calls)
check(vim.deep_equal(kinds, { "read", "edit", "execute" }), "tool calls with kinds", kinds)
check(calls[1] and calls[1].locations and calls[1].locations[1].path == target, "absolute location", calls[1])
local finals = vim.tbl_filter(function(u) return u.status == "completed" or u.status == "failed" end, updates)
local read_text = finals[1] and finals[1].content and finals[1].content[1].content.text or ""
check(read_text:find("on disk", 1, true) ~= nil, "the read went through fs/read_text_file", read_text)
local diff = finals[2] and finals[2].content and finals[2].content[1] or {}
check(diff.type == "diff" and diff.path == target and diff.newText == "print('edited')\n", "the edit is an ACP diff", diff)
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
check(lines[1] == "print('edited')", "the edit landed in the Neovim buffer", lines)
check(#asked == 1 and asked[1].tool_call.toolCallId == calls[3].toolCallId, "permission asked on the call", asked)
local kinds_offered = vim.tbl_map(function(o) return o.kind end, asked[1] and asked[1].options or {})
table.sort(kinds_offered)
check(vim.deep_equal(kinds_offered, { "allow_always", "allow_once", "reject_always", "reject_once" }), "four options", kinds_offered)
check(finals[3] and finals[3].status == "failed", "the rejected command failed", finals[3])
check(vim.fn.filereadable(root .. "/ran.txt") == 0, "the rejected command did not run")

conn:disconnect()
print(failures == 0 and "codecompanion: all passed" or ("codecompanion: " .. failures .. " failed"))
os.exit(failures == 0 and 0 or 1)
