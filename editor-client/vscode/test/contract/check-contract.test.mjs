// scripts/check-contract on small fixture trees: it must pass when the
// clients use only server methods, fail naming the file when one does not,
// ignore names in comments and docstrings, and refuse an empty side.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'scripts', 'check-contract');
const root = mkdtempSync(join(tmpdir(), 'check-contract-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tree(name, files) {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const server = tree('server', {
  'handlers.py': '"""Handles silcrow/prompt; mentions "silcrow/ghost" in prose."""\n'
    + '@server.feature("silcrow/prompt")\nasync def prompt(p):\n    notify("silcrow/event", p)\n'
    + 'MESSAGE = "see silcrow/history for more"\n',
});

function check(...clients) {
  const args = [SCRIPT, '--server', server, ...clients.flatMap((c) => ['--client', c])];
  return spawnSync('python3', args, { encoding: 'utf8' });
}

test('clients that use only server methods pass; comments and prose do not count', () => {
  const ts = tree('ts-ok', { 'a.ts': "// silcrow/ghost in a comment\nconst m = { prompt: 'silcrow/prompt', event: \"silcrow/event\" };\nconst url = 'http://x//silcrow/ghost';\n" });
  const lua = tree('lua-ok', { 'a.lua': '-- "silcrow/ghost"\n--[[ "silcrow/ghost" ]]\nlocal m = { prompt = "silcrow/prompt", event = [[silcrow/event]] }\n' });
  const run = check(`ts=${ts}`, `lua=${lua}`);
  assert.equal(run.status, 0, run.stderr + run.stdout);
});

test('a client method the server does not define fails, naming method and file', () => {
  const lua = tree('lua-bad', { 'lua/x.lua': 'local r = client:request("silcrow/ghost", {})\nlocal p = "silcrow/prompt"\n' });
  const run = check(`lua=${lua}`);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /silcrow\/ghost/);
  assert.match(run.stderr, /x\.lua/);
});

test('names only in the docstring or inside longer strings are not defined by the server', () => {
  const ts = tree('ts-history', { 'b.ts': "send('silcrow/history');\n" });
  const run = check(`ts=${ts}`);
  assert.equal(run.status, 1, 'silcrow/history appears in the server only inside a longer string');
});

test('a client with no method names at all is an error, not a pass', () => {
  const empty = tree('empty', { 'c.ts': 'export const x = 1;\n' });
  assert.equal(check(`ts=${empty}`).status, 2);
});
