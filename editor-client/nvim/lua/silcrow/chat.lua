-- The chat split: one scratch buffer (filetype `silcrow`) showing the
-- transcript of the conversation being followed, and a status line (winbar)
-- with a spinner while a turn runs and the turn's token usage.
--
-- Algorithm:
-- 1. Events go into a `render` transcript; it says which block changed.
-- 2. Only the lines from that block down are replaced (a streamed delta
--    rewrites the last block only), and their highlights are set again.
-- 3. The window follows the newest line unless the cursor was moved up in it.

local config = require("silcrow.config")
local render = require("silcrow.render")

local M = {}

local ns = vim.api.nvim_create_namespace("silcrow.chat")

---@type silcrow.Transcript
M.transcript = render.new()

---@type integer[] Number of buffer lines each block occupies
local counts = {}
---@type integer?
local bufnr
---@type string
local status = ""
---@type uv.uv_timer_t?
local timer
local frame = 1

---Links the plugin's highlight groups to standard ones (kept by colorschemes).
function M.define_highlights()
  local links = {
    SilcrowThink = "Comment",
    SilcrowUser = "Title",
    SilcrowCall = "Function",
    SilcrowOutput = "Comment",
    SilcrowResult = "Special",
    SilcrowStatus = "NonText",
    SilcrowError = "DiagnosticError",
    SilcrowDiffHeader = "Title",
    SilcrowAdded = "Added",
    SilcrowRemoved = "Removed",
  }
  for group, target in pairs(links) do
    vim.api.nvim_set_hl(0, group, { link = target, default = true })
  end
end

M.define_highlights()
vim.api.nvim_create_autocmd("ColorScheme", {
  group = vim.api.nvim_create_augroup("silcrow.highlights", { clear = true }),
  callback = M.define_highlights,
})

---The chat buffer, created on first use.
---@return integer
function M.buf()
  if bufnr and vim.api.nvim_buf_is_valid(bufnr) then
    return bufnr
  end
  bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(bufnr, "silcrow://chat")
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "hide"
  vim.bo[bufnr].swapfile = false
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].filetype = "silcrow"
  M.map_keys(bufnr)
  counts = {}
  M.redraw(1)
  return bufnr
end

---Buffer-local keys: i/<CR> ask, <C-c> stop, q close.
---@param buf integer
function M.map_keys(buf)
  local function map(lhs, rhs, desc)
    vim.keymap.set("n", lhs, rhs, { buffer = buf, nowait = true, desc = desc })
  end
  local function ask()
    require("silcrow.input").open()
  end
  map("i", ask, "Ask Silcrow")
  map("<CR>", ask, "Ask Silcrow")
  map("<C-c>", function()
    require("silcrow").stop()
  end, "Stop the running Silcrow turn")
  map("q", "<Cmd>close<CR>", "Close the Silcrow chat")
end

---The window showing the chat buffer in the current tab, if any.
---@return integer?
function M.win()
  if not (bufnr and vim.api.nvim_buf_is_valid(bufnr)) then
    return nil
  end
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == bufnr then
      return win
    end
  end
end

---Shows the chat in a split (unless it is visible) and returns its window.
---@param enter? boolean Move the cursor into the chat window
---@return integer win
function M.open(enter)
  local buf = M.buf()
  local win = M.win()
  if not win then
    local opts = config.options
    local vertical = opts.layout == "vertical"
    win = vim.api.nvim_open_win(buf, false, {
      split = vertical and "right" or "below",
      win = -1,
      width = vertical and opts.width or nil,
      height = not vertical and opts.height or nil,
    })
    vim.wo[win].wrap = true
    vim.wo[win].linebreak = true
    vim.wo[win].number = false
    vim.wo[win].relativenumber = false
    vim.wo[win].signcolumn = "no"
    vim.wo[win].winfixwidth = vertical
    M.show_status()
  end
  if enter then
    vim.api.nvim_set_current_win(win)
  end
  return win
end

---@param win integer
---@return boolean
local function at_bottom(win)
  local cursor = vim.api.nvim_win_get_cursor(win)[1]
  return vim.api.nvim_get_current_win() ~= win or cursor >= vim.api.nvim_buf_line_count(bufnr)
end

---Replaces the buffer lines of blocks `from`..end with their current rendering.
---@param from integer
function M.redraw(from)
  local buf = M.buf()
  local start = 0
  for i = 1, from - 1 do
    start = start + (counts[i] or 0)
  end
  local lines, hls = {}, {}
  for i = from, #M.transcript.blocks do
    local block_lines, hl = M.transcript:block_lines(i)
    counts[i] = #block_lines
    for j, line in ipairs(block_lines) do
      lines[#lines + 1] = line
      hls[#hls + 1] = (type(hl) == "table" and hl[j]) or (type(hl) == "string" and hl) or false
    end
  end
  local win = M.win()
  local follow = win and config.options.follow and at_bottom(win)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, start, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.api.nvim_buf_clear_namespace(buf, ns, start, -1)
  for j, hl in ipairs(hls) do
    if hl then
      vim.api.nvim_buf_set_extmark(buf, ns, start + j - 1, 0, {
        end_col = #lines[j],
        hl_group = hl,
      })
    end
  end
  if follow and win then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

---Folds one `silcrow/event` into the transcript and redraws what changed.
---@param event silcrow.Event
function M.apply(event)
  local changed = M.transcript:apply(event)
  if changed then
    M.redraw(changed)
  end
  M.show_status()
end

---Adds a line of the plugin's own (not a stored event), e.g. a request error.
---An error reads like the daemon's error events: `✗ ` and the message.
---@param text string
---@param failed? boolean
function M.note(text, failed)
  text = text:gsub("^Silcrow: ", "")
  M.block(failed and "error" or "note", failed and ("✗ " .. text) or text)
end

---Adds a block of the plugin's own, e.g. a proposed change's diff.
---@param kind silcrow.BlockKind
---@param text string
function M.block(kind, text)
  local blocks = M.transcript.blocks
  blocks[#blocks + 1] = { kind = kind, text = text }
  M.redraw(#blocks)
end

---Empties the chat (a new conversation, or one about to be re-rendered).
function M.reset()
  M.transcript = render.new()
  counts = {}
  if bufnr and vim.api.nvim_buf_is_valid(bufnr) then
    M.redraw(1)
  end
  M.show_status()
end

---The chat's lines (what the user sees).
---@return string[]
function M.lines()
  return vim.api.nvim_buf_get_lines(M.buf(), 0, -1, false)
end

---The status text: spinner and state while working, token usage of the turn.
---@return string
function M.status()
  local usage = M.transcript.usage
  local parts = { "Silcrow", unpack(require("silcrow.modes").describe()) }
  if timer then
    parts[#parts + 1] = config.options.spinner[frame] .. " " .. status
  elseif status ~= "" then
    parts[#parts + 1] = status
  end
  if usage.input_tokens + usage.output_tokens > 0 then
    parts[#parts + 1] = render.format_usage(usage)
  end
  return table.concat(parts, " · ")
end

---Writes the status into the chat window's winbar.
function M.show_status()
  local win = M.win()
  if win then
    vim.wo[win].winbar = (" " .. M.status()):gsub("%%", "%%%%")
  end
end

---Starts (text) or stops (nil) the spinner with a state such as "working".
---@param text? string
---@param final? string Status shown once the spinner stops
function M.busy(text, final)
  if text then
    status = text
    if not timer then
      timer = assert(vim.uv.new_timer())
      timer:start(0, 100, vim.schedule_wrap(function()
        frame = frame % #config.options.spinner + 1
        M.show_status()
      end))
    end
  else
    status = final or ""
    if timer then
      timer:stop()
      timer:close()
      timer = nil
    end
  end
  M.show_status()
end

---@return boolean
function M.is_busy()
  return timer ~= nil
end

return M
