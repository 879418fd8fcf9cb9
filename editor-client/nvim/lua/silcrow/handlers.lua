-- Handlers for what the daemon sends: `silcrow/event` (shown in the chat),
-- `silcrow/requestPermission` (asked with `vim.ui.select`),
-- `silcrow/saveDocuments` (`:write` the listed buffers), `window/showMessage`
-- (`silcrow/readFile` and `silcrow/terminal/*` are in `silcrow.terminal`,
-- `silcrow/review` in `silcrow.review`)
-- (into the chat, see `turn.message`), and the client-side `silcrow.ask`
-- command of the code action (asks for the question first).
--
-- Neovim runs server-request handlers inside a coroutine, so a handler can
-- wait for an asynchronous `vim.ui.select` by yielding until it answers.

local M = {}

---@param _ lsp.ResponseError?
---@param event silcrow.Event
function M.event(_, event)
  if type(event) == "table" and type(event.type) == "string" then
    require("silcrow.turn").on_event(event)
    if package.loaded["silcrow.review"] then -- a turn that ends rejects its pending review
      require("silcrow.review").on_event(event)
    end
  end
end

---A message from the daemon: in the chat where the user is looking, never a
---blocking "Press ENTER" echo.
---@param _ lsp.ResponseError?
---@param params lsp.ShowMessageParams
function M.show_message(_, params)
  if type(params) == "table" and type(params.message) == "string" then
    require("silcrow.turn").message(params.message, params.type == vim.lsp.protocol.MessageType.Error
      or params.type == vim.lsp.protocol.MessageType.Warning)
  end
end

---Runs `ask(done)` and returns what `done` was called with, yielding the
---handler's coroutine until then.
---@param ask fun(done: fun(value: any))
---@return any
function M.await(ask)
  local co, is_main = coroutine.running()
  if not co or is_main then
    error("Silcrow: this handler must run inside the LSP client's coroutine")
  end
  local waiting, answered, value = false, false, nil
  ask(function(v)
    if answered then
      return
    end
    answered, value = true, v
    if waiting then
      vim.schedule(function()
        coroutine.resume(co)
      end)
    end
  end)
  if not answered then
    waiting = true
    coroutine.yield()
  end
  return value
end

---@class silcrow.PermissionOption
---@field optionId "allow_once"|"allow_always"|"reject"
---@field name string

---Asks the user whether a tool may run; dismissing the prompt rejects.
---@param _ lsp.ResponseError?
---@param params {summary: string, tool: string, options: silcrow.PermissionOption[]}
---@return {optionId: string}
function M.request_permission(_, params)
  local options = params.options or {}
  if #options == 0 then
    options = {
      { optionId = "allow_once", name = "Allow once" },
      { optionId = "allow_always", name = "Allow always" },
      { optionId = "reject", name = "Reject" },
    }
  end
  local choice = M.await(function(done)
    vim.ui.select(options, {
      prompt = "Silcrow: " .. (params.summary or params.tool or "run a tool?"),
      kind = "silcrow.permission",
      format_item = function(option)
        return option.name
      end,
    }, done)
  end)
  return { optionId = type(choice) == "table" and choice.optionId or "reject" }
end

---The loaded buffer showing `uri`, if any.
---@param uri string
---@return integer?
function M.loaded_buffer(uri)
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.uri_from_bufnr(buf) == uri then
      return buf
    end
  end
end

---Writes the buffers of `uris` that have unsaved changes. A uri with no
---loaded buffer is already on disk. Returns the uris that are on disk now.
---@param _ lsp.ResponseError?
---@param params {uris: string[]}
---@return {saved: string[]}
function M.save_documents(_, params)
  local saved = {}
  for _, uri in ipairs(params.uris or {}) do
    local buf = M.loaded_buffer(uri)
    local ok, problem = true, nil
    if buf and vim.bo[buf].modified then
      ok, problem = pcall(vim.api.nvim_buf_call, buf, function()
        vim.cmd("silent write!")
      end)
    end
    if ok then
      saved[#saved + 1] = uri
    else
      vim.notify(("Silcrow: could not save %s: %s"):format(uri, problem), vim.log.levels.WARN)
    end
  end
  return { saved = saved }
end

---The code action "Ask Silcrow about this…": asks for the question, then
---sends `silcrow/prompt` with the selection as context.
---@param command lsp.Command
---@param ctx {bufnr?: integer}
function M.ask_command(command, ctx)
  local selection = (command.arguments or {})[1]
  vim.ui.input({ prompt = "Ask Silcrow: " }, function(question)
    if question and vim.trim(question) ~= "" then
      require("silcrow.turn").ask(question, selection and { selection } or nil, ctx.bufnr)
    end
  end)
end

return M
