-- Neovim config for the first-run capture (scripts/screenshot.sh first-run):
-- the plugin from this checkout set up as docs/nvim.md documents it, with no
-- provider and no API key, so the daemon answers with its offline demo.
local plugin_dir = vim.fs.dirname(vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")))
vim.opt.runtimepath:prepend(plugin_dir)
vim.g.loaded_python3_provider = 0
vim.o.termguicolors = true
vim.o.laststatus = 2
vim.o.number = true
vim.o.showmode = false
vim.cmd("syntax on")
vim.cmd("filetype plugin on")
require("silcrow").setup({ cmd = { vim.env.SILCROW_BIN or "silcrow", "serve" }, width = 70 })
