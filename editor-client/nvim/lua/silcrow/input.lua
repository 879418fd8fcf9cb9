-- The chat input: a small buffer (`silcrow://input`, filetype `silcrowinput`)
-- docked under the chat window, where a question is typed with `@` mention
-- and `/` command completion in Neovim's completion menu.
--
--   <CR>        send (insert and normal mode; accepts the selected
--               completion instead while the menu is open)
--   <S-CR>      a new line (insert mode)
--   <C-Space>   offer the completions again
--   q           close the input (normal mode)
--
-- Algorithm:
-- 1. `open()` remembers the file the question is about (silcrow.context's
--    origin) before moving into the input, and starts insert mode.
-- 2. On every insert-mode change, an `@word` at the cursor asks
--    silcrow.mentions for items and a `/word` at the start of the input
--    completes the command names (silcrow.commands); `CompleteDone` records
--    the mentions chosen.
-- 3. `submit()` empties the input and hands the text, the origin and the
--    chosen mentions to `commands.submit`; while a turn runs a question stays
--    in the input (a `/` command still runs).

local chat = require("silcrow.chat")
local client = require("silcrow.client")
local commands = require("silcrow.commands")
local context = require("silcrow.context")
local mentions = require("silcrow.mentions")

local M = {}

---@class silcrow.InputState
---@field bufnr? integer The input buffer
---@field question silcrow.Question What the next question is about (file, selection, mentions)
M.state = { question = { chosen = {} } }

---The input window in the current tab, if any.
---@return integer?
function M.win()
  local buf = M.state.bufnr
  if buf and vim.api.nvim_buf_is_valid(buf) then
    local win = vim.fn.bufwinid(buf)
    return win ~= -1 and win or nil
  end
end

---Step 2: offers `/` commands or `@` mentions for the word at the cursor.
function M.complete()
  local win = vim.api.nvim_get_current_win()
  local row, col = unpack(vim.api.nvim_win_get_cursor(win))
  local line = vim.api.nvim_get_current_line()
  local command = row == 1 and line:sub(1, col):match("^/(%a*)$")
  if command then
    local items = commands.complete_items(command)
    if #items > 0 then
      vim.fn.complete(1, items)
    end
    return
  end
  if not mentions.token(line, col) then
    return
  end
  local origin = M.state.question.bufnr
  local silcrow = client.get(origin)
  if silcrow and silcrow.initialized then
    mentions.offer(silcrow, win, origin)
  end
end

---Sends what the input holds (step 3).
function M.submit()
  local buf = assert(M.state.bufnr)
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  local running = require("silcrow.turn").state
  if not vim.startswith(vim.trim(text), "/") and (running.pending or running.running or running.starting) then
    vim.notify("Silcrow: a turn is running; your question stays in the input (:SilcrowStop or wait)", vim.log.levels.WARN)
    return
  end
  local question = M.state.question
  -- the file stays for the next question; a selection and mentions go with this one
  M.state.question = { bufnr = question.bufnr, chosen = {} }
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  M.show_about()
  commands.submit(text, question)
end

---@param buf integer
local function map_keys(buf)
  local function map(modes, lhs, rhs, desc, expr)
    vim.keymap.set(modes, lhs, rhs, { buffer = buf, nowait = true, desc = desc, expr = expr })
  end
  map("i", "<CR>", function()
    if vim.fn.pumvisible() == 1 then
      return "<C-y>"
    end
    vim.schedule(M.submit)
    return ""
  end, "Send the question (or accept the completion)", true)
  map("n", "<CR>", M.submit, "Send the question")
  map("i", "<S-CR>", "<CR>", "New line")
  map("i", "<C-Space>", M.complete, "Complete @ mentions and / commands")
  map("n", "q", "<Cmd>close<CR>", "Close the Silcrow input")
end

---The input buffer, created on first use.
---@return integer
function M.buf()
  local buf = M.state.bufnr
  if buf and vim.api.nvim_buf_is_valid(buf) then
    return buf
  end
  buf = vim.api.nvim_create_buf(false, true)
  M.state.bufnr = buf
  vim.api.nvim_buf_set_name(buf, "silcrow://input")
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "hide"
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = "silcrowinput"
  vim.bo[buf].completeopt = "menuone,noinsert"
  map_keys(buf)
  local group = vim.api.nvim_create_augroup("silcrow.input", { clear = true })
  vim.api.nvim_create_autocmd("TextChangedI", { group = group, buffer = buf, callback = M.complete })
  vim.api.nvim_create_autocmd("CompleteDone", {
    group = group,
    buffer = buf,
    callback = function()
      local item = vim.v.completed_item
      local mention = mentions.completed(item)
      if mention then
        M.state.question.chosen[item.word] = mention
      end
    end,
  })
  return buf
end

---Shows in the input's winbar what the next question is about.
function M.show_about()
  local win = M.win()
  if not win then
    return
  end
  local q = M.state.question
  local about = ""
  if q.bufnr and vim.api.nvim_buf_is_valid(q.bufnr) then
    about = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(q.bufnr), ":t")
    about = " · " .. about .. (q.range and (":%d-%d"):format(q.range.line1, q.range.line2) or "")
  end
  vim.wo[win].winbar = (" Ask Silcrow" .. about .. " · <CR> send · @ mention · / commands"):gsub("%%", "%%%%")
end

---Opens the input under the chat (step 1) and starts insert mode in it.
---@param q? silcrow.Question The file (default: silcrow.context's origin), selection and diagnostics
function M.open(q)
  q = q or {}
  M.state.question = {
    bufnr = q.bufnr or context.origin() or M.state.question.bufnr,
    range = q.range,
    diagnostics = q.diagnostics,
    chosen = M.state.question.chosen,
  }
  local buf = M.buf()
  local win = M.win()
  if not win then
    win = vim.api.nvim_open_win(buf, false, { split = "below", win = chat.open(), height = 3 })
    vim.wo[win].winfixheight = true
    vim.wo[win].wrap = true
    vim.wo[win].number = false
    vim.wo[win].relativenumber = false
    vim.wo[win].signcolumn = "no"
  end
  M.show_about()
  vim.api.nvim_set_current_win(win)
  vim.cmd.startinsert({ bang = true })
end

return M
