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

---Exit codes of clients that stopped, by client id (for the start-failure message).
---@type table<integer, integer>
local exit_codes = {}

---Starts a client for `bufnr` (attaching it when the buffer is a file).
---@param bufnr integer
---@return integer? client_id
local function start(bufnr)
  local config = M.config()
  if not config then
    return nil
  end
  config.root_dir = root_for(bufnr, config)
  local user_on_exit = type(config.on_exit) == "function" and { config.on_exit } or config.on_exit or {}
  config.on_exit = vim.list_extend({
    function(code, _, client_id)
      exit_codes[client_id] = code
    end,
  }, user_on_exit --[[@as function[] ]])
  return vim.lsp.start(config --[[@as vim.lsp.ClientConfig]], {
    bufnr = bufnr,
    attach = is_file_buffer(bufnr),
    silent = true,
  })
end

---@alias silcrow.OnFail fun(message: string)

---@param message string
local function notify_failure(message)
  vim.notify(message, vim.log.levels.ERROR)
end

---Why `client` never became ready: it exited, or it did not answer in time.
---@param client vim.lsp.Client
---@return string
local function not_ready(client)
  local code = exit_codes[client.id]
  local reason = stopped(client)
      and (code and ("exited with code %d before it was ready"):format(code) or "stopped before it was ready")
    or "did not answer `initialize` within 30 s"
  return require("silcrow.install").start_failure(client.config.cmd, reason)
end

---@param client vim.lsp.Client
---@param callback fun(client: vim.lsp.Client)
---@param on_fail silcrow.OnFail
---@param deadline number
local function when_initialized(client, callback, on_fail, deadline)
  local now = vim.uv.now()
  if client.initialized and not stopped(client) then
    callback(client)
  elseif stopped(client) and exit_codes[client.id] == nil and now < deadline then
    -- the pipe closed; its exit code arrives a moment later
    vim.defer_fn(function()
      when_initialized(client, callback, on_fail, math.min(deadline, now + 1000))
    end, 20)
  elseif stopped(client) or now > deadline then
    if not stopped(client) then
      client:stop(true)
    end
    on_fail(not_ready(client))
  else
    vim.defer_fn(function()
      when_initialized(client, callback, on_fail, deadline)
    end, 20)
  end
end

---Calls `callback` with an initialized client for `bufnr`, starting one if
---needed. When none can start, `on_fail` gets one message saying what to
---install or set (default: `vim.notify`).
---@param bufnr? integer
---@param callback fun(client: vim.lsp.Client)
---@param on_fail? silcrow.OnFail
function M.with_client(bufnr, callback, on_fail)
  on_fail = on_fail or notify_failure
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
    local cmd = (M.config() or {}).cmd or {}
    local exe = type(cmd) == "table" and cmd[1] or nil
    local reason = exe and vim.fn.executable(exe) == 1 and "could not be spawned" or "not found on $PATH"
    on_fail(require("silcrow.install").start_failure(cmd, reason))
    return
  end
  when_initialized(client, callback, on_fail, vim.uv.now() + 30000)
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
