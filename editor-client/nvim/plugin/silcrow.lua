-- User commands of the Silcrow plugin (nothing else happens at startup).
if vim.g.loaded_silcrow then
  return
end
vim.g.loaded_silcrow = true

local function silcrow()
  return require("silcrow")
end

vim.api.nvim_create_user_command("Silcrow", function(cmd)
  if cmd.args ~= "" then
    silcrow().mode(cmd.args)
  end
  silcrow().open()
end, {
  nargs = "?",
  complete = function()
    return { "agent", "ask", "plan" }
  end,
  desc = "Open the Silcrow chat split (with a mode: agent, ask or plan)",
})

vim.api.nvim_create_user_command("SilcrowAsk", function(cmd)
  local range = cmd.range > 0 and { line1 = cmd.line1, line2 = cmd.line2 } or nil
  silcrow().ask(cmd.args, range)
end, {
  nargs = "*",
  range = true,
  desc = "Ask Silcrow (the file or selected lines and their diagnostics go along as context)",
})

vim.api.nvim_create_user_command("SilcrowModel", function()
  silcrow().model()
end, { desc = "Choose the model Silcrow's next questions use" })

vim.api.nvim_create_user_command("SilcrowStop", function()
  silcrow().stop()
end, { desc = "Cancel the running Silcrow turn" })

vim.api.nvim_create_user_command("SilcrowHistory", function()
  silcrow().history()
end, { desc = "Reopen a past Silcrow conversation" })

vim.api.nvim_create_user_command("SilcrowNew", function()
  silcrow().new()
end, { desc = "Start a new Silcrow conversation" })

vim.api.nvim_create_user_command("SilcrowAccept", function(cmd)
  require("silcrow.review").accept(cmd.bang)
end, { bang = true, desc = "Accept the rest of the file under review (!: and the turn's other files)" })

vim.api.nvim_create_user_command("SilcrowReject", function(cmd)
  require("silcrow.review").reject(cmd.bang)
end, { bang = true, desc = "Reject the file under review (!: and the turn's other files)" })

vim.api.nvim_create_user_command("SilcrowRevert", function(cmd)
  require("silcrow.checkpoints").revert(cmd.args)
end, { nargs = "?", desc = "Restore the files to before a turn of the conversation (and undo later turns)" })

vim.api.nvim_create_user_command("SilcrowMcp", function()
  silcrow().mcp()
end, { desc = "List Silcrow's MCP servers; approve one a workspace defines" })
vim.api.nvim_create_user_command("SilcrowInstall", function(cmd)
  require("silcrow.installer").install(cmd.args)
end, {
  nargs = "?",
  complete = "file",
  desc = "Install the Silcrow daemon into stdpath('data')/silcrow (from this checkout, or a wheel/folder/URL)",
})
