/**
 * Messages between the extension host and the chat webview (postMessage).
 * Each has a `type` discriminator; both sides handle them in a `switch`.
 */
import type { Conversation, PermissionRequest, SilcrowEvent } from '../protocol/contract';

/** Extension host -> webview. */
export type ToWebview =
  | { type: 'event'; event: SilcrowEvent }
  | { type: 'reset'; conversationId?: string; title?: string; events: SilcrowEvent[] }
  | { type: 'busy'; busy: boolean }
  | { type: 'permission'; requestId: string; request: PermissionRequest }
  | { type: 'permissionSettled'; requestId: string }
  | { type: 'conversations'; conversations: Conversation[] }
  | { type: 'notice'; level: 'error' | 'info'; text: string }
  | { type: 'focusInput' };

/** Webview -> extension host. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'newConversation' }
  | { type: 'listConversations' }
  | { type: 'openConversation'; conversationId: string }
  | { type: 'permission'; requestId: string; optionId: string };
