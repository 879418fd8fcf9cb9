-- Turns and conversations: which conversation the chat follows, the running
-- `silcrow/prompt` request, and the requests that start, stop, list and
-- reopen conversations.
--
-- Algorithm:
-- 1. `ask` sends `silcrow/prompt` (continuing the followed conversation) and
--    marks the chat busy; its reply records the conversation id and ends the
--    busy state.
-- 2. Events are shown when they belong to the followed conversation. A chat
--    without one adopts the conversation of the first `user` event; while
--    nothing of ours runs, a `user` event of another conversation (a code
--    action run by the server) switches the chat to it.
-- 3. `stop` sends `silcrow/cancel` when the conversation is known (the prompt
--    then resolves as `cancelled`), else `$/cancelRequest`; either way the
--    UI is reset at once, because Neovim never calls the handler of a
--    request cancelled with `client:cancel_request`. A question still
--    waiting for the daemon to start is simply dropped.
-- 4. A daemon that cannot start ends the question with one `✗` line saying
--    what to install or set (silcrow.install), and the winbar stops.
-- 5. One line per failure: the reply's `error` is shown only when the turn's
--    `error` event was not; the daemon's own messages (`window/showMessage`)
--    wait while a question runs and are dropped when the chat already says
--    the same.

local chat = require("silcrow.chat")
local client = require("silcrow.client")
local config = require("silcrow.config")

local M = {}

---@class silcrow.Pending
---@field client_id integer
---@field request_id integer

---@class silcrow.State
---@field conversation_id? string Conversation the chat follows
---@field pending? silcrow.Pending The running `silcrow/prompt`
---@field starting? table Set while a question waits for the daemon to start
---@field error_turn? string Turn whose `error` event the chat already shows
---@field held? {text: string, failed: boolean}[] Daemon messages held until the running question ends
---@field running? string Turn id seen running (from events) in the followed conversation
---@field last_result? table Result of the latest `silcrow/prompt`
---@field last_cancel? table Result of the latest `silcrow/cancel`
M.state = {}

local TERMINAL = { ["end"] = true, cancelled = true, error = true }

---Shows a message of the daemon's (`window/showMessage`): held while a
---question runs (the turn's own `error` event usually says the same, and the
---message is then dropped), else in the chat when it is visible, else `vim.notify`.
---@param text string
---@param failed boolean
function M.message(text, failed)
  text = text:gsub("^Silcrow: ", "")
  if M.state.pending or M.state.starting then
    M.state.held = M.state.held or {}
    table.insert(M.state.held, { text = text, failed = failed })
  elseif chat.win() then
    chat.note(text, failed)
  else
    vim.notify("Silcrow: " .. text, failed and vim.log.levels.WARN or vim.log.levels.INFO)
  end
end

---Shows the held daemon messages the chat does not already show.
local function release_held()
  local held = M.state.held or {}
  M.state.held = nil
  for _, message in ipairs(held) do
    if not vim.list_contains(chat.lines(), "✗ " .. message.text) then
      M.message(message.text, message.failed)
    end
  end
end

---@param reason? string
local function finish(reason)
  M.state.pending = nil
  M.state.starting = nil
  release_held()
  M.state.running = nil
  chat.busy(nil, reason and reason ~= "end" and reason or "")
  require("silcrow.modes").turn_ended(reason)
end

---Shows an event if it belongs to the conversation the chat follows.
---@param event silcrow.Event
function M.on_event(event)
  local state = M.state
  local notice = type(event.payload) == "table" and event.payload.notice -- e.g. a revert: no turn runs
  if event.conversationId ~= state.conversation_id then
    local adopt = event.type == "user"
      and not notice
      and (state.conversation_id == nil or (state.pending == nil and state.running == nil))
    if not adopt then
      return
    end
    if state.conversation_id then
      chat.reset()
    end
    state.conversation_id = event.conversationId
    chat.open()
  end
  if event.type == "user" and not notice then
    state.running = event.turnId
    chat.busy("working")
  elseif event.type == "error" then
    state.error_turn = event.turnId
  end
  chat.apply(event)
  if TERMINAL[event.type] and event.turnId == state.running then
    state.running = nil
    if not state.pending then
      finish((event.payload or {}).stopReason)
    end
  end
end

---@param err lsp.ResponseError?
---@param result table?
---@param request_id integer
local function on_prompt_reply(err, result, request_id)
  local pending = M.state.pending
  if not pending or pending.request_id ~= request_id then
    return -- a turn the user already stopped
  end
  if err then
    chat.note(err.message or vim.inspect(err), true)
    finish("error")
    return
  end
  M.state.last_result = result
  if result and result.conversationId then
    M.state.conversation_id = result.conversationId
  end
  -- the daemon's `error` event already says it; the reply repeats it for plain clients
  if result and result.error and result.turnId ~= M.state.error_turn then
    chat.note(tostring(result.error), true)
  end
  finish(result and result.stopReason)
end

---Sends a question (with optional context) in the followed conversation.
---@param text string
---@param context? table[] Context items (silcrow.context)
---@param bufnr? integer Buffer whose client runs the turn (default: current)
function M.ask(text, context, bufnr)
  if M.state.pending or M.state.running or M.state.starting then
    vim.notify("Silcrow: a turn is running; :SilcrowStop it first", vim.log.levels.WARN)
    return
  end
  chat.open()
  chat.busy("starting")
  local starting = {}
  M.state.starting = starting
  client.with_client(bufnr, function(c)
    if M.state.starting ~= starting then
      return -- stopped while the daemon was starting
    end
    M.state.starting = nil
    local params = vim.tbl_extend("error", {
      text = text,
      conversationId = M.state.conversation_id,
      context = context,
      chunks = config.options.chunks,
    }, require("silcrow.modes").params())
    local id
    id = client.request(c, "silcrow/prompt", params, function(err, result)
      on_prompt_reply(err, result, id)
    end, bufnr)
    if not id then
      chat.note("the daemon has stopped; ask again to restart it", true)
      finish("error")
      return
    end
    M.state.pending = { client_id = c.id, request_id = id }
    chat.busy("working")
  end, function(message)
    if M.state.starting == starting then
      chat.note(message, true)
      finish("daemon not running")
    end
  end)
end

---Cancels the running turn and resets the UI at once.
function M.stop()
  local state = M.state
  if state.starting then
    finish("cancelled")
    return
  end
  if not state.pending and not state.running then
    vim.notify("Silcrow: nothing is running", vim.log.levels.INFO)
    return
  end
  local pending = state.pending
  local c = pending and vim.lsp.get_client_by_id(pending.client_id) or client.get()
  if c and state.conversation_id then
    client.request(c, "silcrow/cancel", { conversationId = state.conversation_id }, function(err, result)
      state.last_cancel = result
      if err then
        chat.note("cancel failed: " .. (err.message or vim.inspect(err)), true)
      end
    end)
  elseif c and pending then
    client.cancel_request(c, pending.request_id)
  end
  finish("cancelled")
end

---Starts a new conversation in the chat.
function M.new()
  if M.state.pending or M.state.running then
    vim.notify("Silcrow: a turn is running; :SilcrowStop it first", vim.log.levels.WARN)
    return
  end
  M.state.conversation_id = nil
  chat.reset()
  chat.open()
end

---Replaces the chat with a stored conversation; the next question continues it.
---@param c vim.lsp.Client
---@param conversation_id string
---@param on_done? fun()
function M.load(c, conversation_id, on_done)
  client.request(c, "silcrow/history", { conversationId = conversation_id }, function(err, result)
    if err or not result then
      vim.notify("Silcrow: " .. (err and err.message or "no history"), vim.log.levels.ERROR)
      return
    end
    M.state.conversation_id = conversation_id
    chat.reset()
    chat.open()
    for _, event in ipairs(result.events or {}) do
      chat.apply(event)
    end
    if on_done then
      on_done()
    end
  end)
end

---@param conversation table
---@return string
local function describe(conversation)
  local when = os.date("%Y-%m-%d %H:%M", math.floor(conversation.updatedAt or 0))
  return ("%s  %s"):format(when, conversation.title or conversation.id)
end

---Lists conversations with `vim.ui.select` and reopens the chosen one.
---@param on_done? fun() Called once the chosen conversation is shown
function M.history(on_done)
  if M.state.pending or M.state.running then
    vim.notify("Silcrow: a turn is running; :SilcrowStop it first", vim.log.levels.WARN)
    return
  end
  client.with_client(nil, function(c)
    local params = { limit = config.options.history_limit }
    client.request(c, "silcrow/conversations", params, function(err, result)
      local list = result and result.conversations or {}
      if err then
        vim.notify("Silcrow: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
        return
      elseif #list == 0 then
        vim.notify("Silcrow: no conversations yet", vim.log.levels.INFO)
        return
      end
      vim.ui.select(list, { prompt = "Silcrow conversations", format_item = describe }, function(choice)
        if choice then
          M.load(c, choice.id, on_done)
        end
      end)
    end)
  end)
end

return M
