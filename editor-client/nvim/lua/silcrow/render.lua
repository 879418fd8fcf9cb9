-- The chat transcript as data: folds `silcrow/event` notifications into
-- blocks and turns blocks into lines. Pure Lua (no buffers, no windows), so
-- the folding rules are testable on their own.
--
-- Algorithm:
-- 1. `Transcript:apply(event)` folds one event: `think`/`respond` deltas
--    (`payload.delta`) extend the last block when it has the same kind and
--    turn; so do the `output` pieces of a running command (its output, live,
--    shown indented under the call); every other visible event opens a new
--    block; `metric` adds to the turn's token usage; `execute` shows nothing.
-- 2. It returns the index of the first block whose lines changed (nil when
--    none did), so the chat redraws only from there.
-- 3. `Transcript:block_lines(i)` renders one block into lines plus the
--    highlight group for them; text is split on newlines, trailing blank
--    lines dropped.

local M = {}

---Longest tool-call arguments shown (in characters); longer ones end in "…".
M.max_args = 100

---@class silcrow.Event
---@field conversationId string
---@field turnId string
---@field seq integer
---@field type string
---@field content? string
---@field payload? table
---@field timestamp? number

---@class silcrow.Usage
---@field input_tokens integer
---@field cached_tokens integer
---@field output_tokens integer
---@field sent_bytes integer

---@alias silcrow.BlockKind "user"|"think"|"respond"|"call"|"output"|"result"|"status"|"error"|"note"|"diff"

---@class silcrow.Block
---@field kind silcrow.BlockKind
---@field text string
---@field turn? string
---@field failed? boolean

---@class silcrow.Transcript
---@field blocks silcrow.Block[]
---@field usage silcrow.Usage Token usage of the latest turn
---@field last_seq integer
---@field usage_turn? string Turn the usage figures belong to (nil: no token figures yet)
local Transcript = {}
Transcript.__index = Transcript

---@return silcrow.Usage
local function zero_usage()
  return { input_tokens = 0, cached_tokens = 0, output_tokens = 0, sent_bytes = 0 }
end

---@return silcrow.Transcript
function M.new()
  return setmetatable({ blocks = {}, usage = zero_usage(), last_seq = 0 }, Transcript)
end

---@param usage silcrow.Usage
---@return string
function M.format_usage(usage)
  local cached = usage.cached_tokens > 0 and (" (%d cached)"):format(usage.cached_tokens) or ""
  return ("%d in%s · %d out tokens"):format(usage.input_tokens, cached, usage.output_tokens)
end

---@param context table[]?
---@return string?
local function describe_context(context)
  if type(context) ~= "table" or #context == 0 then
    return nil
  end
  local parts = {}
  for _, item in ipairs(context) do
    local name = type(item.uri) == "string" and vim.fn.fnamemodify(vim.uri_to_fname(item.uri), ":t")
      or "?"
    local range = item.range
    if type(range) == "table" and range.start then
      local last = range["end"].line
      if range["end"].character == 0 and last > range.start.line then
        last = last - 1
      end
      name = ("%s:%d-%d"):format(name, range.start.line + 1, last + 1)
    end
    if item.kind == "symbol" and type(item.name) == "string" then
      name = ("%s (%s)"):format(item.name, name)
    elseif item.kind == "diagnostics" and type(item.diagnostics) == "table" then
      name = ("%d problem%s in %s"):format(#item.diagnostics, #item.diagnostics == 1 and "" or "s", name)
    elseif item.kind == "image" then
      name = "an image"
    end
    parts[#parts + 1] = name
  end
  return "with " .. table.concat(parts, ", ")
end

---@param payload table
---@return string
local function describe_call(payload)
  if payload.error then
    return ("→ malformed call: %s"):format(payload.error)
  end
  local ok, args = pcall(vim.json.encode, payload.args or vim.empty_dict())
  args = ok and args or ""
  if vim.fn.strchars(args) > M.max_args then
    args = vim.fn.strcharpart(args, 0, M.max_args - 1) .. "…"
  end
  return ("→ %s %s"):format(payload.name or "?", args)
end

---@type table<string, fun(ev: silcrow.Event, payload: table): silcrow.Block?>
local builders = {
  user = function(ev, payload)
    if payload.notice then -- the daemon's note to the model, e.g. files restored by a revert
      local files = type(payload.revert) == "table" and payload.revert.files
      local text = type(files) == "table"
          and ("↺ restored to before a turn: " .. table.concat(vim.tbl_map(function(uri)
            return vim.fn.fnamemodify(vim.uri_to_fname(uri), ":t")
          end, files), ", "))
        or (ev.content or "")
      return { kind = "note", text = text }
    end
    local text = ev.content or ""
    local ctx = describe_context(payload.context)
    return { kind = "user", text = ctx and (text .. "\n(" .. ctx .. ")") or text }
  end,
  call = function(ev, payload)
    local known = payload.name or payload.error
    return { kind = "call", text = known and describe_call(payload) or ("→ " .. (ev.content or "")) }
  end,
  result = function(ev, payload)
    local outcome = payload.outcome or ev.content or ""
    return { kind = "result", text = "← " .. outcome, failed = payload.error and true or false }
  end,
  ["end"] = function(_, payload)
    local reason = payload.stopReason or "end"
    return { kind = "status", text = reason == "end" and "done" or reason }
  end,
  cancelled = function()
    return { kind = "status", text = "cancelled" }
  end,
  error = function(ev)
    return { kind = "error", text = "✗ " .. (ev.content or "error"), failed = true }
  end,
}

---@param ev silcrow.Event
---@param payload table
---@return silcrow.Block
local function build(ev, payload)
  if ev.type == "think" or ev.type == "respond" or ev.type == "output" then
    return { kind = ev.type, text = ev.content or "" }
  end
  local builder = builders[ev.type]
  if builder then
    return builder(ev, payload)
  end
  return { kind = "note", text = ("[%s] %s"):format(tostring(ev.type), ev.content or "") }
end

---Adds a metric's token figures to the turn's usage (metrics without
---token figures, such as timings, leave it alone).
---@param ev silcrow.Event
---@param payload table
function Transcript:_add_usage(ev, payload)
  for key in pairs(self.usage) do
    local value = payload[key]
    if type(value) == "number" then
      self.usage[key] = self.usage[key] + value
      if key ~= "sent_bytes" then -- bytes alone (the offline demo) are no token figures
        self.usage_turn = ev.turnId
      end
    end
  end
end

---Folds one event into the transcript.
---@param ev silcrow.Event
---@return integer? changed Index of the first block whose lines changed
function Transcript:apply(ev)
  local payload = type(ev.payload) == "table" and ev.payload or {}
  if type(ev.seq) == "number" and ev.seq > self.last_seq then
    self.last_seq = ev.seq
  end
  if ev.type == "execute" then
    return nil
  elseif ev.type == "metric" then
    self:_add_usage(ev, payload)
    return nil
  elseif ev.type == "user" then
    self.usage = zero_usage()
  end
  local last = self.blocks[#self.blocks]
  local joins = payload.delta or ev.type == "output"
  if joins and last and last.kind == ev.type and last.turn == ev.turnId then
    last.text = last.text .. (ev.content or "")
    return #self.blocks
  end
  local block = build(ev, payload)
  block.turn = ev.turnId
  if block.kind == "status" and self.usage_turn == ev.turnId then
    block.text = block.text .. " · " .. M.format_usage(self.usage)
  end
  self.blocks[#self.blocks + 1] = block
  return #self.blocks
end

---@type table<string, string>
local highlight_of = {
  user = "SilcrowUser",
  think = "SilcrowThink",
  call = "SilcrowCall",
  output = "SilcrowOutput",
  result = "SilcrowResult",
  status = "SilcrowStatus",
  error = "SilcrowError",
  note = "SilcrowStatus",
}

---@param text string
---@return string[]
local function split(text)
  local lines = vim.split(text, "\n", { plain = true })
  while #lines > 1 and lines[#lines] == "" do
    lines[#lines] = nil
  end
  return lines
end

---Highlight groups of a diff block's lines: its header, then by first character.
---@param lines string[]
---@return string[]
local function diff_highlights(lines)
  local by_sign = { ["+"] = "SilcrowAdded", ["-"] = "SilcrowRemoved", ["@"] = "SilcrowStatus" }
  local groups = { "SilcrowDiffHeader" }
  for j = 2, #lines do
    groups[j] = by_sign[lines[j]:sub(1, 1)] or "SilcrowOutput"
  end
  return groups
end

---Renders block `i` as lines and the highlight group that covers them (a
---diff block: one group per line).
---@param i integer
---@return string[] lines
---@return string|string[]|nil hl_group
function Transcript:block_lines(i)
  local block = self.blocks[i]
  local lines = split(block.text)
  if block.kind == "user" then
    lines[1] = "» " .. lines[1]
    for j = 2, #lines do
      lines[j] = "  " .. lines[j]
    end
    if i > 1 then
      table.insert(lines, 1, "")
    end
  elseif block.kind == "status" then
    lines = { "── " .. table.concat(lines, " ") }
  elseif block.kind == "output" then
    for j = 1, #lines do
      lines[j] = "  │ " .. lines[j]
    end
  end
  if block.kind == "diff" then
    return lines, diff_highlights(lines)
  end
  local hl = highlight_of[block.kind]
  if block.kind == "result" and block.failed then
    hl = "SilcrowError"
  end
  return lines, hl
end

---All lines of the transcript (what the chat buffer shows).
---@return string[]
function Transcript:lines()
  local out = {}
  for i = 1, #self.blocks do
    vim.list_extend(out, (self:block_lines(i)))
  end
  return out
end

return M
