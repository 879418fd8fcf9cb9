-- Neovim config for the first-run capture (scripts/screenshot.sh first-run):
-- the plugin from this checkout set up as docs/nvim.md documents it, with no
-- provider and no API key, so the daemon answers with its offline demo.
dofile(vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")) .. "/screenshot_ui.lua")
require("silcrow").setup({ cmd = { vim.env.SILCROW_BIN or "silcrow", "serve" }, width = 70 })
