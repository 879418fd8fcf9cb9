/**
 * Review before apply, as data: checking a `silcrow/review` request, and
 * the per-hunk decisions of one proposed file and the answer they make
 * (the wire types are in contract.ts).
 *
 * Algorithm (FileReview):
 * 1. The proposal is split into hunks by jsdiff's line diff (`diffLines`):
 *    each maximal run of removed and added lines between common lines is one
 *    hunk. A create diffs against "" and a delete against "", so each is one
 *    hunk.
 * 2. Every hunk is pending, accepted or rejected. The text shown as the
 *    proposal keeps pending and accepted hunks and reverts rejected ones, so
 *    the diff editor shows what would still be applied.
 * 3. The answer is the old text with exactly the accepted hunks applied;
 *    a file with no accepted hunk is left out of the answer (rejected).
 *    An accepted delete is answered `newText: null`, which the contract also
 *    reads as a rejection: deletes are reserved there (no tool deletes yet).
 *
 * Pure: no `vscode` import.
 */
import { diffLines } from 'diff';
import type { ReviewAnswerFile, ReviewFile, ReviewParams } from './contract';
import type { CardFile } from '../webview/reviewMessages';

export type Decision = 'pending' | 'accepted' | 'rejected';

/** A run of changed lines: `before` in the old text, `after` in the proposal. */
export interface Hunk {
  before: string;
  after: string;
}

type Segment = { common: string } | { hunk: number };

/** Number of lines of `text` (a last line without a newline counts). */
export function lineCount(text: string): number {
  if (text === '') {
    return 0;
  }
  const parts = text.split('\n').length;
  return text.endsWith('\n') ? parts - 1 : parts;
}

/** Check that `value` is a `silcrow/review` request; throws saying which field is wrong. */
export function checkReviewParams(value: unknown): ReviewParams {
  const params = value as Partial<ReviewParams> | null;
  if (!params || typeof params.conversationId !== 'string' || !Array.isArray(params.files)) {
    throw new Error('silcrow/review needs {conversationId, turnId, files: [...]}');
  }
  params.files.forEach((file, index) => {
    const where = `silcrow/review files[${index}]`;
    if (typeof file?.uri !== 'string' || !['create', 'edit', 'delete'].includes(file.kind)) {
      throw new Error(`${where} needs a uri and a kind of "create", "edit" or "delete"`);
    }
    if ((file.kind === 'create') !== (file.oldText === null) || (file.kind === 'delete') !== (file.newText === null)) {
      throw new Error(`${where} (${file.kind}): oldText is null exactly for create, newText exactly for delete`);
    }
  });
  return params as ReviewParams;
}

export class FileReview {
  readonly hunks: Hunk[] = [];
  readonly decisions: Decision[];
  private readonly segments: Segment[] = [];
  private readonly oldText: string;

  constructor(readonly file: ReviewFile) {
    this.oldText = file.oldText ?? '';
    let open: Hunk | undefined;
    for (const change of diffLines(this.oldText, file.newText ?? '')) {
      if (!change.added && !change.removed) {
        this.segments.push({ common: change.value });
        open = undefined;
        continue;
      }
      if (!open) {
        open = { before: '', after: '' };
        this.segments.push({ hunk: this.hunks.length });
        this.hunks.push(open);
      }
      if (change.added) {
        open.after += change.value;
      } else {
        open.before += change.value;
      }
    }
    this.decisions = this.hunks.map(() => 'pending');
  }

  get uri(): string {
    return this.file.uri;
  }

  get added(): number {
    return this.hunks.reduce((sum, hunk) => sum + lineCount(hunk.after), 0);
  }

  get removed(): number {
    return this.hunks.reduce((sum, hunk) => sum + lineCount(hunk.before), 0);
  }

  get settled(): boolean {
    return this.decisions.every((decision) => decision !== 'pending');
  }

  /** `accepted`, `rejected`, `partial` (some of each) or `pending`. */
  get state(): Decision | 'partial' {
    if (!this.settled) {
      return 'pending';
    }
    const accepted = this.decisions.filter((decision) => decision === 'accepted').length;
    if (accepted === this.hunks.length) {
      return 'accepted';
    }
    return accepted === 0 ? 'rejected' : 'partial';
  }

  /** Decide hunk `index`, or every pending hunk when `index` is undefined; false when there was nothing to decide. */
  decide(accept: boolean, index?: number): boolean {
    const targets = index === undefined ? this.decisions.map((_, i) => i) : [index];
    let changed = false;
    for (const i of targets) {
      if (this.decisions[i] === 'pending') {
        this.decisions[i] = accept ? 'accepted' : 'rejected';
        changed = true;
      }
    }
    return changed;
  }

  /** The proposal as shown: rejected hunks reverted, pending and accepted ones applied. */
  shownText(): string {
    return this.compose((i) => this.decisions[i] !== 'rejected');
  }

  /** The first line (0-based) of each hunk in the shown proposal, or in the old text with `side: 'old'`. */
  hunkStarts(side: 'shown' | 'old' = 'shown'): number[] {
    const starts: number[] = [];
    let line = 0;
    for (const segment of this.segments) {
      if ('common' in segment) {
        line += lineCount(segment.common);
        continue;
      }
      starts[segment.hunk] = line;
      const hunk = this.hunks[segment.hunk];
      const useAfter = side === 'shown' && this.decisions[segment.hunk] !== 'rejected';
      line += lineCount(useAfter ? hunk.after : hunk.before);
    }
    return starts;
  }

  /** The hunk that covers `line` (0-based) of the shown proposal (or of the old text), if any. */
  hunkAt(line: number, side: 'shown' | 'old' = 'shown'): number | undefined {
    const starts = this.hunkStarts(side);
    const found = starts.findIndex((start, i) => {
      const hunk = this.hunks[i];
      const text = side === 'shown' && this.decisions[i] !== 'rejected' ? hunk.after : hunk.before;
      return line >= start && line < start + Math.max(1, lineCount(text));
    });
    return found < 0 ? undefined : found;
  }

  /** The answer for this file, or undefined when nothing of it was accepted. */
  answer(): ReviewAnswerFile | undefined {
    const accepted = this.decisions.some((decision) => decision === 'accepted') || this.hunks.length === 0;
    if (!accepted) {
      return undefined;
    }
    if (this.file.kind === 'delete') {
      return { uri: this.uri, newText: null };
    }
    return { uri: this.uri, newText: this.compose((i) => this.decisions[i] === 'accepted') };
  }

  /** Hunk `index` as diff lines: `-` for removed, `+` for added. */
  patchLines(index: number): string[] {
    const hunk = this.hunks[index];
    const lines = (text: string, mark: string): string[] =>
      text === '' ? [] : text.replace(/\n$/, '').split('\n').map((line) => `${mark}${line}`);
    return [...lines(hunk.before, '-'), ...lines(hunk.after, '+')];
  }

  private compose(take: (hunk: number) => boolean): string {
    return this.segments
      .map((segment) => ('common' in segment ? segment.common : take(segment.hunk) ? this.hunks[segment.hunk].after : this.hunks[segment.hunk].before))
      .join('');
  }
}

/** How the chat card shows `file` (`path`: relative to the workspace). */
export function cardFile(file: FileReview, path: string): CardFile {
  const starts = file.hunkStarts('old');
  return {
    uri: file.uri,
    path,
    kind: file.file.kind,
    added: file.added,
    removed: file.removed,
    state: file.state,
    hunks: file.hunks.map((_, i) => ({ line: starts[i] + 1, lines: file.patchLines(i), state: file.decisions[i] })),
  };
}
