-- What to tell a user whose daemon is missing or does not start: the install
-- commands (`:SilcrowInstall`, silcrow.installer; `pipx install` of the Silcrow
-- checkout this plugin comes from; docs/nvim.md), the
-- `cmd` option, and where Neovim's LSP log is. Shared by the start-failure
-- messages (client.lua) and `:checkhealth silcrow` (health.lua).

local M = {}

---The Silcrow checkout holding this plugin (`<repo>/editor-client/nvim`), when it has a pyproject.toml.
---@return string?
function M.repository()
  local here = vim.fs.normalize(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p"))
  local repo = vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(here)))))
  if vim.uv.fs_stat(repo .. "/pyproject.toml") then
    return repo
  end
end

---The command that installs the daemon: `:SilcrowInstall` (into stdpath("data"),
---found without $PATH), or `pipx install` of this checkout for a `silcrow` on $PATH.
---@return string
function M.command()
  return (":SilcrowInstall (or in a shell: pipx install %s)"):format(M.repository() or "/path/to/silcrow")
end

---The `setup()` call that points the plugin at a daemon outside $PATH.
---@return string
function M.cmd_option()
  return "require('silcrow').setup({ cmd = { '/path/to/silcrow', 'serve' } })"
end

---Neovim's LSP log, where the daemon's stderr goes.
---@return string
function M.log_path()
  return vim.lsp.log.get_filename()
end

---Why the daemon could not start and what to do: `reason` is a short cause.
---@param cmd string[]|any The configured `cmd`
---@param reason string e.g. "not found on $PATH", "exited with code 1 before it was ready"
---@return string
function M.start_failure(cmd, reason)
  local line = type(cmd) == "table" and table.concat(vim.tbl_map(tostring, cmd), " ") or tostring(cmd)
  local advice
  if reason:find("not found", 1, true) or reason:find("not executable", 1, true) then
    advice = ("Install the daemon with %s, or set `cmd`: %s."):format(M.command(), M.cmd_option())
  else
    advice = ("Its output is in %s; `:checkhealth silcrow` checks the setup."):format(M.log_path())
  end
  return ("Silcrow: the daemon did not start (`%s` %s). %s"):format(line, reason, advice)
end

return M
