-- What the screenshot configs (demo_init.lua, first_run_init.lua) share: the
-- plugin from this checkout on 'runtimepath' and a plain, readable UI.
local plugin_dir = vim.fs.dirname(vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")))
vim.opt.runtimepath:prepend(plugin_dir)
vim.g.loaded_python3_provider = 0
vim.o.termguicolors = true
vim.o.laststatus = 2
vim.o.number = true
vim.o.showmode = false
vim.cmd("syntax on")
vim.cmd("filetype plugin on")
