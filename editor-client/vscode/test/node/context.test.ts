/**
 * What the chat's context tools send, against the real daemon with the
 * scripted fake provider: context items of each kind the chat builds and the
 * chat mode reach the daemon and are stored with the turn's `user` event (with the text
 * the daemon read, for replays);
 * `silcrow/models` and `silcrow/mentions` answer as the pickers expect.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ContextItem, SilcrowEvent } from '../../src/protocol/contract';
import { fileUri, startDaemon, withTimeout, type Daemon } from './daemon';

const TURN_MS = 15000;

describe('context items, chat mode, models and mentions', () => {
  let daemon: Daemon;
  before(async () => {
    daemon = await startDaemon({ replies: ['§respond: It adds two numbers.\n§end\n'] });
  });
  after(() => daemon.close());

  test('a prompt with file, selection and diagnostics items in ask mode stores them with the user event', async () => {
    const path = join(daemon.root, 'calc.py');
    writeFileSync(path, 'def add(a, b):\n    return a + b\n');
    const uri = fileUri(path);
    const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 16 } };
    const context: ContextItem[] = [
      { kind: 'file', uri },
      { kind: 'selection', uri, range, text: 'def add(a, b):\n    return a + b' },
      { kind: 'diagnostics', uri, diagnostics: [{ range, message: 'missing type annotations', severity: 2, source: 'mypy' }] },
    ];
    const events: SilcrowEvent[] = [];
    daemon.session.onEvent((event) => events.push(event));
    const result = await withTimeout(daemon.session.prompt('What does add do?', { context, chatMode: 'ask' }), TURN_MS, 'prompt');
    assert.equal(result.stopReason, 'end');
    const user = events.find((event) => event.turnId === result.turnId && event.type === 'user');
    assert.equal(user?.content, 'What does add do?');
    assert.equal(user?.payload?.chatMode, 'ask');
    const stored = user?.payload?.context as ContextItem[];
    assert.deepEqual(stored.map((item) => item.kind), ['file', 'selection', 'diagnostics']);
    assert.deepEqual(stored[1], context[1], 'a selection sent with its text is kept as sent');
    assert.deepEqual(stored[2].kind === 'diagnostics' && stored[2].diagnostics, context[2].kind === 'diagnostics' && context[2].diagnostics);
    assert.equal(stored[0].kind === 'file' && stored[0].uri, uri);
  });

  test('an unknown chat mode is refused with a message naming it', async () => {
    const bad = daemon.session.prompt('hi', { chatMode: 'yolo' as 'ask' });
    await assert.rejects(withTimeout(bad, TURN_MS, 'prompt'), /chatMode/);
  });

  test('silcrow/models names the provider and the model in use', async () => {
    const models = await withTimeout(daemon.session.models(daemon.rootUri), TURN_MS, 'models');
    assert.equal(models.provider, 'fake');
    assert.equal(typeof models.current, 'string');
    assert.ok(Array.isArray(models.models));
  });

  test('silcrow/mentions offers a workspace file by the start of its name', async () => {
    writeFileSync(join(daemon.root, 'mention_me.txt'), 'x\n');
    let labels: string[] = [];
    for (let attempt = 0; attempt < 50 && !labels.includes('mention_me.txt'); attempt += 1) {
      labels = (await daemon.session.mentions({ query: 'mention_m' })).items.map((item) => item.label);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the index follows the disk through the watcher
    }
    assert.ok(labels.includes('mention_me.txt'), `mentions: ${labels.join(', ')}`);
  });
});
