-- Review before apply: the `silcrow/review` request. Each proposed file opens
-- in a tab of its own as a diff (`:diffthis`) of two scratch buffers: on the
-- left the text that will be applied (it starts as the file's current text,
-- and you may edit it), on the right the model's proposal. Nothing touches
-- the file or its buffer until the answer is sent; the daemon then applies
-- exactly the accepted text.
--
-- Algorithm:
-- 1. The handler (run in the LSP client's coroutine) takes the files of one
--    request in turn; a request that arrives while another is on screen
--    waits for it. The chat shows each file's diff with +/- counts.
-- 2. Accepting a hunk copies the proposal's lines over the left side's;
--    rejecting one copies the left side's lines over the proposal's. Hunks
--    come from silcrow.hunks (Neovim's diff), recomputed after every change,
--    so edits you make in the left buffer are respected.
-- 3. When no hunk is left the file is decided: the left side's text is the
--    answer (`null` when it is the file's current text: all rejected).
--    Accepting or rejecting the file decides it at once; closing the tab
--    rejects it; a turn that ends or is cancelled rejects what is pending.
-- 4. The answer lists every file with the text to apply or `null`.

local chat = require("silcrow.chat")
local hunks = require("silcrow.hunks")

local M = {}

---Buffer-local keys of both review buffers (|silcrow-review|).
M.keys = {
  accept_hunk = "ga",
  reject_hunk = "gr",
  accept_file = "gA",
  reject_file = "gR",
}

---Longest diff (in lines) the chat shows for one file; the review tab has it all.
M.max_chat_lines = 80

---@class silcrow.ReviewFile
---@field uri string
---@field kind "create"|"edit"|"delete"
---@field oldText string?
---@field newText string?

---@class silcrow.ReviewParams
---@field conversationId string
---@field turnId string
---@field files silcrow.ReviewFile[]

---@class silcrow.ReviewSession
---@field file silcrow.ReviewFile
---@field turn_id string
---@field left integer Buffer with the text to apply
---@field right integer Buffer with the proposal
---@field tab integer
---@field done fun(text: string|false) Called once: the accepted text, or false for rejected
---@field finished? boolean

---@type silcrow.ReviewSession?
local active
---@type fun()[] Reviews waiting for the one on screen (each opens when called)
local waiting = {}
local counter = 0
---A file's review is on screen or about to open (the next waits for it).
local busy = false

---Turns whose pending files are decided without asking (true: accepted).
---@type table<string, boolean>
M.decided = {}

---@param uri string
---@return string
local function display_name(uri)
  local ok, fname = pcall(vim.uri_to_fname, uri)
  return ok and vim.fn.fnamemodify(fname, ":~:.") or uri
end

---A buffer's lines as the text's lines (an empty buffer still has one line).
---@param buf integer
---@return string[]
local function buffer_lines(buf)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  if #lines == 1 and lines[1] == "" then
    return {}
  end
  return lines
end

---@param buf integer
---@param first integer
---@param last integer
---@param lines string[]
local function set_lines(buf, first, last, lines)
  local modifiable = vim.bo[buf].modifiable
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, first, last, false, lines)
  vim.bo[buf].modifiable = modifiable
end

---The text the left side stands for, or false when it is the file's current
---text (everything rejected).
---@param session silcrow.ReviewSession
---@return string|false
local function accepted_text(session)
  local file = session.file
  local lines = buffer_lines(session.left)
  local old_lines, old_eol = hunks.lines(file.oldText)
  local new_lines, new_eol = hunks.lines(file.newText)
  if vim.deep_equal(lines, new_lines) then
    return file.newText or ""
  elseif vim.deep_equal(lines, old_lines) then
    return false -- (for a new file: nothing of it)
  end
  return hunks.text(lines, file.newText ~= nil and new_eol or old_eol)
end

---Lets the next waiting review open (or marks the screen free).
local function release()
  local next_review = table.remove(waiting, 1)
  if next_review then
    vim.schedule(next_review) -- hands `busy` over
  else
    busy = false
  end
end

---@param session silcrow.ReviewSession
---@param text string|false
local function finish(session, text)
  if session.finished then
    return
  end
  session.finished = true
  if active == session then
    active = nil
  end
  for _, buf in ipairs({ session.left, session.right }) do
    if vim.api.nvim_buf_is_valid(buf) then
      vim.bo[buf].modified = false -- decided: nothing to write
    end
  end
  if vim.api.nvim_tabpage_is_valid(session.tab) and #vim.api.nvim_list_tabpages() > 1 then
    vim.cmd.tabclose(vim.api.nvim_tabpage_get_number(session.tab))
  end
  for _, buf in ipairs({ session.left, session.right }) do
    if vim.api.nvim_buf_is_valid(buf) then
      vim.api.nvim_buf_delete(buf, { force = true })
    end
  end
  session.done(text)
  release()
end

---The hunks between the two sides now.
---@param session silcrow.ReviewSession
---@return silcrow.Hunk[]
local function current_hunks(session)
  return hunks.between(buffer_lines(session.left), buffer_lines(session.right))
end

---Accepts (`accept`) or rejects the hunk under the cursor; decides the file
---when it was the last one.
---@param session silcrow.ReviewSession
---@param accept boolean
local function decide_hunk(session, accept)
  local list = current_hunks(session)
  local side = vim.api.nvim_get_current_buf() == session.right and "b" or "a"
  local hunk = hunks.at(list, vim.api.nvim_win_get_cursor(0)[1], side)
  if not hunk then
    vim.notify("Silcrow: no change under the cursor (]c and [c jump to the next and previous)", vim.log.levels.INFO)
    return
  end
  local from, to = session.right, session.left
  local from_side, to_side = "b", "a"
  if not accept then
    from, to, from_side, to_side = session.left, session.right, "a", "b"
  end
  local first, last = hunks.range(hunk, to_side)
  set_lines(to, first, last, hunks.slice(buffer_lines(from), hunk, from_side))
  vim.cmd.diffupdate()
  if #list == 1 then
    finish(session, accepted_text(session))
  end
end

---Accepts every remaining hunk (keeping what the left side already has where
---no hunk differs) and decides the file.
---@param session silcrow.ReviewSession
local function accept_file(session)
  set_lines(session.left, 0, -1, buffer_lines(session.right))
  finish(session, accepted_text(session))
end

---@param session silcrow.ReviewSession
local function reject_file(session)
  finish(session, false)
end

---The review on screen, or nil with a message saying so.
---@return silcrow.ReviewSession?
local function current()
  if not active then
    vim.notify("Silcrow: no review is open", vim.log.levels.INFO)
  end
  return active
end

---@param session silcrow.ReviewSession
---@param buf integer
local function map_keys(session, buf)
  local function map(lhs, fn, desc)
    vim.keymap.set("n", lhs, function()
      fn(session)
    end, { buffer = buf, nowait = true, desc = desc })
  end
  local left = buf == session.left
  local function accept_hunk(s)
    decide_hunk(s, true)
  end
  local function reject_hunk(s)
    decide_hunk(s, false)
  end
  map(M.keys.accept_hunk, accept_hunk, "Silcrow: accept the change under the cursor")
  map(M.keys.reject_hunk, reject_hunk, "Silcrow: reject the change under the cursor")
  map(M.keys.accept_file, accept_file, "Silcrow: accept the rest of this file")
  map(M.keys.reject_file, reject_file, "Silcrow: reject this file")
  -- as |do| and |dp| would move the text between the two sides
  map("do", left and accept_hunk or reject_hunk, "Silcrow: take the other side's text (do)")
  map("dp", left and reject_hunk or accept_hunk, "Silcrow: put this side's text into the other (dp)")
end

---@param name string
---@param lines string[]
---@param path string File name the buffer stands for (for its filetype)
---@return integer
local function scratch(name, lines, path)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modified = false
  local ft = vim.filetype.match({ filename = path, buf = buf })
  if ft then
    vim.bo[buf].filetype = ft
  end
  return buf
end

---@param win integer
---@param text string
local function winbar(win, text)
  vim.wo[win].winbar = " " .. text:gsub("%%", "%%%%")
end

---Opens the diff tab of one file.
---@param file silcrow.ReviewFile
---@param turn_id string
---@param position string "2/3"
---@param done fun(text: string|false)
---@return silcrow.ReviewSession
local function open(file, turn_id, position, done)
  counter = counter + 1
  local name = display_name(file.uri)
  local path = vim.uri_to_fname(file.uri)
  local left = scratch(("silcrow-review://%d/%s"):format(counter, name), (hunks.lines(file.oldText)), path)
  local right = scratch(("silcrow-review://%d/%s (proposed)"):format(counter, name), (hunks.lines(file.newText)), path)
  vim.bo[right].modifiable = false
  vim.bo[left].buftype = "acwrite" -- :write applies it as it is
  vim.cmd.tabnew()
  local tab = vim.api.nvim_get_current_tabpage()
  local scratch_buf = vim.api.nvim_get_current_buf()
  local left_win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(left_win, left)
  if vim.api.nvim_buf_is_valid(scratch_buf) and scratch_buf ~= left then
    vim.api.nvim_buf_delete(scratch_buf, { force = true })
  end
  local right_win = vim.api.nvim_open_win(right, false, { split = "right", win = left_win })
  for _, win in ipairs({ left_win, right_win }) do
    vim.api.nvim_win_call(win, function()
      vim.cmd.diffthis()
    end)
  end
  local keys = M.keys
  winbar(left_win, ("Review %s · %s (%s) · what will be applied"):format(position, name, file.kind))
  winbar(right_win, ("Proposed · %s/%s accept/reject change · %s/%s file · ]c next"):format(
    keys.accept_hunk, keys.reject_hunk, keys.accept_file, keys.reject_file))
  ---@type silcrow.ReviewSession
  local session = { file = file, turn_id = turn_id, left = left, right = right, tab = tab, done = done }
  vim.api.nvim_create_autocmd("BufWriteCmd", {
    buffer = left,
    callback = function()
      vim.bo[left].modified = false
      finish(session, accepted_text(session))
    end,
  })
  for _, buf in ipairs({ left, right }) do
    map_keys(session, buf)
    vim.api.nvim_create_autocmd("BufWipeout", {
      buffer = buf,
      once = true,
      callback = function()
        vim.schedule(function()
          finish(session, false) -- the tab was closed: rejected
        end)
      end,
    })
  end
  pcall(vim.cmd.normal, { "gg]c", bang = true }) -- to the first change
  return session
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
    active = open(file, turn_id, position, done)
  end)
end

---The answer for one file: the text to apply, or `null` for rejected. (The
---contract reserves "delete" and has no answer that accepts one: `null`.)
---@param file silcrow.ReviewFile
---@param text string|false
---@return {uri: string, newText: string|vim.NIL}
local function answer(file, text)
  if text == false or file.kind == "delete" then
    return { uri = file.uri, newText = vim.NIL }
  end
  return { uri = file.uri, newText = text }
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
    local text = review_file(file, params.turnId, ("%d/%d"):format(i, #params.files))
    report(file, text)
    files[#files + 1] = answer(file, text)
  end
  return { files = files }
end

---Accepts the rest of the file on screen (`all`: and every file after it in
---the same turn).
---@param all? boolean
function M.accept(all)
  local session = current()
  if session then
    accept_file(session)
    if all then
      M.decide_turn(session.turn_id, true)
    end
  end
end

---Rejects the file on screen (`all`: and every file after it in the same turn).
---@param all? boolean
function M.reject(all)
  local session = current()
  if session then
    reject_file(session)
    if all then
      M.decide_turn(session.turn_id, false)
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
      accept_file(active)
    else
      reject_file(active)
    end
  end
end

---The review on screen (for tests and statuslines), or nil.
---@return silcrow.ReviewSession?
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
