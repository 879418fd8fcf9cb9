/**
 * Plan mode's hand-over: the plan a `plan` turn ended with, which the chat
 * offers to run in agent mode (docs/protocol.md, "Chat modes").
 */
import type { SilcrowEvent } from '../protocol/contract';

/**
 * The answer of the conversation's last turn when that turn was asked in plan mode and ended
 * normally (`end`); undefined otherwise. Token-mode deltas are joined as sent, semantic blocks
 * with a blank line between them.
 */
export function planOf(events: readonly SilcrowEvent[]): string | undefined {
  const asked = [...events].reverse().find((event) => event.type === 'user' && event.payload?.notice !== true);
  if (!asked || asked.payload?.chatMode !== 'plan') {
    return undefined;
  }
  const turn = events.filter((event) => event.turnId === asked.turnId);
  if (!turn.some((event) => event.type === 'end' && (event.payload?.stopReason ?? 'end') === 'end')) {
    return undefined;
  }
  const plan = turn
    .filter((event) => event.type === 'respond')
    .map((event, index) => (index > 0 && event.payload?.delta !== true ? `\n\n${event.content}` : event.content))
    .join('');
  return plan.trim() || undefined;
}
