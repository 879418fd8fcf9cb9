/**
 * Review before apply in VS Code: answers the daemon's `silcrow/review`
 * request with the changes the user accepted, per file and per hunk.
 *
 * Algorithm:
 * 1. A request becomes a pending review: one FileReview (protocol/review.ts)
 *    per file, a card in the chat, and VS Code's diff editor for each file:
 *    the file (an empty document for a create) beside a virtual document
 *    (scheme `silcrow-proposal`) holding the proposal as it stands (rejected
 *    hunks reverted).
 * 2. Decisions come from the card's buttons, the CodeLenses on the proposal,
 *    the diff editor's title actions and their keyboard shortcuts (the hunk
 *    at the cursor, else the next pending one below it). Each decision
 *    refreshes the proposal, its lenses and the card.
 * 3. When every hunk of every file is decided the request is answered
 *    (`{files: [{uri, newText}]}`: exactly the accepted hunks, rejected files
 *    left out) and the review's diff tabs close.
 * 4. A cancelled request, or the end of its turn (the user pressed Stop),
 *    withdraws the review: it is answered with nothing accepted, and its card
 *    says nothing was applied.
 * 5. Context keys: `silcrow.reviewing` while a review waits,
 *    `silcrow.reviewEditor` while the active editor shows a file under review
 *    (the keyboard shortcuts' `when`).
 */
import * as vscode from 'vscode';
import type { CancellationToken, Disposable } from 'vscode-jsonrpc';
import { endsTurn, Method, type ReviewParams, type ReviewResult, type SilcrowEvent } from './protocol/contract';
import { cardFile, checkReviewParams, FileReview } from './protocol/review';
import type { ToWebview } from './webview/messages';
import type { ReviewCard, ReviewFromWebview } from './webview/reviewMessages';

export const PROPOSAL_SCHEME = 'silcrow-proposal';

/** Where the review gets its requests from (the language client). */
export interface ReviewRequests {
  onRequest(method: string, handler: (params: unknown, token: CancellationToken) => Promise<ReviewResult>): Disposable;
}

interface PendingReview {
  id: string;
  params: ReviewParams;
  files: FileReview[];
  settled: boolean;
  cancelled: boolean;
  resolve(result: ReviewResult): void;
}

/** A command's target: a file of a review and optionally one hunk (CodeLens arguments). */
interface Target {
  reviewId: string;
  uri: string;
  hunk?: number;
}

export class ReviewController implements vscode.Disposable {
  private readonly reviews = new Map<string, PendingReview>();
  private count = 0;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    requests: ReviewRequests,
    private readonly post: (message: ToWebview) => void,
  ) {
    // A CodeLens passes its Target; an editor title action passes the editor's URI (then the cursor decides).
    const decide = (accept: boolean, scope: 'change' | 'file') => (target?: unknown) =>
      this.decideCommand(accept, scope, isTarget(target) ? target : undefined);
    this.disposables.push(
      this.changed,
      this.lensesChanged,
      requests.onRequest(Method.review, (params, token) => this.review(params, token)),
      vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, {
        onDidChange: this.changed.event,
        provideTextDocumentContent: (uri) => this.contentOf(uri),
      }),
      vscode.languages.registerCodeLensProvider({ scheme: PROPOSAL_SCHEME }, {
        onDidChangeCodeLenses: this.lensesChanged.event,
        provideCodeLenses: (document) => this.lensesOf(document),
      }),
      vscode.commands.registerCommand('silcrow.review.acceptChange', decide(true, 'change')),
      vscode.commands.registerCommand('silcrow.review.rejectChange', decide(false, 'change')),
      vscode.commands.registerCommand('silcrow.review.acceptFile', decide(true, 'file')),
      vscode.commands.registerCommand('silcrow.review.rejectFile', decide(false, 'file')),
      vscode.commands.registerCommand('silcrow.review.acceptAll', () => this.decideAll(true)),
      vscode.commands.registerCommand('silcrow.review.rejectAll', () => this.decideAll(false)),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
    );
  }

  /** A message of the chat card. */
  async handle(message: ReviewFromWebview): Promise<void> {
    const review = 'reviewId' in message ? this.reviews.get(message.reviewId) : undefined;
    if (!review || review.settled) {
      return;
    }
    if (message.type === 'reviewOpen') {
      const file = review.files.find((candidate) => candidate.uri === message.uri);
      if (file) {
        await this.openDiff(review, file, false);
      }
    } else if (message.type === 'reviewDecide') {
      const files = review.files.filter((file) => message.uri === undefined || file.uri === message.uri);
      files.forEach((file) => file.decide(message.accept, message.hunk));
      this.changedFiles(review, files);
    }
  }

  /** Post every review's card again (a re-created chat view). */
  refresh(): void {
    this.reviews.forEach((review) => this.post({ type: 'review', card: this.cardOf(review) }));
  }

  /** The end of a turn withdraws its pending review (the daemon stopped waiting for it). */
  onEvent(event: SilcrowEvent): void {
    if (!endsTurn(event)) {
      return;
    }
    for (const review of this.reviews.values()) {
      if (!review.settled && review.params.conversationId === event.conversationId && review.params.turnId === event.turnId) {
        void this.finish(review, true);
      }
    }
  }

  dispose(): void {
    for (const review of this.reviews.values()) {
      void this.finish(review, true);
    }
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }

  private review(raw: unknown, token: CancellationToken): Promise<ReviewResult> {
    const params = checkReviewParams(raw);
    return new Promise<ReviewResult>((resolve) => {
      const review: PendingReview = {
        id: `review-${++this.count}`,
        params,
        files: params.files.map((file) => new FileReview(file)),
        settled: false,
        cancelled: false,
        resolve,
      };
      this.reviews.set(review.id, review);
      token.onCancellationRequested(() => void this.finish(review, true));
      this.post({ type: 'review', card: this.cardOf(review) });
      this.updateContext();
      if (review.files.every((file) => file.settled)) {
        void this.finish(review, false); // nothing to decide (every file unchanged)
        return;
      }
      void (async () => {
        for (const file of review.files) {
          await this.openDiff(review, file, true);
        }
      })();
    });
  }

  private decideCommand(accept: boolean, scope: 'change' | 'file', target?: Target): void {
    const found = target ? this.targetOf(target) : this.atCursor();
    if (!found) {
      void vscode.window.showInformationMessage('Silcrow: no proposed change here; open one from the chat.');
      return;
    }
    const { review, file } = found;
    const hunk = scope === 'file' ? undefined : found.hunk;
    if (scope === 'change' && hunk === undefined) {
      void vscode.window.showInformationMessage('Silcrow: no undecided change at or below the cursor.');
      return;
    }
    if (file.decide(accept, hunk)) {
      this.changedFiles(review, [file]);
    }
  }

  private decideAll(accept: boolean): void {
    for (const review of this.reviews.values()) {
      if (!review.settled) {
        review.files.forEach((file) => file.decide(accept));
        this.changedFiles(review, review.files);
      }
    }
  }

  private changedFiles(review: PendingReview, files: FileReview[]): void {
    files.forEach((file) => this.changed.fire(this.proposalUri(review, file)));
    this.lensesChanged.fire();
    if (review.files.every((file) => file.settled)) {
      void this.finish(review, false);
    } else {
      this.post({ type: 'review', card: this.cardOf(review) });
      this.updateContext();
    }
  }

  private async finish(review: PendingReview, cancelled: boolean): Promise<void> {
    if (review.settled) {
      return;
    }
    review.settled = true;
    review.cancelled = cancelled;
    const files = cancelled ? [] : review.files.flatMap((file) => file.answer() ?? []);
    review.resolve({ files });
    this.post({ type: 'review', card: this.cardOf(review) });
    this.lensesChanged.fire();
    this.updateContext();
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && this.reviewOf(tab.input.modified) === review);
    await vscode.window.tabGroups.close(tabs, true);
    // the card stays in the chat; the review itself is forgotten once its tabs are gone
    this.reviews.delete(review.id);
  }

  private async openDiff(review: PendingReview, file: FileReview, preserveFocus: boolean): Promise<void> {
    const left = file.file.kind === 'create' ? this.proposalUri(review, file, 'empty') : vscode.Uri.parse(file.uri);
    const title = `${vscode.workspace.asRelativePath(vscode.Uri.parse(file.uri))} (Silcrow's proposal)`;
    await vscode.commands.executeCommand('vscode.diff', left, this.proposalUri(review, file), title, { preview: false, preserveFocus });
  }

  private proposalUri(review: PendingReview, file: FileReview, side: 'proposal' | 'empty' = 'proposal'): vscode.Uri {
    const query = new URLSearchParams({ review: review.id, file: String(review.files.indexOf(file)), side }).toString();
    return vscode.Uri.parse(file.uri).with({ scheme: PROPOSAL_SCHEME, query });
  }

  private reviewOf(uri: vscode.Uri): PendingReview | undefined {
    return uri.scheme === PROPOSAL_SCHEME ? this.reviews.get(new URLSearchParams(uri.query).get('review') ?? '') : undefined;
  }

  private fileOf(uri: vscode.Uri): { review: PendingReview; file: FileReview; side: string } | undefined {
    const review = this.reviewOf(uri);
    const query = new URLSearchParams(uri.query);
    const file = review?.files[Number(query.get('file'))];
    return review && file ? { review, file, side: query.get('side') ?? 'proposal' } : undefined;
  }

  private contentOf(uri: vscode.Uri): string {
    const found = this.fileOf(uri);
    return !found || found.side === 'empty' ? '' : found.file.shownText();
  }

  private lensesOf(document: vscode.TextDocument): vscode.CodeLens[] {
    const found = this.fileOf(document.uri);
    if (!found || found.side === 'empty' || found.review.settled) {
      return [];
    }
    const { review, file } = found;
    const last = Math.max(0, document.lineCount - 1);
    const lens = (line: number, title: string, command: string, hunk?: number): vscode.CodeLens =>
      new vscode.CodeLens(new vscode.Range(Math.min(line, last), 0, Math.min(line, last), 0), {
        title,
        command,
        arguments: [{ reviewId: review.id, uri: file.uri, hunk } satisfies Target],
      });
    const lenses = [lens(0, 'Accept file', 'silcrow.review.acceptFile'), lens(0, 'Reject file', 'silcrow.review.rejectFile')];
    file.hunkStarts().forEach((start, hunk) => {
      if (file.decisions[hunk] === 'pending') {
        lenses.push(lens(start, 'Accept change', 'silcrow.review.acceptChange', hunk), lens(start, 'Reject change', 'silcrow.review.rejectChange', hunk));
      }
    });
    return lenses;
  }

  private targetOf(target: Target): { review: PendingReview; file: FileReview; hunk?: number } | undefined {
    const review = this.reviews.get(target.reviewId);
    const file = review?.files.find((candidate) => candidate.uri === target.uri);
    return review && file ? { review, file, hunk: target.hunk } : undefined;
  }

  /** The file under review in the active editor (either side of its diff) and the hunk at or below the cursor. */
  private atCursor(): { review: PendingReview; file: FileReview; hunk?: number } | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      return undefined;
    }
    const line = editor.selection.active.line;
    const found = this.fileOf(editor.document.uri) ?? this.underReview(editor.document.uri);
    if (!found || found.review.settled) {
      return undefined;
    }
    const side = found.side === 'proposal' ? 'shown' : 'old';
    const starts = found.file.hunkStarts(side);
    const pending = (hunk: number): boolean => found.file.decisions[hunk] === 'pending';
    const here = found.file.hunkAt(line, side);
    const hunk = here !== undefined && pending(here) ? here : starts.findIndex((start, i) => start >= line && pending(i));
    return { review: found.review, file: found.file, hunk: hunk < 0 ? undefined : hunk };
  }

  /** The pending review of a real file (the left side of its diff). */
  private underReview(uri: vscode.Uri): { review: PendingReview; file: FileReview; side: string } | undefined {
    const key = uri.toString();
    for (const review of this.reviews.values()) {
      const file = review.files.find((candidate) => !candidate.settled && vscode.Uri.parse(candidate.uri).toString() === key);
      if (file && !review.settled) {
        return { review, file, side: 'old' };
      }
    }
    return undefined;
  }

  private cardOf(review: PendingReview): ReviewCard {
    return {
      reviewId: review.id,
      settled: review.settled,
      cancelled: review.cancelled || undefined,
      files: review.files.map((file) => cardFile(file, vscode.workspace.asRelativePath(vscode.Uri.parse(file.uri)))),
    };
  }

  private updateContext(): void {
    const reviewing = [...this.reviews.values()].some((review) => !review.settled);
    const uri = vscode.window.activeTextEditor?.document.uri;
    const found = uri && (this.fileOf(uri) ?? this.underReview(uri));
    void vscode.commands.executeCommand('setContext', 'silcrow.reviewing', reviewing);
    void vscode.commands.executeCommand('setContext', 'silcrow.reviewEditor', Boolean(found && !found.review.settled));
  }
}

function isTarget(value: unknown): value is Target {
  return typeof value === 'object' && value !== null && typeof (value as Target).reviewId === 'string' && typeof (value as Target).uri === 'string';
}
