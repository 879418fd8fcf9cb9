/**
 * The chat as plain DOM: a transcript of Silcrow events, a composer, a Stop
 * button, a history list and permission prompts. No VS Code API here: the
 * host is an object with `post` and `save`, so the view runs in any browser.
 *
 * Algorithm:
 * 1. Host messages (`ToWebview`) go through one `switch`. Events are folded
 *    into the transcript model (protocol/transcript.ts); only the items the
 *    fold reports as changed are re-rendered, keyed by item id.
 * 2. `reset` replaces the transcript with a conversation's stored events
 *    (new conversation, history, or the view coming back).
 * 3. User actions become `FromWebview` messages: Enter sends (Shift+Enter is a
 *    newline), Stop, New conversation, History, a permission choice.
 * 4. After every change the view saves `{draft, conversationId, events}`
 *    through the host, so it can be rebuilt when the webview is re-created.
 * 5. The transcript follows the newest line while the user is at the bottom
 *    (a growing answer stays in sight); scrolling up stops that until the
 *    user scrolls back down.
 * 6. The empty chat shows the first-run welcome (`welcome`): store a key for
 *    a provider, or try the offline demo.
 * 7. Context chips, `@` mentions, `/` commands, the mode and model pickers,
 *    images and the token footer are the composer tools' (composerTools.ts).
 */
import type { SilcrowEvent } from '../protocol/contract';
import { applyEvent, titleOf, transcriptOf, type Item, type TranscriptState } from '../protocol/transcript';
import { codeActionOf } from './code';
import { ComposerTools, type ComposerState } from './composerTools';
import { el, renderConversations, renderItem, renderPermission, renderWelcome } from './render';
import type { FromWebview, NoticeAction, ToWebview, Welcome } from './messages';
import { restoreTurnOf } from './restore';
import { showReviewCard } from './review';

export interface SavedState {
  draft: string;
  conversationId?: string;
  title?: string;
  events: SilcrowEvent[];
  composer?: ComposerState;
}

export interface ChatHost {
  post(message: FromWebview): void;
  save(state: SavedState): void;
}

export class ChatView {
  private transcript: TranscriptState;
  private events: SilcrowEvent[];
  private title: string | undefined;
  private busy = false;
  private following = true;
  private welcome: Welcome | undefined;
  private readonly nodes = new Map<string, HTMLElement>();
  private readonly log: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly historyPanel: HTMLElement;
  private readonly titleNode: HTMLElement;
  private readonly tools: ComposerTools;

  constructor(
    root: HTMLElement,
    private readonly host: ChatHost,
    saved?: SavedState,
  ) {
    this.events = saved?.events ?? [];
    this.title = saved?.title;
    this.transcript = transcriptOf(this.events, saved?.conversationId);
    this.titleNode = el('div', { className: 'title' });
    this.historyPanel = el('nav', { className: 'history', hidden: true, ariaLabel: 'Past conversations' });
    this.log = el('main', { className: 'transcript', role: 'log', ariaLive: 'polite' });
    this.log.addEventListener('scroll', () => {
      this.following = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    });
    this.log.addEventListener('click', (event) => {
      const code = codeActionOf(event.target);
      if (code) {
        this.host.post({ type: code.action, text: code.text });
      }
      const turnId = restoreTurnOf(event.target);
      if (turnId) {
        this.host.post({ type: 'restore', turnId });
      }
    });
    this.input = el('textarea', {
      className: 'input',
      rows: 3,
      placeholder: 'Ask Silcrow… (Enter sends, Shift+Enter for a new line)',
      ariaLabel: 'Message',
    });
    this.input.value = saved?.draft ?? '';
    this.tools = new ComposerTools(this.input, {
      post: (message) => this.host.post(message),
      newConversation: () => this.startNew(),
      notice: (level, text) => this.append(this.notice(level, text, [])),
      changed: () => this.persist(),
    }, saved?.composer);
    this.sendButton = el('button', { className: 'send', textContent: 'Send', title: 'Send (Enter)' });
    this.stopButton = el('button', { className: 'stop', textContent: 'Stop', title: 'Stop the turn', hidden: true });
    root.replaceChildren(this.toolbar(), this.historyPanel, this.log, this.composer());
    this.renderAll();
    this.tools.showConversation(this.events);
  }

  /** Handle one message from the extension host. */
  handle(message: ToWebview): void {
    switch (message.type) {
      case 'event':
        this.onEvent(message.event);
        break;
      case 'reset':
        this.reset(message.events, message.conversationId, message.title);
        break;
      case 'busy':
        this.setBusy(message.busy);
        break;
      case 'permission':
        this.append(renderPermission(message.requestId, message.request, (optionId) => this.choose(message.requestId, optionId)));
        break;
      case 'permissionSettled':
        this.settlePermission(message.requestId, undefined);
        break;
      case 'conversations':
        this.historyPanel.replaceChildren(
          renderConversations(message.conversations, (id) => this.openConversation(id)),
        );
        this.historyPanel.hidden = false;
        break;
      case 'notice':
        this.append(this.notice(message.level, message.text, message.actions ?? []));
        break;
      case 'welcome':
        this.welcome = message.welcome;
        this.log.querySelector('.welcome')?.replaceWith(renderWelcome(this.welcome, (m) => this.host.post(m)));
        break;
      case 'focusInput':
        this.input.focus();
        break;
      case 'review':
        showReviewCard(this.log, message.card, (m) => this.host.post(m));
        this.follow();
        break;
      default:
        this.tools.handle(message);
        break;
    }
  }

  private toolbar(): HTMLElement {
    const newButton = el('button', { className: 'new', textContent: 'New conversation' });
    newButton.addEventListener('click', () => this.startNew());
    const historyButton = el('button', { className: 'show-history', textContent: 'History' });
    historyButton.addEventListener('click', () => {
      if (this.historyPanel.hidden) {
        this.host.post({ type: 'listConversations' });
      } else {
        this.historyPanel.hidden = true;
      }
    });
    return el('header', { className: 'toolbar' }, [this.titleNode, newButton, historyButton]);
  }

  private composer(): HTMLElement {
    this.input.addEventListener('keydown', (event) => {
      if (this.tools.keydown(event)) {
        return;
      }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => this.persist());
    this.sendButton.addEventListener('click', () => this.send());
    this.stopButton.addEventListener('click', () => this.host.post({ type: 'stop' }));
    const footer = el('footer', { className: 'composer' }, [
      ...this.tools.popups,
      this.tools.planBar,
      this.tools.attachments.element,
      this.input,
      el('div', { className: 'buttons' }, [this.tools.pickers.element, this.sendButton, this.stopButton]),
      this.tools.usage,
    ]);
    this.tools.acceptDrops(footer);
    return footer;
  }

  private send(): void {
    const text = this.input.value.trim();
    if (!text || this.busy) {
      return;
    }
    this.input.value = '';
    const message = this.tools.prepare(text);
    if (message) {
      this.host.post(message);
    }
    this.persist();
  }

  private startNew(): void {
    this.reset([], undefined, undefined);
    this.host.post({ type: 'newConversation' });
  }

  private notice(level: 'error' | 'info', text: string, actions: NoticeAction[]): HTMLElement {
    const labels: Record<NoticeAction, string> = { openSettings: 'Open Settings', showLog: 'Show Log' };
    const buttons = actions.map((action) => {
      const button = el('button', { className: `notice-action ${action}`, textContent: labels[action] });
      button.addEventListener('click', () => this.host.post({ type: 'action', action }));
      return button;
    });
    const node = el('div', { className: `item ${level === 'error' ? 'error' : 'notice'}`, role: level === 'error' ? 'alert' : 'status' }, [
      el('span', { textContent: text }),
    ]);
    if (buttons.length > 0) {
      node.append(el('div', { className: 'options' }, buttons));
    }
    return node;
  }

  private openConversation(conversationId: string): void {
    this.historyPanel.hidden = true;
    this.host.post({ type: 'openConversation', conversationId });
  }

  private choose(requestId: string, optionId: string): void {
    this.settlePermission(requestId, optionId);
    this.host.post({ type: 'permission', requestId, optionId });
  }

  private settlePermission(requestId: string, optionId: string | undefined): void {
    const card = this.log.querySelector<HTMLElement>(`.permission[data-request-id="${CSS.escape(requestId)}"]`);
    if (!card) {
      return;
    }
    card.querySelectorAll('button').forEach((button) => {
      button.disabled = true;
      if (optionId !== undefined) {
        button.classList.toggle('chosen', button.dataset.option === optionId);
      }
    });
    card.classList.add('settled');
  }

  private onEvent(event: SilcrowEvent): void {
    if (this.transcript.conversationId && event.conversationId !== this.transcript.conversationId) {
      return;
    }
    if (event.seq <= this.transcript.lastSeq) {
      return;
    }
    const changed = applyEvent(this.transcript, event);
    this.events.push(event);
    if (!this.title && titleOf(event)) {
      this.title = titleOf(event);
      this.titleNode.textContent = this.title ?? '';
    }
    changed.forEach((id) => this.renderItemById(id));
    this.tools.showConversation(this.events);
    this.persist();
  }

  private reset(events: SilcrowEvent[], conversationId: string | undefined, title: string | undefined): void {
    this.events = [...events];
    this.title = title ?? events.map(titleOf).find((line) => line !== undefined);
    this.transcript = transcriptOf(this.events, conversationId);
    this.renderAll();
    this.tools.showConversation(this.events);
    this.persist();
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.input.classList.toggle('busy', busy);
  }

  private renderAll(): void {
    this.nodes.clear();
    this.log.replaceChildren();
    this.titleNode.textContent = this.title ?? 'New conversation';
    this.transcript.items.forEach((item) => this.renderItemById(item.id));
    if (this.transcript.items.length === 0) {
      this.log.append(renderWelcome(this.welcome, (message) => this.host.post(message)));
    }
  }

  private renderItemById(id: string): void {
    const item = this.transcript.items.find((candidate: Item) => candidate.id === id);
    if (!item) {
      return;
    }
    const fresh = renderItem(item, this.nodes.get(id));
    const old = this.nodes.get(id);
    if (old) {
      old.replaceWith(fresh);
    } else {
      this.log.querySelector('.empty')?.remove();
      this.log.append(fresh);
    }
    this.nodes.set(id, fresh);
    this.follow();
  }

  private append(node: HTMLElement): void {
    this.log.append(node);
    this.follow();
  }

  /** Keep the newest line in sight while the user has not scrolled up. */
  private follow(): void {
    if (this.following) {
      this.log.scrollTop = this.log.scrollHeight;
    }
  }

  private persist(): void {
    this.host.save({
      draft: this.input.value,
      conversationId: this.transcript.conversationId,
      title: this.title,
      events: this.events,
      composer: this.tools.state,
    });
  }
}
