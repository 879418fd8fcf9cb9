-- What the agent sees of the editor: the context items a question carries
-- (`silcrow/prompt`'s `context`, docs/protocol.md): the current file, the
-- selected lines, the diagnostics under them, a mentioned symbol.
--
--   context.for_question(bufnr, { line1 = 3, line2 = 9 }, { diagnostics = true })
--   --> { {kind = "selection", ...}, {kind = "diagnostics", ...} }
--
-- Algorithm:
-- 1. The file a question is about (`origin`) is the current buffer when it is
--    a file, else the file in the previous window (the chat and its input are
--    never it), else the first file window of the tab.
-- 2. A question sends the selection when there is one, else the whole file
--    (option `send_current_file`); the daemon reads a file item itself.
-- 3. Diagnostics are Neovim's (`vim.diagnostic`), turned into LSP
--    Diagnostics by `vim.lsp.diagnostic.from`; those of an LSP server keep
--    the server's own object.

local config = require("silcrow.config")

local M = {}

---@param bufnr integer
---@return boolean
function M.is_file(bufnr)
  return vim.api.nvim_buf_is_valid(bufnr)
    and vim.bo[bufnr].buftype == ""
    and vim.api.nvim_buf_get_name(bufnr) ~= ""
end

---The file buffer a question is about (step 1), or nil when no window shows one.
---@return integer?
function M.origin()
  local current = vim.api.nvim_get_current_buf()
  if M.is_file(current) then
    return current
  end
  local previous = vim.fn.win_getid(vim.fn.winnr("#"))
  if previous ~= 0 and M.is_file(vim.api.nvim_win_get_buf(previous)) then
    return vim.api.nvim_win_get_buf(previous)
  end
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local buf = vim.api.nvim_win_get_buf(win)
    if M.is_file(buf) then
      return buf
    end
  end
end

---Length of `line` in UTF-16 code units (LSP's default position encoding).
---@param line string
---@return integer
local function utf16_len(line)
  return vim.str_utfindex(line, "utf-16")
end

---@param bufnr integer
---@return {kind: "file", uri: string}
function M.file(bufnr)
  return { kind = "file", uri = vim.uri_from_bufnr(bufnr) }
end

---The lines `line1`..`line2` (1-based, inclusive) of `bufnr` as a selection item.
---@param bufnr integer
---@param line1 integer
---@param line2 integer
---@return {kind: "selection", uri: string, range: lsp.Range, text: string}
function M.selection(bufnr, line1, line2)
  local lines = vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line2, false)
  local last = vim.api.nvim_buf_line_count(bufnr)
  local finish = line2 < last and { line = line2, character = 0 }
    or { line = line2 - 1, character = utf16_len(lines[#lines] or "") }
  return {
    kind = "selection",
    uri = vim.uri_from_bufnr(bufnr),
    range = { start = { line = line1 - 1, character = 0 }, ["end"] = finish },
    text = table.concat(lines, "\n"),
  }
end

---The diagnostics of `bufnr` on lines `line1`..`line2` (1-based, inclusive;
---both nil: the whole buffer) as a diagnostics item, or nil when there are none.
---@param bufnr integer
---@param line1? integer
---@param line2? integer
---@return {kind: "diagnostics", uri: string, diagnostics: lsp.Diagnostic[]}?
function M.diagnostics(bufnr, line1, line2)
  local found = vim.tbl_filter(function(d)
    if not line1 then
      return true
    end
    local last = d.end_lnum or d.lnum
    return d.lnum + 1 <= line2 and last + 1 >= line1
  end, vim.diagnostic.get(bufnr))
  if #found == 0 then
    return nil
  end
  return { kind = "diagnostics", uri = vim.uri_from_bufnr(bufnr), diagnostics = vim.lsp.diagnostic.from(found) }
end

---A symbol (from `workspace/symbol`) as a context item.
---@param name string
---@param uri string
---@param range lsp.Range
---@return {kind: "symbol", uri: string, range: lsp.Range, name: string}
function M.symbol(name, uri, range)
  return { kind = "symbol", uri = uri, range = range, name = name }
end

---@class silcrow.QuestionContext
---@field diagnostics? boolean Add the diagnostics under the selection (or the cursor line)

---The items a question asked from `bufnr` carries (step 2).
---@param bufnr? integer The file the question is about (nil: none)
---@param range? silcrow.AskRange The selected lines
---@param opts? silcrow.QuestionContext
---@return table[]
function M.for_question(bufnr, range, opts)
  opts = opts or {}
  if not (bufnr and M.is_file(bufnr)) then
    return {}
  end
  local items = {}
  if range then
    items[1] = M.selection(bufnr, range.line1, range.line2)
  elseif config.options.send_current_file then
    items[1] = M.file(bufnr)
  end
  if opts.diagnostics then
    local line1, line2
    if range then
      line1, line2 = range.line1, range.line2
    else
      local win = vim.fn.bufwinid(bufnr)
      line1 = win ~= -1 and vim.api.nvim_win_get_cursor(win)[1] or 1
      line2 = line1
    end
    items[#items + 1] = M.diagnostics(bufnr, line1, line2)
  end
  return items
end

return M
