// The chat input's tools in headless Chromium (chat.page.mjs): context chips,
// `@` mentions, `/` commands, the mode and model pickers, pasted images, the
// token footer and plan mode's hand-over. What the view posts is what the
// extension host would send to the daemon.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { useChat } from './page.mjs';

const FILE = 'file:///ws/src/app.py';
const RANGE = { start: { line: 2, character: 0 }, end: { line: 4, character: 0 } };
const EDITOR = [
  { id: `file:${FILE}`, label: 'app.py', icon: 'file', title: 'src/app.py (current file)', item: { kind: 'file', uri: FILE } },
  { id: `selection:${FILE}:2:0:4:0`, label: 'app.py:3-5', icon: 'selection', item: { kind: 'selection', uri: FILE, range: RANGE, text: 'def main():\n    pass\n' } },
];
// A PNG of one pixel.
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const chat = useChat();

beforeEach(async () => {
  await chat.page.fill('textarea.input', '');
});

const lastPosted = async () => (await chat.posted()).at(-1);

/** Type into the input (real key events, so the pop-ups react). */
async function type(text) {
  await chat.page.click('textarea.input');
  await chat.page.keyboard.type(text);
}

describe('chat input tools', () => {
  test('the editor\'s file and selection are chips, sent as context items; a removed chip is not sent', async () => {
    await chat.send([{ type: 'editorContext', attachments: EDITOR }]);
    await chat.page.locator('.attachments .chip').nth(1).waitFor();
    assert.deepEqual(await chat.page.locator('.attachments .chip .label').allTextContents(), ['app.py', 'app.py:3-5']);
    await type('what does this do?');
    await chat.page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(), { type: 'send', text: 'what does this do?', context: EDITOR.map((a) => a.item) });
    await chat.page.click('.chip.selection button.remove');
    await type('and now?');
    await chat.page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(), { type: 'send', text: 'and now?', context: [EDITOR[0].item] });
    assert.equal(await chat.page.locator('.chip.selection').count(), 0, 'stays removed while the selection is the same');
    await chat.send([{ type: 'editorContext', attachments: [] }]);
    assert.equal(await chat.page.locator('.attachments').isHidden(), true);
  });

  test('@ asks the host for mentions; a pick replaces the query and attaches the item', async () => {
    await type('look at @ap');
    const request = await lastPosted();
    assert.deepEqual(request, { type: 'mentions', requestId: request.requestId, query: 'ap' });
    const symbol = { kind: 'symbol', uri: FILE, range: RANGE, name: 'apply' };
    await chat.send([{ type: 'mentions', requestId: request.requestId, choices: [
      { id: 'problems:x', label: 'problems', icon: 'problems', title: '2 problems in app.py', item: { kind: 'diagnostics', uri: FILE, diagnostics: [] } },
      { id: `file:${FILE}`, label: 'src/app.py', icon: 'file', item: { kind: 'file', uri: FILE } },
      { id: 'symbol:apply', label: 'apply', icon: 'symbol', item: symbol },
    ] }]);
    const list = chat.page.locator('ul.completion.mentions');
    await list.waitFor();
    assert.deepEqual(await list.locator('li .label').allTextContents(), ['problems', 'src/app.py', 'apply']);
    await chat.page.keyboard.press('ArrowDown');
    await chat.page.keyboard.press('ArrowDown');
    await chat.page.keyboard.press('Enter');
    assert.equal(await chat.page.inputValue('textarea.input'), 'look at @apply ');
    assert.equal(await list.isHidden(), true);
    assert.equal(await chat.page.locator('.chip.symbol .label').textContent(), 'apply');
    await type('please');
    await chat.page.keyboard.press('Enter');
    const sent = await lastPosted();
    assert.equal(sent.text, 'look at @apply please');
    assert.deepEqual(sent.context.at(-1), symbol);
    assert.equal(await chat.page.locator('.chip.symbol').count(), 0, 'a mention goes with one message');
  });

  test('an answer to an older mention query is ignored', async () => {
    await type('@a');
    const first = await lastPosted();
    await chat.page.keyboard.type('b');
    const second = await lastPosted();
    await chat.send([
      { type: 'mentions', requestId: second.requestId, choices: [{ id: 'new', label: 'ab.py', icon: 'file' }] },
      { type: 'mentions', requestId: first.requestId, choices: [{ id: 'old', label: 'a.py', icon: 'file' }] },
      { type: 'notice', level: 'info', text: 'after the stale answer' },
    ]);
    const list = chat.page.locator('ul.completion.mentions');
    await chat.page.locator('.item.notice', { hasText: 'after the stale answer' }).waitFor(); // messages are handled in order
    assert.deepEqual(await list.locator('li .label').allTextContents(), ['ab.py']);
    await chat.page.keyboard.press('Escape');
  });

  test('/ lists the commands; /help shows them; an unknown command says so', async () => {
    await type('/');
    const list = chat.page.locator('ul.completion.commands');
    await list.waitFor();
    assert.deepEqual(await list.locator('li .label').allTextContents(), ['/new', '/clear', '/ask', '/plan', '/agent', '/model', '/help']);
    await chat.page.keyboard.type('he');
    assert.deepEqual(await list.locator('li .label').allTextContents(), ['/help']);
    await chat.page.keyboard.press('Enter');
    await chat.page.locator('.item.notice', { hasText: '/plan [task]' }).waitFor();
    await type('/frobnicate');
    await chat.page.keyboard.press('Escape');
    await chat.page.keyboard.press('Enter');
    await chat.page.locator('.item.error', { hasText: '/frobnicate is not a command' }).waitFor();
  });

  test('/ask switches the mode picker and sends in ask mode; /agent switches back', async () => {
    await type('/ask what is this?');
    await chat.page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(), { type: 'send', text: 'what is this?', chatMode: 'ask' });
    assert.equal(await chat.page.inputValue('select.mode'), 'ask');
    await type('/agent');
    await chat.page.keyboard.press('Escape');
    await chat.page.keyboard.press('Enter');
    assert.equal(await chat.page.inputValue('select.mode'), 'agent');
  });

  test('the model picker lists silcrow/models; /model chooses one, and prompts carry it', async () => {
    await chat.send([{ type: 'models', provider: 'openai', current: 'gpt-5.4-mini', models: [{ id: 'gpt-5.4-mini' }, { id: 'gpt-5.4', label: 'GPT-5.4' }] }]);
    assert.deepEqual(await chat.page.locator('select.model option').allTextContents(), ['Default (gpt-5.4-mini)', 'gpt-5.4-mini', 'GPT-5.4']);
    await type('/model gpt-5.4');
    await chat.page.keyboard.press('Escape');
    await chat.page.keyboard.press('Enter');
    assert.equal(await chat.page.inputValue('select.model'), 'gpt-5.4');
    await chat.page.selectOption('select.mode', 'plan');
    await type('how would you split app.py?');
    await chat.page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(), { type: 'send', text: 'how would you split app.py?', chatMode: 'plan', model: 'gpt-5.4' });
    const state = await chat.page.evaluate(() => window.__state.composer);
    assert.deepEqual(state, { chatMode: 'plan', model: 'gpt-5.4' });
    await type('/model nonesuch');
    await chat.page.keyboard.press('Escape');
    await chat.page.keyboard.press('Enter');
    await chat.page.locator('.item.error', { hasText: 'No model "nonesuch"' }).waitFor();
  });

  test('a pasted image becomes a chip with a thumbnail and is sent as an image item', async () => {
    await chat.page.click('textarea.input');
    await chat.page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'pixel.png', { type: 'image/png' }));
      document.querySelector('textarea.input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, PIXEL);
    await chat.page.locator('.chip.image img.thumb').waitFor();
    assert.equal(await chat.page.locator('.chip.image .label').textContent(), 'pixel.png');
    await chat.page.keyboard.type('what is in this picture?');
    await chat.page.keyboard.press('Enter');
    const sent = await lastPosted();
    assert.deepEqual(sent.context.at(-1), { kind: 'image', mimeType: 'image/png', data: PIXEL });
  });

  test('an image of another type is refused with a message', async () => {
    await chat.page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' }));
      document.querySelector('textarea.input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    });
    await chat.page.locator('.item.error', { hasText: 'logo.svg is image/svg+xml' }).waitFor();
    assert.equal(await chat.page.locator('.chip.image').count(), 0);
  });

  test('the footer shows tokens and cost for the turn and the conversation', async () => {
    const event = (seq, turnId, type, content, payload) => ({ conversationId: 'c-use', turnId, seq, type, content, payload, timestamp: seq });
    await chat.send([
      { type: 'models', provider: 'openai', current: 'gpt-5.4-mini', models: [{ id: 'gpt-5.4-mini' }] },
      { type: 'reset', conversationId: 'c-use', events: [
        event(1, 't1', 'user', 'one'),
        event(2, 't1', 'metric', '', { input_tokens: 1000, cached_tokens: 0, output_tokens: 200 }),
        event(3, 't1', 'end', '', { stopReason: 'end' }),
        event(4, 't2', 'user', 'two'),
        event(5, 't2', 'metric', '', { input_tokens: 2000, cached_tokens: 1000, output_tokens: 100 }),
        event(6, 't2', 'metric', '', { input_tokens: 500, output_tokens: 50 }),
        event(7, 't2', 'end', '', { stopReason: 'end' }),
      ] },
    ]);
    await chat.page.selectOption('select.model', '');
    // turn: 2.5k in (1k cached), 150 out = (1500*0.75 + 1000*0.075 + 150*4.5)/1e6 = $0.001875
    // conversation: 3.5k in (1k cached), 350 out = (2500*0.75 + 1000*0.075 + 350*4.5)/1e6 = $0.003525
    assert.equal(await chat.page.textContent('.usage'), 'Turn 2.5k in (1.0k cached) · 150 out ($0.0019) | Conversation 3.5k in (1.0k cached) · 350 out ($0.0035)');
  });

  test('a model without a published price shows tokens only; a known context window shows its fill', async () => {
    await chat.send([{ type: 'models', provider: 'ollama', current: 'qwen3', models: [{ id: 'qwen3' }] }]);
    assert.equal(await chat.page.textContent('.usage'), 'Turn 2.5k in (1.0k cached) · 150 out | Conversation 3.5k in (1.0k cached) · 350 out');
    // the last response: 500 in + 50 out of 10,000
    await chat.send([{ type: 'models', provider: 'ollama', current: 'qwen3', models: [{ id: 'qwen3', contextWindow: 10000 }] }]);
    assert.match(await chat.page.textContent('.usage'), / \| Context 6% of 10\.0k$/);
  });

  test('a finished plan can be run in agent mode with one click', async () => {
    const event = (seq, type, content, payload) => ({ conversationId: 'c-plan', turnId: 't-plan', seq, type, content, payload, timestamp: seq });
    await chat.send([{ type: 'reset', conversationId: 'c-plan', events: [
      event(1, 'user', 'split app.py', { chatMode: 'plan' }),
      event(2, 'respond', '1. Move parsing to parse.py\n', { delta: true }),
      event(3, 'respond', '2. Keep main in app.py', { delta: true }),
      event(4, 'end', '', { stopReason: 'end' }),
    ] }]);
    assert.equal(await chat.page.textContent('.item.user .mode-badge'), 'plan', 'the question shows the mode it was asked in');
    await chat.page.click('button.run-plan');
    assert.deepEqual(await lastPosted(), { type: 'send', text: 'Carry out this plan:\n\n1. Move parsing to parse.py\n2. Keep main in app.py' });
    assert.equal(await chat.page.inputValue('select.mode'), 'agent');
    assert.equal(await chat.page.locator('.plan-bar').isHidden(), true);
  });
});
