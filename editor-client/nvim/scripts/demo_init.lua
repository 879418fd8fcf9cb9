-- Neovim config for the screenshot demo (scripts/screenshot.sh): the plugin
-- from this checkout, the real daemon on the fake provider, a scripted reply
-- that reads the file, fixes it with a write and explains
-- ($SILCROW_DEMO_REVIEW=ask: the write is shown for review first).
dofile(vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")) .. "/screenshot_ui.lua")

local fixed = "def add(a, b):\n    return a + b\n\n\nprint(add(1, 2))\n"
local write = vim.json.encode({ name = "write", args = { file = "calc.py", content = fixed } })
require("silcrow").setup({
  cmd = { vim.env.SILCROW_BIN or "silcrow", "serve" },
  width = 70,
  -- the `chat` scene shows the fix applied; the `review` scene its review tab
  review = vim.env.SILCROW_DEMO_REVIEW == "ask" and "ask" or "auto",
  settings = {
    provider = "fake",
    fakeScript = {
      chunk = 6,
      delay = 0.02,
      replies = {
        "§think: The question is about `add`. I should read the file before answering.\n"
          .. '§call: {"name": "read", "args": {"file": "calc.py"}}\n§execute\n',
        "§think: Line 2 subtracts instead of adding; a one-character fix.\n"
          .. "§call: " .. write .. "\n§execute\n",
        "§respond: `add` returned `a - b`, so `add(1, 2)` printed -1. "
          .. "I changed line 2 to `return a + b`; the file is saved and now prints 3.\n§end\n",
      },
    },
  },
})
