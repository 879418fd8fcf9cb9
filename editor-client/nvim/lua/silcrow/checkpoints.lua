-- Checkpoints: `:SilcrowRevert [turn]` restores the files of the followed
-- conversation to their content before a turn (and undoes every later turn).
--
-- Algorithm:
-- 1. `silcrow/checkpoints {conversationId}` lists the turns that changed
--    files, oldest first; `[turn]` picks one by its number in that list or
--    by (the start of) its turn id, else `vim.ui.select` asks.
-- 2. `silcrow/revert {conversationId, turnId}`; the daemon writes the files
--    through `workspace/applyEdit` and answers `{reverted: [uri...]}`.
-- 3. Files changed since (by you) are not overwritten silently: the answer
--    lists them as conflicts, `vim.ui.select` asks whether to overwrite them,
--    and only then is the revert sent again with `force: true` (the daemon
--    restores all or nothing).
-- 4. The chat gets one line saying what was restored.

local chat = require("silcrow.chat")
local client = require("silcrow.client")

local M = {}

---@class silcrow.Checkpoint
---@field turnId string
---@field time number|string
---@field files string[]

---@class silcrow.RevertResult
---@field reverted string[]
---@field conflicts? string[] Files changed since the turn (then nothing was restored)

---@param uri string
---@return string
local function short(uri)
  local ok, fname = pcall(vim.uri_to_fname, uri)
  return ok and vim.fn.fnamemodify(fname, ":~:.") or uri
end

---@param uris string[]
---@return string
local function names(uris)
  return table.concat(vim.tbl_map(short, uris), ", ")
end

---@param time number|string
---@return string
local function clock(time)
  if type(time) == "number" then
    return os.date("%H:%M:%S", math.floor(time > 1e12 and time / 1000 or time)) --[[@as string]]
  end
  return tostring(time)
end

---How a checkpoint is listed: its number, time and files.
---@param checkpoint silcrow.Checkpoint
---@param index integer
---@return string
function M.describe(checkpoint, index)
  return ("%d. %s · %s"):format(index, clock(checkpoint.time), names(checkpoint.files or {}))
end

---The checkpoint `wanted` names: its number in the list, or its turn id (or
---the start of it). Returns nil and what to give instead when none matches.
---@param checkpoints silcrow.Checkpoint[]
---@param wanted string
---@return silcrow.Checkpoint?
---@return string? problem
function M.find(checkpoints, wanted)
  local index = tonumber(wanted)
  if index and checkpoints[index] then
    return checkpoints[index]
  end
  local found = {}
  for _, checkpoint in ipairs(checkpoints) do
    if checkpoint.turnId == wanted then
      return checkpoint
    elseif vim.startswith(checkpoint.turnId, wanted) then
      found[#found + 1] = checkpoint
    end
  end
  if #found == 1 then
    return found[1]
  end
  return nil, ("no single turn %q in this conversation: give a number from 1 to %d or a turn id"):format(
    wanted,
    #checkpoints
  )
end

---@param message string
local function tell(message)
  if chat.win() then
    chat.note(message)
  else
    vim.notify("Silcrow: " .. message, vim.log.levels.INFO)
  end
end

---@param err lsp.ResponseError
local function fail(err)
  vim.notify("Silcrow: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
end

---Sends `silcrow/revert`; on conflicts asks whether to overwrite them.
---@param c vim.lsp.Client
---@param params {conversationId: string, turnId: string, force?: boolean}
---@param on_done? fun(result: silcrow.RevertResult)
local function revert(c, params, on_done)
  client.request(c, "silcrow/revert", params, function(err, result)
    if err then
      return fail(err)
    end
    ---@cast result silcrow.RevertResult
    local conflicts = result.conflicts or {}
    if #conflicts > 0 and not params.force then
      local choices = { "Overwrite my changes", "Keep them (revert nothing)" }
      vim.ui.select(choices, {
        prompt = ("Silcrow: changed since that turn: %s"):format(names(conflicts)),
        kind = "silcrow.revert_conflict",
      }, function(choice)
        if choice == choices[1] then
          revert(c, vim.tbl_extend("force", params, { force = true }), on_done)
        else
          tell("revert cancelled: " .. names(conflicts) .. " changed since")
        end
      end)
      return
    end
    local reverted = result.reverted or {}
    tell(#reverted > 0 and ("restored to before that turn: " .. names(reverted)) or "nothing to restore")
    if on_done then
      on_done(result)
    end
  end)
end

---Reverts the followed conversation to before a turn (`wanted`: its number
---or turn id; nil: ask which).
---@param wanted? string
---@param on_done? fun(result: silcrow.RevertResult)
function M.revert(wanted, on_done)
  local conversation_id = require("silcrow.turn").state.conversation_id
  if not conversation_id then
    vim.notify("Silcrow: no conversation to revert: ask something first or reopen one with :SilcrowHistory",
      vim.log.levels.WARN)
    return
  end
  client.with_client(nil, function(c)
    client.request(c, "silcrow/checkpoints", { conversationId = conversation_id }, function(err, result)
      if err then
        return fail(err)
      end
      local checkpoints = (result or {}).checkpoints or {}
      if #checkpoints == 0 then
        return tell("no turn of this conversation changed files")
      end
      local function go(checkpoint)
        if checkpoint then
          revert(c, { conversationId = conversation_id, turnId = checkpoint.turnId }, on_done)
        end
      end
      if wanted and wanted ~= "" then
        local checkpoint, problem = M.find(checkpoints, wanted)
        if not checkpoint then
          return vim.notify("Silcrow: " .. problem, vim.log.levels.WARN)
        end
        return go(checkpoint)
      end
      local number = {}
      for i, checkpoint in ipairs(checkpoints) do
        number[checkpoint] = i
      end
      vim.ui.select(checkpoints, {
        prompt = "Silcrow: restore the files to before which turn?",
        kind = "silcrow.checkpoint",
        format_item = function(checkpoint)
          return M.describe(checkpoint, number[checkpoint])
        end,
      }, go)
    end)
  end)
end

return M
