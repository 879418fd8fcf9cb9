-- `@` mentions in the chat input: the completion menu that offers them and the
-- context items the chosen ones become.
--
--   @calc.py      a file      -> {kind = "file", uri}
--   @src/         a folder    (stays in the text; the model can list it)
--   @add          a symbol    -> {kind = "symbol", uri, range, name}
--   @problems     the diagnostics of the file the question is about
--
-- Algorithm:
-- 1. `token(line, col)` finds the `@word` (or, at the start of the input,
--    the `/command`) that ends at the cursor.
-- 2. `fetch` asks, at the same time, the daemon (`silcrow/mentions`: files
--    and folders from its gitignore-aware index) and every other LSP client
--    attached to the question's file that offers `workspace/symbol`; when
--    all have answered, the items go to `callback` (a client that fails
--    adds nothing).
-- 3. The input buffer shows them with `vim.fn.complete` when the cursor is
--    still on the same word; each item carries its mention in `user_data`,
--    and `CompleteDone` records the chosen ones.
-- 4. `context_items` turns the recorded mentions still in the text, and any
--    other `@path` naming a file of the workspace, into context items.

local ctx = require("silcrow.context")

local M = {}

---@class silcrow.Mention
---@field label string
---@field uri? string
---@field kind "file"|"folder"|"symbol"|"problems"
---@field range? lsp.Range

---Symbols offered per language server.
M.symbol_limit = 20

---@type silcrow.Mention
local PROBLEMS = { label = "problems", kind = "problems" }

---The `@word` ending at byte `col` (0-based, the cursor) of `line`.
---@param line string
---@param col integer
---@return integer? start 0-based byte column of the `@`
---@return string? query what follows the `@`
function M.token(line, col)
  local before = line:sub(1, col)
  local start, query = before:match("()@([^%s@]*)$")
  if start and (start == 1 or before:sub(start - 1, start - 1):match("%s")) then
    return start - 1, query
  end
end

---@param item table `silcrow/mentions` item
---@return silcrow.Mention
local function from_daemon(item)
  return { label = item.label, uri = item.uri, kind = item.kind, range = item.range }
end

---@param symbol lsp.SymbolInformation|lsp.WorkspaceSymbol
---@return silcrow.Mention?
local function from_symbol(symbol)
  local location = symbol.location or {}
  if not (location.uri and location.range) then
    return nil -- a WorkspaceSymbol without a range would need workspaceSymbol/resolve
  end
  return { label = symbol.name, uri = location.uri, kind = "symbol", range = location.range }
end

---Step 2: the mentions for `query`, from the daemon and the other language servers.
---@param silcrow vim.lsp.Client
---@param bufnr? integer The file the question is about
---@param query string
---@param callback fun(mentions: silcrow.Mention[])
function M.fetch(silcrow, bufnr, query, callback)
  local others = bufnr and query ~= "" and vim.lsp.get_clients({ bufnr = bufnr, method = "workspace/symbol" }) or {}
  others = vim.tbl_filter(function(c)
    return c.id ~= silcrow.id
  end, others)
  -- one slot per source, in the order they are shown: @problems, files, each server's symbols
  local found, waiting = { {}, {} }, 1 + #others
  if bufnr and ("problems"):find(query:lower(), 1, true) == 1 then
    found[1] = { PROBLEMS }
  end
  local function done()
    waiting = waiting - 1
    if waiting == 0 then
      callback(vim.iter(found):flatten():totable())
    end
  end
  for i, c in ipairs(others) do
    found[2 + i] = {}
    local asked = c:request("workspace/symbol", { query = query }, function(_, result)
      found[2 + i] = vim.iter(result or {}):map(from_symbol):take(M.symbol_limit):totable()
      done()
    end, bufnr)
    if not asked then
      done()
    end
  end
  local sent = silcrow:request("silcrow/mentions", { query = query }, function(_, result)
    found[2] = vim.tbl_map(from_daemon, (result or {}).items or {})
    done()
  end, bufnr)
  if not sent then
    done()
  end
end

---A mention as a completion item (`:h complete-items`).
---@param mention silcrow.Mention
---@return table
function M.complete_item(mention)
  local where = mention.kind == "symbol" and vim.fn.fnamemodify(vim.uri_to_fname(mention.uri), ":~:.") or nil
  return {
    word = "@" .. mention.label,
    abbr = mention.label,
    kind = mention.kind,
    menu = where,
    dup = 1,
    user_data = { silcrow = mention },
  }
end

---Step 3: offers the mentions for the `@word` at the cursor of the input window `win`.
---@param silcrow vim.lsp.Client
---@param win integer
---@param bufnr? integer The file the question is about
function M.offer(silcrow, win, bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win)
  local line = vim.api.nvim_get_current_line()
  local start, query = M.token(line, cursor[2])
  if not start then
    return
  end
  ---@cast query string
  M.fetch(silcrow, bufnr, query, function(mentions)
    local now = vim.api.nvim_win_is_valid(win) and vim.api.nvim_win_get_cursor(win)
    local still = now and vim.fn.mode() == "i" and vim.api.nvim_get_current_win() == win
      and now[1] == cursor[1] and M.token(vim.api.nvim_get_current_line(), now[2]) == start
    if still and #mentions > 0 then
      vim.fn.complete(start + 1, vim.tbl_map(M.complete_item, mentions))
    end
  end)
end

---The mention of a just-completed item (`v:completed_item`), if it is one of ours.
---@param item table
---@return silcrow.Mention?
function M.completed(item)
  local data = type(item) == "table" and item.user_data
  return type(data) == "table" and data.silcrow or nil
end

---@param bufnr integer
---@param path string
---@return string? uri of `path` (relative to the file's project or absolute) when it is a readable file
local function file_uri(bufnr, path)
  local root = vim.fs.root(bufnr, { ".git", ".hg", ".jj", ".svn" }) or vim.fn.getcwd()
  local full = vim.fs.normalize(path:sub(1, 1) == "/" and path or vim.fs.joinpath(root, path))
  return vim.fn.filereadable(full) == 1 and vim.uri_from_fname(full) or nil
end

---Step 4: the context items of the mentions in `text`.
---@param text string
---@param chosen table<string, silcrow.Mention> Completed mentions by their word (`@label`)
---@param bufnr? integer The file the question is about
---@return table[]
function M.context_items(text, chosen, bufnr)
  local items, seen = {}, {}
  for word in (" " .. text):gmatch("%s(@[^%s@]+)") do -- at the start of a word, as `token`
    word = word:gsub("[%.,;:!?%)]+$", function(tail)
      return chosen[word] and tail or "" -- a sentence's punctuation is not part of a path
    end)
    local mention = chosen[word]
    local item
    if mention and mention.kind == "symbol" then
      item = ctx.symbol(mention.label, mention.uri --[[@as string]], mention.range --[[@as lsp.Range]])
    elseif mention and mention.kind == "file" then
      item = { kind = "file", uri = mention.uri }
    elseif mention and mention.kind == "problems" or (not mention and word == "@problems") then
      item = bufnr and ctx.diagnostics(bufnr) or nil
    elseif not mention and bufnr then
      local uri = file_uri(bufnr, word:sub(2))
      item = uri and { kind = "file", uri = uri } or nil
    end
    local key = item and vim.json.encode(item)
    if item and not seen[key] then
      seen[key] = true
      items[#items + 1] = item
    end
  end
  return items
end

return M
