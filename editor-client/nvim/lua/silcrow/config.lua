-- Options of the Silcrow plugin: the annotated defaults, validation, and the
-- merged result every other module reads (`require("silcrow.config").options`).

local M = {}

---@alias silcrow.Permission "allow"|"ask"|"deny"

---Settings sent to the daemon (LSP section `silcrow`; see docs/protocol.md).
---@class silcrow.Settings
---@field provider? string "fake"|"openai"|"anthropic"|"gemini"|"ollama"|"auto" or an http(s) URL
---@field model? string Model name; empty = the provider's default
---@field mode? "auto"|"resume"|"replay" Live session, one request per tool cycle, or automatic
---@field apiKeyEnv? string Environment variable holding the API key
---@field baseUrl? string Provider base URL; empty = the vendor default
---@field streaming? "token"|"semantic" Default granularity of streamed events
---@field permissions? table<"read"|"edit"|"shell"|"network"|"memory"|"mcp", silcrow.Permission>
---@field mcpServers? table<string, silcrow.McpServer> MCP servers (also the top-level option)
---@field tools? string[] Custom Python tools, "package.module:ToolClass"
---@field maxIterations? integer Tool cycles per turn
---@field idleTimeout? number Seconds a warm live session may stay idle

---An MCP server in the common shape: a command to run (stdio) or a URL (streamable HTTP).
---@class silcrow.McpServer
---@field command? string
---@field args? string[]
---@field env? table<string, string>
---@field cwd? string
---@field url? string
---@field headers? table<string, string>

---@class silcrow.Options
---@field cmd string[] Command that starts the daemon
---@field settings silcrow.Settings Daemon settings (sent as init_options and section `silcrow`)
---@field mcpServers table<string, silcrow.McpServer> MCP servers whose tools the agent may use (`:SilcrowMcp` lists them)
---@field chunks boolean Ask for token deltas (true) or whole blocks (false)
---@field enable boolean Call `vim.lsp.enable("silcrow")` so the daemon attaches to file buffers
---@field layout "vertical"|"horizontal" How `:Silcrow` splits the window
---@field width integer Width of a vertical chat split
---@field height integer Height of a horizontal chat split
---@field follow boolean Scroll the chat window to the newest line as events arrive
---@field spinner string[] Frames of the "working" indicator
---@field history_limit integer How many conversations `:SilcrowHistory` lists
---@field send_current_file boolean A question asked from a file sends the file (a selection: the lines) as context
---@field review "ask"|"auto" Show every change as a diff to accept or reject first, or apply it at once

---@type silcrow.Options
M.defaults = {
  cmd = { "silcrow", "serve" },
  settings = {},
  mcpServers = {},
  chunks = true,
  enable = true,
  layout = "vertical",
  width = 64,
  height = 16,
  follow = true,
  spinner = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" },
  history_limit = 50,
  send_current_file = true,
  review = "ask",
}

---@type silcrow.Options
M.options = vim.deepcopy(M.defaults)

---Keys of |silcrow.Settings|: given at the top level of `setup()`, they are pointed to `settings`.
---@type table<string, true>
M.daemon_settings = {
  provider = true,
  model = true,
  mode = true,
  apiKeyEnv = true,
  baseUrl = true,
  streaming = true,
  permissions = true,
  maxIterations = true,
  idleTimeout = true,
}

---@type table<string, fun(v: any): boolean, string>
local checks = {
  cmd = function(v)
    return type(v) == "table" and #v > 0 and type(v[1]) == "string", "a non-empty list of strings"
  end,
  settings = function(v)
    return type(v) == "table", "a table of daemon settings"
  end,
  mcpServers = function(v)
    if type(v) ~= "table" then
      return false, 'a table of servers, e.g. { time = { command = "uvx", args = { "mcp-server-time" } } }'
    end
    for name, server in pairs(v) do
      if type(name) ~= "string" or type(server) ~= "table" or (server.command == nil and server.url == nil) then
        return false, 'a table of servers, each with command (and args) or url, e.g. { time = { command = "uvx" } }'
      end
    end
    return true, ""
  end,
  layout = function(v)
    return v == "vertical" or v == "horizontal", '"vertical" or "horizontal"'
  end,
  width = function(v)
    return type(v) == "number" and v >= 10, "a number >= 10"
  end,
  height = function(v)
    return type(v) == "number" and v >= 3, "a number >= 3"
  end,
  spinner = function(v)
    return type(v) == "table" and #v > 0, "a non-empty list of strings"
  end,
  review = function(v)
    return v == "ask" or v == "auto", '"ask" (review each change as a diff) or "auto" (apply at once)'
  end,
  history_limit = function(v)
    return type(v) == "number" and v >= 1, "a number >= 1"
  end,
}

---Checks one option against its rule (booleans must be booleans).
---@param key string
---@param value any
---@return string? problem What is wrong and how to fix it, or nil when the value is fine
local function check(key, value)
  local default = M.defaults[key]
  if default == nil and M.daemon_settings[key] then
    return ("%s is a daemon setting: put it under settings, e.g. setup({ settings = { %s = %s } })"):format(
      key,
      key,
      vim.inspect(value)
    )
  elseif default == nil then
    return ("unknown option %q (known: %s)"):format(
      key,
      table.concat(vim.tbl_keys(M.defaults), ", ")
    )
  end
  local rule = checks[key]
  if rule then
    local ok, want = rule(value)
    if not ok then
      return ("option %s must be %s, got %s"):format(key, want, vim.inspect(value))
    end
  elseif type(value) ~= type(default) then
    return ("option %s must be a %s, got %s"):format(key, type(default), vim.inspect(value))
  end
end

---Merges user options over the defaults. A bad option is reported (naming the
---option and what it should be) and its default is kept.
---@param opts? table
---@return silcrow.Options options
---@return string[] problems
function M.apply(opts)
  local merged = vim.deepcopy(M.defaults)
  local problems = {}
  for key, value in pairs(opts or {}) do
    local problem = check(key, value)
    if problem then
      problems[#problems + 1] = problem
    else
      merged[key] = vim.deepcopy(value)
    end
  end
  if next(merged.mcpServers) then -- the top-level option is the daemon's setting mcpServers
    merged.settings = vim.tbl_extend("force", merged.settings, { mcpServers = merged.mcpServers })
  end
  if (opts or {}).review ~= nil and merged.review == opts.review then -- the daemon's setting review
    merged.settings = vim.tbl_extend("force", merged.settings, { review = merged.review })
  end
  M.options = merged
  return merged, problems
end

return M
