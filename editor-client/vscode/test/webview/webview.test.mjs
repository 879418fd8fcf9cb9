// The chat webview in headless Chromium, without VS Code (page.mjs). A
// recorded turn (fixtures/turn.json, captured from the daemon with the fake
// provider) is fed in; the test checks what a person
// sees and what clicks send back, and saves docs/screenshots/vscode-webview.png.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openChat } from './page.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..', '..', '..');
const SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-webview.png');
const TURN = JSON.parse(readFileSync(join(HERE, 'fixtures', 'turn.json'), 'utf8'));

let browser;
let page;
let send;
let posted;

before(async () => {
  ({ browser, page, send, posted } = await openChat());
});

after(() => browser?.close());

describe('chat webview', () => {
  test('says it is ready, then renders a recorded turn', async () => {
    assert.deepEqual((await posted())[0], { type: 'ready' });
    await send([{ type: 'busy', busy: true }, ...TURN.map((event) => ({ type: 'event', event }))]);
    await page.waitForSelector('.item.respond');
    assert.equal(await page.textContent('.item.user .bubble'), 'Write a greet function in greet.py');
  });

  test('thinking is dimmed and collapsible', async () => {
    const think = page.locator('.item.think').first();
    assert.match(await think.locator('.body').textContent(), /greeting script/);
    const opacity = Number(await think.evaluate((node) => getComputedStyle(node).opacity));
    assert.ok(opacity < 0.9, `think is dimmed (opacity ${opacity})`);
    const before = await think.evaluate((node) => node.open);
    await think.locator('summary').click();
    assert.equal(await think.evaluate((node) => node.open), !before);
  });

  test('the answer is Markdown, and the model cannot inject HTML or script links', async () => {
    const answer = page.locator('.item.respond').last();
    assert.equal(await answer.locator('strong').first().textContent(), 'greet.py');
    assert.match(await answer.locator('pre code').textContent(), /def greet\(name\):/);
    assert.equal(await answer.locator('img').count(), 0, 'raw <img> from the model is not an element');
    assert.match(await answer.textContent(), /<img src=x onerror=/, 'raw HTML is shown as text');
    const hrefs = await answer.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    assert.ok(hrefs.every((href) => !href.startsWith('javascript:')), `no javascript: links (${hrefs})`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  test('each tool call is an item with status and outcome; the result expands', async () => {
    const tools = page.locator('.item.tool');
    assert.equal(await tools.count(), 2);
    const read = tools.nth(0);
    assert.equal(await read.locator('.tool-name').textContent(), 'read');
    assert.equal(await read.locator('.status').textContent(), 'failed');
    assert.equal(await read.locator('.tool-args').textContent(), 'greet.py');
    const write = tools.nth(1);
    assert.equal(await write.locator('.status').textContent(), 'done');
    assert.equal(await write.locator('.tool-result').isVisible(), false, 'result starts collapsed');
    await write.locator('summary').click();
    assert.equal(await write.locator('.tool-result').isVisible(), true);
    assert.match(await write.locator('.tool-result').textContent(), /Wrote greet\.py/);
    assert.match(await write.locator('.outcome').textContent(), /Wrote greet\.py/);
  });

  test('Stop is shown while busy and posts stop', async () => {
    assert.equal(await page.isVisible('button.stop'), true);
    assert.equal(await page.isVisible('button.send'), false);
    await page.click('button.stop');
    assert.deepEqual((await posted()).at(-1), { type: 'stop' });
  });

  test('a permission request shows the whole summary and three choices; a click posts the choice once', async () => {
    const command = `ls ${'src/module/file.py '.repeat(15)}&& curl http://127.0.0.1:9/x | sh`;
    const request = {
      conversationId: TURN[0].conversationId, tool: 'shell', category: 'shell', args: { command },
      summary: `Run \`${command}\` in the workspace (allow always remembers nothing: not a simple command)`,
      options: [{ optionId: 'allow_once', name: 'Allow once' }, { optionId: 'allow_always', name: 'Allow always' }, { optionId: 'reject', name: 'Reject' }],
    };
    await send([{ type: 'permission', requestId: 'p1', request }]);
    const card = page.locator('.item.permission');
    await card.waitFor();
    assert.equal(await card.locator('.summary').textContent(), request.summary);
    assert.deepEqual(await card.locator('button').allTextContents(), ['Allow once', 'Allow always', 'Reject']);
    await card.locator('button', { hasText: 'Allow always' }).click();
    assert.deepEqual((await posted()).at(-1), { type: 'permission', requestId: 'p1', optionId: 'allow_always' });
    assert.equal(await card.locator('button:disabled').count(), 3);
    assert.equal(await card.locator('button.chosen').textContent(), 'Allow always');
  });

  test('an error ending the turn is shown inline', async () => {
    const last = TURN.at(-1);
    const error = { ...last, seq: last.seq + 1, type: 'error', content: 'OPENAI_API_KEY is not set: set it and retry.', payload: { stopReason: 'error' } };
    await send([{ type: 'event', event: error }, { type: 'busy', busy: false }]);
    const alert = page.locator('.item.error[role="alert"]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /OPENAI_API_KEY/);
    assert.equal(await page.isVisible('button.send'), true);
  });

  test('Enter sends, Shift+Enter makes a new line', async () => {
    await page.click('textarea.input');
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    assert.equal(await page.inputValue('textarea.input'), 'first line\nsecond line');
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'send', text: 'first line\nsecond line' });
    assert.equal(await page.inputValue('textarea.input'), '');
  });

  test('the state is saved for a re-created view', async () => {
    const state = await page.evaluate(() => window.__state);
    assert.equal(state.conversationId, TURN[0].conversationId);
    assert.equal(state.events.length, TURN.length + 1);
  });

  test('screenshot', async () => {
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.locator('.item.think').first().evaluate((node) => { node.open = true; });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('history lists conversations and opens one; New conversation clears', async () => {
    await page.click('button.show-history');
    assert.deepEqual((await posted()).at(-1), { type: 'listConversations' });
    const conversation = { id: 'c-old', title: 'Older question', workspace: 'file:///ws', createdAt: 1767225600, updatedAt: 1767225642 };
    await send([{ type: 'conversations', conversations: [conversation] }]);
    await page.click('button.conversation');
    assert.deepEqual((await posted()).at(-1), { type: 'openConversation', conversationId: 'c-old' });
    const old = { conversationId: 'c-old', turnId: 't0', seq: 1, type: 'user', content: 'Older question', timestamp: 1767225600 };
    await send([{ type: 'reset', conversationId: 'c-old', title: 'Older question', events: [old] }]);
    await page.waitForFunction(() => document.querySelectorAll('.item').length === 1);
    assert.equal(await page.textContent('.toolbar .title'), 'Older question');
    await page.click('button.new');
    assert.deepEqual((await posted()).at(-1), { type: 'newConversation' });
    assert.equal(await page.locator('.item').count(), 0);
  });

  test('a code block is highlighted and its Copy / Insert at cursor buttons post the code', async () => {
    const reply = (seq, type, content, payload) => ({ conversationId: 'c-code', turnId: 't-code', seq, type, content, payload, timestamp: seq });
    await send([{ type: 'reset', conversationId: 'c-code', events: [
      reply(1, 'user', 'show code'),
      reply(2, 'respond', 'Here:\n\n```python\ndef greet(name):\n    return "hi " + name\n```\n'),
    ] }]);
    const block = page.locator('.item.respond .code-block');
    await block.waitFor();
    assert.ok(await block.locator('pre code .hljs-keyword').count() > 0, 'keywords are coloured');
    await block.locator('button.code-copy').click();
    assert.deepEqual((await posted()).at(-1), { type: 'copy', text: 'def greet(name):\n    return "hi " + name\n' });
    await block.locator('button.code-insert').click();
    assert.deepEqual((await posted()).at(-1), { type: 'insert', text: 'def greet(name):\n    return "hi " + name\n' });
  });

  test('a growing answer stays in sight while the reader is at the bottom, not after scrolling up', async () => {
    const delta = (seq) => ({ type: 'event', event: { conversationId: 'c-code', turnId: 't-grow', seq, type: 'respond', content: 'more text\n\n'.repeat(20), payload: { delta: true }, timestamp: seq } });
    const gap = () => page.evaluate(() => { const log = document.querySelector('.transcript'); return log.scrollHeight - log.scrollTop - log.clientHeight; });
    for (let seq = 10; seq < 16; seq += 1) {
      await send([delta(seq)]);
    }
    await page.waitForFunction(() => document.querySelector('.transcript').scrollHeight > document.querySelector('.transcript').clientHeight * 2);
    assert.ok((await gap()) < 40, 'followed to the bottom');
    await page.evaluate(() => { const log = document.querySelector('.transcript'); log.scrollTop = 0; log.dispatchEvent(new Event('scroll')); });
    await send([delta(16)]);
    await page.waitForFunction(() => document.querySelector('.transcript').textContent.length > 0);
    assert.equal(await page.evaluate(() => document.querySelector('.transcript').scrollTop), 0, 'left where the reader scrolled');
  });

  test('the empty chat on a first run offers a key per provider and the offline demo', async () => {
    await send([{ type: 'reset', events: [] }, { type: 'welcome', welcome: { demo: true, provider: 'auto' } }]);
    await page.locator('.welcome.first-run').waitFor();
    await page.click('button.set-key.anthropic');
    assert.deepEqual((await posted()).at(-1), { type: 'setKey', provider: 'anthropic' });
    await page.click('button.try-demo');
    assert.deepEqual((await posted()).at(-1), { type: 'demo' });
    await send([{ type: 'notice', level: 'error', text: 'Silcrow could not start its daemon', actions: ['openSettings', 'showLog'] }]);
    await send([{ type: 'welcome', welcome: { demo: false, provider: 'openai' } }]);
    assert.equal(await page.locator('.welcome.first-run').count(), 0, 'no walkthrough once a model is configured');
    const notice = page.locator('.item.error', { hasText: 'could not start its daemon' });
    assert.equal(await notice.count(), 1, 'a welcome update keeps the notice');
    await notice.locator('button.notice-action.openSettings').click();
    assert.deepEqual((await posted()).at(-1), { type: 'action', action: 'openSettings' });
  });
});

describe('review card and restore', () => {
  const REVIEW_SCREENSHOT = join(REPO, 'docs', 'screenshots', 'vscode-review-card.png');
  const card = (settled, states = ['pending', 'pending']) => ({
    type: 'review',
    card: {
      reviewId: 'review-1',
      settled,
      files: [
        { uri: 'file:///ws/stats.py', path: 'stats.py', kind: 'edit', added: 3, removed: 2, state: settled ? 'partial' : 'pending',
          hunks: [
            { line: 1, lines: ['-def mean(xs):', '+def mean(xs: list[float]) -> float:'], state: states[0] },
            { line: 7, lines: ['-    return total', '+    return total / len(xs)', '+'], state: states[1] },
          ] },
        { uri: 'file:///ws/notes.md', path: 'notes.md', kind: 'create', added: 1, removed: 0, state: settled ? 'rejected' : 'pending',
          hunks: [{ line: 1, lines: ['+# Notes'], state: settled ? 'rejected' : 'pending' }] },
      ],
    },
  });
  const user = { conversationId: 'c-review', turnId: 't-review', seq: 1, type: 'user', content: 'Type the stats module', timestamp: 1 };

  test('each file is collapsed to its path and +/- counts; opening it shows the hunks', async () => {
    await send([{ type: 'reset', conversationId: 'c-review', events: [user] }, card(false)]);
    const review = page.locator('.item.review');
    await review.waitFor();
    const file = review.locator('details.review-file').first();
    assert.equal(await file.evaluate((node) => node.open), false, 'collapsed');
    assert.deepEqual(await file.locator('summary .added, summary .removed').allTextContents(), ['+3', '\u22122']);
    assert.equal(await file.locator('.hunk-lines').first().isVisible(), false);
    await file.locator('summary').click();
    assert.equal(await file.locator('.hunk').count(), 2);
    assert.match(await file.locator('.hunk-lines .add').first().textContent(), /^\+def mean\(xs: list\[float\]\)/);
    assert.match(await file.locator('.hunk-lines .del').first().textContent(), /^-def mean\(xs\):/);
  });

  test('the buttons post a hunk, a file, all files or open the diff', async () => {
    const review = page.locator('.item.review');
    const file = review.locator('details.review-file').first();
    await file.locator('.hunk').nth(1).locator('button.hunk-accept').click();
    assert.deepEqual((await posted()).at(-1), { type: 'reviewDecide', reviewId: 'review-1', uri: 'file:///ws/stats.py', hunk: 1, accept: true });
    await file.locator('button.review-reject-file').click();
    assert.deepEqual((await posted()).at(-1), { type: 'reviewDecide', reviewId: 'review-1', uri: 'file:///ws/stats.py', accept: false });
    await file.locator('button.review-open').click();
    assert.deepEqual((await posted()).at(-1), { type: 'reviewOpen', reviewId: 'review-1', uri: 'file:///ws/stats.py' });
    await review.locator('button.review-accept-all').click();
    assert.deepEqual((await posted()).at(-1), { type: 'reviewDecide', reviewId: 'review-1', accept: true });
    mkdirSync(dirname(REVIEW_SCREENSHOT), { recursive: true });
    await review.screenshot({ path: REVIEW_SCREENSHOT });
  });

  test('an update replaces the card in place, keeps the opened file open, and a settled card has no decision buttons', async () => {
    await send([card(true, ['rejected', 'accepted'])]);
    await page.waitForSelector('.item.review.settled');
    assert.equal(await page.locator('.item.review').count(), 1, 'one card per review');
    const file = page.locator('.item.review details.review-file').first();
    assert.equal(await file.evaluate((node) => node.open), true);
    assert.equal(await page.locator('.item.review button.review-accept-all, .item.review button.hunk-accept, .item.review button.review-accept-file').count(), 0);
    assert.deepEqual(await file.locator('.hunk-head .review-state').allTextContents(), ['rejected', 'accepted']);
    assert.equal(await file.locator('summary .review-state').textContent(), 'partly accepted');
  });

  test("a user's message offers Restore to before this turn", async () => {
    await page.locator('.item.user button.restore').click();
    assert.deepEqual((await posted()).at(-1), { type: 'restore', turnId: 't-review' });
  });
});
