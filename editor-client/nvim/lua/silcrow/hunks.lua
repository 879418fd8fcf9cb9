-- The hunks of a proposed change, as data: texts split into lines, the hunks
-- between two line lists (Neovim's own diff, `vim.text.diff` / `vim.diff` with
-- `result_type = "indices"`), the hunk under a cursor line, the text a list
-- of lines stands for, and the unified diff with its +/- counts that the chat
-- shows. Pure Lua (no buffers, no windows): silcrow.review moves lines between
-- its two buffers with what this returns.

local M = {}

---Neovim 0.12 names it `vim.text.diff`; 0.11 has `vim.diff`.
local diff = (vim.text and vim.text.diff) or vim.diff

---One hunk: lines `a_start`..`a_start + a_count - 1` of side a become lines
---`b_start`..`b_start + b_count - 1` of side b. A count of 0 means an
---insertion after line `*_start` of that side (0: before the first line).
---@class silcrow.Hunk
---@field a_start integer
---@field a_count integer
---@field b_start integer
---@field b_count integer

---A text as the lines a buffer shows and whether it ends in a newline.
---@param text string?
---@return string[] lines
---@return boolean eol
function M.lines(text)
  if text == nil or text == "" then
    return {}, false
  end
  local lines = vim.split(text, "\n", { plain = true })
  local eol = lines[#lines] == ""
  if eol then
    lines[#lines] = nil
  end
  return lines, eol
end

---The text `lines` stand for (the inverse of `M.lines`).
---@param lines string[]
---@param eol boolean
---@return string
function M.text(lines, eol)
  if #lines == 0 then
    return ""
  end
  return table.concat(lines, "\n") .. (eol and "\n" or "")
end

---@param lines string[]
---@return string
local function diff_input(lines)
  return #lines == 0 and "" or (table.concat(lines, "\n") .. "\n")
end

---The hunks that turn lines `a` into lines `b`, in order.
---@param a string[]
---@param b string[]
---@return silcrow.Hunk[]
function M.between(a, b)
  local indices = diff(diff_input(a), diff_input(b), { result_type = "indices" }) --[[@as integer[][] ]]
  return vim.tbl_map(function(h)
    return { a_start = h[1], a_count = h[2], b_start = h[3], b_count = h[4] }
  end, indices)
end

---The hunk at `line` (1-based) of side `side`: the one whose lines hold it,
---else an insertion or deletion just above or below it (a deleted block
---shows as filler lines next to the line it follows).
---@param hunks silcrow.Hunk[]
---@param line integer
---@param side "a"|"b"
---@return silcrow.Hunk?
---@return integer? index
function M.at(hunks, line, side)
  local near, near_index
  for i, h in ipairs(hunks) do
    local start, count = h[side .. "_start"], h[side .. "_count"]
    if count > 0 and line >= start and line < start + count then
      return h, i
    end
    if count == 0 and not near and (line == start or line == start + 1 or (start == 0 and line == 1)) then
      near, near_index = h, i
    end
  end
  return near, near_index
end

---The 0-based, end-exclusive line range hunk `h` covers on side `side`
---(empty for an insertion), for `nvim_buf_set_lines`.
---@param h silcrow.Hunk
---@param side "a"|"b"
---@return integer first
---@return integer last
function M.range(h, side)
  local start, count = h[side .. "_start"], h[side .. "_count"]
  local first = count == 0 and start or start - 1
  return first, first + count
end

---The lines of side `side` that hunk `h` covers in `lines`.
---@param lines string[]
---@param h silcrow.Hunk
---@param side "a"|"b"
---@return string[]
function M.slice(lines, h, side)
  local first, last = M.range(h, side)
  return vim.list_slice(lines, first + 1, last)
end

---@class silcrow.DiffSummary
---@field added integer Lines added
---@field removed integer Lines removed
---@field text string Unified diff (without file headers)

---The unified diff from `old` to `new` (either may be nil: a created or
---deleted file) and its +/- line counts.
---@param old string?
---@param new string?
---@return silcrow.DiffSummary
function M.summary(old, new)
  local a, b = M.lines(old), M.lines(new)
  local added, removed = 0, 0
  for _, h in ipairs(M.between(a, b)) do
    added, removed = added + h.b_count, removed + h.a_count
  end
  local text = diff(diff_input(a), diff_input(b), { result_type = "unified", ctxlen = 1 }) --[[@as string]]
  return { added = added, removed = removed, text = text }
end

return M
