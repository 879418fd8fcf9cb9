-- A second Neovim (`nvim --clean --embed --headless`) driven over RPC, for
-- what needs Neovim's main loop while keys are typed (insert-mode
-- completion): a spec run with `-l` executes fed keys without processing
-- events in between, so an asynchronous completion menu never opens there.
--
--   local child = Child.start(H.plugin_dir)
--   child.lua("vim.cmd.edit(...)", path)
--   child.input("A@cal")
--   child.wait("return vim.fn.pumvisible() == 1", "the completion menu")
--
-- The child runs the same plugin and inherits the environment (the spec's
-- XDG sandbox, SILCROW_BIN, PYTHONPATH). This file is also loaded in the
-- child, for `symbol_server`.

local C = {}

---@class silcrow.spec.Child
---@field chan integer
---@field lua fun(code: string, ...): any Runs Lua in the child (`...` is its `...`)
---@field input fun(keys: string) Types keys (`nvim_input`, `<>` notation)
---@field wait fun(code: string, what: string, timeout?: integer): any Waits until the code returns a truthy value
---@field stop fun()

---@param plugin_dir string
---@param timeout integer Failure guard of `wait` (ms)
---@return silcrow.spec.Child
function C.start(plugin_dir, timeout)
  local chan = vim.fn.jobstart({ vim.v.progpath, "--clean", "--embed", "--headless" }, { rpc = true })
  assert(chan > 0, "could not start a child Neovim")
  local child = { chan = chan }
  function child.lua(code, ...)
    return vim.rpcrequest(chan, "nvim_exec_lua", code, { ... })
  end
  function child.input(keys)
    vim.rpcrequest(chan, "nvim_input", keys)
  end
  function child.wait(code, what, wait_timeout)
    local value
    local ok = vim.wait(wait_timeout or timeout, function()
      value = child.lua(code)
      return value and value ~= vim.NIL -- a Lua nil arrives as vim.NIL, which is truthy

    end, 20)
    if not ok then
      error("timed out waiting (in the child Neovim) for " .. what, 2)
    end
    return value
  end
  function child.stop()
    pcall(child.lua, [[for _, c in ipairs(vim.lsp.get_clients()) do c:stop(true) end]])
    vim.fn.jobstop(chan)
  end
  child.lua(
    [[
    local plugin_dir, this = ...
    vim.opt.runtimepath:prepend(plugin_dir)
    vim.g.loaded_python3_provider = 0
    vim.cmd("filetype on")
    vim.cmd.runtime("plugin/silcrow.lua")
    _G.spec_child = dofile(this)
  ]],
    plugin_dir,
    debug.getinfo(1, "S").source:sub(2)
  )
  return child
end

---(In the child.) Starts an in-process language server answering
---`workspace/symbol` with the `symbols` whose name holds the query, attached
---to the current buffer. Returns its client id.
---@param symbols lsp.SymbolInformation[]
---@return integer?
function C.symbol_server(symbols)
  return vim.lsp.start({
    name = "symbols",
    cmd = function(dispatchers)
      local closing = false
      return {
        request = function(method, params, callback)
          if method == "initialize" then
            callback(nil, { capabilities = { workspaceSymbolProvider = true } })
          elseif method == "workspace/symbol" then
            callback(nil, vim.tbl_filter(function(s)
              return s.name:find(params.query, 1, true) ~= nil
            end, symbols))
          else
            callback(nil, vim.NIL)
          end
          return true, 1
        end,
        notify = function(method)
          if method == "exit" then
            dispatchers.on_exit(0, 0)
          end
          return true
        end,
        is_closing = function()
          return closing
        end,
        terminate = function()
          closing = true
        end,
      }
    end,
  })
end

return C
