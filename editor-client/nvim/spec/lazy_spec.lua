-- Installing the plugin with lazy.nvim from this repository (docs/nvim.md):
-- the spec `{ "<owner>/silcrow", main = "silcrow", opts = {...} }` loads the
-- repository root, whose plugin/silcrow.lua puts editor-client/nvim on
-- 'runtimepath'. Here lazy.nvim installs the checkout itself (`dir =` the
-- repository root: the same loader as a cloned plugin, without the network).
--
-- Real lazy.nvim when $SILCROW_LAZY_NVIM names its checkout (it is not on a
-- package index, and tests never fetch from the internet); otherwise what
-- lazy.nvim does for a plugin: the root on 'runtimepath', its plugin/ files
-- sourced, then `require(main).setup(opts)`.
local here = vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")))
local repo = vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(here)))
local lazy = vim.env.SILCROW_LAZY_NVIM

local opts = { settings = { provider = "fake" }, enable = false }
if lazy and lazy ~= "" then
  vim.opt.runtimepath:prepend(lazy)
  require("lazy").setup({ { dir = repo, name = "silcrow", main = "silcrow", opts = opts } }, {
    install = { missing = false },
    rocks = { enabled = false },
    change_detection = { enabled = false },
    checker = { enabled = false },
    performance = { reset_packpath = false },
  })
  io.stdout:write("lazy_spec: with lazy.nvim from " .. lazy .. "\n")
else
  vim.opt.runtimepath:append(repo)
  vim.cmd.runtime({ "plugin/silcrow.lua", bang = true })
  require("silcrow").setup(opts)
  io.stdout:write("lazy_spec: without lazy.nvim (set SILCROW_LAZY_NVIM to its checkout), as lazy.nvim loads a plugin\n")
end

-- What the plugin manager's load gave, recorded before the test runner (helpers.lua puts
-- editor-client/nvim on 'runtimepath' itself and would hide a broken load).
local loaded = {
  install = vim.fn.exists(":SilcrowInstall"),
  ask = vim.fn.exists(":SilcrowAsk"),
  provider = require("silcrow.config").options.settings.provider,
  cmd = vim.lsp.config.silcrow and vim.lsp.config.silcrow.cmd,
}
local help_ok, help_err = pcall(vim.cmd, "help silcrow")
loaded.help = help_ok and vim.bo.filetype == "help" and vim.api.nvim_buf_get_name(0) or help_err

local H = dofile(vim.fs.joinpath(here, "helpers.lua"))

H.test("the repository root as a plugin: commands, setup() applied, the LSP config found", function()
  H.eq(2, loaded.install, ":SilcrowInstall exists")
  H.eq(2, loaded.ask, ":SilcrowAsk exists")
  H.eq("fake", loaded.provider, "opts reached setup()")
  H.eq("serve", loaded.cmd and loaded.cmd[2], "lsp/silcrow.lua is on 'runtimepath'")
end)

H.test(":help silcrow works from the committed help tags", function()
  H.truthy(tostring(loaded.help):find("editor-client/nvim/doc/silcrow.txt", 1, true), tostring(loaded.help))
end)

H.run()
