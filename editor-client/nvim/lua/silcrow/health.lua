-- `:checkhealth silcrow`: Neovim version, the daemon command, running clients.

local M = {}

function M.check()
  local health = vim.health
  health.start("silcrow")
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok("Neovim " .. tostring(vim.version()))
  else
    health.error("Neovim 0.11 or newer is required")
  end
  local cmd = require("silcrow.client").config().cmd
  local exe = type(cmd) == "table" and cmd[1] or nil
  if exe and vim.fn.executable(exe) == 1 then
    health.ok(("daemon command: %s"):format(table.concat(cmd, " ")))
  else
    health.error(
      ("daemon command not executable: %s"):format(vim.inspect(cmd)),
      { "pip install silcrow", "or require('silcrow').setup({ cmd = { '/path/to/silcrow', 'serve' } })" }
    )
  end
  local clients = vim.lsp.get_clients({ name = "silcrow" })
  if #clients == 0 then
    health.info("no Silcrow client is running (it starts on :Silcrow* commands or file buffers)")
  end
  for _, client in ipairs(clients) do
    health.ok(("client %d: root %s"):format(client.id, client.root_dir or "(none)"))
  end
end

return M
