/**
 * The editor contract as TypeScript: method names and message shapes shared
 * with the Silcrow daemon (docs/protocol.md is the authority).
 *
 * Pure data: no `vscode`, no I/O. `scripts/check-contract` reads the method
 * names below and fails when the daemon does not define one of them.
 */

/** JSON-RPC method names. Keep in step with server/silcrow/lsp/ and editor-client/nvim/. */
export const Method = {
  prompt: 'silcrow/prompt',
  cancel: 'silcrow/cancel',
  conversations: 'silcrow/conversations',
  history: 'silcrow/history',
  event: 'silcrow/event',
  requestPermission: 'silcrow/requestPermission',
  saveDocuments: 'silcrow/saveDocuments',
  mcpServers: 'silcrow/mcpServers',
  mcpApprove: 'silcrow/mcpApprove',
  doctor: 'silcrow/doctor',
  review: 'silcrow/review',
  checkpoints: 'silcrow/checkpoints',
  revert: 'silcrow/revert',
  mentions: 'silcrow/mentions',
  models: 'silcrow/models',
} as const;

/** One check of `silcrow/doctor` (the same JSON as `silcrow doctor --json`). */
export interface DoctorCheck {
  name: 'key' | 'endpoint' | 'model' | 'live';
  ok: boolean;
  detail: string;
  fix: string;
}

export interface DoctorResult {
  checks: DoctorCheck[];
}

/** One MCP server of a workspace folder, as `silcrow/mcpServers` and `silcrow/mcpApprove` return it. */
export interface McpServerInfo {
  workspaceUri: string;
  name: string;
  state: 'needs_approval' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';
  origin: 'user' | 'workspace';
  command: string;
  source: string;
  detail: string;
  toolCount: number;
  tools: string[];
}

export interface McpServersResult {
  servers: McpServerInfo[];
}

/** Commands of the daemon's code actions (run with `workspace/executeCommand`). */
export const ServerCommand = {
  ask: 'silcrow.ask',
  explain: 'silcrow.explain',
  fix: 'silcrow.fix',
} as const;
export type ServerCommandName = (typeof ServerCommand)[keyof typeof ServerCommand];

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A selection handed to the model (also the argument of the daemon's code-action commands). */
export interface SelectionItem {
  kind?: 'selection';
  uri: string;
  range?: Range;
  text?: string;
}

/** An LSP Diagnostic (the fields the daemon reads). */
export interface Diagnostic {
  range: Range;
  message: string;
  /** 1 error, 2 warning, 3 information, 4 hint */
  severity?: 1 | 2 | 3 | 4;
  source?: string;
  code?: string | number;
}

/** What the user attached to a message; its content reaches the model in that turn's user message. */
export type ContextItem =
  | SelectionItem
  | { kind: 'file'; uri: string }
  | { kind: 'diagnostics'; uri: string; diagnostics: Diagnostic[] }
  | { kind: 'symbol'; uri: string; range: Range; name: string }
  | { kind: 'image'; mimeType: string; data: string };

/** `agent` may edit and run; `ask` and `plan` are read-only (`plan` ends with a numbered plan). */
export type ChatMode = 'agent' | 'ask' | 'plan';
export const CHAT_MODES: readonly ChatMode[] = ['agent', 'ask', 'plan'];

export interface PromptParams {
  text: string;
  conversationId?: string;
  context?: ContextItem[];
  chunks?: boolean;
  workspaceUri?: string;
  chatMode?: ChatMode;
  model?: string;
}

/** `silcrow/mentions`: files and folders from the daemon's index (symbols come from the editor). */
export interface MentionsParams {
  query: string;
  workspaceUri?: string;
  limit?: number;
}

export interface Mention {
  label: string;
  uri: string;
  kind: 'file' | 'folder' | 'symbol';
  range?: Range;
}

export interface MentionsResult {
  items: Mention[];
}

/** One model of `silcrow/models` (`contextWindow`: its input token limit where the vendor lists it; the footer shows the fill). */
export interface ModelInfo {
  id: string;
  label?: string;
  contextWindow?: number;
}

export interface ModelsResult {
  /** e.g. `openai`, `anthropic`, `gemini`, `ollama`, `openai-compatible`, `fake`. */
  provider: string;
  /** The `model` setting's model: what turns use when a prompt names none. */
  current: string;
  models: ModelInfo[];
  /** Why the vendor's list could not be read (then `models` holds only `current`). */
  error?: string;
}

/** Image types a context item may carry, and the largest decoded size (docs/protocol.md). */
export const IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export type StopReason = 'end' | 'cancelled' | 'max_iterations' | 'error';

export interface PromptResult {
  conversationId: string;
  turnId: string;
  stopReason: StopReason;
  error?: string;
}

/** `workspace/executeCommand`'s answer for the code-action commands: sent at once, the turn streams on. */
export interface CommandResult {
  conversationId: string;
}

export type EventType =
  | 'user'
  | 'think'
  | 'call'
  | 'execute'
  | 'output'
  | 'result'
  | 'respond'
  | 'end'
  | 'metric'
  | 'error'
  | 'cancelled';

/** One stored event, as `silcrow/event` carries it and `silcrow/history` returns it. */
export interface SilcrowEvent {
  conversationId: string;
  turnId: string;
  seq: number;
  type: EventType;
  content: string;
  payload?: Record<string, unknown> | null;
  timestamp: number;
}

export interface Conversation {
  id: string;
  title: string;
  workspace: string;
  createdAt: number;
  updatedAt: number;
}

export interface ConversationsResult {
  conversations: Conversation[];
}

export interface HistoryResult {
  conversation: Conversation;
  events: SilcrowEvent[];
}

export type PermissionOptionId = 'allow_once' | 'allow_always' | 'allow_server' | 'reject';

export interface PermissionOption {
  optionId: PermissionOptionId;
  name: string;
}

export interface PermissionRequest {
  conversationId: string;
  tool: string;
  category: string;
  args: Record<string, unknown>;
  summary: string;
  options: PermissionOption[];
}

export interface PermissionResponse {
  optionId: PermissionOptionId;
}

export interface SaveDocumentsParams {
  uris: string[];
}

export interface SaveDocumentsResult {
  saved: string[];
}

/** Token usage carried by `metric` events (fields the daemon may omit are optional). */
export interface Usage {
  input_tokens?: number;
  cached_tokens?: number;
  output_tokens?: number;
  sent_bytes?: number;
}

/** What the client declares under `capabilities.experimental.silcrow` at initialize. */
export interface SilcrowClientCapabilities {
  permissions?: boolean;
  saveDocuments?: boolean;
  readFile?: boolean;
  terminal?: boolean;
  review?: boolean;
}

/** `kind` of a file in `silcrow/review`: `oldText` is null for create, `newText` for delete. */
export type ReviewKind = 'create' | 'edit' | 'delete';

/** One file of a `silcrow/review` request. */
export interface ReviewFile {
  uri: string;
  kind: ReviewKind;
  oldText: string | null;
  newText: string | null;
}

export interface ReviewParams {
  conversationId: string;
  turnId: string;
  files: ReviewFile[];
}

/** One file of the answer: the text the user accepted (`null` for an accepted delete). */
export interface ReviewAnswerFile {
  uri: string;
  newText: string | null;
}

export interface ReviewResult {
  files: ReviewAnswerFile[];
}

export interface Checkpoint {
  turnId: string;
  time: number;
  files: string[];
}

export interface CheckpointsResult {
  checkpoints: Checkpoint[];
}

export interface RevertParams {
  conversationId: string;
  turnId: string;
  /** Overwrite files the user changed since the turn (after the user agreed). */
  force?: boolean;
}

export interface RevertResult {
  reverted: string[];
  /** Files the user changed since the turn; when not empty nothing was restored (ask, then send `force`). */
  conflicts?: string[];
}

export const STOP_EVENT_TYPES: ReadonlySet<EventType> = new Set(['end', 'cancelled', 'error']);

/** True when `event` is the last event of its turn. */
export function endsTurn(event: SilcrowEvent): boolean {
  if (event.type === 'error') {
    return typeof event.payload?.stopReason === 'string';
  }
  return STOP_EVENT_TYPES.has(event.type);
}
