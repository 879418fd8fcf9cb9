-- The connection to the daemon: finds or starts the `silcrow` LSP client for
-- a buffer, waits until it is initialized, and sends requests (Neovim 0.11+).

local M = {}

M.name = "silcrow"

---The effective config: `lsp/silcrow.lua` from 'runtimepath' with the user's
---`vim.lsp.config("silcrow", ...)` (which `setup()` calls) on top.
---@return vim.lsp.Config
function M.config()
  return vim.deepcopy(vim.lsp.config[M.name])
end

---@param client vim.lsp.Client
---@return boolean
local function stopped(client)
  return client:is_stopped()
end

---A running Silcrow client: the one attached to `bufnr`, else any.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.get(bufnr)
  local attached = vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
  if attached[1] then
    return attached[1]
  end
  for _, client in ipairs(vim.lsp.get_clients({ name = M.name })) do
    if not stopped(client) then
      return client
    end
  end
end

---@param bufnr integer
---@return boolean
local function is_file_buffer(bufnr)
  return vim.bo[bufnr].buftype == "" and vim.api.nvim_buf_get_name(bufnr) ~= ""
end

---The project holding the buffer's file, or nil: without a root marker no folder
---is named (never Neovim's current directory, which may be `$HOME`), and the
---daemon answers a prompt with "no workspace folder is open", shown in the chat.
---@param bufnr integer
---@param config vim.lsp.Config
---@return string?
local function root_for(bufnr, config)
  if type(config.root_dir) == "string" then
    return config.root_dir
  end
  -- (a root_dir function skips buffers without a file, such as the chat)
  return is_file_buffer(bufnr) and vim.fs.root(bufnr, config.root_markers or { ".git" }) or nil
end

---Starts a client for `bufnr` (attaching it when the buffer is a file).
---@param bufnr integer
---@return integer? client_id
local function start(bufnr)
  local config = M.config()
  if not config then
    return nil
  end
  config.root_dir = root_for(bufnr, config)
  return vim.lsp.start(config --[[@as vim.lsp.ClientConfig]], {
    bufnr = bufnr,
    attach = is_file_buffer(bufnr),
    silent = true,
  })
end

---@param client vim.lsp.Client
---@param callback fun(client: vim.lsp.Client)
---@param deadline number
local function when_initialized(client, callback, deadline)
  if client.initialized then
    callback(client)
  elseif stopped(client) or vim.uv.now() > deadline then
    vim.notify(
      "Silcrow: the daemon did not start; check `:checkhealth silcrow` and `:LspLog`",
      vim.log.levels.ERROR
    )
  else
    vim.defer_fn(function()
      when_initialized(client, callback, deadline)
    end, 20)
  end
end

---Calls `callback` with an initialized client for `bufnr`, starting one if needed.
---@param bufnr? integer
---@param callback fun(client: vim.lsp.Client)
function M.with_client(bufnr, callback)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  ---@cast bufnr integer
  local client = M.get(bufnr)
  if client and is_file_buffer(bufnr) and not client.attached_buffers[bufnr] then
    vim.lsp.buf_attach_client(bufnr, client.id)
  end
  if not client then
    local id = start(bufnr)
    client = id and vim.lsp.get_client_by_id(id)
  end
  if not client then
    local cmd = table.concat((M.config() or {}).cmd or {}, " ")
    vim.notify(
      ("Silcrow: could not start the daemon with `%s`; install it (pip install silcrow) "
        .. "or set `cmd` in require('silcrow').setup()"):format(cmd),
      vim.log.levels.ERROR
    )
    return
  end
  when_initialized(client, callback, vim.uv.now() + 30000)
end

---Sends a request; returns its id (nil when the client is gone).
---@param client vim.lsp.Client
---@param method string
---@param params table
---@param handler fun(err: lsp.ResponseError?, result: any)
---@param bufnr? integer
---@return integer?
function M.request(client, method, params, handler, bufnr)
  local function on_reply(err, result)
    handler(err, result)
  end
  local ok, id = client:request(method, params, on_reply, bufnr)
  return ok and id or nil
end

---Sends `$/cancelRequest` for `id` (its handler will never run).
---@param client vim.lsp.Client
---@param id integer
function M.cancel_request(client, id)
  client:cancel_request(id)
end

return M
