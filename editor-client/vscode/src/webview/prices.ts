/**
 * Published API prices, for the cost shown in the chat footer: the table is
 * scripts/prices.toml (USD per million tokens, each entry with its source
 * and the date it was read), bundled at build time (build.mjs parses it with
 * smol-toml). A model not in that table has no cost shown, only tokens.
 */
import type { Usage } from '../protocol/contract';
import table from '../../../../scripts/prices.toml';

export interface Price {
  input: number;
  cached_input: number;
  output: number;
}

const PRICES = table as Record<string, Partial<Price> | undefined>;

/** The price of `provider/model`, when the table has one. */
export function priceOf(provider: string | undefined, model: string | undefined): Price | undefined {
  const entry = provider && model ? PRICES[`${provider}/${model}`] : undefined;
  const { input, cached_input: cached, output } = entry ?? {};
  return typeof input === 'number' && typeof output === 'number' ? { input, cached_input: cached ?? input, output } : undefined;
}

/** USD for `usage`: cached input tokens (part of the input tokens) at the cached rate; cache writes at the input rate (the metric carries them, `Usage` does not yet), so a turn that writes the cache may cost a little more. */
export function costOf(usage: Usage, price: Price): number {
  const cached = usage.cached_tokens ?? 0;
  const fresh = Math.max(0, (usage.input_tokens ?? 0) - cached);
  return (fresh * price.input + cached * price.cached_input + (usage.output_tokens ?? 0) * price.output) / 1e6;
}
