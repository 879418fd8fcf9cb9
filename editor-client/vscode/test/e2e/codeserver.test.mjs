// The packaged extension inside real VS Code (code-server 4.100.3, the VS Code
// 1.100.3 web build), driven with headless Chromium, in a fresh profile with no
// `silcrow` on the PATH and no daemon setting: the extension offers to set up
// its own daemon from the wheel in the .vsix (pip, with the package index
// reachable) and it answers a first question with no key (the welcome and the
// offline demo); then on the scripted fake provider: a
// prompt whose file is first proposed in the diff editor and accepted in the
// chat card, with its streamed answer and the written file in the editor and on
// disk, Explain, Ask on a real selection, the current file and selection as
// chips sent with a message, an `@` mention, `/ask`, a code block's Copy
// button, a review where one hunk of two is accepted with its shortcut, Restore
// to before this turn, the chat after a window reload, a pasted image. Saves
// docs/screenshots/vscode-first-run.png, vscode-demo.png, vscode-sidebar.png,
// vscode-review.png and vscode-context.png.
//
// Environment: CODE_SERVER (entry.js), SILCROW_VSIX, CHROMIUM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXT = join(HERE, '..', '..');
const REPO = join(EXT, '..', '..');
const CODE_SERVER = process.env.CODE_SERVER ?? join(EXT, '.cache', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const VSIX = process.env.SILCROW_VSIX ?? join(EXT, 'dist', 'silcrow.vsix');
const SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-sidebar.png');
const FIRST_RUN_SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-first-run.png');
const DEMO_SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-demo.png');
const TERMINAL_SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-terminal.png');
const CONTEXT_SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-context.png');
// A PNG of one pixel, for the image paste.
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const KEY_VARIABLES = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'SILCROW_PROVIDER', 'SILCROW_MODEL'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const STEP_MS = 60000;
/** Creating the daemon's environment and installing its dependencies (pip) on a busy 2-core machine. */
const SETUP_MS = 900000;

const GREET = 'def greet(name):\n    return f"Hello, {name}!"\n';
/** A file with two separate changes proposed: the review test accepts the first and rejects the second. */
const STATS = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n\n\ndef spread(xs):\n    return max(xs) - min(xs)\n';
const STATS_PROPOSED = STATS.replace('def mean(xs):', 'def mean(xs: list[float]) -> float:').replace('def spread(xs):', 'def spread(xs: list[float]) -> float:');
const STATS_FIRST_HUNK = STATS.replace('def mean(xs):', 'def mean(xs: list[float]) -> float:');
const REVIEW_SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-review.png');
const SCRIPT = {
  replies: [
    '§think: I will write the function.\n§call: ' + JSON.stringify({ name: 'write', args: { file: 'greet.py', content: GREET } }) + '\n§execute\n',
    '§respond: Created **greet.py** with a `greet` function.\n§end\n',
    '§respond: This line prints a greeting.\n§end\n',
    '§call: ' + JSON.stringify({ name: 'shell', args: { command: 'echo owned > owned.txt' } }) + '\n§execute\n',
    '§respond: The shell step is over.\n§end\n',
    '§call: ' + JSON.stringify({ name: 'shell', args: { command: 'echo from-the-terminal; sleep 0.5; echo second-line' } }) + '\n§execute\n',
    '§respond: The terminal step is over.\n§end\n',
    '§respond: It prints a friendly greeting.\n§end\n',
    '§respond: This file prints hi.\n§end\n',
    '§respond: helpers.py holds one helper.\n§end\n',
    '§respond: Read-only answer: it prints hi.\n§end\n',
    '§respond: Use this:\n\n```python\nprint("copied")\n```\n§end\n',
    '§call: ' + JSON.stringify({ name: 'write', args: { file: 'stats.py', content: STATS_PROPOSED } }) + '\n§execute\n',
    '§respond: Typed the stats module.\n§end\n',
  ],
  chunk: 6,
  delay: 0.01,
};

const root = mkdtempSync(join(tmpdir(), 'silcrow-code-server-'));
/** Where the extension keeps the daemon it sets up (its global storage in this profile). */
const MANAGED_DAEMON = join(root, 'user', 'User', 'globalStorage', 'silcrow.silcrow', 'venv', 'bin', 'silcrow');
const workspace = join(root, 'ws');
let server;
let serverLog = '';
let browser;
let page;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

function codeServer(args, env) {
  return spawn(process.execPath, [CODE_SERVER, '--config', join(root, 'config.yaml'), '--user-data-dir', join(root, 'user'),
    '--extensions-dir', join(root, 'extensions'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The user's settings; `scripted` adds the fake provider and its script (without: a first run). */
function userSettings(scripted) {
  return JSON.stringify({
    ...(scripted ? { 'silcrow.provider': 'fake', 'silcrow.fakeScript': SCRIPT } : {}),
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'terminal.integrated.gpuAcceleration': 'off', // the DOM renderer: the terminal's text is in the page
    'terminal.integrated.enablePersistentSessions': false,
  }, null, 2);
}

function writeSettings(scripted) {
  mkdirSync(join(root, 'user', 'User'), { recursive: true });
  writeFileSync(join(root, 'user', 'User', 'settings.json'), userSettings(scripted));
}

async function waitForHttp(url) {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`code-server exited (${server.exitCode}):\n${serverLog}`);
    }
    try {
      const response = await fetch(url);
      if (response.status < 500) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer at ${url}:\n${serverLog}`);
}

before(async () => {
  assert.ok(existsSync(CODE_SERVER), `code-server missing at ${CODE_SERVER}; run scripts/test-vscode`);
  assert.ok(existsSync(VSIX), `extension package missing at ${VSIX}; run scripts/test-vscode`);
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'main.py'), 'print("hi")\n');
  writeFileSync(join(workspace, 'stats.py'), STATS);
  writeFileSync(join(workspace, 'helpers.py'), 'def shout(text):\n    return text.upper()\n');
  // What a model (or a cloned repository) could plant: a folder setting that allows every command.
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'silcrow.permissions': { shell: 'allow' } }));
  writeSettings(false);
  const env = { ...process.env, XDG_CONFIG_HOME: join(root, 'xdg-config'), XDG_DATA_HOME: join(root, 'xdg-data'), SILCROW_DB: join(root, 'silcrow.db') };
  delete env.SILCROW_FAKE_SCRIPT;
  KEY_VARIABLES.forEach((name) => delete env[name]);
  // a machine where Silcrow was never installed: no directory on the PATH holds `silcrow`
  env.PATH = (env.PATH ?? '').split(':').filter((dir) => dir && !existsSync(join(dir, 'silcrow'))).join(':');
  const install = spawnSync(process.execPath, [CODE_SERVER, '--config', join(root, 'config.yaml'), '--user-data-dir', join(root, 'user'),
    '--extensions-dir', join(root, 'extensions'), '--install-extension', VSIX], { env, encoding: 'utf8', timeout: STEP_MS });
  assert.equal(install.status, 0, `installing the .vsix failed:\n${install.stdout}\n${install.stderr}`);
  const port = await freePort();
  server = codeServer(['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', workspace], env);
  server.stdout.on('data', (chunk) => (serverLog += chunk));
  server.stderr.on('data', (chunk) => (serverLog += chunk));
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 850 }, permissions: ['clipboard-read', 'clipboard-write'] });
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: STEP_MS });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const killer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
  rmSync(root, { recursive: true, force: true });
});

/** The chat webview's document (VS Code nests it in two iframes). */
function chat() {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Run `body`; on failure save what the browser showed to .cache/e2e-failure-<name>.png. */
async function withFailureShot(name, body) {
  try {
    await body();
  } catch (error) {
    await page?.screenshot({ path: join(EXT, '.cache', `e2e-failure-${name}.png`) }).catch(() => undefined);
    if (error instanceof Error) {
      error.message += `\nthe end of the Silcrow output channel:\n${silcrowLogTail(15)}`;
    }
    throw error;
  }
}

/** The last `count` lines of each of the extension's Output channel logs ("Silcrow", one per window), newest last. */
function silcrowLogTail(count) {
  const logs = join(root, 'user', 'logs');
  const files = existsSync(logs) ? readdirSync(logs, { recursive: true }).map(String).filter((name) => /Silcrow\.log$/.test(name)) : [];
  const byTime = files.sort((a, b) => statSync(join(logs, a)).mtimeMs - statSync(join(logs, b)).mtimeMs);
  return byTime.map((name) => `== ${name}\n${readFileSync(join(logs, name), 'utf8').split('\n').slice(-count).join('\n')}`).join('\n');
}

/**
 * Replace the user's settings.json in VS Code's own editor, as a user would (a file written
 * behind VS Code's back may go unseen). Each step is checked before the next: the document is
 * emptied (select all, delete) and seen empty, the paste (through the clipboard, which an earlier
 * scenario may still hold) is seen in the editor, and the saved file is read back; a step that
 * did not take is repeated.
 */
async function editUserSettings(text) {
  const file = join(root, 'user', 'User', 'settings.json');
  const lines = page.locator('.editor-group-container .monaco-editor .view-lines').first();
  for (let attempt = 1; ; attempt += 1) {
    await runCommand('Preferences: Open User Settings (JSON)');
    await page.locator('.tabs-container .tab.active', { hasText: 'settings.json' }).waitFor({ timeout: STEP_MS });
    await lines.click({ timeout: STEP_MS });
    if (await emptied(lines)) {
      await page.evaluate((content) => navigator.clipboard.writeText(content), text);
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text, 'the clipboard holds the new settings');
      await page.keyboard.press('Control+v');
      await lines.filter({ hasText: '"workbench.startupEditor"' }).waitFor({ timeout: STEP_MS });
      await page.keyboard.press('Control+s');
      await page.locator('.tabs-container .tab.active:not(.dirty)', { hasText: 'settings.json' }).waitFor({ timeout: STEP_MS });
    }
    await page.keyboard.press('Control+w');
    const saved = readFileSync(file, 'utf8');
    if (sameJson(saved, text)) {
      return;
    }
    assert.ok(attempt < 3, `settings.json was not saved as asked after ${attempt} tries:\n${saved}`);
  }
}

/** Select all and delete in the focused editor until it shows no text (false when it never does). */
async function emptied(lines) {
  for (let tries = 0; tries < 5; tries += 1) {
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    const shown = await lines.textContent();
    if ((shown ?? '').replace(/\u00a0/g, ' ').trim() === '') {
      return true;
    }
    await page.waitForTimeout(200);
  }
  return false;
}

function sameJson(a, b) {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/** Show the chat with its keyboard shortcut (focus chat: Ctrl+Alt+S); unlike the activity bar icon it never hides it. */
async function showChat() {
  await page.keyboard.press('Control+Alt+s');
  await chat().locator('textarea.input').waitFor({ timeout: STEP_MS });
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ timeout: STEP_MS });
  await box.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().click({ timeout: STEP_MS });
}

test('no silcrow anywhere: the extension sets up its own daemon from the bundled wheel', { timeout: SETUP_MS + STEP_MS }, () => withFailureShot('setup', async () => {
  const offer = page.locator('.notification-toast', { hasText: 'Silcrow needs its daemon' });
  await offer.waitFor({ timeout: STEP_MS });
  await offer.locator('.monaco-button', { hasText: 'Set Up' }).click();
  await page.locator('.notification-toast', { hasText: 'setting up the daemon' }).waitFor({ timeout: STEP_MS });
  // the status bar's idle icon: the daemon from the new environment answered initialize
  await page.locator('.statusbar-item', { has: page.locator('.codicon-comment-discussion') }).first().waitFor({ timeout: SETUP_MS });
  assert.ok(existsSync(MANAGED_DAEMON), `the daemon is installed in the extension's global storage (${MANAGED_DAEMON})`);
  const version = JSON.parse(readFileSync(join(EXT, 'package.json'), 'utf8')).version;
  assert.equal(spawnSync(MANAGED_DAEMON, ['--version'], { encoding: 'utf8' }).stdout.trim(), `silcrow ${version}`);
}));

test('a first run with no key: the welcome offers keys and the offline demo answers', () => withFailureShot('first-run', async () => {
  await page.locator('.activitybar [aria-label^="Silcrow"]').first().click({ timeout: STEP_MS });
  await page.mouse.move(700, 600); // no hover tooltip over the chat in the pictures
  const welcome = chat().locator('.welcome.first-run');
  await welcome.waitFor({ timeout: STEP_MS });
  assert.equal(await welcome.locator('button.set-key').count(), 3, 'a key button per provider');
  await page.locator('.workbench-hover').waitFor({ state: 'hidden', timeout: STEP_MS }).catch(() => undefined);
  mkdirSync(dirname(FIRST_RUN_SCREENSHOT), { recursive: true });
  await page.screenshot({ path: FIRST_RUN_SCREENSHOT });
  await welcome.locator('button.try-demo').click();
  const answer = chat().locator('.item.respond', { hasText: 'offline demo' });
  await answer.first().waitFor({ timeout: STEP_MS });
  await chat().locator('button.send').waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: DEMO_SCREENSHOT });
  // From here on the user has configured a (scripted) model, in a new conversation.
  await editUserSettings(userSettings(true));
  // a new daemon gets the new settings at initialize (a push would race the next prompt)
  await runCommand('Silcrow: Restart the Daemon');
  await chat().locator('button.new').click();
  // once VS Code has read the new settings (and pushed them to the daemon), the empty chat is no first run
  await chat().locator('.welcome:not(.first-run)').waitFor({ timeout: STEP_MS });
}));

test('the Silcrow view answers a prompt and the written file shows in the editor', () => withFailureShot('prompt', async () => {
  const input = chat().locator('textarea.input');
  await input.waitFor({ timeout: STEP_MS });
  await input.fill('Write a greet function in greet.py');
  await input.press('Enter');

  // Review before apply: the proposal opens in the diff editor and nothing is on disk until it is accepted.
  await page.locator('.tabs-container .tab', { hasText: "greet.py (Silcrow's proposal)" }).waitFor({ timeout: STEP_MS });
  await page.locator('.editor-group-container .monaco-diff-editor').first().waitFor({ timeout: STEP_MS });
  const review = chat().locator('.item.review', { hasText: 'greet.py' });
  await review.waitFor({ timeout: STEP_MS });
  assert.equal(existsSync(join(workspace, 'greet.py')), false, 'nothing is written before the review is answered');
  assert.deepEqual(await review.locator('summary .added, summary .removed').allTextContents(), ['+2', '\u22120']);
  await review.locator('button.review-accept-all').click();
  await chat().locator('.item.review.settled', { hasText: 'greet.py' }).waitFor({ timeout: STEP_MS });
  await page.locator('.tabs-container .tab', { hasText: "Silcrow's proposal" }).waitFor({ state: 'detached', timeout: STEP_MS });

  const answer = chat().locator('.item.respond');
  await answer.filter({ hasText: 'with a greet function' }).waitFor({ timeout: STEP_MS });
  assert.equal(await answer.locator('strong').first().textContent(), 'greet.py');
  const tool = chat().locator('.item.tool');
  assert.equal(await tool.locator('.tool-name').textContent(), 'write');
  await tool.locator('.status', { hasText: 'done' }).waitFor({ timeout: STEP_MS });
  assert.match(await chat().locator('.item.think').first().textContent(), /write the function/);

  const tab = page.locator('.tabs-container .tab', { hasText: 'greet.py' });
  await tab.waitFor({ timeout: STEP_MS });
  const editor = page.locator('.editor-group-container .monaco-editor .view-lines', { hasText: 'greet' }).first();
  await editor.waitFor({ timeout: STEP_MS });
  assert.match((await editor.textContent()).replace(/\u00a0/g, ' '), /def greet\(name\):\s*return f"Hello, \{name\}!"/);
  const deadline = Date.now() + STEP_MS;
  while (!existsSync(join(workspace, 'greet.py')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(readFileSync(join(workspace, 'greet.py'), 'utf8'), GREET);
  await chat().locator('button.send').waitFor({ timeout: STEP_MS });

  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });

  await editor.click();
  await page.keyboard.press('Control+z');
  await page.locator('.editor-group-container .monaco-editor .view-lines', { hasText: 'greet' }).waitFor({ state: 'detached', timeout: STEP_MS });
}));

test('"Explain this" on a selection runs a turn shown in the sidebar', () => withFailureShot('explain', async () => {
  await page.keyboard.press('Control+p');
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ timeout: STEP_MS });
  await box.fill('main.py');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'main.py' }).first().click({ timeout: STEP_MS });
  const main = page.locator('.editor-group-container .monaco-editor .view-lines', { hasText: 'print' }).first();
  await main.waitFor({ timeout: STEP_MS });
  await main.click();
  await page.keyboard.press('Control+a');
  await runCommand('Silcrow: Explain this');
  const answer = chat().locator('.item.respond', { hasText: 'prints a greeting' });
  await answer.waitFor({ timeout: STEP_MS });
  const users = chat().locator('.item.user');
  assert.equal(await users.count(), 2, 'the explain turn continues the sidebar conversation');
  assert.match(await users.first().textContent(), /greet function/);
  assert.match(await users.nth(1).locator('.context').textContent(), /1 selection/);
}));

/** Send `prompt`, answer the permission card naming `command` with `option`, wait for the reply holding `reply`. */
async function answerShellStep(prompt, command, option, reply) {
  const input = chat().locator('textarea.input');
  await input.fill(prompt);
  await input.press('Enter');
  const card = chat().locator('.item.permission', { hasText: command });
  await card.waitFor({ timeout: STEP_MS });
  await card.locator(`button.option.${option}`).click();
  await chat().locator('.item.respond', { hasText: reply }).waitFor({ timeout: STEP_MS });
}

test('a folder settings file cannot allow shell commands: the command is still asked', () => withFailureShot('scope', async () => {
  await answerShellStep('Run the shell step', 'echo owned', 'reject', 'shell step is over');
  assert.equal(existsSync(join(workspace, 'owned.txt')), false, 'the rejected command never ran');
}));

test('an allowed shell command runs in the Silcrow terminal; its output and result show in the chat', () => withFailureShot('terminal', async () => {
  await answerShellStep('Run it in the terminal', 'from-the-terminal', 'allow_once', 'terminal step is over');
  const tool = chat().locator('.item.tool', { hasText: 'from-the-terminal' }).last();
  assert.match(await tool.locator('.outcome').textContent(), /exited 0/);
  assert.match(await tool.locator('.tool-result').textContent({ timeout: STEP_MS }), /from-the-terminal\s+second-line/);
  // The command ran in VS Code's terminal, where the user sees it: a "Silcrow" terminal with the output.
  await page.locator('.terminal-tab, .single-terminal-tab, .tabs-list .terminal-tabs-entry', { hasText: 'Silcrow' }).first()
    .waitFor({ timeout: STEP_MS });
  await page.locator('.xterm-rows', { hasText: 'second-line' }).first().waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: TERMINAL_SCREENSHOT });
  // The later tests need the room, and a reload must not bring the terminal back.
  await runCommand('View: Hide Panel');
  await page.locator('.part.panel').waitFor({ state: 'hidden', timeout: STEP_MS });
  await runCommand('Terminal: Kill All Terminals');
  await page.locator('.xterm-rows').first().waitFor({ state: 'detached', timeout: STEP_MS });
}));

test('Ask Silcrow about this… on a real selection: the box keeps focus, the question carries the selection', () => withFailureShot('ask', async () => {
  const main = page.locator('.editor-group-container .monaco-editor .view-lines', { hasText: 'print' }).first();
  await main.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Control+Alt+a');
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ timeout: STEP_MS });
  assert.match(await page.locator('.quick-input-widget').textContent(), /main\.py, line 1/);
  await page.keyboard.type('What does this print?');
  assert.equal(await box.inputValue(), 'What does this print?', 'the typing went to the question box');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: STEP_MS });
  const asked = chat().locator('.item.user', { hasText: 'What does this print?' });
  await asked.waitFor({ timeout: STEP_MS });
  assert.match(await asked.locator('.context').textContent(), /1 selection/);
  await chat().locator('.item.respond', { hasText: 'friendly greeting' }).waitFor({ timeout: STEP_MS });
  assert.equal(await chat().locator('textarea.input').inputValue(), '', 'nothing went to the chat box');
}));

test('the current file and selection are chips above the input and go with the message', () => withFailureShot('chips', async () => {
  // main.py is the active editor, its text selected (the Ask scenario)
  const chips = chat().locator('.attachments .chip');
  await chips.first().waitFor({ timeout: STEP_MS });
  assert.equal(await chips.first().locator('.label').textContent(), 'main.py');
  // Ctrl+A selected "print("hi")\n": up to column 0 of line 2, so line 1 alone
  assert.equal(await chat().locator('.attachments .chip.selection .label').textContent(), 'main.py:1');
  const input = chat().locator('textarea.input');
  await input.fill('What is in this file?');
  await input.press('Enter');
  const asked = chat().locator('.item.user', { hasText: 'What is in this file?' });
  await asked.waitFor({ timeout: STEP_MS });
  assert.equal(await asked.locator('.context').textContent(), 'with 1 file, 1 selection');
  await chat().locator('.item.respond', { hasText: 'This file prints hi' }).waitFor({ timeout: STEP_MS });
}));

test('@ lists workspace files from the daemon; the chosen one is attached', () => withFailureShot('mention', async () => {
  const input = chat().locator('textarea.input');
  await input.click();
  await input.pressSequentially('Explain @help');
  const choice = chat().locator('ul.completion.mentions li', { hasText: 'helpers.py' });
  await choice.first().waitFor({ timeout: STEP_MS });
  await page.mouse.move(700, 600);
  mkdirSync(dirname(CONTEXT_SCREENSHOT), { recursive: true });
  await page.screenshot({ path: CONTEXT_SCREENSHOT });
  await choice.first().click();
  assert.equal(await input.inputValue(), 'Explain @helpers.py ');
  assert.equal(await chat().locator('.attachments .chip .label', { hasText: 'helpers.py' }).count(), 1);
  await input.press('Enter');
  const asked = chat().locator('.item.user', { hasText: 'Explain @helpers.py' });
  await asked.waitFor({ timeout: STEP_MS });
  assert.equal(await asked.locator('.context').textContent(), 'with 2 files, 1 selection');
  await chat().locator('.item.respond', { hasText: 'holds one helper' }).waitFor({ timeout: STEP_MS });
}));

test('/ask switches to ask mode and sends the question read-only', () => withFailureShot('slash', async () => {
  const input = chat().locator('textarea.input');
  await input.click();
  await input.pressSequentially('/as');
  await chat().locator('ul.completion.commands li', { hasText: '/ask' }).waitFor({ timeout: STEP_MS });
  await input.press('Tab');
  assert.equal(await input.inputValue(), '/ask ');
  await input.pressSequentially('What does main.py print?');
  await input.press('Enter');
  const asked = chat().locator('.item.user', { hasText: 'What does main.py print?' });
  await asked.waitFor({ timeout: STEP_MS });
  assert.equal(await asked.locator('.mode-badge').textContent(), 'ask', 'the daemon stored the turn in ask mode');
  assert.equal(await chat().locator('select.mode').inputValue(), 'ask');
  await chat().locator('.item.respond', { hasText: 'Read-only answer' }).waitFor({ timeout: STEP_MS });
  await chat().locator('button.send').waitFor({ timeout: STEP_MS });
  await input.fill('/agent');
  await input.press('Escape');
  await input.press('Enter');
  assert.equal(await chat().locator('select.mode').inputValue(), 'agent');
}));

test("a code block's Copy button puts the code on the clipboard", () => withFailureShot('copy', async () => {
  const input = chat().locator('textarea.input');
  await input.fill('Show me code');
  await input.press('Enter');
  const block = chat().locator('.item.respond .code-block', { hasText: 'copied' });
  await block.waitFor({ timeout: STEP_MS });
  assert.ok(await block.locator('.hljs-built_in, .hljs-string').count() > 0, 'the code is highlighted');
  await block.locator('button.code-copy').click();
  const deadline = Date.now() + STEP_MS;
  let text = '';
  while (!text.includes('print("copied")') && Date.now() < deadline) {
    text = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(text, 'print("copied")\n');
}));

/** Wait until `file` in the workspace holds `text`. */
async function waitForDisk(file, text) {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    if (existsSync(join(workspace, file)) && readFileSync(join(workspace, file), 'utf8') === text) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(readFileSync(join(workspace, file), 'utf8'), text);
}

test('review in the diff editor: accept one hunk of two with its shortcut, reject the rest; the file holds exactly that hunk', () => withFailureShot('review', async () => {
  const input = chat().locator('textarea.input');
  await input.fill('Type the stats module');
  await input.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: "stats.py (Silcrow's proposal)" }).waitFor({ timeout: STEP_MS });
  const modified = page.locator('.editor-group-container .monaco-diff-editor .editor.modified');
  const firstHunk = modified.locator('.view-line', { hasText: 'def mean(xs: list[float])' });
  await firstHunk.waitFor({ timeout: STEP_MS });
  const card = chat().locator('.item.review', { hasText: 'stats.py' });
  await card.waitFor({ timeout: STEP_MS });
  await page.mouse.move(700, 600);
  await page.screenshot({ path: REVIEW_SCREENSHOT });
  await firstHunk.click();
  // the diff editor's title actions appear once the editor shows a file under review (the shortcuts' `when`)
  await page.locator('.editor-actions [aria-label^="Accept Change at Cursor"]').first().waitFor({ timeout: STEP_MS });
  await page.keyboard.press('Control+Alt+y');
  await card.locator('.hunk.accepted').waitFor({ state: 'attached', timeout: STEP_MS }); // in the card's collapsed file
  assert.equal(readFileSync(join(workspace, 'stats.py'), 'utf8'), STATS, 'nothing is written before the whole review is answered');
  await page.keyboard.press('Control+Alt+Shift+n');
  const settled = chat().locator('.item.review.settled', { hasText: 'stats.py' });
  await settled.waitFor({ timeout: STEP_MS });
  assert.equal(await settled.locator('summary .review-state').textContent(), 'partly accepted');
  await chat().locator('.item.respond', { hasText: 'Typed the stats module' }).waitFor({ timeout: STEP_MS });
  await waitForDisk('stats.py', STATS_FIRST_HUNK);
}));

test('Restore to before this turn puts the file back as it was before the turn', () => withFailureShot('restore', async () => {
  const turn = chat().locator('.item.user', { hasText: 'Type the stats module' });
  await turn.hover();
  await turn.locator('button.restore').click();
  await waitForDisk('stats.py', STATS);
  await chat().locator('.item.notice', { hasText: 'Restored to before this turn: stats.py' }).waitFor({ timeout: STEP_MS });
}));

test('after a window reload the chat shows the conversation again', () => withFailureShot('reload', async () => {
  await chat().locator('button.send').waitFor({ timeout: STEP_MS });
  // (a reload starts a new daemon, whose scripted replies start again from the first)
  await page.reload();
  await page.waitForSelector('.monaco-workbench', { timeout: STEP_MS });
  const asked = chat().locator('.item.user', { hasText: 'What does this print?' });
  await showChat();
  await asked.waitFor({ timeout: STEP_MS });
  await chat().locator('.item.respond', { hasText: 'friendly greeting' }).waitFor({ timeout: STEP_MS });
  await chat().locator('.item.respond .code-block', { hasText: 'copied' }).waitFor({ timeout: STEP_MS });
}));

test('a pasted image is a chip; the scripted provider, which takes no images, says so', () => withFailureShot('image', async () => {
  await chat().locator('button.new').click();
  const input = chat().locator('textarea.input');
  await input.click();
  await input.evaluate((node, data) => {
    const view = node.ownerDocument.defaultView; // the webview's window
    const bytes = Uint8Array.from(view.atob(data), (c) => c.charCodeAt(0));
    const transfer = new view.DataTransfer();
    transfer.items.add(new view.File([bytes], 'pixel.png', { type: 'image/png' }));
    node.dispatchEvent(new view.ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, PIXEL);
  await chat().locator('.attachments .chip.image img.thumb').waitFor({ timeout: STEP_MS });
  await input.fill('What is in this picture?');
  await input.press('Enter');
  const asked = chat().locator('.item.user', { hasText: 'What is in this picture?' });
  await asked.waitFor({ timeout: STEP_MS });
  assert.match(await asked.locator('.context').textContent(), /1 image/);
  await chat().locator('.item.error', { hasText: 'does not take images' }).waitFor({ timeout: STEP_MS });
  assert.equal(await chat().locator('.attachments .chip.image').count(), 0, 'the image went with that message');
}));

test('a daemon that cannot start: one message with the cause, and Open Settings shows the Silcrow settings', () => withFailureShot('start-failure', async () => {
  const broken = JSON.parse(userSettings(true));
  broken['silcrow.server.command'] = ['/nonexistent/silcrow', 'serve'];
  await editUserSettings(JSON.stringify(broken, null, 2));
  // code-server does not make a changed machine-scoped setting readable in the window that saved
  // it: the extension offers the reload (where a cached older value may come first; its late
  // replacement restarts the daemon)
  await page.locator('.notification-toast', { hasText: 'reload the window' }).waitFor({ timeout: STEP_MS });
  await page.reload();
  await page.waitForSelector('.monaco-workbench', { timeout: STEP_MS });
  const failure = chat().locator('.item.error', { hasText: 'could not start its daemon' });
  await showChat();
  await failure.waitFor({ timeout: STEP_MS }).catch(async (error) => {
    const shown = await chat().locator('body').textContent().catch(() => '(no chat)');
    throw new Error(`${error.message}\nthe chat shows: ${shown}`);
  });
  assert.match(await failure.textContent(), /"\/nonexistent\/silcrow" was not found.*pipx install/);
  await page.locator('.statusbar-item', { hasText: 'Silcrow: error' }).waitFor({ timeout: STEP_MS });
  const toasts = await page.locator('.notifications-toasts .notification-toast').allTextContents();
  assert.deepEqual(toasts.filter((text) => /Pending response|connection to server|Silcrow/i.test(text)), [],
    'no toast while the chat shows the failure, and none from the language client');
  await failure.locator('button.notice-action.openSettings').click();
  await page.locator('.settings-editor').waitFor({ timeout: STEP_MS });
  assert.match(await page.locator('.settings-editor .suggest-input-container').first().textContent(), /@ext:silcrow\.silcrow/);
  // the first of the extension's settings (the list renders only what fits above the panel)
  await page.locator('.settings-editor .setting-item-category', { hasText: 'Silcrow' }).first().waitFor({ timeout: STEP_MS });
  assert.match(await page.locator('.settings-editor .settings-count-widget').first().textContent(), /\d+ Settings? Found/);

  // Deactivating after the failed start (a reload) leaves no unhandled rejection in the extension host's log.
  await page.reload();
  await page.waitForSelector('.monaco-workbench', { timeout: STEP_MS });
  await page.locator('.statusbar-item', { hasText: 'Silcrow: error' }).waitFor({ timeout: STEP_MS });
  const logs = readdirSync(join(root, 'user', 'logs'), { recursive: true }).filter((name) => /exthost\.log$/.test(String(name)));
  assert.ok(logs.length >= 2, `extension host logs: ${logs.join(', ')}`);
  const text = logs.map((name) => readFileSync(join(root, 'user', 'logs', String(name)), 'utf8')).join('\n');
  assert.doesNotMatch(text, /rejected promise not handled|Client is not running/);
}));
