-- The public API of the Silcrow plugin: `setup()` and what the commands call.
--
--   require("silcrow").setup({ settings = { provider = "openai" } })
--   require("silcrow").setup({ mcpServers = { time = { command = "uvx", args = { "mcp-server-time" } } } })
--   require("silcrow").ask("Why does this fail?", { line1 = 3, line2 = 9 })
--
-- Everything else (client, chat, turns, handlers) lives in the submodules.

local config = require("silcrow.config")
local turn = require("silcrow.turn")

local M = {}

---@param opts? silcrow.Options|table
function M.setup(opts)
  local _, problems = config.apply(opts)
  for _, problem in ipairs(problems) do
    vim.notify("Silcrow: " .. problem .. "; using the default", vim.log.levels.WARN)
  end
  opts = opts or {}
  M.register_commands()
  -- only what the user set (and was valid), so earlier vim.lsp.config() calls survive
  local options, override = config.options, {}
  if opts.cmd and vim.deep_equal(options.cmd, opts.cmd) then
    override.cmd = options.cmd
  end
  if opts.settings and vim.deep_equal(options.settings, opts.settings) then
    override.init_options = options.settings
    override.settings = { silcrow = options.settings }
  end
  vim.lsp.config("silcrow", override)
  if config.options.enable then
    vim.lsp.enable("silcrow")
  end
end

---Registers the client-side `silcrow.ask` for every client (the config in
---`lsp/silcrow.lua` also carries it, for clients started from it).
function M.register_commands()
  vim.lsp.commands["silcrow.ask"] = function(command, ctx)
    require("silcrow.handlers").ask_command(command, ctx)
  end
end

---Length of `line` in UTF-16 code units (LSP's default position encoding).
---@param line string
---@return integer
local function utf16_len(line)
  return vim.str_utfindex(line, "utf-16")
end

---The lines `line1`..`line2` (1-based, inclusive) of `bufnr` as a context item.
---@param bufnr integer
---@param line1 integer
---@param line2 integer
---@return {uri: string, range: lsp.Range, text: string}
function M.selection(bufnr, line1, line2)
  local lines = vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line2, false)
  local last = vim.api.nvim_buf_line_count(bufnr)
  local finish = line2 < last and { line = line2, character = 0 }
    or { line = line2 - 1, character = utf16_len(lines[#lines] or "") }
  return {
    uri = vim.uri_from_bufnr(bufnr),
    range = { start = { line = line1 - 1, character = 0 }, ["end"] = finish },
    text = table.concat(lines, "\n"),
  }
end

---Opens the chat split and moves into it.
function M.open()
  require("silcrow.chat").open(true)
end

---@class silcrow.AskRange
---@field bufnr? integer Buffer of the selection (default: current)
---@field line1 integer First selected line (1-based)
---@field line2 integer Last selected line (1-based, inclusive)

---Asks a question, with the given lines as context. Without a question the
---user is asked for one with `vim.ui.input`.
---@param question? string
---@param range? silcrow.AskRange
function M.ask(question, range)
  local bufnr = vim.api.nvim_get_current_buf()
  local context
  if range then
    bufnr = range.bufnr or bufnr
    context = { M.selection(bufnr, range.line1, range.line2) }
  end
  if question and vim.trim(question) ~= "" then
    turn.ask(question, context, bufnr)
    return
  end
  vim.ui.input({ prompt = "Ask Silcrow: " }, function(input)
    if input and vim.trim(input) ~= "" then
      turn.ask(input, context, bufnr)
    end
  end)
end

M.stop = turn.stop
M.new = turn.new
M.history = turn.history

---Lists the MCP servers (state, tool count) and offers to approve a workspace's server.
function M.mcp()
  require("silcrow.mcp").servers()
end

---Status text for a statusline component: spinner, state and token usage.
---@return string
function M.statusline()
  return require("silcrow.chat").status()
end

return M
