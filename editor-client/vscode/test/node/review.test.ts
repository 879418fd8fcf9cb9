/**
 * Review before apply, the pure part: hunks of a proposal, per-hunk and
 * per-file decisions, the text shown in the diff editor, the answer sent to
 * the daemon, and checking a `silcrow/review` request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReviewFile } from '../../src/protocol/contract';
import { cardFile, checkReviewParams, FileReview, lineCount } from '../../src/protocol/review';

const OLD = 'a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n';
const NEW = 'a = 10\nb = 2\nc = 3\nd = 4\ne = 50\nf = 6\n';
const edit = (oldText = OLD, newText = NEW): ReviewFile => ({ uri: 'file:///ws/x.py', kind: 'edit', oldText, newText });

describe('FileReview', () => {
  test('a proposal with two separated changes has two hunks, counted in lines', () => {
    const review = new FileReview(edit());
    assert.deepEqual(review.hunks, [
      { before: 'a = 1\n', after: 'a = 10\n' },
      { before: 'e = 5\n', after: 'e = 50\nf = 6\n' },
    ]);
    assert.equal(review.added, 3);
    assert.equal(review.removed, 2);
    assert.deepEqual(review.hunkStarts('old'), [0, 4]);
    assert.equal(review.state, 'pending');
  });

  test('accepting one hunk of two and rejecting the other answers exactly that hunk', () => {
    const review = new FileReview(edit());
    assert.equal(review.decide(true, 1), true);
    assert.equal(review.settled, false);
    assert.equal(review.decide(false), true, 'the file-wide reject decides what is still pending');
    assert.equal(review.state, 'partial');
    assert.deepEqual(review.answer(), { uri: 'file:///ws/x.py', newText: 'a = 1\nb = 2\nc = 3\nd = 4\ne = 50\nf = 6\n' });
    assert.equal(review.decide(true, 0), false, 'a decided hunk stays decided');
  });

  test('the shown proposal reverts rejected hunks and keeps pending ones; hunk positions follow it', () => {
    const two = new FileReview(edit('1\n2\n3\n4\n', 'one\n2\n3\nfour\nfive\n'));
    assert.deepEqual(two.hunkStarts(), [0, 3]);
    two.decide(false, 0);
    assert.equal(two.shownText(), '1\n2\n3\nfour\nfive\n');
    assert.equal(two.hunkAt(3), 1);
    assert.equal(two.hunkAt(4), 1, 'the second line of a two-line hunk');
    assert.equal(two.hunkAt(1), undefined, 'a common line is no hunk');
    assert.equal(two.hunkAt(0, 'old'), 0, 'the old side still has the rejected hunk');
  });

  test('rejecting everything leaves the file out of the answer; accepting everything answers the proposal', () => {
    const rejected = new FileReview(edit());
    rejected.decide(false);
    assert.equal(rejected.state, 'rejected');
    assert.equal(rejected.answer(), undefined);
    const accepted = new FileReview(edit());
    accepted.decide(true);
    assert.deepEqual(accepted.answer(), { uri: 'file:///ws/x.py', newText: NEW });
  });

  test('a create is one hunk against nothing; a file without a final newline keeps it missing', () => {
    const create = new FileReview({ uri: 'file:///ws/new.py', kind: 'create', oldText: null, newText: 'print(1)\nprint(2)' });
    assert.equal(create.hunks.length, 1);
    assert.equal(create.added, 2);
    create.decide(true, 0);
    assert.deepEqual(create.answer(), { uri: 'file:///ws/new.py', newText: 'print(1)\nprint(2)' });
  });

  test('the card lists each hunk at its line in the file with its -/+ lines', () => {
    const review = new FileReview(edit());
    review.decide(false, 0);
    const card = cardFile(review, 'x.py');
    assert.deepEqual(card.hunks, [
      { line: 1, lines: ['-a = 1', '+a = 10'], state: 'rejected' },
      { line: 5, lines: ['-e = 5', '+e = 50', '+f = 6'], state: 'pending' },
    ]);
    assert.equal(card.state, 'pending');
    assert.deepEqual([card.added, card.removed, card.path], [3, 2, 'x.py']);
  });

  test('lineCount counts a last line without a newline', () => {
    assert.deepEqual(['', 'a', 'a\n', 'a\nb', 'a\nb\n'].map(lineCount), [0, 1, 1, 2, 2]);
  });
});

describe('checkReviewParams', () => {
  test('a well-formed request passes', () => {
    const params = { conversationId: 'c', turnId: 't', files: [edit(), { uri: 'file:///ws/n.py', kind: 'create', oldText: null, newText: '' }] };
    assert.equal(checkReviewParams(params), params);
  });

  test('a malformed request is refused saying which file and field', () => {
    assert.throws(() => checkReviewParams({ turnId: 't' }), /needs \{conversationId, turnId, files/);
    assert.throws(() => checkReviewParams({ conversationId: 'c', turnId: 't', files: [{ uri: 'file:///a', kind: 'move' }] }), /files\[0\].*kind/);
    assert.throws(
      () => checkReviewParams({ conversationId: 'c', turnId: 't', files: [{ uri: 'file:///a', kind: 'edit', oldText: null, newText: 'x' }] }),
      /files\[0\] \(edit\): oldText is null exactly for create/,
    );
  });
});
