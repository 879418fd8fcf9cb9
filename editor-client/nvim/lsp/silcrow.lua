-- The Silcrow daemon as a Neovim LSP config (`vim.lsp.enable("silcrow")`).
--
-- A plain `vim.lsp.Config`: `require("silcrow").setup()` layers the user's
-- options on top of it with `vim.lsp.config("silcrow", ...)`. The handlers
-- and the client-side `silcrow.ask` command load the plugin lazily, so this
-- file costs nothing until a client starts.

---@param name string
---@param module? string default "silcrow.handlers"
---@return fun(...): any
local function handler(name, module)
  return function(...)
    return require(module or "silcrow.handlers")[name](...)
  end
end

local root_markers = { ".git", ".hg", ".jj", ".svn", "pyproject.toml", "package.json" }

---The project holding the buffer's file. Without a root marker no folder is
---named (never Neovim's current directory, which may be `$HOME`): the daemon
---then answers a prompt with "no workspace folder is open", shown in the chat.
---Buffers without a file name get no client: `vim.lsp.enable` would otherwise
---start the daemon for the empty buffer Neovim opens with.
---@param bufnr integer
---@param on_dir fun(root_dir?: string)
local function root_dir(bufnr, on_dir)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name ~= "" and not name:find("://", 1, true) then
    on_dir(vim.fs.root(bufnr, root_markers))
  end
end

---Settings come from `require("silcrow").setup()` only. Whatever else was merged into
---`init_options` or `settings` (a project's `.nvim.lua`, a plugin that reads per-project
---files such as `.neoconf.json`) is replaced before the daemon starts, so a file in the
---workspace cannot raise permissions or change the provider.
---@param params lsp.InitializeParams
---@param config vim.lsp.ClientConfig
local function settings_from_setup(params, config)
  local settings = vim.deepcopy(require("silcrow.config").options.settings)
  params.initializationOptions = settings
  config.settings = config.settings or {}
  for key in pairs(config.settings) do
    config.settings[key] = nil -- the same table as client.settings: cleared in place
  end
  config.settings.silcrow = vim.deepcopy(settings)
end

---@type vim.lsp.Config
return {
  -- `silcrow` on $PATH, else the daemon `:SilcrowInstall` put in stdpath("data")
  cmd = { require("silcrow.installer").daemon(), "serve" },
  -- No `filetypes`: Silcrow answers questions about any file.
  root_dir = root_dir,
  root_markers = root_markers,
  init_options = {},
  settings = { silcrow = {} },
  before_init = settings_from_setup,
  on_init = function(client)
    client.settings = { silcrow = vim.deepcopy(require("silcrow.config").options.settings) }
    local warning = require("silcrow.installer").version_warning((client.server_info or {}).version)
    if warning then
      vim.notify("Silcrow: " .. warning, vim.log.levels.WARN)
    end
  end,
  capabilities = {
    experimental = {
      silcrow = { permissions = true, saveDocuments = true, readFile = true, terminal = true, review = true },
    },
  },
  handlers = {
    ["silcrow/event"] = handler("event"),
    ["silcrow/requestPermission"] = handler("request_permission"),
    ["silcrow/saveDocuments"] = handler("save_documents"),
    ["silcrow/readFile"] = handler("read_file", "silcrow.terminal"),
    ["silcrow/terminal/run"] = handler("run", "silcrow.terminal"),
    ["silcrow/terminal/kill"] = handler("kill", "silcrow.terminal"),
    ["silcrow/review"] = handler("request", "silcrow.review"),
    ["workspace/applyEdit"] = handler("handler", "silcrow.apply_edit"),
    ["window/showMessage"] = handler("show_message"),
  },
  commands = {
    ["silcrow.ask"] = handler("ask_command"),
  },
}
