/**
 * The Silcrow protocol client: prompts, streamed events, cancel, history and
 * the daemon's requests to the editor (permissions, saving documents).
 *
 * Algorithm:
 * 1. `SilcrowSession` wraps any JSON-RPC endpoint with the small surface
 *    shared by `vscode-jsonrpc`'s MessageConnection and the language client
 *    (`sendRequest`, `onNotification`, `onRequest`), so the same code runs in
 *    the extension and in Node tests against the real daemon.
 * 2. `silcrow/event` notifications are handed to every listener; a listener
 *    filters by conversation itself.
 * 3. `prompt` sends `silcrow/prompt` and resolves with its result when the
 *    turn ends. `stop(conversationId)` sends `silcrow/cancel`; the open prompt
 *    then resolves with stopReason `cancelled` (never an error).
 * 4. `silcrow/requestPermission` and `silcrow/saveDocuments` go to handlers
 *    set by the host; without one, permission is rejected and nothing is saved.
 *
 * No `vscode` import here: only `vscode-jsonrpc` types.
 */
import type {
  CancellationToken,
  Disposable,
  GenericNotificationHandler,
  GenericRequestHandler,
} from 'vscode-jsonrpc';
import {
  Method,
  type ChatMode,
  type ContextItem,
  type ConversationsResult,
  type HistoryResult,
  type MentionsParams,
  type MentionsResult,
  type ModelsResult,
  type PermissionRequest,
  type PermissionResponse,
  type PromptParams,
  type PromptResult,
  type SaveDocumentsParams,
  type SaveDocumentsResult,
  type SilcrowEvent,
} from './contract';

/** The part of a JSON-RPC connection the session needs. */
export interface RpcEndpoint {
  sendRequest<R>(method: string, params: unknown, token?: CancellationToken): Promise<R>;
  onNotification(method: string, handler: GenericNotificationHandler): Disposable;
  onRequest<R, E>(method: string, handler: GenericRequestHandler<R, E>): Disposable;
}

export type EventListener = (event: SilcrowEvent) => void;
export type PermissionHandler = (request: PermissionRequest) => Promise<PermissionResponse>;
export type SaveHandler = (uris: string[]) => Promise<string[]>;

export interface PromptOptions {
  conversationId?: string;
  context?: ContextItem[];
  chunks?: boolean;
  workspaceUri?: string;
  chatMode?: ChatMode;
  model?: string;
}

const REJECT: PermissionResponse = { optionId: 'reject' };

export class SilcrowSession implements Disposable {
  private readonly listeners = new Set<EventListener>();
  private readonly registrations: Disposable[] = [];
  private permissionHandler: PermissionHandler | undefined;
  private saveHandler: SaveHandler | undefined;

  constructor(private readonly rpc: RpcEndpoint) {
    this.registrations.push(
      rpc.onNotification(Method.event, (event: SilcrowEvent) => this.dispatch(event)),
      rpc.onRequest(Method.requestPermission, (request: PermissionRequest) => this.askPermission(request)),
      rpc.onRequest(Method.saveDocuments, (params: SaveDocumentsParams) => this.save(params)),
    );
  }

  /** Listen to every `silcrow/event`; dispose the result to stop. */
  onEvent(listener: EventListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  setPermissionHandler(handler: PermissionHandler | undefined): void {
    this.permissionHandler = handler;
  }

  setSaveHandler(handler: SaveHandler | undefined): void {
    this.saveHandler = handler;
  }

  /** Run one turn; resolves when it ends (stopReason `end`, `cancelled`, `max_iterations` or `error`). */
  prompt(text: string, options: PromptOptions = {}, token?: CancellationToken): Promise<PromptResult> {
    const params: PromptParams = { text, ...dropUndefined(options) };
    return this.request<PromptResult>(Method.prompt, params, token);
  }

  /** Ask the daemon to stop the running turn of `conversationId`. */
  async stop(conversationId: string): Promise<boolean> {
    const result = await this.request<{ cancelled: boolean }>(Method.cancel, { conversationId });
    return result.cancelled;
  }

  conversations(workspaceUri?: string, limit?: number): Promise<ConversationsResult> {
    return this.request<ConversationsResult>(Method.conversations, dropUndefined({ workspaceUri, limit }));
  }

  history(conversationId: string): Promise<HistoryResult> {
    return this.request<HistoryResult>(Method.history, { conversationId });
  }

  /** Files and folders matching an `@` mention (`silcrow/mentions`). */
  mentions(params: MentionsParams): Promise<MentionsResult> {
    return this.request<MentionsResult>(Method.mentions, dropUndefined(params));
  }

  /** The models the configured provider offers (`silcrow/models`). */
  models(workspaceUri?: string): Promise<ModelsResult> {
    return this.request<ModelsResult>(Method.models, dropUndefined({ workspaceUri }));
  }

  dispose(): void {
    this.registrations.forEach((registration) => registration.dispose());
    this.registrations.length = 0;
    this.listeners.clear();
  }

  /** Send a request; the token goes last only when given (a trailing `undefined` would be sent as a parameter). */
  private request<R>(method: string, params: unknown, token?: CancellationToken): Promise<R> {
    return token ? this.rpc.sendRequest<R>(method, params, token) : this.rpc.sendRequest<R>(method, params);
  }

  private dispatch(event: SilcrowEvent): void {
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }

  private async askPermission(request: PermissionRequest): Promise<PermissionResponse> {
    if (!this.permissionHandler) {
      return REJECT;
    }
    try {
      return await this.permissionHandler(request);
    } catch {
      return REJECT;
    }
  }

  private async save(params: SaveDocumentsParams): Promise<SaveDocumentsResult> {
    const uris = Array.isArray(params?.uris) ? params.uris : [];
    return { saved: this.saveHandler ? await this.saveHandler(uris) : [] };
  }
}

/** A copy of `value` without its undefined fields (they would be sent as null by some encoders). */
export function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
