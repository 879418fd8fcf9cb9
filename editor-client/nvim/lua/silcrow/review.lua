-- Review before apply: the `silcrow/review` request. Each proposed file
-- opens in a diff tab of its own (silcrow.review_tab) where the user accepts
-- or rejects its changes; nothing touches the file or its buffer until the
-- answer is sent, and the daemon then applies exactly the accepted text.
--
-- Algorithm:
-- 1. The handler (run in the LSP client's coroutine) shows every file's diff
--    in the chat with its +/- counts, then takes the files in turn; a review
--    that arrives while another is on screen waits for it.
-- 2. `:SilcrowAccept` / `:SilcrowReject` decide the file on screen (with `!`
--    every file still to come in the same turn). A turn that ends or is
--    cancelled rejects what it left pending and closes the tab.
-- 3. The answer lists every file with the text to apply, or `null` for
--    rejected; the chat says the outcome per file.

local chat = require("silcrow.chat")
local hunks = require("silcrow.hunks")
local review_tab = require("silcrow.review_tab")

local M = {}

---Buffer-local keys of the review buffers (|silcrow-review|).
M.keys = review_tab.keys

---Longest diff (in lines) the chat shows for one file; the review tab has it all.
M.max_chat_lines = 80

---@class silcrow.ReviewParams
---@field conversationId string
---@field turnId string
---@field files silcrow.ReviewFile[]

---@type silcrow.ReviewTab?
local active
---@type fun()[] Reviews waiting for the one on screen (each opens when called)
local waiting = {}
---A file's review is on screen or about to open (the next waits for it).
local busy = false

---Turns whose pending files are decided without asking (true: accepted).
---@type table<string, boolean>
M.decided = {}

local display_name = review_tab.display_name

---Lets the next waiting review open (or marks the screen free).
local function release()
  local next_review = table.remove(waiting, 1)
  if next_review then
    vim.schedule(next_review) -- hands `busy` over
  else
    busy = false
  end
end

---The review on screen, or nil with a message saying so.
---@return silcrow.ReviewTab?
local function current()
  if not active then
    vim.notify("Silcrow: no review is open", vim.log.levels.INFO)
  end
  return active
end

---Shows one file's proposed diff in the chat, with its +/- counts.
---@param file silcrow.ReviewFile
local function show_in_chat(file)
  local summary = hunks.summary(file.oldText, file.newText)
  local lines = vim.split(summary.text, "\n", { plain = true, trimempty = true })
  local extra = #lines - M.max_chat_lines
  if extra > 0 then
    lines = vim.list_slice(lines, 1, M.max_chat_lines)
    lines[#lines + 1] = ("… %d more lines in the review tab"):format(extra)
  end
  local header = ("± %s %s +%d −%d"):format(file.kind, display_name(file.uri), summary.added, summary.removed)
  chat.block("diff", header .. "\n" .. table.concat(lines, "\n"))
end

---@param file silcrow.ReviewFile
---@param text string|false
local function report(file, text)
  local what = text == false and "rejected"
    or text == (file.newText or "") and "accepted"
    or "partly accepted"
  chat.note(("%s %s"):format(display_name(file.uri), what))
end

---The answer already given for every pending file of `turn_id`, if any:
---the proposal (accepted) or false (rejected).
---@param file silcrow.ReviewFile
---@param turn_id string
---@return string|false|nil
local function decided_text(file, turn_id)
  local accept = M.decided[turn_id]
  if accept ~= nil then
    return accept and (file.newText or "")
  end
end

---Reviews one file (waiting for the review on screen first) and returns
---the accepted text, or false.
---@param file silcrow.ReviewFile
---@param turn_id string
---@param position string
---@return string|false
local function review_file(file, turn_id, position)
  local await = require("silcrow.handlers").await
  local decided = decided_text(file, turn_id) -- the turn ended, or "accept/reject all" was given
  if decided ~= nil then
    return decided
  end
  if busy then
    await(function(resume)
      waiting[#waiting + 1] = function()
        resume(true)
      end
    end)
    decided = decided_text(file, turn_id) -- decided while it waited
    if decided ~= nil then
      release()
      return decided
    end
  end
  busy = true
  return await(function(done)
    active = review_tab.open(file, turn_id, position, function(text)
      active = nil
      done(text)
      release()
    end)
  end)
end

---The answer for one file: the text to apply, or `null` for rejected.
---@param file silcrow.ReviewFile
---@param text string|false
---@return {uri: string, newText: string|vim.NIL}
local function answer(file, text)
  return { uri = file.uri, newText = text == false and vim.NIL or text }
end

---Checks the request's shape; returns a message saying what is wrong.
---@param params any
---@return string?
local function invalid(params)
  if type(params) ~= "table" or type(params.files) ~= "table" then
    return "silcrow/review needs params {conversationId, turnId, files: [...]}"
  end
  for i, file in ipairs(params.files) do
    if type(file) ~= "table" or type(file.uri) ~= "string" then
      return ("silcrow/review: files[%d] needs a uri"):format(i)
    end
    for _, key in ipairs({ "oldText", "newText" }) do
      if file[key] == vim.NIL then
        file[key] = nil
      elseif file[key] ~= nil and type(file[key]) ~= "string" then
        return ("silcrow/review: files[%d].%s must be a string or null"):format(i, key)
      end
    end
  end
end

---Handler of `silcrow/review`: every file reviewed in turn.
---@param _ lsp.ResponseError?
---@param params silcrow.ReviewParams
---@return {files: {uri: string, newText: string|vim.NIL}[]}|nil
---@return lsp.ResponseError?
function M.request(_, params)
  local problem = invalid(params)
  if problem then
    return nil, { code = vim.lsp.protocol.ErrorCodes.InvalidParams, message = problem }
  end
  for _, file in ipairs(params.files) do
    show_in_chat(file)
  end
  local files = {}
  for i, file in ipairs(params.files) do
    local text = false
    if file.kind == "delete" then -- reserved in the contract: no answer accepts a deletion
      chat.note(display_name(file.uri) .. ": deleting a file cannot be accepted yet; it is kept")
    else
      text = review_file(file, params.turnId, ("%d/%d"):format(i, #params.files))
      report(file, text)
    end
    files[#files + 1] = answer(file, text)
  end
  return { files = files }
end

---Accepts the rest of the file on screen (`all`: and every file after it in
---the same turn).
---@param all? boolean
function M.accept(all)
  local tab = current()
  if tab then
    tab:accept_file()
    if all then
      M.decide_turn(tab.turn_id, true)
    end
  end
end

---Rejects the file on screen (`all`: and every file after it in the same turn).
---@param all? boolean
function M.reject(all)
  local tab = current()
  if tab then
    tab:reject_file()
    if all then
      M.decide_turn(tab.turn_id, false)
    end
  end
end

---Decides every pending file of `turn_id` (reviews still to open are decided
---as they open).
---@param turn_id string
---@param accept boolean
function M.decide_turn(turn_id, accept)
  M.decided[turn_id] = accept
  if active and active.turn_id == turn_id then
    if accept then
      active:accept_file()
    else
      active:reject_file()
    end
  end
end

---The review on screen (for tests and statuslines), or nil.
---@return silcrow.ReviewTab?
function M.active()
  return active
end

---A turn that ended (or was cancelled) rejects what it left pending.
---@param event silcrow.Event
function M.on_event(event)
  if event.type == "end" or event.type == "cancelled" or event.type == "error" then
    M.decide_turn(event.turnId, false)
  end
end

return M
