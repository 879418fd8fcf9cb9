-- `workspace/applyEdit` through Neovim's own handler, with one correction:
-- text inserted into an empty document (a file the edit creates, or an empty
-- one) lands exactly. The daemon sends such a write as an insert at 0:0;
-- Neovim splits "a\n" into the lines {"a", ""} and, with 'eol', writes
-- "a\n\n". An edit whose range reaches past the last line is one Neovim
-- already treats as ending at the end of the buffer (it drops that final
-- empty line), so the insert's end is moved to line 1.

local M = {}

---@param uri string
---@param created table<string, true>
---@return boolean
local function is_empty(uri, created)
  local buf = vim.uri_to_bufnr(uri)
  if vim.api.nvim_buf_is_loaded(buf) then
    local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    return #lines == 1 and lines[1] == ""
  end
  local size = vim.fn.getfsize(vim.uri_to_fname(uri))
  return created[uri] == true or size == 0 or size == -1
end

---@param range lsp.Range
---@return boolean
local function at_start(range)
  local s, e = range.start, range["end"]
  return s.line == 0 and s.character == 0 and e.line == 0 and e.character == 0
end

---Moves the end of a lone insert into an empty document to line 1.
---@param edit lsp.WorkspaceEdit
function M.fix_empty_inserts(edit)
  local created = {}
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.kind == "create" then
      created[change.uri] = true
    elseif change.textDocument and #change.edits == 1 then
      local text_edit = change.edits[1]
      if at_start(text_edit.range) and text_edit.newText:sub(-1) == "\n"
        and is_empty(change.textDocument.uri, created) then
        text_edit.range = { start = text_edit.range.start, ["end"] = { line = 1, character = 0 } }
      end
    end
  end
end

---The handler of `workspace/applyEdit`.
---@param err lsp.ResponseError?
---@param params lsp.ApplyWorkspaceEditParams
---@param ctx lsp.HandlerContext
---@return lsp.ApplyWorkspaceEditResult
function M.handler(err, params, ctx)
  if type(params) == "table" and type(params.edit) == "table" then
    M.fix_empty_inserts(params.edit)
  end
  return vim.lsp.handlers["workspace/applyEdit"](err, params, ctx)
end

return M
