-- The public API of the Silcrow plugin: `setup()` and what the commands call.
--
--   require("silcrow").setup({ settings = { provider = "openai" } })
--   require("silcrow").setup({ mcpServers = { time = { command = "uvx", args = { "mcp-server-time" } } } })
--   require("silcrow").ask("Why does this fail?", { line1 = 3, line2 = 9 })
--   require("silcrow").mode("plan")
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

---The lines `line1`..`line2` (1-based, inclusive) of `bufnr` as a context item.
M.selection = require("silcrow.context").selection

---Opens the chat split and moves into it.
function M.open()
  require("silcrow.chat").open(true)
end

---@class silcrow.AskRange
---@field bufnr? integer Buffer of the selection (default: current)
---@field line1 integer First selected line (1-based)
---@field line2 integer Last selected line (1-based, inclusive)

---Asks a question about the current file (or the given lines), with the
---diagnostics under them. Without a question the chat input opens for one.
---@param question? string A question, or a `/` command
---@param range? silcrow.AskRange
function M.ask(question, range)
  local q = {
    bufnr = range and range.bufnr or require("silcrow.context").origin(),
    range = range and { line1 = range.line1, line2 = range.line2 } or nil,
    diagnostics = true,
  }
  if question and vim.trim(question) ~= "" then
    require("silcrow.commands").submit(question, q)
  else
    require("silcrow.input").open(q)
  end
end

---Sets the chat mode: "agent", "ask" (read-only) or "plan" (read-only, ends with a plan).
---@param mode string
function M.mode(mode)
  require("silcrow.modes").set_mode(mode)
end

---Lists the provider's models and uses the chosen one for the next questions.
function M.model()
  require("silcrow.modes").pick_model()
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
