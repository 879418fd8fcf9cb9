/**
 * The chat footer's token line: what the last turn and the whole conversation
 * used (summed from `metric` events), what it cost when the model's price is
 * known, and how full the model's context window is when its size is known.
 * Where a figure is unknown it is left out, never guessed.
 *
 * The fill is the last model response's input plus output tokens (what the
 * next request starts from) over the model's context window.
 */
import type { ModelInfo, SilcrowEvent, Usage } from '../protocol/contract';
import { addUsage, compact, formatUsage, usageOf } from '../protocol/transcript';
import { costOf, priceOf, type Price } from './prices';

export interface UsageSummary {
  turn: Usage | undefined;
  conversation: Usage | undefined;
  /** Tokens of the last model response (input + output). */
  last: number | undefined;
}

/** Sum the `metric` events of a conversation (the turn: those of the newest turn that has any). */
export function summarize(events: readonly SilcrowEvent[]): UsageSummary {
  let conversation: Usage | undefined;
  let turn: Usage | undefined;
  let turnId: string | undefined;
  let last: number | undefined;
  for (const event of events) {
    if (event.type !== 'metric' || typeof event.payload?.input_tokens !== 'number') {
      continue;
    }
    const usage = usageOf(event.payload);
    conversation = addUsage(conversation, usage);
    turn = addUsage(turnId === event.turnId ? turn : undefined, usage);
    turnId = event.turnId;
    last = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
  }
  return { turn, conversation, last };
}

/** The footer's text, e.g. "Turn 1.2k in · 310 out ($0.01) | Conversation … | Context 12% of 200k"; empty before any usage. */
export function usageLine(summary: UsageSummary, model: ModelInfo | undefined, provider: string | undefined): string {
  if (!summary.conversation) {
    return '';
  }
  const price = priceOf(provider, model?.id);
  const parts = [`Turn ${withCost(summary.turn, price)}`, `Conversation ${withCost(summary.conversation, price)}`];
  if (model?.contextWindow && summary.last !== undefined) {
    const percent = Math.min(100, Math.round((100 * summary.last) / model.contextWindow));
    parts.push(`Context ${percent}% of ${compact(model.contextWindow)}`);
  }
  return parts.join(' | ');
}

function withCost(usage: Usage | undefined, price: Price | undefined): string {
  const tokens = formatUsage(usage);
  const cost = usage && price ? costOf(usage, price) : undefined;
  return cost === undefined ? tokens : `${tokens} ($${cost < 0.01 ? cost.toFixed(4) : cost.toFixed(2)})`;
}
