-- Which folder the plugin names as the workspace: the project of the file,
-- and none at all when no root marker is found (never Neovim's current
-- directory, which may be $HOME). Runs the real daemon on the fake provider.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local turn = require("silcrow.turn")

---A directory without any root marker, holding `notes.py`; removed after the test.
---@return string dir
local function markerless_dir()
  local dir = vim.fn.resolve(vim.fn.tempname())
  H.write_file(dir .. "/notes.py", "x = 1\n")
  H.after(function()
    vim.fn.delete(dir, "rf")
  end)
  H.eq(nil, vim.fs.root(dir .. "/notes.py", { ".git", ".hg", ".jj", ".svn", "pyproject.toml", "package.json" }),
    "the test directory has no root marker above it")
  return dir
end

H.test("a file in a project names the project as the only workspace folder", function()
  local root = H.workspace({ ["pkg/calc.py"] = "x = 1\n" })
  H.setup(root, { "§respond: ok\n§end\n" })
  vim.cmd.cd(vim.fn.fnameescape(root .. "/pkg")) -- the working directory is not the project
  local buf = H.edit(root .. "/pkg/calc.py")
  local client = vim.lsp.get_clients({ name = "silcrow", bufnr = buf })[1]
  H.eq({ vim.uri_from_fname(root) }, vim.tbl_map(function(folder)
    return folder.uri
  end, client.workspace_folders or {}))
end)

H.test("without a root marker no folder is named and the chat says why a prompt fails", function()
  local dir = markerless_dir()
  H.setup(dir, { "§respond: never sent\n§end\n" })
  vim.env.SILCROW_DB = dir .. "/silcrow-test.db" -- (setup puts it under .git, absent here)
  H.eq(dir, vim.fn.getcwd(), "Neovim's working directory is the markerless folder")
  local buf = H.edit(dir .. "/notes.py")
  local client = vim.lsp.get_clients({ name = "silcrow", bufnr = buf })[1]
  H.eq(nil, client.root_dir, "no root directory")
  H.eq(true, client.workspace_folders == nil or #client.workspace_folders == 0, "no workspace folder")
  vim.cmd("SilcrowAsk what is x?")
  H.wait(function()
    return H.chat_line_starting("✗ no workspace folder is open") ~= nil
  end, "the daemon's error 1004 in the chat")
  H.wait(function()
    return turn.state.pending == nil and turn.state.running == nil
  end, "the turn to end")
  H.eq(nil, turn.state.last_result, "the prompt was refused, not answered")
end)

H.run()
