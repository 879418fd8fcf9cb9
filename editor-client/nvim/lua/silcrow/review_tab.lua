-- The diff tab of one proposed file: two scratch buffers side by side in
-- diff mode (`:diffthis`), on the left the text that will be applied (it
-- starts as the file's current text, and you may edit it), on the right the
-- model's proposal; the keys that move changes between them; and the text
-- the left side stands for when the file is decided. silcrow.review decides
-- which file is on screen and what the daemon is answered.
--
-- Algorithm:
-- 1. Accepting a hunk copies the proposal's lines over the left side's;
--    rejecting one copies the left side's lines over the proposal's. Hunks
--    come from silcrow.hunks (Neovim's diff), recomputed after every change,
--    so edits made in the left buffer are respected.
-- 2. When no hunk is left the file is decided: the left side's text is the
--    answer (false when it is the file's current text: all rejected).
--    Accepting or rejecting the file, or `:write` in the left buffer,
--    decides it at once; closing the tab rejects it.
-- 3. Deciding closes the tab, wipes both buffers and calls `on_done` once.

local hunks = require("silcrow.hunks")

local M = {}

---Buffer-local keys of both buffers (|silcrow-review|).
M.keys = {
  accept_hunk = "ga",
  reject_hunk = "gr",
  accept_file = "gA",
  reject_file = "gR",
}

---@class silcrow.ReviewFile
---@field uri string
---@field kind "create"|"edit"|"delete"
---@field oldText string?
---@field newText string?

---@class silcrow.ReviewTab
---@field file silcrow.ReviewFile
---@field turn_id string
---@field left integer Buffer with the text to apply
---@field right integer Buffer with the proposal
---@field tab integer
---@field origin integer Tab page the review was opened from (focus returns there)
---@field on_done fun(text: string|false) Called once: the accepted text, or false for rejected
---@field finished? boolean
local Tab = {}
Tab.__index = Tab

local counter = 0

---A file's name as the user knows it (relative to the working directory).
---@param uri string
---@return string
function M.display_name(uri)
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
---@return string|false
function Tab:accepted_text()
  local file = self.file
  local lines = buffer_lines(self.left)
  local old_lines, old_eol = hunks.lines(file.oldText)
  local new_lines, new_eol = hunks.lines(file.newText)
  if vim.deep_equal(lines, new_lines) then
    return file.newText or ""
  elseif vim.deep_equal(lines, old_lines) then
    return false -- (for a new file: nothing of it)
  end
  return hunks.text(lines, file.newText ~= nil and new_eol or old_eol)
end

---Closes the tab and reports the decision (once).
---@param text string|false
function Tab:finish(text)
  if self.finished then
    return
  end
  self.finished = true
  for _, buf in ipairs({ self.left, self.right }) do
    if vim.api.nvim_buf_is_valid(buf) then
      vim.bo[buf].modified = false -- decided: nothing to write
    end
  end
  if vim.api.nvim_tabpage_is_valid(self.tab) and #vim.api.nvim_list_tabpages() > 1 then
    local was_current = vim.api.nvim_get_current_tabpage() == self.tab
    vim.cmd.tabclose(vim.api.nvim_tabpage_get_number(self.tab))
    if was_current and vim.api.nvim_tabpage_is_valid(self.origin) then
      vim.api.nvim_set_current_tabpage(self.origin)
    end
  end
  for _, buf in ipairs({ self.left, self.right }) do
    if vim.api.nvim_buf_is_valid(buf) then
      vim.api.nvim_buf_delete(buf, { force = true })
    end
  end
  self.on_done(text)
end

---Accepts (`accept`) or rejects the hunk under the cursor; decides the file
---when it was the last one.
---@param accept boolean
function Tab:decide_hunk(accept)
  local list = hunks.between(buffer_lines(self.left), buffer_lines(self.right))
  local side = vim.api.nvim_get_current_buf() == self.right and "b" or "a"
  local hunk = hunks.at(list, vim.api.nvim_win_get_cursor(0)[1], side)
  if not hunk then
    vim.notify("Silcrow: no change under the cursor (]c and [c jump to the next and previous)", vim.log.levels.INFO)
    return
  end
  local from, to = self.right, self.left
  local from_side, to_side = "b", "a"
  if not accept then
    from, to, from_side, to_side = self.left, self.right, "a", "b"
  end
  local first, last = hunks.range(hunk, to_side)
  set_lines(to, first, last, hunks.slice(buffer_lines(from), hunk, from_side))
  vim.cmd.diffupdate()
  if #list == 1 then
    self:finish(self:accepted_text())
  end
end

---Accepts every change not yet rejected: the left side becomes the proposal
---as it stands (a rejected change already made it equal to the left side
---there), and the file is decided.
function Tab:accept_file()
  set_lines(self.left, 0, -1, buffer_lines(self.right))
  self:finish(self:accepted_text())
end

---Rejects the whole file (nothing of it is applied).
function Tab:reject_file()
  self:finish(false)
end

---@param tab silcrow.ReviewTab
---@param buf integer
local function map_keys(tab, buf)
  local function map(lhs, fn, desc)
    vim.keymap.set("n", lhs, function()
      fn(tab)
    end, { buffer = buf, nowait = true, desc = desc })
  end
  local left = buf == tab.left
  local function accept_hunk(t)
    t:decide_hunk(true)
  end
  local function reject_hunk(t)
    t:decide_hunk(false)
  end
  map(M.keys.accept_hunk, accept_hunk, "Silcrow: accept the change under the cursor")
  map(M.keys.reject_hunk, reject_hunk, "Silcrow: reject the change under the cursor")
  map(M.keys.accept_file, Tab.accept_file, "Silcrow: accept the rest of this file")
  map(M.keys.reject_file, Tab.reject_file, "Silcrow: reject this file")
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

---Opens the diff tab of one file and moves the cursor to its first change.
---@param file silcrow.ReviewFile
---@param turn_id string
---@param position string "2/3"
---@param on_done fun(text: string|false)
---@return silcrow.ReviewTab
function M.open(file, turn_id, position, on_done)
  counter = counter + 1
  local name = M.display_name(file.uri)
  local path = vim.uri_to_fname(file.uri)
  local left = scratch(("silcrow-review://%d/%s"):format(counter, name), (hunks.lines(file.oldText)), path)
  local right = scratch(("silcrow-review://%d/%s (proposed)"):format(counter, name), (hunks.lines(file.newText)), path)
  vim.bo[right].modifiable = false
  vim.bo[left].buftype = "acwrite" -- :write applies it as it is
  local origin = vim.api.nvim_get_current_tabpage()
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
  local self = setmetatable(
    { file = file, turn_id = turn_id, left = left, right = right, tab = tab, origin = origin, on_done = on_done },
    Tab
  )
  vim.api.nvim_create_autocmd("BufWriteCmd", {
    buffer = left,
    callback = function()
      vim.bo[left].modified = false
      self:finish(self:accepted_text())
    end,
  })
  for _, buf in ipairs({ left, right }) do
    map_keys(self, buf)
    vim.api.nvim_create_autocmd("BufWipeout", {
      buffer = buf,
      once = true,
      callback = function()
        vim.schedule(function()
          self:finish(false) -- the tab was closed: rejected
        end)
      end,
    })
  end
  pcall(vim.cmd.normal, { "gg]c", bang = true }) -- to the first change
  return self
end


return M
