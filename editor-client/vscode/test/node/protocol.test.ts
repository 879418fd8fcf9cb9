/**
 * The protocol client (src/protocol/) against the real daemon with the
 * scripted fake provider: prompt and streamed events, a write arriving as
 * `workspace/applyEdit`, cancel (both ways), permission requests, history.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { PermissionRequest, SilcrowEvent } from '../../src/protocol/contract';
import { transcriptOf } from '../../src/protocol/transcript';
import { fileUri, startDaemon, withTimeout, type Daemon } from './daemon';

const TURN_MS = 15000;

function collect(daemon: Daemon): SilcrowEvent[] {
  const events: SilcrowEvent[] = [];
  daemon.session.onEvent((event) => events.push(event));
  return events;
}

function textOf(events: SilcrowEvent[], type: 'think' | 'respond'): string {
  return events.filter((event) => event.type === type).map((event) => event.content).join('');
}

/** Resolves with the first event that satisfies `predicate`. */
function firstEvent(daemon: Daemon, predicate: (event: SilcrowEvent) => boolean): Promise<SilcrowEvent> {
  return new Promise((resolve) => {
    const listener = daemon.session.onEvent((event) => {
      if (predicate(event)) {
        listener.dispose();
        resolve(event);
      }
    });
  });
}

const call = (name: string, args: Record<string, unknown>): string =>
  `§call: ${JSON.stringify({ name, args })}\n§execute\n`;

describe('prompt and streamed events', () => {
  let daemon: Daemon;
  before(async () => {
    daemon = await startDaemon({
      replies: ['§think: The user greets me.\n§respond: Hello **there**; all good.\n§end\n', '§respond: Second answer.\n§end\n'],
      chunk: 3,
    });
  });
  after(() => daemon.close());

  test('token mode: deltas concatenate to the blocks, the turn ends with end', async () => {
    const events = collect(daemon);
    const result = await withTimeout(daemon.session.prompt('hi', { chunks: true }), TURN_MS, 'prompt');
    assert.equal(result.stopReason, 'end');
    const mine = events.filter((event) => event.turnId === result.turnId);
    assert.equal(mine[0].type, 'user');
    assert.equal(mine[0].content, 'hi');
    assert.equal(mine[mine.length - 1].type, 'end');
    assert.equal(textOf(mine, 'think').trim(), 'The user greets me.');
    assert.equal(textOf(mine, 'respond').trim(), 'Hello **there**; all good.');
    const responds = mine.filter((event) => event.type === 'respond');
    assert.ok(responds.every((event) => event.payload?.delta === true), 'token mode sends respond as deltas');
    assert.ok(mine.every((event) => event.conversationId === result.conversationId));
    const seqs = mine.map((event) => event.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'seq increases');
    assert.ok(mine.some((event) => event.type === 'metric'), 'a metric event carries usage');
  });

  test('history returns the stored events; a prompt with the id continues the conversation', async () => {
    const first = await daemon.session.conversations();
    assert.equal(first.conversations.length, 1);
    const id = first.conversations[0].id;
    const history = await daemon.session.history(id);
    assert.equal(history.conversation.id, id);
    const folded = transcriptOf(history.events);
    assert.deepEqual(folded.items.map((item) => item.kind), ['user', 'think', 'respond']);

    const events = collect(daemon);
    const result = await withTimeout(daemon.session.prompt('again', { conversationId: id, chunks: false }), TURN_MS);
    assert.equal(result.conversationId, id);
    assert.equal(result.stopReason, 'end');
    const responds = events.filter((event) => event.type === 'respond');
    assert.equal(responds.length, 1, 'semantic mode sends one respond event');
    assert.notEqual(responds[0].payload?.delta, true);
    assert.equal(responds[0].content.trim(), 'Second answer.');
    const again = await daemon.session.history(id);
    assert.ok(again.events.length > history.events.length);
    assert.equal((await daemon.session.conversations()).conversations.length, 1);
  });

  test('an unknown conversation is an error that names it', async () => {
    await assert.rejects(daemon.session.history('no-such-conversation'), /no-such-conversation|unknown|conversation/i);
  });
});

describe('edits', () => {
  let daemon: Daemon;
  before(async () => {
    daemon = await startDaemon({
      replies: [call('write', { file: 'hello.py', content: "print('hi')\n" }), '§respond: Wrote hello.py.\n§end\n'],
    });
  });
  after(() => daemon.close());

  test('a write arrives as workspace/applyEdit creating the file', async () => {
    const events = collect(daemon);
    const result = await withTimeout(daemon.session.prompt('write hello', { chunks: true }), TURN_MS);
    assert.equal(result.stopReason, 'end', daemon.stderr());
    const uri = fileUri(join(daemon.root, 'hello.py'));
    assert.equal(daemon.edits.length, 1);
    assert.equal(daemon.files.get(uri), "print('hi')\n");
    const written = events.find((event) => event.type === 'result');
    assert.equal(written?.payload?.name, 'write');
    assert.ok(!written?.payload?.error, String(written?.payload?.error));
    assert.ok(existsSync(join(daemon.root, 'hello.py')));
    assert.equal(readFileSync(join(daemon.root, 'hello.py'), 'utf8'), "print('hi')\n");
  });
});

describe('cancel', () => {
  let daemon: Daemon;
  const slow = `§respond: ${'word '.repeat(400)}\n§end\n`;
  before(async () => {
    daemon = await startDaemon({ replies: [slow, slow, '§respond: after\n§end\n'], chunk: 2, delay: 0.02 });
  });
  after(() => daemon.close());

  test('silcrow/cancel resolves the prompt as cancelled', async () => {
    const started = firstEvent(daemon, (event) => event.type === 'respond');
    const events = collect(daemon);
    const prompt = daemon.session.prompt('talk', { chunks: true });
    const { conversationId } = await withTimeout(started, TURN_MS, 'first respond delta');
    assert.equal(await daemon.session.stop(conversationId), true);
    const result = await withTimeout(prompt, TURN_MS, 'cancelled prompt');
    assert.equal(result.stopReason, 'cancelled');
    assert.equal(events[events.length - 1].type, 'cancelled');
    assert.equal(await daemon.session.stop(conversationId), false, 'nothing left to cancel');
  });

  test('$/cancelRequest resolves the prompt as cancelled, not as an error', async () => {
    const started = firstEvent(daemon, (event) => event.type === 'respond');
    const source = new CancellationTokenSource();
    const prompt = daemon.session.prompt('talk again', { chunks: true }, source.token);
    await withTimeout(started, TURN_MS, 'first respond delta');
    source.cancel();
    const result = await withTimeout(prompt, TURN_MS, 'cancelled prompt');
    assert.equal(result.stopReason, 'cancelled');
  });
});

describe('permissions', () => {
  let daemon: Daemon;
  before(async () => {
    daemon = await startDaemon({
      replies: [
        call('shell', { command: 'echo allowed-$((40+2))' }),
        '§respond: ran it\n§end\n',
        call('shell', { command: 'echo should-not-run > ran.txt' }),
        '§respond: rejected\n§end\n',
      ],
    });
  });
  after(() => daemon.close());

  test('allow once runs the command; the request carries the three options', async () => {
    const requests: PermissionRequest[] = [];
    daemon.session.setPermissionHandler((request) => {
      requests.push(request);
      return Promise.resolve({ optionId: 'allow_once' });
    });
    const events = collect(daemon);
    const result = await withTimeout(daemon.session.prompt('run it'), TURN_MS);
    assert.equal(result.stopReason, 'end');
    assert.equal(requests.length, 1);
    assert.equal(requests[0].tool, 'shell');
    assert.deepEqual(requests[0].options.map((option) => option.optionId), ['allow_once', 'allow_always', 'reject']);
    const output = events.find((event) => event.type === 'result');
    assert.match(output?.content ?? '', /allowed-42/);
  });

  test('reject: the tool never runs and the model is told', async () => {
    daemon.session.setPermissionHandler(() => Promise.resolve({ optionId: 'reject' }));
    const events = collect(daemon);
    const result = await withTimeout(daemon.session.prompt('run another'), TURN_MS);
    assert.equal(result.stopReason, 'end');
    const outcome = events.find((event) => event.type === 'result');
    assert.ok(outcome?.payload?.error, 'a rejected call is an error result');
    assert.equal(existsSync(join(daemon.root, 'ran.txt')), false);
  });
});
