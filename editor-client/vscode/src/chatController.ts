/**
 * The sidebar's conversation: which conversation is shown, the running turn,
 * and the permission requests waiting for the user. It sits between the
 * protocol session and the chat view; it has no `vscode` import.
 *
 * Algorithm:
 * 1. A turn (a prompt, or a code-action command) starts only when none is
 *    running; it carries the current conversation id, or none for a new
 *    conversation, in which case the first `user` event of the turn names it.
 * 2. Events of the current conversation are kept (for re-rendering a
 *    re-created view) and forwarded to the view; others are ignored.
 * 3. Stop sends `silcrow/cancel` for the conversation; when the id is not
 *    known yet, the request itself is cancelled (`$/cancelRequest`). Either
 *    way the turn resolves with stopReason `cancelled`.
 * 4. A permission request becomes a card in the chat and, when the chat is not
 *    visible, also a notification; the first answer wins, the turn ending
 *    first counts as `reject`.
 * 5. Errors of the client's own (a refused request, a daemon that did not
 *    start) and the daemon's `window/showMessage` warnings go into the chat;
 *    a toast only when no chat is visible. Its information messages go
 *    into the chat only.
 * 6. The shown conversation is reported (`onConversation`) so the host can
 *    reopen it after a window reload (`open`, from the daemon's history).
 * 7. A code-action command (`workspace/executeCommand`) is answered at once
 *    with its conversation id; its turn is over at the conversation's
 *    terminal event (`end`, `cancelled`, or an `error` that ends the turn),
 *    which may arrive before the answer.
 */
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc';
import type {
  ChatMode,
  CommandResult,
  ContextItem,
  PermissionOptionId,
  PermissionRequest,
  PermissionResponse,
  PromptResult,
  SilcrowEvent,
  Usage,
} from './protocol/contract';
import type { SilcrowSession } from './protocol/session';
import { applyEvent, titleOf, transcriptOf, type TranscriptState } from './protocol/transcript';
import type { FromWebview, KeyProvider, NoticeAction, ToWebview, Welcome } from './webview/messages';

export interface ChatSurface {
  post(message: ToWebview): void;
  isVisible(): boolean;
}

export type TurnState = { state: 'idle'; usage?: Usage } | { state: 'working' } | { state: 'error'; message: string };

export interface ChatOptions {
  /** `chunks` for prompts: undefined leaves it to the daemon's `streaming` setting. */
  chunks(): boolean | undefined;
  /** Ask outside the chat (a notification); resolves with the chosen option or undefined. */
  askElsewhere(request: PermissionRequest): Promise<PermissionOptionId | undefined>;
  onState(state: TurnState): void;
  /** The conversation the chat shows changed (undefined: a new one). */
  onConversation(conversationId: string | undefined): void;
  /** An error toast, for when no chat is visible (the host may still find the chat coming into view). */
  toast(text: string, actions: NoticeAction[]): void;
  /** The empty chat's first-run state. */
  welcome(): Promise<Welcome>;
  copy(text: string): Promise<void>;
  insert(text: string): Promise<void>;
  setKey(provider: KeyProvider): Promise<void>;
  action(action: NoticeAction): Promise<void>;
}

/** What "Try the offline demo" asks (any question gets the demo when no model is configured). */
export const DEMO_QUESTION = 'Show me what you can do with this workspace.';

/** The chat mode and model the user picked for a message (undefined: the daemon's defaults). */
export interface TurnChoice {
  chatMode?: ChatMode;
  model?: string;
}

type StartTurn = (conversationId: string | undefined, token: CancellationToken) => Promise<PromptResult>;

/** A command's turn waiting for its terminal event. */
interface CommandTurn {
  ended?: PromptResult;
  resolve?(result: PromptResult): void;
}

interface PendingPermission {
  request: PermissionRequest;
  resolve(response: PermissionResponse): void;
}

export class ChatController {
  private conversationId: string | undefined;
  private title: string | undefined;
  private events: SilcrowEvent[] = [];
  /** The client's own errors since the conversation was shown (a re-created view gets them again). */
  private notices: ToWebview[] = [];
  private transcript: TranscriptState = transcriptOf([]);
  private turn: CancellationTokenSource | undefined;
  private readonly permissions = new Map<string, PendingPermission>();
  private permissionCount = 0;
  private commandTurn: CommandTurn | undefined;

  constructor(
    private readonly session: SilcrowSession,
    private readonly surface: ChatSurface,
    private readonly options: ChatOptions,
  ) {
    session.onEvent((event) => this.onEvent(event));
    session.setPermissionHandler((request) => this.requestPermission(request));
  }

  get busy(): boolean {
    return this.turn !== undefined;
  }

  get currentConversation(): string | undefined {
    return this.conversationId;
  }

  /** Handle a message from the chat view. */
  async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.refreshView();
        await this.refreshWelcome();
        break;
      case 'demo':
        await this.send(DEMO_QUESTION);
        break;
      case 'copy':
        await this.options.copy(message.text);
        break;
      case 'insert':
        await this.options.insert(message.text);
        break;
      case 'setKey':
        await this.options.setKey(message.provider);
        break;
      case 'action':
        await this.options.action(message.action);
        break;
      case 'send':
        await this.send(message.text, message.context, { chatMode: message.chatMode, model: message.model });
        break;
      case 'stop':
        await this.stop();
        break;
      case 'newConversation':
        await this.newConversation();
        break;
      case 'listConversations':
        await this.listConversations();
        break;
      case 'openConversation':
        await this.open(message.conversationId);
        break;
      case 'permission':
        this.answerPermission(message.requestId, message.optionId as PermissionOptionId);
        break;
    }
  }

  /** Send a user message (with optional context items, mode and model) as a turn of the current conversation. */
  send(text: string, context?: ContextItem[], choice: TurnChoice = {}): Promise<PromptResult | undefined> {
    return this.run((conversationId, token) =>
      this.session.prompt(text, { conversationId, context, chunks: this.options.chunks(), ...choice }, token),
    );
  }

  /** Run a turn started by a daemon command, in the current conversation; resolves when the turn ends. */
  runCommand(start: (conversationId: string | undefined) => Promise<unknown>): Promise<PromptResult | undefined> {
    return this.run(async (conversationId, token) => {
      const turn: CommandTurn = {};
      this.commandTurn = turn;
      try {
        const answer = (await start(conversationId)) as CommandResult | PromptResult;
        if ('stopReason' in answer) {
          return answer; // a daemon that answers when the turn is over
        }
        if (this.conversationId === undefined) {
          this.conversationId = answer.conversationId;
          this.options.onConversation(answer.conversationId);
        }
        const cancel = token.onCancellationRequested(() => void this.session.stop(answer.conversationId).catch(() => false));
        try {
          return await (turn.ended ?? new Promise<PromptResult>((resolve) => (turn.resolve = resolve)));
        } finally {
          cancel.dispose();
        }
      } finally {
        this.commandTurn = undefined;
      }
    });
  }

  async stop(): Promise<void> {
    const turn = this.turn;
    if (!turn) {
      return;
    }
    const stopped = this.conversationId ? await this.session.stop(this.conversationId).catch(() => false) : false;
    if (!stopped) {
      turn.cancel();
    }
  }

  async newConversation(): Promise<void> {
    await this.stop();
    this.show(undefined, undefined, []);
  }

  async listConversations(): Promise<void> {
    try {
      const { conversations } = await this.session.conversations();
      this.surface.post({ type: 'conversations', conversations });
    } catch (error) {
      this.notice(`Could not list past conversations: ${messageOf(error)}`);
    }
  }

  /** Reopen the conversation shown before a window reload; one the daemon no longer has is forgotten quietly. */
  async restore(conversationId: string): Promise<void> {
    try {
      const { conversation, events } = await this.session.history(conversationId);
      if (!this.turn && this.conversationId === undefined) {
        this.show(conversation.id, conversation.title, events);
      }
    } catch {
      this.options.onConversation(this.conversationId);
    }
  }

  async open(conversationId: string): Promise<void> {
    if (this.turn) {
      this.notice('A turn is running; stop it before opening another conversation.');
      return;
    }
    try {
      const { conversation, events } = await this.session.history(conversationId);
      this.show(conversation.id, conversation.title, events);
    } catch (error) {
      this.notice(`Could not open the conversation: ${messageOf(error)}`);
    }
  }

  /** Tell the view whether the empty chat is a first run (after settings or keys changed). */
  async refreshWelcome(): Promise<void> {
    this.surface.post({ type: 'welcome', welcome: await this.options.welcome() });
  }

  /** Send the whole state to a (re-)created view. */
  refreshView(): void {
    this.surface.post({ type: 'reset', conversationId: this.conversationId, title: this.title, events: this.events });
    this.surface.post({ type: 'busy', busy: this.busy });
    this.notices.forEach((notice) => this.surface.post(notice));
    for (const [requestId, pending] of this.permissions) {
      this.surface.post({ type: 'permission', requestId, request: pending.request });
    }
  }

  private async run(start: StartTurn): Promise<PromptResult | undefined> {
    if (this.turn) {
      this.notice('Silcrow is still working on the last message; wait for it or press Stop.');
      return undefined;
    }
    const source = new CancellationTokenSource();
    this.setTurn(source);
    try {
      const result = await start(this.conversationId, source.token);
      if (this.conversationId === undefined) {
        this.conversationId = result.conversationId;
        this.options.onConversation(this.conversationId);
      }
      this.options.onState(
        result.stopReason === 'error'
          ? { state: 'error', message: result.error ?? 'the turn failed' }
          : { state: 'idle', usage: this.transcript.usage },
      );
      return result;
    } catch (error) {
      this.notice(messageOf(error));
      this.options.onState({ state: 'error', message: messageOf(error) });
      return undefined;
    } finally {
      this.setTurn(undefined);
      source.dispose();
      this.rejectPendingPermissions();
    }
  }

  private setTurn(turn: CancellationTokenSource | undefined): void {
    this.turn = turn;
    this.surface.post({ type: 'busy', busy: turn !== undefined });
    if (turn) {
      this.options.onState({ state: 'working' });
    }
  }

  private onEvent(event: SilcrowEvent): void {
    const adopt = this.turn !== undefined && this.conversationId === undefined && event.type === 'user';
    if (event.conversationId !== this.conversationId && !adopt) {
      return;
    }
    if (adopt) {
      this.conversationId = event.conversationId;
      this.options.onConversation(this.conversationId);
      this.transcript = transcriptOf([], event.conversationId);
    }
    if (event.seq <= this.transcript.lastSeq) {
      return;
    }
    applyEvent(this.transcript, event);
    this.title ??= titleOf(event);
    this.events.push(event);
    this.surface.post({ type: 'event', event });
    this.endCommandTurn(event);
  }

  private endCommandTurn(event: SilcrowEvent): void {
    const turn = this.commandTurn;
    const stopReason = terminalStop(event);
    if (!turn || turn.ended || !stopReason) {
      return;
    }
    turn.ended = { conversationId: event.conversationId, turnId: event.turnId, stopReason, error: stopReason === 'error' ? event.content : undefined };
    turn.resolve?.(turn.ended);
  }

  private show(conversationId: string | undefined, title: string | undefined, events: SilcrowEvent[]): void {
    this.conversationId = conversationId;
    this.title = title;
    this.events = [...events];
    this.notices = [];
    this.transcript = transcriptOf(this.events, conversationId);
    this.surface.post({ type: 'reset', conversationId, title, events: this.events });
    this.options.onConversation(conversationId);
  }

  private requestPermission(request: PermissionRequest): Promise<PermissionResponse> {
    const requestId = `permission-${++this.permissionCount}`;
    return new Promise<PermissionResponse>((resolve) => {
      this.permissions.set(requestId, { request, resolve });
      this.surface.post({ type: 'permission', requestId, request });
      if (!this.surface.isVisible()) {
        void this.options.askElsewhere(request).then((optionId) => {
          if (optionId) {
            this.answerPermission(requestId, optionId);
          }
        });
      }
    });
  }

  private answerPermission(requestId: string, optionId: PermissionOptionId): void {
    const pending = this.permissions.get(requestId);
    if (!pending) {
      return;
    }
    this.permissions.delete(requestId);
    const known = pending.request.options.some((option) => option.optionId === optionId);
    pending.resolve({ optionId: known ? optionId : 'reject' });
    this.surface.post({ type: 'permissionSettled', requestId });
  }

  private rejectPendingPermissions(): void {
    for (const requestId of [...this.permissions.keys()]) {
      this.answerPermission(requestId, 'reject');
    }
  }

  /** An error where the user is looking: the chat, and a toast when no chat is visible. */
  notice(text: string, actions: NoticeAction[] = []): void {
    this.post({ type: 'notice', level: 'error', text, actions });
    if (!this.surface.isVisible()) {
      this.options.toast(text, actions);
    }
  }

  /**
   * A message the daemon shows on its own (`window/showMessage`): a warning or error as `notice`;
   * information (e.g. "live sessions are not available here") quietly, in the chat only.
   */
  daemonMessage(text: string, important: boolean): void {
    const message = text.replace(/^Silcrow: /, '');
    if (important) {
      this.notice(message);
    } else {
      this.post({ type: 'notice', level: 'info', text: message });
    }
  }

  private post(notice: ToWebview): void {
    this.notices.push(notice);
    this.surface.post(notice);
  }
}

/** The stop reason of an event that ends a turn (an `error` that is not an aborted cycle), else undefined. */
function terminalStop(event: SilcrowEvent): PromptResult['stopReason'] | undefined {
  const reason = (event.payload as { stopReason?: PromptResult['stopReason'] } | undefined)?.stopReason;
  switch (event.type) {
    case 'end':
      return reason ?? 'end';
    case 'cancelled':
      return 'cancelled';
    case 'error':
      return reason;
    default:
      return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
