/**
 * The chat composer's pure parts: how a user message's context is summed
 * up, how `/` commands are read, the plan handed to agent mode, the price
 * table bundled from scripts/prices.toml.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SilcrowEvent } from '../../src/protocol/contract';
import { contextSummary } from '../../src/protocol/transcript';
import { planOf } from '../../src/webview/plan';
import { costOf, priceOf } from '../../src/webview/prices';
import { parseSlash } from '../../src/webview/slash';

const event = (seq: number, type: SilcrowEvent['type'], content: string, payload?: Record<string, unknown>): SilcrowEvent =>
  ({ conversationId: 'c', turnId: 't', seq, type, content, payload, timestamp: seq });

describe('composer', () => {
  test('a message\'s context is summed up by kind; items without kind are files or selections', () => {
    const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
    assert.equal(contextSummary([{ uri: 'file:///a' }, { uri: 'file:///a', range }, { kind: 'selection', uri: 'file:///b', range }]), '1 file, 2 selections');
    assert.equal(contextSummary([{ kind: 'image', mimeType: 'image/png', data: '' }, { kind: 'diagnostics', uri: 'file:///a', diagnostics: [] }]), '1 image, 1 diagnostics list');
    assert.equal(contextSummary([]), '');
  });

  test('/ commands: a known name with its rest, an unknown name, and text that is no command', () => {
    const ask = parseSlash('/Ask  why is this slow?\nsecond line');
    assert.equal(ask?.kind === 'command' && ask.command.name, 'ask');
    assert.equal(ask?.kind === 'command' && ask.rest, 'why is this slow?\nsecond line');
    assert.deepEqual(parseSlash('/deploy now'), { kind: 'unknown', name: 'deploy' });
    assert.equal(parseSlash('a/b is a path'), undefined);
    assert.equal(parseSlash('/ alone'), undefined);
  });

  test('the plan of a finished plan turn; semantic blocks are joined by a blank line', () => {
    const asked = event(1, 'user', 'plan it', { chatMode: 'plan' });
    assert.equal(planOf([asked, event(2, 'respond', '1. a'), event(3, 'respond', '2. b'), event(4, 'end', '', { stopReason: 'end' })]), '1. a\n\n2. b');
    assert.equal(planOf([asked, event(2, 'respond', '1. a'), event(3, 'cancelled', 'Cancelled by the user.')]), undefined, 'a cancelled plan is not offered');
    assert.equal(planOf([event(1, 'user', 'do it'), event(2, 'respond', 'done'), event(3, 'end', '')]), undefined, 'agent mode has no plan');
  });

  test('prices come from scripts/prices.toml by provider/model; unknown models have none', () => {
    const price = priceOf('anthropic', 'claude-sonnet-5');
    assert.deepEqual(price, { input: 3, cached_input: 0.3, output: 15 });
    assert.equal(costOf({ input_tokens: 1_000_000, cached_tokens: 500_000, output_tokens: 100_000 }, price), 1.5 + 0.15 + 1.5);
    assert.equal(priceOf('ollama', 'qwen3'), undefined);
    assert.equal(priceOf(undefined, 'claude-sonnet-5'), undefined);
  });
});
