-- The daemon's tools through Neovim: the `terminal` and `readFile`
-- capabilities (docs/protocol.md).
--
-- Algorithm:
-- 1. `silcrow/readFile {uri}`: the loaded buffer's lines when the file is
--    loaded, else the file read from disk; an unreadable file is an error
--    answer (the daemon then reads the disk itself and says why it failed).
-- 2. `silcrow/terminal/run {runId, command, cwd}`: a new `:terminal` buffer
--    (`jobstart` with `term = true`, the daemon's line as given, in `cwd`)
--    shown in the "Silcrow terminal" split at the bottom (one window,
--    reused; focus goes back where it was). What the job prints goes out as
--    `silcrow/terminal/output {runId, data}`, in order; the handler waits
--    (yielding its coroutine, see `handlers.await`) and answers
--    `{exitCode}` when the job exits. A job that cannot start is an error
--    answer: the daemon then runs the command itself.
-- 3. `silcrow/terminal/kill {runId}`: `jobstop` (the pty closes; bubblewrap
--    and everything in it end with it).

local M = {}

---Height of the terminal split, in lines.
M.height = 12

---@type table<string, integer> job id of each running run
M.jobs = {}

---@type integer?
local window

---@param _ lsp.ResponseError?
---@param params {uri: string}
---@return {text: string}?
---@return lsp.ResponseError?
function M.read_file(_, params)
  local buf = require("silcrow.handlers").loaded_buffer(params.uri)
  if buf then
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    if vim.bo[buf].eol or vim.bo[buf].fixeol then -- as :write would end it
      text = text .. "\n"
    end
    return { text = text }
  end
  local file, problem = io.open(vim.uri_to_fname(params.uri), "rb")
  if not file then
    return nil, { code = -32603, message = "cannot read " .. params.uri .. ": " .. tostring(problem) }
  end
  local text = file:read("*a")
  file:close()
  return { text = text }
end

---The "Silcrow terminal" window at the bottom, showing `buf`.
---@param buf integer
---@return integer previous The window that had focus (focus goes back to it after the job starts)
local function show(buf)
  local previous = vim.api.nvim_get_current_win()
  if window and vim.api.nvim_win_is_valid(window) then
    vim.api.nvim_win_set_buf(window, buf)
  else
    vim.cmd("botright " .. M.height .. "split")
    window = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(window, buf)
  end
  return previous
end

---@param _ lsp.ResponseError?
---@param params {runId: string, command: string, cwd: string}
---@param ctx lsp.HandlerContext
---@return {exitCode: integer}?
---@return lsp.ResponseError?
function M.run(_, params, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local buf = vim.api.nvim_create_buf(true, false)
  local previous = show(buf)
  local job
  local code = require("silcrow.handlers").await(function(done)
    vim.api.nvim_set_current_win(window)
    job = vim.fn.jobstart(params.command, {
      term = true,
      cwd = params.cwd,
      on_stdout = function(_, data)
        if client then
          client:notify("silcrow/terminal/output", { runId = params.runId, data = table.concat(data, "\n") })
        end
      end,
      on_exit = function(_, exit_code)
        done(exit_code)
      end,
    })
    if vim.api.nvim_win_is_valid(previous) then
      vim.api.nvim_set_current_win(previous)
    end
    if job <= 0 then
      done(nil)
    else
      vim.b[buf].silcrow_run = params.runId
      M.jobs[params.runId] = job
    end
  end)
  M.jobs[params.runId] = nil
  if code == nil then
    return nil, { code = -32603, message = "Neovim could not start the command (jobstart returned " .. tostring(job) .. ")" }
  end
  return { exitCode = code }
end

---@param _ lsp.ResponseError?
---@param params {runId: string}
function M.kill(_, params)
  local job = type(params) == "table" and M.jobs[params.runId]
  if job then
    vim.fn.jobstop(job)
  end
end

return M
