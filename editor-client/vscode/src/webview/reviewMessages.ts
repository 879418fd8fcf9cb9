/**
 * The messages of review and checkpoints between the extension host and the
 * chat webview: the review card (one per `silcrow/review` request, sent again
 * whole after every decision) and what its buttons and a turn's
 * "Restore to before this turn" post back.
 */
import type { ReviewKind } from '../protocol/contract';
import type { Decision } from '../protocol/review';

/** One hunk as the card shows it: its first line in the file (1-based) and its `-`/`+` lines. */
export interface CardHunk {
  line: number;
  lines: string[];
  state: Decision;
}

export interface CardFile {
  uri: string;
  /** The path relative to the workspace. */
  path: string;
  kind: ReviewKind;
  added: number;
  removed: number;
  state: Decision | 'partial';
  hunks: CardHunk[];
}

export interface ReviewCard {
  reviewId: string;
  files: CardFile[];
  /** Answered (every file decided) or withdrawn (the turn stopped): no more buttons. */
  settled: boolean;
  cancelled?: boolean;
}

/** Extension host -> webview. */
export type ReviewToWebview = { type: 'review'; card: ReviewCard };

/** Webview -> extension host. Without `uri` a decision is for every file; without `hunk`, for the whole file. */
export type ReviewFromWebview =
  | { type: 'reviewDecide'; reviewId: string; accept: boolean; uri?: string; hunk?: number }
  | { type: 'reviewOpen'; reviewId: string; uri: string }
  | { type: 'restore'; turnId: string };

const REVIEW_TYPES: ReadonlySet<string> = new Set(['reviewDecide', 'reviewOpen', 'restore']);

/** True for the messages the review controller handles. */
export function isReviewMessage(message: { type: string }): message is ReviewFromWebview {
  return REVIEW_TYPES.has(message.type);
}
