-- Syntax check of every Lua file of the plugin (compiled, not run), then a
-- load of every module: `nvim --headless -l spec/syntax_check.lua`.
local this = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p")
local plugin_dir = vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(this)))
vim.opt.runtimepath:prepend(plugin_dir)

local files = vim.fs.find(function(name)
  return name:match("%.lua$") ~= nil
end, { path = plugin_dir, type = "file", limit = math.huge })
table.sort(files)

local failed = {}
for _, file in ipairs(files) do
  local ok, err = loadfile(file)
  if not ok then
    failed[#failed + 1] = err
  end
end

for _, file in ipairs(vim.fs.find(function(name)
  return name:match("%.lua$") ~= nil
end, { path = plugin_dir .. "/lua", type = "file", limit = math.huge })) do
  local module = file:match("/lua/(.+)%.lua$"):gsub("/init$", ""):gsub("/", ".")
  local ok, err = pcall(require, module)
  if not ok then
    failed[#failed + 1] = ("require(%q): %s"):format(module, err)
  end
end

-- The help file: tags must be unique and well formed (`:helptags` errors otherwise),
-- and the committed doc/tags must be what `:helptags` makes of it today.
local doc = vim.fn.tempname()
vim.fn.mkdir(doc, "p")
vim.fn.writefile(vim.fn.readfile(plugin_dir .. "/doc/silcrow.txt"), doc .. "/silcrow.txt")
local ok, err = pcall(vim.cmd.helptags, vim.fn.fnameescape(doc))
if not ok then
  failed[#failed + 1] = "doc/silcrow.txt: " .. tostring(err)
else
  local built = vim.fn.readfile(doc .. "/tags")
  local committed = vim.fn.filereadable(plugin_dir .. "/doc/tags") == 1 and vim.fn.readfile(plugin_dir .. "/doc/tags") or {}
  if #built < 20 then
    failed[#failed + 1] = "doc/silcrow.txt: expected at least 20 help tags"
  elseif not vim.list_contains(built, "silcrow\tsilcrow.txt\t/*silcrow*") then
    failed[#failed + 1] = "doc/silcrow.txt: the plain *silcrow* tag is missing (`:help silcrow` would fail)"
  elseif not vim.deep_equal(built, committed) then
    failed[#failed + 1] = "doc/tags is out of date with doc/silcrow.txt; regenerate it with "
      .. "`nvim --clean --headless -c 'helptags editor-client/nvim/doc' -c q` and commit it"
  end
end
vim.fn.delete(doc, "rf")

if #files < 10 then
  failed[#failed + 1] = ("found only %d Lua files under %s"):format(#files, plugin_dir)
end
for _, err in ipairs(failed) do
  io.stdout:write("FAIL  " .. err .. "\n")
end
io.stdout:write(("syntax_check: %d files compiled, %d problems\n"):format(#files, #failed))
os.exit(#failed > 0 and 1 or 0)
