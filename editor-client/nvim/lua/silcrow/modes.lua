-- The chat's mode and model: what `silcrow/prompt` sends as `chatMode` and
-- `model` (docs/protocol.md), `:Silcrow ask|plan|agent` and `:SilcrowModel`.
--
--   agent  the default: the model may read, edit and run commands
--   ask    read-only: the daemon offers only read/list/find/search/recall/scrape
--   plan   read-only, and the answer ends with a numbered plan; `/agent` (no
--          text) then runs that plan in agent mode
--
-- Algorithm:
-- 1. The mode and the chosen model belong to the chat: every question sends
--    them until they change (the daemon keeps the model per conversation and
--    "allow always" with the agent, so switching restarts nothing).
-- 2. `pick_model` asks the daemon (`silcrow/models`) which models the
--    configured provider offers and lets the user choose with `vim.ui.select`;
--    the current one is listed first. When the vendor's list cannot be read,
--    the daemon's `error` is shown and the list holds the model in use.

local M = {}

---@alias silcrow.ChatMode "agent"|"ask"|"plan"

---@type silcrow.ChatMode[]
M.MODES = { "agent", "ask", "plan" }

---@class silcrow.ModeState
---@field mode silcrow.ChatMode
---@field model? string Model chosen with `:SilcrowModel` (nil: the daemon's choice)
---@field planned? boolean The last answer was a plan (plan mode)
M.state = { mode = "agent" }

---Sets the chat mode; a name that is not a mode is an error saying which are.
---@param mode string
function M.set_mode(mode)
  if not vim.list_contains(M.MODES, mode) then
    vim.notify(("Silcrow: unknown mode %q; use one of %s"):format(mode, table.concat(M.MODES, ", ")), vim.log.levels.ERROR)
    return
  end
  M.state.mode = mode --[[@as silcrow.ChatMode]]
  require("silcrow.chat").show_status()
end

---Sets the model sent with the next questions (nil: back to the daemon's choice).
---@param model? string
function M.set_model(model)
  M.state.model = (model and model ~= "") and model or nil
  require("silcrow.chat").show_status()
end

---The fields of `silcrow/prompt` this module owns.
---@return {chatMode?: silcrow.ChatMode, model?: string}
function M.params()
  return { chatMode = M.state.mode, model = M.state.model }
end

---What the chat's status line shows: the mode unless it is agent, and the chosen model.
---@return string[]
function M.describe()
  local parts = {}
  if M.state.mode ~= "agent" then
    parts[#parts + 1] = M.state.mode
  end
  if M.state.model then
    parts[#parts + 1] = M.state.model
  end
  return parts
end

---@param entry {id: string, label?: string}
---@return string
local function model_name(entry)
  return entry.label and entry.label ~= entry.id and ("%s  (%s)"):format(entry.id, entry.label) or entry.id
end

---Lists the provider's models (`silcrow/models`) with `vim.ui.select` and uses the chosen one.
---@param on_done? fun(model?: string) Called with the chosen model (nil when dismissed)
function M.pick_model(on_done)
  local client = require("silcrow.client")
  client.with_client(require("silcrow.context").origin(), function(c)
    client.request(c, "silcrow/models", vim.empty_dict(), function(err, result)
      if err or type(result) ~= "table" then
        vim.notify("Silcrow: " .. (err and err.message or "no models"), vim.log.levels.ERROR)
        return
      end
      if result.error then
        vim.notify(("Silcrow: the %s model list could not be read: %s"):format(result.provider, result.error), vim.log.levels.WARN)
      end
      local current = M.state.model or result.current
      local entries = vim.tbl_filter(function(entry)
        return entry.id ~= current
      end, result.models or {})
      if current and current ~= "" then
        table.insert(entries, 1, { id = current, label = "in use" })
      end
      vim.ui.select(entries, {
        prompt = ("Silcrow model (%s)"):format(result.provider),
        kind = "silcrow.model",
        format_item = model_name,
      }, function(choice)
        if choice then
          M.set_model(choice.id)
        end
        if on_done then
          on_done(choice and choice.id)
        end
      end)
    end)
  end)
end

---Called when a turn ends: remembers whether a plan-mode answer is waiting to be run.
---@param reason? string The turn's stop reason
function M.turn_ended(reason)
  M.state.planned = M.state.mode == "plan" and reason == "end"
  if M.state.planned then
    require("silcrow.chat").note("/agent (alone) runs this plan in agent mode")
  end
end

return M
