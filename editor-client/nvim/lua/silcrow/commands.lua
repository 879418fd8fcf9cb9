-- What a question typed in the chat input (or given to `:SilcrowAsk`)
-- becomes: a `/` command, or a `silcrow/prompt` with its context items.
--
--   /new            start a new conversation
--   /ask [text]     ask mode (read-only); text after it is sent in that mode
--   /plan [text]    plan mode (read-only, ends with a numbered plan)
--   /agent [text]   agent mode; right after a plan, `/agent` alone runs it
--   /model [name]   choose the model (a list from the daemon, or the name given)
--   /clear          the same as /new (as in the other Silcrow clients)
--   /help           list these commands in the chat
--
-- Algorithm:
-- 1. Text starting with `/word` is a command: a known one runs, an unknown
--    one is an error line in the chat naming `/help`.
-- 2. Anything else is sent with the context of the question (silcrow.context:
--    the current file or selection, the diagnostics when asked for) and of
--    its `@` mentions (silcrow.mentions), each item once.

local chat = require("silcrow.chat")
local context = require("silcrow.context")
local mentions = require("silcrow.mentions")
local modes = require("silcrow.modes")

local M = {}

---What `/agent` alone sends after a plan-mode answer.
M.RUN_PLAN = "Carry out the plan above, step by step."

---@class silcrow.Question
---@field bufnr? integer The file the question is about
---@field range? silcrow.AskRange Its selected lines
---@field diagnostics? boolean Send the diagnostics under the selection
---@field chosen? table<string, silcrow.Mention> Mentions picked from the completion menu

---Step 2: sends `text` with the question's context items.
---@param text string
---@param q silcrow.Question
function M.send(text, q)
  local items, seen = {}, {}
  local all = context.for_question(q.bufnr, q.range, { diagnostics = q.diagnostics })
  vim.list_extend(all, mentions.context_items(text, q.chosen or {}, q.bufnr))
  for _, item in ipairs(all) do
    local key = vim.json.encode(item)
    if not seen[key] then
      seen[key] = true
      items[#items + 1] = item
    end
  end
  require("silcrow.turn").ask(text, #items > 0 and items or nil, q.bufnr)
end

---A mode command: switches the mode, then sends the text after it (if any).
---@param mode silcrow.ChatMode
---@return fun(rest: string, q: silcrow.Question)
local function switch_to(mode)
  return function(rest, q)
    local planned = modes.state.planned
    modes.set_mode(mode)
    if rest ~= "" then
      M.send(rest, q)
    elseif mode == "agent" and planned then
      M.send(M.RUN_PLAN, q)
    else
      chat.open()
      chat.note(("%s mode"):format(mode))
    end
  end
end

---@class silcrow.SlashCommand
---@field name string
---@field args? string
---@field help string
---@field run fun(rest: string, q: silcrow.Question)

---@type silcrow.SlashCommand[]
M.COMMANDS = {
  {
    name = "new",
    help = "start a new conversation",
    run = function()
      require("silcrow.turn").new()
    end,
  },
  { name = "ask", args = "[text]", help = "ask mode: read-only answers", run = switch_to("ask") },
  { name = "plan", args = "[text]", help = "plan mode: read-only, ends with a numbered plan", run = switch_to("plan") },
  {
    name = "agent",
    args = "[text]",
    help = "agent mode: edits and commands (alone after a plan: run it)",
    run = switch_to("agent"),
  },
  {
    name = "model",
    args = "[name]",
    help = "choose the model",
    run = function(rest)
      if rest ~= "" then
        modes.set_model(rest)
      else
        modes.pick_model()
      end
    end,
  },
  {
    name = "clear",
    help = "clear the chat: a new conversation (as /new)",
    run = function()
      require("silcrow.turn").new()
    end,
  },
  {
    name = "help",
    help = "list these commands",
    run = function()
      chat.open()
      chat.note(M.help())
    end,
  },
}

---@param name string
---@return silcrow.SlashCommand?
function M.find(name)
  for _, command in ipairs(M.COMMANDS) do
    if command.name == name then
      return command
    end
  end
end

---The command list, one per line, with the `@` mention forms.
---@return string
function M.help()
  local lines = {}
  for _, command in ipairs(M.COMMANDS) do
    local usage = "/" .. command.name .. (command.args and (" " .. command.args) or "")
    lines[#lines + 1] = ("%-16s %s"):format(usage, command.help)
  end
  lines[#lines + 1] = ("%-16s %s"):format("@file @symbol", "attach a file or symbol (completion menu)")
  lines[#lines + 1] = ("%-16s %s"):format("@problems", "attach the file's diagnostics")
  return table.concat(lines, "\n")
end

---Completion items for the `/word` being typed at the start of the input.
---@param prefix string What follows the `/`
---@return table[]
function M.complete_items(prefix)
  local items = {}
  for _, command in ipairs(M.COMMANDS) do
    if vim.startswith(command.name, prefix) then
      items[#items + 1] = { word = "/" .. command.name, menu = command.help, kind = "command" }
    end
  end
  return items
end

---Step 1: runs a `/` command or sends the question.
---@param text string
---@param q? silcrow.Question
function M.submit(text, q)
  q = q or {}
  text = vim.trim(text)
  if text == "" then
    return
  end
  local name, rest = text:match("^/(%a+)%s*(.*)$")
  if not name then
    M.send(text, q)
    return
  end
  local command = M.find(name)
  if not command then
    chat.open()
    chat.note(("unknown command /%s; /help lists the commands"):format(name), true)
    return
  end
  command.run(vim.trim(rest), q)
end

return M
