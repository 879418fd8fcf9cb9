/**
 * Messages between the extension host and the chat webview (postMessage).
 * Each has a `type` discriminator; both sides handle them in a `switch`.
 */
import type { Conversation, PermissionRequest, SilcrowEvent } from '../protocol/contract';
import type { ReviewFromWebview, ReviewToWebview } from './reviewMessages';

/** What a notice's buttons do (handled by the extension host). */
export type NoticeAction = 'openSettings' | 'showLog';

/** Vendors whose key the first-run walkthrough stores in SecretStorage. */
export type KeyProvider = 'openai' | 'anthropic' | 'gemini';

/** The empty chat's first-run state: whether questions get the offline demo, and the provider in use. */
export interface Welcome {
  demo: boolean;
  provider: string;
}

/** Extension host -> webview. */
export type ToWebview =
  | { type: 'event'; event: SilcrowEvent }
  | { type: 'reset'; conversationId?: string; title?: string; events: SilcrowEvent[] }
  | { type: 'busy'; busy: boolean }
  | { type: 'permission'; requestId: string; request: PermissionRequest }
  | { type: 'permissionSettled'; requestId: string }
  | { type: 'conversations'; conversations: Conversation[] }
  | { type: 'notice'; level: 'error' | 'info'; text: string; actions?: NoticeAction[] }
  | { type: 'welcome'; welcome: Welcome }
  | { type: 'focusInput' }
  | ReviewToWebview;

/** Webview -> extension host. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'newConversation' }
  | { type: 'listConversations' }
  | { type: 'openConversation'; conversationId: string }
  | { type: 'permission'; requestId: string; optionId: string }
  | { type: 'copy'; text: string }
  | { type: 'insert'; text: string }
  | { type: 'setKey'; provider: KeyProvider }
  | { type: 'demo' }
  | { type: 'action'; action: NoticeAction }
  | ReviewFromWebview;
