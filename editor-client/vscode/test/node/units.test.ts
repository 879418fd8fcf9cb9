/**
 * The pure parts of the client: folding events into chat items, settings and
 * the daemon command, applying LSP text edits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SilcrowEvent } from '../../src/protocol/contract';
import { applyTextEdits, applyToTexts, editedUris } from '../../src/protocol/edits';
import {
  daemonSettings,
  folderSettings,
  serverCommand,
  SettingError,
  startFailureMessage,
  userSettings,
} from '../../src/protocol/settings';
import { selectionLines } from '../../src/protocol/selectionRange';
import {
  bundledWheel,
  checkPython,
  findOnPath,
  manualCommands,
  SetupError,
  stampIsCurrent,
  venvPaths,
  versionMismatch,
} from '../../src/protocol/serverInstall';
import { formatUsage, transcriptOf } from '../../src/protocol/transcript';

let seq = 0;
function ev(type: SilcrowEvent['type'], content = '', payload?: Record<string, unknown>, turnId = 't1'): SilcrowEvent {
  return { conversationId: 'c1', turnId, seq: ++seq, type, content, payload, timestamp: seq };
}

describe('transcript', () => {
  test('consecutive deltas of one type join; another event closes the block', () => {
    const events = [
      ev('user', 'hi'),
      ev('think', 'Let ', { delta: true }),
      ev('think', 'me see', { delta: true }),
      ev('respond', 'Hel', { delta: true }),
      ev('respond', 'lo', { delta: true }),
      ev('end', '', { stopReason: 'end' }),
    ];
    const items = transcriptOf(events).items;
    assert.deepEqual(items.map((item) => item.kind), ['user', 'think', 'respond']);
    assert.equal(items[1].kind === 'think' && items[1].text, 'Let me see');
    assert.equal(items[2].kind === 'respond' && items[2].open, false);
  });

  test('semantic blocks stay separate; duplicates by seq are ignored', () => {
    const a = ev('respond', 'one');
    const b = ev('respond', 'two');
    const items = transcriptOf([a, b, a, b]).items;
    assert.deepEqual(items.map((item) => item.kind === 'respond' && item.text), ['one', 'two']);
  });

  test('results complete the running call of the same name; the end interrupts the rest', () => {
    const events = [
      ev('call', '', { name: 'read', args: { file: 'a.py' } }),
      ev('call', '', { name: 'shell', args: { command: 'ls' } }),
      ev('execute'),
      ev('result', 'text of a.py', { name: 'read', outcome: 'Read a.py', error: false }),
      ev('cancelled', '', { stopReason: 'cancelled' }),
    ];
    const items = transcriptOf(events).items;
    const tools = items.filter((item) => item.kind === 'tool');
    assert.deepEqual(tools.map((tool) => tool.kind === 'tool' && tool.status), ['ok', 'interrupted']);
    assert.equal(tools[0].kind === 'tool' && tools[0].result, 'text of a.py');
    assert.equal(items[items.length - 1].kind, 'notice');
  });

  test('live output grows the running shell item; its result then replaces it', () => {
    const state = transcriptOf([
      ev('call', '', { name: 'shell', args: { command: 'make' } }),
      ev('execute'),
      ev('output', 'one\n', { name: 'shell' }),
      ev('output', 'two\n', { name: 'shell' }),
    ]);
    const tool = state.items.find((item) => item.kind === 'tool');
    assert.equal(tool?.kind === 'tool' && tool.status, 'running');
    assert.equal(tool?.kind === 'tool' && tool.live, 'one\ntwo\n');
    const done = transcriptOf([
      ...[ev('call', '', { name: 'shell', args: { command: 'make' } }), ev('output', 'x\n', { name: 'shell' })],
      ev('result', 'x\n[exit code 0]', { name: 'shell', outcome: '`make` exited 0', error: false }),
      ev('output', 'late\n', { name: 'shell' }),
    ]).items.find((item) => item.kind === 'tool');
    assert.equal(done?.kind === 'tool' && done.status, 'ok');
    assert.equal(done?.kind === 'tool' && done.live, 'x\n');
  });

  test('a malformed call fails at once; an error ending the turn is an error item', () => {
    const items = transcriptOf([ev('call', '{bad', { raw: '{bad', error: 'not JSON' }), ev('error', 'key missing', { stopReason: 'error' })]).items;
    assert.equal(items[0].kind === 'tool' && items[0].status, 'failed');
    assert.deepEqual(items[1], { kind: 'error', id: items[1].id, turnId: 't1', text: 'key missing' });
  });

  test('a daemon notice is not the user speaking', () => {
    const items = transcriptOf([ev('user', 'changed on disk since you read them: a.py', { notice: true })]).items;
    assert.equal(items[0].kind, 'notice');
  });

  test('metric events of one turn add up; a new turn starts over', () => {
    const state = transcriptOf([
      ev('metric', '', { input_tokens: 1000, cached_tokens: 200, output_tokens: 10 }),
      ev('metric', '', { input_tokens: 1500, cached_tokens: 900, output_tokens: 20 }),
    ]);
    assert.equal(formatUsage(state.usage), '2.5k in (1.1k cached) · 30 out');
    const next = transcriptOf([...[ev('metric', '', { input_tokens: 5 })], ev('metric', '', { input_tokens: 7, output_tokens: 1 }, 't2')]);
    assert.equal(formatUsage(next.usage), '7 in · 1 out');
  });
});

describe('settings', () => {
  test('only set daemon keys are passed on', () => {
    assert.deepEqual(daemonSettings({ provider: 'fake', model: '', server: { command: ['x'] }, maxIterations: 3 }), {
      provider: 'fake',
      maxIterations: 3,
    });
  });

  test('permissions, provider and endpoints go to the daemon from the user only', () => {
    const workspace = { permissions: { shell: 'allow' }, provider: 'http://evil.example', baseUrl: 'http://evil.example',
      model: 'x', apiKeyEnv: 'HOME', streaming: 'semantic', maxIterations: 50 };
    assert.deepEqual(userSettings({ permissions: { shell: 'ask' } }, workspace), {
      permissions: { shell: 'ask' }, streaming: 'semantic', maxIterations: 50,
    });
    assert.deepEqual(userSettings({}, workspace), { streaming: 'semantic', maxIterations: 50 });
    assert.deepEqual(folderSettings(workspace), { streaming: 'semantic', maxIterations: 50 });
  });

  test('MCP servers and custom tools come from the user only, never a workspace', () => {
    const servers = { time: { command: 'uvx', args: ['mcp-server-time'] } };
    const planted = { mcpServers: { evil: { command: 'sh' } }, tools: ['evil:Tool'], streaming: 'semantic' };
    assert.deepEqual(userSettings({ mcpServers: servers, tools: ['pkg.mod:T'] }, planted), {
      mcpServers: servers, tools: ['pkg.mod:T'], streaming: 'semantic',
    });
    assert.deepEqual(userSettings({}, planted), { streaming: 'semantic' });
    assert.deepEqual(folderSettings(planted), { streaming: 'semantic' });
  });

  test('python wins over command; defaults to silcrow serve', () => {
    assert.deepEqual(serverCommand({}), { command: 'silcrow', args: ['serve'] });
    assert.deepEqual(serverCommand({ python: '/v/bin/python', command: ['x'] }), { command: '/v/bin/python', args: ['-m', 'silcrow', 'serve'] });
  });

  test('a malformed command names the setting and the fix', () => {
    assert.throws(() => serverCommand({ command: 'silcrow serve' }), (error: Error) =>
      error instanceof SettingError && /silcrow\.server\.command/.test(error.message) && /\["silcrow", "serve"\]/.test(error.message));
    assert.throws(() => serverCommand({ python: 3 }), /silcrow\.server\.python/);
  });

  test('a missing program says how to install or point at it', () => {
    const message = startFailureMessage({ command: 'silcrow', args: ['serve'] }, new Error('spawn silcrow ENOENT'));
    assert.match(message, /Silcrow: Reinstall Server/, 'the daemon the extension sets up itself');
    assert.match(message, /pipx install silcrow-<version>-py3-none-any\.whl/);
    assert.doesNotMatch(message, /pip install silcrow /, 'no package of that name exists on the index');
    assert.match(message, /silcrow\.server\.python/);
  });

  test('a daemon that exits at once: the message carries its exit code and last stderr line, once', () => {
    const message = startFailureMessage(
      { command: '/usr/bin/python3', args: ['-m', 'silcrow', 'serve'] },
      new Error('Pending response rejected since connection got disposed'),
      { exitCode: 1, lastError: '/usr/bin/python3: No module named silcrow' },
    );
    assert.match(message, /python3 -m silcrow serve\): it exited with code 1: \/usr\/bin\/python3: No module named silcrow\./);
    assert.doesNotMatch(message, /Pending response/, 'the cause, not the client library\'s symptom');
  });
});

describe('edits', () => {
  const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });

  test('edits apply from the end, so offsets stay valid', () => {
    const text = 'one\ntwo\nthree\n';
    const out = applyTextEdits(text, [
      { range: range(0, 0, 0, 3), newText: 'ONE' },
      { range: range(2, 0, 2, 5), newText: '3' },
    ]);
    assert.equal(out, 'ONE\ntwo\n3\n');
  });

  test('create then insert makes a new file; edited URIs are listed once', () => {
    const files = new Map<string, string>();
    const edit = {
      documentChanges: [
        { kind: 'create' as const, uri: 'file:///w/n.py', options: { overwrite: false, ignoreIfExists: true } },
        { textDocument: { uri: 'file:///w/n.py', version: null }, edits: [{ range: range(0, 0, 0, 0), newText: 'x = 1\n' }] },
      ],
    };
    applyToTexts(files, edit);
    assert.equal(files.get('file:///w/n.py'), 'x = 1\n');
    assert.deepEqual(editedUris(edit), ['file:///w/n.py']);
  });
});

describe('selection lines', () => {
  const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });

  test('a selection ending at column 0 does not count the line it ends on', () => {
    assert.equal(selectionLines(range(2, 0, 5, 0)), 'lines 3-5');
  });

  test('a selection ending inside a line counts it; one line is "line N"', () => {
    assert.equal(selectionLines(range(2, 0, 5, 3)), 'lines 3-6');
    assert.equal(selectionLines(range(4, 2, 4, 9)), 'line 5');
    assert.equal(selectionLines(range(4, 0, 5, 0)), 'line 5');
  });
});

describe('the daemon the extension installs', () => {
  test('the bundled wheel and its version; none or two is a clear error', () => {
    assert.deepEqual(bundledWheel(['README.md', 'silcrow-0.2.0-py3-none-any.whl']), { file: 'silcrow-0.2.0-py3-none-any.whl', version: '0.2.0' });
    assert.throws(() => bundledWheel(['silcrow-0.2.0.tar.gz']), (error: Error) => error instanceof SetupError && /carries no Silcrow wheel/.test(error.message));
    assert.throws(() => bundledWheel(['silcrow-0.1.0-py3-none-any.whl', 'silcrow-0.2.0-py3-none-any.whl']), /2 Silcrow wheels/);
  });

  test('the environment lives in the global storage; Windows has Scripts\\', () => {
    assert.deepEqual(venvPaths('/g', 'linux'), { dir: '/g/venv', python: '/g/venv/bin/python', silcrow: '/g/venv/bin/silcrow', stamp: '/g/installed.json' });
    assert.match(venvPaths('/g', 'win32').silcrow, /Scripts.silcrow\.exe$/);
  });

  test('an environment from another wheel (an upgraded extension) is not current', () => {
    assert.equal(stampIsCurrent(JSON.stringify({ wheel: 'silcrow-0.1.0-py3-none-any.whl' }), 'silcrow-0.1.0-py3-none-any.whl'), true);
    assert.equal(stampIsCurrent(JSON.stringify({ wheel: 'silcrow-0.1.0-py3-none-any.whl' }), 'silcrow-0.2.0-py3-none-any.whl'), false);
    assert.equal(stampIsCurrent('not json', 'silcrow-0.1.0-py3-none-any.whl'), false);
    assert.equal(stampIsCurrent(undefined, 'silcrow-0.1.0-py3-none-any.whl'), false);
  });

  test('Python 3.11 or newer; an older one is named with its version', () => {
    const probe = (version: number[]) => JSON.stringify({ version, executable: '/usr/bin/python3' });
    assert.equal(checkPython('python3', probe([3, 12, 1])).executable, '/usr/bin/python3');
    assert.throws(() => checkPython('python3', probe([3, 10, 4])), /"python3" is Python 3\.10\.4; Silcrow needs Python 3\.11 or newer/);
    assert.throws(() => checkPython('python', 'Python 2.7'), /did not answer as a Python interpreter/);
  });

  test('the manual commands create the same environment and install the same wheel', () => {
    assert.equal(
      manualCommands('/usr/bin/python3', '/g', '/ext/server/silcrow-0.1.0-py3-none-any.whl', 'linux'),
      '"/usr/bin/python3" -m venv "/g/venv" && "/g/venv/bin/python" -m pip install --upgrade "/ext/server/silcrow-0.1.0-py3-none-any.whl"',
    );
  });

  test('silcrow on the PATH: the first directory that has it', () => {
    const present = new Set(['/b/silcrow', '/c/silcrow']);
    assert.equal(findOnPath('silcrow', '/a:/b:/c', (file) => present.has(file), 'linux'), '/b/silcrow');
    assert.equal(findOnPath('silcrow', '/a', (file) => present.has(file), 'linux'), undefined);
    assert.equal(findOnPath('silcrow', undefined, () => true, 'linux'), undefined);
  });

  test('a daemon of another minor version is warned about; a patch release is not', () => {
    assert.equal(versionMismatch('0.1.0', '0.1.3'), undefined);
    assert.equal(versionMismatch('0.1.0', undefined), undefined);
    assert.match(versionMismatch('0.2.0', '0.1.0') ?? '', /daemon is version 0\.1\.0 but this extension is 0\.2\.0.*Reinstall Server/);
  });
});
