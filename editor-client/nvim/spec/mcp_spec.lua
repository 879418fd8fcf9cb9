-- MCP servers in Neovim: `setup({ mcpServers = ... })` starts them in the real
-- daemon, `:SilcrowMcp` lists them (state, tool count) and approves a server
-- that the project's `.mcp.json` defines, which does not run before that.
-- The server is the SDK-written one of the Python tests (tests/mcptools).
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

local SERVER = H.repo .. "/tests/mcptools/sdk_server.py"

---The Python beside the daemon executable (it has the MCP SDK).
local function python()
  return vim.fs.joinpath(vim.fs.dirname(H.daemon()), "python")
end

---Sets the plugin up like a user would, with `mcp_servers` as the top-level option.
local function setup(root, mcp_servers)
  vim.env.SILCROW_DB = root .. "/.git/silcrow-test.db"
  vim.env.SILCROW_MCP_APPROVALS = root .. "/.git/approvals.json"
  require("silcrow").setup({
    cmd = { H.daemon(), "serve" },
    settings = { provider = "fake", fakeScript = { replies = { "§respond: ok\n§end\n" } } },
    mcpServers = mcp_servers,
  })
  vim.cmd.cd(root)
  H.after(H.reset)
end

---What `:SilcrowMcp` offers: the lines of its `vim.ui.select`, answered with `pick(items)`.
local function silcrow_mcp(pick)
  local shown
  local original = vim.ui.select
  H.after(function()
    vim.ui.select = original
  end)
  vim.ui.select = function(items, opts, on_choice)
    if opts.format_item then
      shown = vim.tbl_map(opts.format_item, items)
    end
    on_choice(pick(items))
  end
  vim.cmd("SilcrowMcp")
  H.wait(function()
    return shown ~= nil
  end, ":SilcrowMcp to list the servers")
  return shown
end

---Waits until `:SilcrowMcp` shows `line`.
local function wait_for_line(line)
  local last
  H.wait(function()
    last = silcrow_mcp(function() end)
    return vim.tbl_contains(last, line)
  end, "the line " .. line, 120000)
end

H.test("a server from setup({ mcpServers }) runs and is listed with its tools", function()
  local root = H.workspace({ ["main.py"] = "x = 1\n" })
  setup(root, { t = { command = python(), args = { SERVER } } })
  H.edit(root .. "/main.py")
  wait_for_line("t: running, 7 tools")
end)

H.test("a project's .mcp.json server waits for approval through :SilcrowMcp", function()
  local marker = vim.fn.tempname()
  local planted = { mcpServers = { repo = { command = python(), args = { SERVER, "--marker", marker } } } }
  local root = H.workspace({ ["main.py"] = "x = 1\n", [".mcp.json"] = vim.json.encode(planted) })
  setup(root, {})
  H.edit(root .. "/main.py")
  wait_for_line("repo: needs your approval, 0 tools (from " .. root .. "/.mcp.json)")
  H.eq(0, vim.fn.filereadable(marker), "the server did not start before approval")
  silcrow_mcp(function(items)
    return items[1] -- the server; then the approval question
  end)
  wait_for_line("repo: running, 7 tools (from " .. root .. "/.mcp.json)")
  H.eq(1, vim.fn.filereadable(marker), "the approved server started")
end)

H.run()
