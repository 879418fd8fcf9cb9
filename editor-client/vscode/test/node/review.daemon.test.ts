/**
 * Review before apply and Restore against the real daemon (scripted fake
 * provider), with the client's own hunk logic (protocol/review.ts) answering
 * `silcrow/review`: nothing changes before the answer, accepting one hunk of
 * two applies exactly that hunk, and `silcrow/revert` puts the file back.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Method, type CheckpointsResult, type ReviewResult, type RevertResult } from '../../src/protocol/contract';
import { checkReviewParams, FileReview } from '../../src/protocol/review';
import { fileUri, startDaemon, withTimeout, type Daemon } from './daemon';

const TURN_MS = 15000;
const OLD = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n\n\ndef spread(xs):\n    return max(xs) - min(xs)\n';
const PROPOSED = OLD.replace('mean(xs)', 'mean(xs: list[float])').replace('spread(xs)', 'spread(xs: list[float])');
const FIRST_HUNK = OLD.replace('mean(xs)', 'mean(xs: list[float])');

describe('review against the daemon', () => {
  let daemon: Daemon;
  let uri: string;
  const seen: FileReview[] = [];
  before(async () => {
    daemon = await startDaemon(
      { replies: [`§call: ${JSON.stringify({ name: 'write', args: { file: 'stats.py', content: PROPOSED } })}\n§execute\n`, '§respond: Done.\n§end\n'] },
      {},
      { permissions: true, saveDocuments: true, review: true },
    );
    uri = fileUri(join(daemon.root, 'stats.py'));
    writeFileSync(join(daemon.root, 'stats.py'), OLD);
    daemon.files.set(uri, OLD);
    daemon.connection.onRequest(Method.review, (raw: unknown): ReviewResult => {
      const params = checkReviewParams(raw);
      assert.equal(daemon.edits.length, 0, 'no edit before the answer');
      const reviews = params.files.map((file) => new FileReview(file));
      seen.push(...reviews);
      reviews.forEach((review) => {
        review.decide(true, 0);
        review.decide(false);
      });
      return { files: reviews.flatMap((review) => review.answer() ?? []) };
    });
  });
  after(() => daemon.close());

  test('the proposal has two hunks; accepting the first applies exactly it, in the editor and on disk', async () => {
    const result = await withTimeout(daemon.session.prompt('type the stats module'), TURN_MS);
    assert.equal(result.stopReason, 'end', daemon.stderr());
    assert.equal(seen.length, 1);
    assert.equal(seen[0].file.kind, 'edit');
    assert.equal(seen[0].hunks.length, 2);
    assert.equal(daemon.files.get(uri), FIRST_HUNK);
    assert.equal(readFileSync(join(daemon.root, 'stats.py'), 'utf8'), FIRST_HUNK);
  });

  test('the turn is a checkpoint, and reverting it puts the file back', async () => {
    const { conversations } = await daemon.session.conversations();
    const conversationId = conversations[0].id;
    const { checkpoints } = await daemon.connection.sendRequest<CheckpointsResult>(Method.checkpoints, { conversationId });
    assert.deepEqual(checkpoints.map((checkpoint) => checkpoint.files), [[uri]]);
    const reverted = await daemon.connection.sendRequest<RevertResult>(Method.revert, { conversationId, turnId: checkpoints[0].turnId });
    assert.deepEqual(reverted.reverted, [uri]);
    assert.equal(daemon.files.get(uri), OLD);
    assert.equal(readFileSync(join(daemon.root, 'stats.py'), 'utf8'), OLD);
  });
});
