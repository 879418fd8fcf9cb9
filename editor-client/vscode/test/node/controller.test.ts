/**
 * The sidebar's controller (src/chatController.ts) against the real daemon,
 * with a recording surface in place of the webview: a new conversation is
 * adopted from its first event, permission cards round-trip, Stop cancels,
 * history reopens and continues a conversation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChatController, type TurnState } from '../../src/chatController';
import type { ToWebview } from '../../src/webview/messages';
import { fileUri, startDaemon, withTimeout, type Daemon } from './daemon';

const TURN_MS = 15000;

class Surface {
  messages: ToWebview[] = [];
  visible = true;
  waiters: { predicate: (m: ToWebview) => boolean; resolve: (m: ToWebview) => void }[] = [];
  post(message: ToWebview): void {
    this.messages.push(message);
    this.waiters = this.waiters.filter((waiter) => !(waiter.predicate(message) && (waiter.resolve(message), true)));
  }
  isVisible(): boolean {
    return this.visible;
  }
  next<T extends ToWebview['type']>(type: T): Promise<Extract<ToWebview, { type: T }>> {
    return new Promise((resolve) => this.waiters.push({ predicate: (m) => m.type === type, resolve: resolve as (m: ToWebview) => void }));
  }
  of<T extends ToWebview['type']>(type: T): Extract<ToWebview, { type: T }>[] {
    return this.messages.filter((m): m is Extract<ToWebview, { type: T }> => m.type === type);
  }
}

describe('chat controller', () => {
  let daemon: Daemon;
  let surface: Surface;
  let chat: ChatController;
  const states: TurnState[] = [];
  const conversations: (string | undefined)[] = [];
  const toasts: string[] = [];
  const shell = JSON.stringify({ name: 'shell', args: { command: 'echo from-the-shell' } });
  before(async () => {
    daemon = await startDaemon({
      replies: [
        '§respond: first answer\n§end\n',
        `§call: ${shell}\n§execute\n`,
        '§respond: ran\n§end\n',
        `§respond: ${'slow '.repeat(300)}\n§end\n`,
        '§respond: continued\n§end\n',
        `§respond: ${'explained '.repeat(40)}\n§end\n`,
      ],
      chunk: 3,
      delay: 0.01,
    });
    surface = new Surface();
    chat = new ChatController(daemon.session, surface, {
      chunks: () => true,
      askElsewhere: () => Promise.resolve(undefined),
      onState: (state) => states.push(state),
      onConversation: (id) => conversations.push(id),
      toast: (text) => toasts.push(text),
      welcome: () => Promise.resolve({ demo: false, provider: 'fake' }),
      copy: () => Promise.resolve(),
      insert: () => Promise.resolve(),
      setKey: () => Promise.resolve(),
      action: () => Promise.resolve(),
    });
  });
  after(() => daemon.close());

  test('a first message starts a conversation and the view gets its events', async () => {
    const result = await withTimeout(chat.send('hello'), TURN_MS);
    assert.equal(result?.stopReason, 'end');
    assert.equal(chat.currentConversation, result?.conversationId);
    const events = surface.of('event').map((m) => m.event);
    assert.equal(events[0].type, 'user');
    assert.ok(events.every((event) => event.conversationId === result?.conversationId));
    assert.deepEqual(surface.of('busy').map((m) => m.busy), [true, false]);
    assert.deepEqual(states.map((s) => s.state), ['working', 'idle']);
    assert.deepEqual(conversations, [result?.conversationId], 'the host is told which conversation to reopen after a reload');
  });

  test('a permission request becomes a card; the answer from the view is sent back', async () => {
    const card = surface.next('permission');
    const turn = chat.send('run something');
    const { requestId, request } = await withTimeout(card, TURN_MS, 'permission card');
    assert.equal(request.tool, 'shell');
    const settled = surface.next('permissionSettled');
    await chat.handle({ type: 'permission', requestId, optionId: 'allow_once' });
    assert.equal((await settled).requestId, requestId);
    const result = await withTimeout(turn, TURN_MS);
    assert.equal(result?.stopReason, 'end');
    const output = surface.of('event').map((m) => m.event).find((event) => event.type === 'result');
    assert.match(output?.content ?? '', /from-the-shell/);
  });

  test('a second message while busy is refused with a notice; Stop cancels the turn', async () => {
    const streaming = new Promise<void>((resolve) => {
      const listener = daemon.session.onEvent((event) => {
        if (event.type === 'respond') {
          listener.dispose();
          resolve();
        }
      });
    });
    const turn = chat.send('talk slowly');
    await withTimeout(streaming, TURN_MS, 'first delta');
    assert.equal(await chat.send('interrupting'), undefined);
    assert.match(surface.of('notice').at(-1)?.text ?? '', /still working/);
    assert.deepEqual(toasts, [], 'no toast while the chat is visible');
    surface.visible = false;
    await chat.send('interrupting again');
    surface.visible = true;
    assert.equal(toasts.length, 1, 'a toast when no chat is visible');
    assert.match(toasts[0], /still working/);
    await chat.handle({ type: 'stop' });
    const result = await withTimeout(turn, TURN_MS, 'cancelled turn');
    assert.equal(result?.stopReason, 'cancelled');
  });

  test('new conversation clears the view; history reopens and continues the old one', async () => {
    const old = chat.currentConversation;
    assert.ok(old);
    await chat.handle({ type: 'newConversation' });
    assert.deepEqual(surface.messages.at(-1), { type: 'reset', conversationId: undefined, title: undefined, events: [] });
    await chat.handle({ type: 'listConversations' });
    const listed = surface.of('conversations').at(-1)?.conversations ?? [];
    assert.deepEqual(listed.map((c) => c.id), [old]);
    await chat.handle({ type: 'openConversation', conversationId: old });
    const reset = surface.of('reset').at(-1);
    assert.equal(reset?.conversationId, old);
    assert.equal(reset?.title, 'hello');
    assert.ok((reset?.events.length ?? 0) > 5);
    assert.equal(conversations.at(-1), old);
    const result = await withTimeout(chat.send('go on'), TURN_MS);
    assert.equal(result?.conversationId, old);
  });

  test('a code-action command is answered at once; its turn is over at its last event', async () => {
    const busy = surface.of('busy').length;
    const answers: unknown[] = [];
    const result = await withTimeout(chat.runCommand(async (conversationId) => {
      const answer = await daemon.connection.sendRequest('workspace/executeCommand', {
        command: 'silcrow.explain',
        arguments: [{ uri: fileUri(`${daemon.root}/a.py`), text: 'x = 1', conversationId }],
      });
      answers.push(answer);
      return answer;
    }), TURN_MS);
    assert.deepEqual(answers, [{ conversationId: chat.currentConversation }], 'the daemon answers with the conversation only');
    assert.equal(result?.stopReason, 'end');
    const events = surface.of('event').map((m) => m.event);
    assert.equal(events.at(-1)?.type, 'end', 'the turn resolved at its end event, not at the answer');
    assert.match(events.filter((event) => event.type === 'respond').map((event) => event.content).join(''), /explained/);
    assert.deepEqual(surface.of('busy').slice(busy).map((m) => m.busy), [true, false]);
  });

  test("the daemon's messages: information quietly in the chat, a warning also as a toast when no chat is visible", () => {
    const before = toasts.length;
    surface.visible = false;
    chat.daemonMessage('Silcrow: live sessions are not available here (404); using replay', false);
    chat.daemonMessage('Silcrow: shell commands run without a sandbox', true);
    surface.visible = true;
    const notices = surface.of('notice').slice(-2);
    assert.deepEqual(notices.map((n) => [n.level, n.text]), [
      ['info', 'live sessions are not available here (404); using replay'],
      ['error', 'shell commands run without a sandbox'],
    ]);
    assert.deepEqual(toasts.slice(before), ['shell commands run without a sandbox'], 'only the warning is a toast');
  });

  test('a conversation the daemon no longer has is forgotten quietly after a reload', async () => {
    await chat.handle({ type: 'newConversation' });
    const notices = surface.of('notice').length;
    await chat.restore('no-such-conversation');
    assert.equal(surface.of('notice').length, notices, 'no error for the user');
    assert.equal(conversations.at(-1), undefined, 'the stored id is dropped');
    assert.equal(chat.currentConversation, undefined);
  });
});
