/**
 * DOM builders for the chat: one function per kind of transcript item, the
 * permission card and the history list. Text from the model or the daemon is
 * set with `textContent`; only the Markdown renderer produces HTML, and it
 * sanitises what it produces.
 */
import type { Conversation, PermissionRequest } from '../protocol/contract';
import type { FromWebview, KeyProvider, Welcome } from './messages';
import type { Item } from '../protocol/transcript';
import { decorateCodeBlocks } from './code';
import { renderMarkdown } from './markdown';
import { restoreButton } from './restore';

type Props = Record<string, string | number | boolean | undefined>;

/** Create an element with properties (`ariaLabel`-style names map to attributes) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) {
      continue;
    }
    if (key.startsWith('aria') || key === 'role') {
      node.setAttribute(key === 'role' ? 'role' : `aria-${key.slice(4).toLowerCase()}`, String(value));
    } else {
      (node as unknown as Record<string, unknown>)[key] = value;
    }
  }
  node.append(...children);
  return node;
}

/** Render one transcript item; `previous` (its old element) keeps a user's open/closed choice. */
export function renderItem(item: Item, previous?: HTMLElement): HTMLElement {
  switch (item.kind) {
    case 'user':
      return renderUser(item.text, item.context, item.chatMode, item.turnId);
    case 'think':
      return renderThink(item.text, item.open, previous);
    case 'respond':
      return renderRespond(item.text, item.open);
    case 'tool':
      return renderTool(item, previous);
    case 'error':
      return el('div', { className: 'item error', role: 'alert', textContent: item.text });
    case 'notice':
      return el('div', { className: 'item notice', role: 'status', textContent: item.text });
  }
}

function renderUser(text: string, context: string, chatMode: string | undefined, turnId: string): HTMLElement {
  const children: HTMLElement[] = [el('div', { className: 'bubble', textContent: text })];
  if (chatMode) {
    children.unshift(el('span', { className: 'mode-badge', textContent: chatMode, title: `Sent in ${chatMode} mode (read-only)` }));
  }
  if (context) {
    children.push(el('div', { className: 'context', textContent: `with ${context}` }));
  }
  children.push(restoreButton(turnId));
  return el('div', { className: 'item user' }, children);
}

function renderThink(text: string, streaming: boolean, previous?: HTMLElement): HTMLElement {
  const open = previous instanceof HTMLDetailsElement ? previous.open : streaming;
  return el('details', { className: `item think${streaming ? ' streaming' : ''}`, open }, [
    el('summary', { textContent: streaming ? 'Thinking…' : 'Thought' }),
    el('div', { className: 'body', textContent: text }),
  ]);
}

function renderRespond(text: string, streaming: boolean): HTMLElement {
  const node = el('div', { className: `item respond markdown${streaming ? ' streaming' : ''}` });
  node.innerHTML = renderMarkdown(text);
  decorateCodeBlocks(node);
  return node;
}

const STATUS_LABEL: Record<string, string> = {
  running: 'running',
  ok: 'done',
  failed: 'failed',
  interrupted: 'interrupted',
};

function renderTool(item: Extract<Item, { kind: 'tool' }>, previous?: HTMLElement): HTMLElement {
  // A command printing while it runs is shown open, so its output is seen live.
  const live = item.status === 'running' && item.live !== '';
  const open = previous instanceof HTMLDetailsElement ? previous.open || live : live;
  const summary = el('summary', {}, [
    el('span', { className: 'status', textContent: STATUS_LABEL[item.status], title: item.status }),
    el('span', { className: 'tool-name', textContent: item.name }),
    el('span', { className: 'tool-args', textContent: describeArgs(item.args) }),
  ]);
  const body: HTMLElement[] = [];
  if (item.outcome) {
    body.push(el('div', { className: 'outcome', textContent: item.outcome }));
  }
  body.push(el('pre', { className: 'tool-result', textContent: item.result || item.live || '(no output yet)' }));
  return el('details', { className: `item tool ${item.status}`, open }, [summary, ...body]);
}

const ARG_KEYS = ['file', 'path', 'pattern', 'query', 'command', 'url', 'dir'];

/** A one-line description of a call's arguments, e.g. `a.py` or `pytest -q`. */
export function describeArgs(args: unknown): string {
  if (typeof args === 'string') {
    return clip(args);
  }
  if (!args || typeof args !== 'object') {
    return '';
  }
  const record = args as Record<string, unknown>;
  const key = ARG_KEYS.find((name) => typeof record[name] === 'string') ??
    Object.keys(record).find((name) => typeof record[name] === 'string');
  return key ? clip(String(record[key])) : '';
}

function clip(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/** A permission card with one button per option; `choose` gets the optionId. */
export function renderPermission(
  requestId: string,
  request: PermissionRequest,
  choose: (optionId: string) => void,
): HTMLElement {
  const buttons = request.options.map((option) => {
    const button = el('button', { className: `option ${option.optionId}`, textContent: option.name });
    button.dataset.option = option.optionId;
    button.addEventListener('click', () => choose(option.optionId));
    return button;
  });
  const card = el('div', { className: 'item permission', role: 'group', ariaLabel: 'Permission request' }, [
    el('div', { className: 'question', textContent: `Silcrow wants to use ${request.tool}` }),
    el('div', { className: 'summary', textContent: request.summary }),
    el('div', { className: 'options' }, buttons),
  ]);
  card.dataset.requestId = requestId;
  return card;
}

/** The list of past conversations; `open` gets the chosen id. */
export function renderConversations(conversations: Conversation[], open: (id: string) => void): HTMLElement {
  if (conversations.length === 0) {
    return el('p', { className: 'empty', textContent: 'No past conversations in this workspace.' });
  }
  const items = conversations.map((conversation) => {
    const button = el('button', { className: 'conversation', title: conversation.workspace }, [
      el('span', { className: 'conversation-title', textContent: conversation.title || '(untitled)' }),
      el('span', { className: 'when', textContent: new Date(conversation.updatedAt * 1000).toLocaleString() }),
    ]);
    button.dataset.conversationId = conversation.id;
    button.addEventListener('click', () => open(conversation.id));
    return el('li', {}, [button]);
  });
  return el('ul', {}, items);
}

const KEY_PROVIDERS: [KeyProvider, string][] = [['openai', 'OpenAI'], ['anthropic', 'Anthropic'], ['gemini', 'Gemini']];

/**
 * The empty chat. On a first run (no provider configured, no key found) it is
 * the walkthrough: store a key for a provider, or try the offline demo.
 */
export function renderWelcome(welcome: Welcome | undefined, post: (message: FromWebview) => void): HTMLElement {
  const hint = el('p', { textContent: 'Ask about your code, or select code and use "Ask Silcrow about this…".' });
  if (!welcome?.demo) {
    return el('div', { className: 'empty welcome' }, [hint]);
  }
  const keys = KEY_PROVIDERS.map(([provider, label]) => {
    const button = el('button', { className: `set-key ${provider}`, textContent: label });
    button.addEventListener('click', () => post({ type: 'setKey', provider }));
    return button;
  });
  const demo = el('button', { className: 'send try-demo', textContent: 'Try the offline demo' });
  demo.addEventListener('click', () => post({ type: 'demo' }));
  return el('div', { className: 'empty welcome first-run' }, [
    el('h3', { textContent: 'Welcome to Silcrow' }),
    el('p', { textContent: 'No model is configured yet. Pick a provider and paste its API key (kept in VS Code\'s secret storage, never in a settings file):' }),
    el('div', { className: 'options' }, keys),
    el('p', { textContent: 'Or see the whole loop first, with no account: a scripted demo that reads a file of this workspace.' }),
    el('div', { className: 'options' }, [demo]),
    hint,
  ]);
}
