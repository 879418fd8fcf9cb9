-- The Silcrow daemon as a Neovim LSP config (`vim.lsp.enable("silcrow")`).
--
-- A plain `vim.lsp.Config`: `require("silcrow").setup()` layers the user's
-- options on top of it with `vim.lsp.config("silcrow", ...)`. The handlers
-- and the client-side `silcrow.ask` command load the plugin lazily, so this
-- file costs nothing until a client starts.

---@param name string
---@return fun(...): any
local function handler(name)
  return function(...)
    return require("silcrow.handlers")[name](...)
  end
end

---@type vim.lsp.Config
return {
  cmd = { "silcrow", "serve" },
  -- No `filetypes`: Silcrow answers questions about any file.
  root_markers = { ".git", ".hg", ".jj", ".svn", "pyproject.toml", "package.json" },
  init_options = {},
  settings = { silcrow = {} },
  capabilities = {
    experimental = {
      silcrow = { permissions = true, saveDocuments = true },
    },
  },
  handlers = {
    ["silcrow/event"] = handler("event"),
    ["silcrow/requestPermission"] = handler("request_permission"),
    ["silcrow/saveDocuments"] = handler("save_documents"),
  },
  commands = {
    ["silcrow.ask"] = handler("ask_command"),
  },
}
