-- Lets a plugin manager install Silcrow from the root of this repository
-- (lazy.nvim: `{ "<owner>/silcrow", main = "silcrow", opts = {} }`, see
-- docs/nvim.md): the Neovim plugin lives in editor-client/nvim, which this
-- adds to 'runtimepath' (its lua/, lsp/ and doc/ with the help tags) before
-- loading that folder's own plugin file.
local root = vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p"))))
local plugin = vim.fs.joinpath(root, "editor-client", "nvim")
if not vim.tbl_contains(vim.opt.runtimepath:get(), plugin) then
  vim.opt.runtimepath:append(plugin)
end
dofile(vim.fs.joinpath(plugin, "plugin", "silcrow.lua"))
