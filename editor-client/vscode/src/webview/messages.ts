/**
 * Messages between the extension host and the chat webview (postMessage).
 * Each has a `type` discriminator; both sides handle them in a `switch`.
 */
import type { ChatMode, ContextItem, Conversation, ModelInfo, PermissionRequest, SilcrowEvent } from '../protocol/contract';
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

/** What a chip above the input shows. */
export type AttachmentIcon = 'file' | 'selection' | 'folder' | 'symbol' | 'problems' | 'image';

/**
 * Something attached to the next message, shown as a removable chip: the editor's current file or
 * selection, an `@` mention, a pasted image. `item` is what is sent (a folder has none: its path
 * stays in the message text).
 */
export interface Attachment {
  /** Stable key: the same file or selection keeps its id while the editor moves. */
  id: string;
  label: string;
  icon: AttachmentIcon;
  /** Tooltip (e.g. the path, or the diagnostics' count). */
  title?: string;
  item?: ContextItem;
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
  | { type: 'editorContext'; attachments: Attachment[] }
  | { type: 'mentions'; requestId: number; choices: Attachment[] }
  | { type: 'models'; models: ModelInfo[]; current?: string; provider?: string; error?: string }
  | ReviewToWebview;

/** Webview -> extension host. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string; context?: ContextItem[]; chatMode?: ChatMode; model?: string }
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
  | { type: 'mentions'; requestId: number; query: string }
  | { type: 'listModels' }
  | ReviewFromWebview;
