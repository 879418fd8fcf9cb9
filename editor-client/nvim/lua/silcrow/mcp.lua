-- MCP servers in Neovim: `:SilcrowMcp` lists each server of the daemon's
-- workspace folders (state, tool count, why one failed) and approves a server
-- that a workspace's `.mcp.json` / `.vscode/mcp.json` defines; such a server
-- never starts before that (the daemon keeps the approval in user scope).

local client = require("silcrow.client")

local M = {}

---@class silcrow.McpServerInfo
---@field workspaceUri string
---@field name string
---@field state "needs_approval"|"starting"|"running"|"restarting"|"failed"|"stopped"
---@field origin "user"|"workspace"
---@field command string
---@field source string
---@field detail string
---@field toolCount integer
---@field tools string[]

---One line per server, as `:SilcrowMcp` shows it.
---@param server silcrow.McpServerInfo
---@return string
function M.describe(server)
  local state = server.state == "needs_approval" and "needs your approval" or server.state
  local text = ("%s: %s, %d tools"):format(server.name, state, server.toolCount or 0)
  if server.origin == "workspace" then
    text = text .. (" (from %s)"):format(server.source)
  end
  if server.detail and server.detail ~= "" then
    text = text .. " - " .. server.detail
  end
  return text
end

---@param lsp vim.lsp.Client
---@param server silcrow.McpServerInfo
local function approve(lsp, server)
  local question = ("Start MCP server %s? It runs: %s"):format(server.name, server.command)
  vim.ui.select({ "Approve and start", "Cancel" }, { prompt = question }, function(choice)
    if choice ~= "Approve and start" then
      return
    end
    client.request(lsp, "silcrow/mcpApprove", { name = server.name, workspaceUri = server.workspaceUri },
      function(err)
        if err then
          vim.notify("Silcrow: " .. tostring(err.message), vim.log.levels.ERROR)
        else
          vim.notify(("Silcrow: MCP server %s approved; it is starting"):format(server.name))
        end
      end)
  end)
end

---Lists the servers with `vim.ui.select`; picking one that needs approval asks to approve it.
function M.servers()
  client.with_client(nil, function(lsp)
    client.request(lsp, "silcrow/mcpServers", vim.empty_dict(), function(err, result)
      if err then
        vim.notify("Silcrow: " .. tostring(err.message), vim.log.levels.ERROR)
        return
      end
      local servers = (result or {}).servers or {}
      if #servers == 0 then
        vim.notify("Silcrow: no MCP servers; set mcpServers in setup() or add .mcp.json to the project")
        return
      end
      vim.ui.select(servers, { prompt = "Silcrow MCP servers", format_item = M.describe }, function(server)
        if server and server.state == "needs_approval" then
          approve(lsp, server)
        elseif server then
          vim.notify(("Silcrow: %s tools: %s"):format(server.name, table.concat(server.tools or {}, ", ")))
        end
      end)
    end)
  end)
end

return M
