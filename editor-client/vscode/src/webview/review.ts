/**
 * The review card in the chat and a turn's restore button. A card lists the
 * files of one `silcrow/review` request, each collapsed to its path and
 * +/- counts, opening to its hunks; buttons decide a hunk, a file or all
 * files, or open the file in VS Code's diff editor. A card is rebuilt whole
 * from each `review` message (it replaces the old one in place, keeping which
 * files the user opened).
 */
import { el } from './render';
import type { CardFile, CardHunk, ReviewCard, ReviewFromWebview } from './reviewMessages';

type Post = (message: ReviewFromWebview) => void;

const STATE_LABEL: Record<CardFile['state'], string> = {
  pending: 'to review',
  accepted: 'accepted',
  rejected: 'rejected',
  partial: 'partly accepted',
};

/** Put `card` into `log`: replace the card with the same id, else append it. Returns the card's element. */
export function showReviewCard(log: HTMLElement, card: ReviewCard, post: Post): HTMLElement {
  const old = log.querySelector<HTMLElement>(`.item.review[data-review-id="${CSS.escape(card.reviewId)}"]`);
  const opened = new Set(
    [...(old?.querySelectorAll<HTMLDetailsElement>('details.review-file') ?? [])].filter((node) => node.open).map((node) => node.dataset.uri),
  );
  const node = renderReviewCard(card, post, opened);
  if (old) {
    old.replaceWith(node);
  } else {
    log.append(node);
  }
  return node;
}

export function renderReviewCard(card: ReviewCard, post: Post, opened: ReadonlySet<string | undefined> = new Set()): HTMLElement {
  const count = card.files.length;
  const heading = card.cancelled ? 'Review withdrawn: the turn stopped, nothing was applied' : `Proposed changes to ${count} file${count === 1 ? '' : 's'}`;
  const head = el('div', { className: 'review-head' }, [el('span', { className: 'review-title', textContent: heading })]);
  if (!card.settled) {
    head.append(
      button('review-accept-all', 'Accept all', 'Apply every proposed change', () => post({ type: 'reviewDecide', reviewId: card.reviewId, accept: true })),
      button('review-reject-all', 'Reject all', 'Apply nothing', () => post({ type: 'reviewDecide', reviewId: card.reviewId, accept: false })),
    );
  }
  const files = card.files.map((file) => renderFile(card, file, post, opened.has(file.uri)));
  const node = el('div', { className: `item review${card.settled ? ' settled' : ''}`, role: 'group', ariaLabel: 'Proposed changes' }, [head, ...files]);
  node.dataset.reviewId = card.reviewId;
  return node;
}

function renderFile(card: ReviewCard, file: CardFile, post: Post, open: boolean): HTMLElement {
  const live = !card.settled && file.state === 'pending';
  const summary = el('summary', {}, [
    el('span', { className: 'review-path', textContent: file.path }),
    el('span', { className: 'review-kind', textContent: file.kind === 'edit' ? '' : file.kind }),
    el('span', { className: 'added', textContent: `+${file.added}` }),
    el('span', { className: 'removed', textContent: `\u2212${file.removed}` }),
    el('span', { className: `review-state ${file.state}`, textContent: card.cancelled ? 'not applied' : STATE_LABEL[file.state] }),
  ]);
  const actions = el('div', { className: 'options' }, [
    button('review-open', 'Open diff', 'Show the change in the diff editor', () => post({ type: 'reviewOpen', reviewId: card.reviewId, uri: file.uri })),
  ]);
  if (live) {
    actions.append(
      button('review-accept-file', 'Accept file', 'Apply every change of this file', () =>
        post({ type: 'reviewDecide', reviewId: card.reviewId, uri: file.uri, accept: true })),
      button('review-reject-file', 'Reject file', 'Apply no change of this file', () =>
        post({ type: 'reviewDecide', reviewId: card.reviewId, uri: file.uri, accept: false })),
    );
  }
  const hunks = file.hunks.map((hunk, index) => renderHunk(hunk, live, (accept) =>
    post({ type: 'reviewDecide', reviewId: card.reviewId, uri: file.uri, hunk: index, accept })));
  const node = el('details', { className: `review-file ${file.state}`, open }, [summary, actions, ...hunks]);
  node.dataset.uri = file.uri;
  return node;
}

function renderHunk(hunk: CardHunk, live: boolean, decide: (accept: boolean) => void): HTMLElement {
  const head = el('div', { className: 'hunk-head' }, [el('span', { textContent: `line ${hunk.line}` })]);
  if (live && hunk.state === 'pending') {
    head.append(
      button('hunk-accept', 'Accept', 'Apply this change', () => decide(true)),
      button('hunk-reject', 'Reject', 'Leave this part as it is', () => decide(false)),
    );
  } else if (hunk.state !== 'pending') {
    head.append(el('span', { className: `review-state ${hunk.state}`, textContent: hunk.state }));
  }
  const lines = hunk.lines.map((line) =>
    el('span', { className: line.startsWith('+') ? 'line add' : 'line del', textContent: `${line}\n` }));
  return el('div', { className: `hunk ${hunk.state}` }, [head, el('pre', { className: 'hunk-lines' }, lines)]);
}

function button(className: string, text: string, title: string, onClick: () => void): HTMLButtonElement {
  const node = el('button', { className, textContent: text, title });
  node.addEventListener('click', (event) => {
    event.preventDefault(); // a button in a <summary> must not toggle it
    onClick();
  });
  return node;
}
