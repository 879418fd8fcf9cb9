/**
 * Folds Silcrow events into the items a chat shows: the user's message,
 * reasoning, answers, tool calls with their outcome, errors, stops.
 *
 * Algorithm:
 * 1. Events are applied in `seq` order; an event whose `seq` is not above the
 *    last applied one is a duplicate (history overlapping the live stream)
 *    and is ignored, so replaying history then live events is safe.
 * 2. A token-mode think/respond delta extends the open item of the same type
 *    in the same turn; any other event closes it. A semantic block is a new,
 *    closed item.
 * 3. `call` opens a tool item (running, or failed for a malformed call);
 *    `output` (a running command's output, live) appends to the newest open
 *    tool item of its turn with that name; `result` completes the first open
 *    tool item of its turn, matching by name.
 * 4. `end`, `cancelled` and `error` close everything still open in the turn;
 *    cancelled, max_iterations and errors add a visible note.
 * 5. A `user` event with `payload.notice` is the daemon telling the model
 *    something (e.g. files changed on disk): a notice, not the user's words.
 * 6. `metric` (one per model response) adds to the turn's token usage.
 *
 * Pure: used by the webview (plain DOM) and by Node tests.
 */
import type { SilcrowEvent, Usage } from './contract';

export type ToolStatus = 'running' | 'ok' | 'failed' | 'interrupted';

export type Item =
  | { kind: 'user'; id: string; turnId: string; text: string; context: string; chatMode?: string }
  | { kind: 'think' | 'respond'; id: string; turnId: string; text: string; open: boolean }
  | {
      kind: 'tool';
      id: string;
      turnId: string;
      name: string;
      args: unknown;
      status: ToolStatus;
      outcome: string;
      result: string;
      live: string;
    }
  | { kind: 'error'; id: string; turnId: string; text: string }
  | { kind: 'notice'; id: string; turnId: string; text: string };

export interface TranscriptState {
  conversationId: string | undefined;
  lastSeq: number;
  items: Item[];
  usage: Usage | undefined;
  usageTurnId: string | undefined;
}

export function emptyTranscript(conversationId?: string): TranscriptState {
  return { conversationId, lastSeq: 0, items: [], usage: undefined, usageTurnId: undefined };
}

/** Apply one event in place; returns the ids of items added or changed (empty when ignored). */
export function applyEvent(state: TranscriptState, event: SilcrowEvent): string[] {
  if (state.conversationId && event.conversationId && event.conversationId !== state.conversationId) {
    return [];
  }
  if (event.seq <= state.lastSeq) {
    return [];
  }
  state.conversationId ??= event.conversationId;
  state.lastSeq = event.seq;
  return fold(state, event);
}

/** Fold a whole event list (e.g. `silcrow/history`) into a fresh transcript. */
export function transcriptOf(events: SilcrowEvent[], conversationId?: string): TranscriptState {
  const state = emptyTranscript(conversationId);
  [...events].sort((a, b) => a.seq - b.seq).forEach((event) => applyEvent(state, event));
  return state;
}

function fold(state: TranscriptState, event: SilcrowEvent): string[] {
  const id = `e${event.seq}`;
  const payload = event.payload ?? {};
  switch (event.type) {
    case 'user': {
      if (payload.notice === true) {
        return push(state, { kind: 'notice', id, turnId: event.turnId, text: event.content });
      }
      const context = Array.isArray(payload.context) ? contextSummary(payload.context) : '';
      const chatMode = typeof payload.chatMode === 'string' && payload.chatMode !== 'agent' ? payload.chatMode : undefined;
      return push(state, { kind: 'user', id, turnId: event.turnId, text: event.content, context, chatMode });
    }
    case 'think':
    case 'respond':
      return foldText(state, event, id);
    case 'call':
      return foldCall(state, event, id);
    case 'output':
      return foldOutput(state, event);
    case 'result':
      return foldResult(state, event, id);
    case 'metric':
      state.usage = addUsage(state.usageTurnId === event.turnId ? state.usage : undefined, usageOf(payload));
      state.usageTurnId = event.turnId;
      return [];
    case 'execute':
      return closeText(state);
    case 'end':
    case 'cancelled':
    case 'error':
      return foldStop(state, event, id);
    default:
      return [];
  }
}

function push(state: TranscriptState, item: Item): string[] {
  const closed = closeText(state);
  state.items.push(item);
  return [...closed, item.id];
}

function foldText(state: TranscriptState, event: SilcrowEvent, id: string): string[] {
  const kind = event.type as 'think' | 'respond';
  const delta = event.payload?.delta === true;
  const last = state.items[state.items.length - 1];
  if (delta && last && last.kind === kind && last.open && last.turnId === event.turnId) {
    last.text += event.content;
    return [last.id];
  }
  return push(state, { kind, id, turnId: event.turnId, text: event.content, open: delta });
}

function closeText(state: TranscriptState): string[] {
  const last = state.items[state.items.length - 1];
  if (last && (last.kind === 'think' || last.kind === 'respond') && last.open) {
    last.open = false;
    return [last.id];
  }
  return [];
}

function foldCall(state: TranscriptState, event: SilcrowEvent, id: string): string[] {
  const payload = event.payload ?? {};
  const malformed = typeof payload.error === 'string' && payload.error !== '';
  return push(state, {
    kind: 'tool',
    id,
    turnId: event.turnId,
    name: typeof payload.name === 'string' ? payload.name : '(malformed call)',
    args: malformed ? payload.raw ?? event.content : payload.args ?? {},
    status: malformed ? 'failed' : 'running',
    outcome: malformed ? String(payload.error) : '',
    result: '',
    live: '',
  });
}

function foldOutput(state: TranscriptState, event: SilcrowEvent): string[] {
  const name = typeof event.payload?.name === 'string' ? event.payload.name : undefined;
  const tool = [...state.items].reverse().find(
    (item): item is Extract<Item, { kind: 'tool' }> =>
      item.kind === 'tool' && item.turnId === event.turnId && item.status === 'running' && (!name || item.name === name),
  );
  if (!tool) {
    return [];
  }
  tool.live += event.content;
  return [tool.id];
}

function foldResult(state: TranscriptState, event: SilcrowEvent, id: string): string[] {
  const payload = event.payload ?? {};
  const name = typeof payload.name === 'string' ? payload.name : undefined;
  const tool = state.items.find(
    (item): item is Extract<Item, { kind: 'tool' }> =>
      item.kind === 'tool' && item.turnId === event.turnId && item.status === 'running' && (!name || item.name === name),
  );
  const failed = Boolean(payload.error);
  const outcome = typeof payload.outcome === 'string' ? payload.outcome : failed ? String(payload.error) : '';
  if (!tool) {
    return push(state, {
      kind: 'tool', id, turnId: event.turnId, name: name ?? 'tool', args: {},
      status: failed ? 'failed' : 'ok', outcome, result: event.content, live: '',
    });
  }
  tool.status = failed ? 'failed' : 'ok';
  tool.outcome = outcome;
  tool.result = event.content;
  return [...closeText(state), tool.id];
}

function foldStop(state: TranscriptState, event: SilcrowEvent, id: string): string[] {
  const changed = closeText(state);
  for (const item of state.items) {
    if (item.kind === 'tool' && item.turnId === event.turnId && item.status === 'running') {
      item.status = 'interrupted';
      changed.push(item.id);
    }
  }
  const note = stopNote(event);
  if (note) {
    state.items.push({ ...note, id, turnId: event.turnId });
    changed.push(id);
  }
  return changed;
}

function stopNote(event: SilcrowEvent): { kind: 'error' | 'notice'; text: string } | undefined {
  if (event.type === 'error') {
    return { kind: 'error', text: event.content || 'The turn failed.' };
  }
  if (event.type === 'cancelled') {
    return { kind: 'notice', text: 'Stopped.' };
  }
  if (event.payload?.stopReason === 'max_iterations') {
    return { kind: 'notice', text: 'Stopped after the maximum number of tool cycles (setting silcrow.maxIterations).' };
  }
  return undefined;
}

/** The token figures of a `metric` event's payload. */
export function usageOf(payload: Record<string, unknown>): Usage {
  const pick = (key: keyof Usage): number | undefined =>
    typeof payload[key] === 'number' ? (payload[key]) : undefined;
  return {
    input_tokens: pick('input_tokens'),
    cached_tokens: pick('cached_tokens'),
    output_tokens: pick('output_tokens'),
    sent_bytes: pick('sent_bytes'),
  };
}

/**
 * What a user message carried, by kind: "1 file, 2 selections" (an item without `kind` is the first
 * contract's: a selection when it has a range, else a file); empty for none.
 */
export function contextSummary(items: unknown[]): string {
  const counts = new Map<string, number>();
  for (const item of items) {
    const fields = typeof item === 'object' && item !== null ? (item as { kind?: unknown; range?: unknown }) : {};
    const kind = typeof fields.kind === 'string' ? fields.kind : fields.range ? 'selection' : 'file';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const noun = (kind: string, n: number): string => (kind === 'diagnostics' ? `${n} diagnostics list${n > 1 ? 's' : ''}` : `${n} ${kind}${n > 1 ? 's' : ''}`);
  return [...counts].map(([kind, n]) => noun(kind, n)).join(', ');
}

/** The sum of two usages (a field missing from both stays missing). */
export function addUsage(total: Usage | undefined, more: Usage): Usage {
  if (!total) {
    return more;
  }
  const sum = (key: keyof Usage): number | undefined =>
    total[key] === undefined && more[key] === undefined ? undefined : (total[key] ?? 0) + (more[key] ?? 0);
  return {
    input_tokens: sum('input_tokens'),
    cached_tokens: sum('cached_tokens'),
    output_tokens: sum('output_tokens'),
    sent_bytes: sum('sent_bytes'),
  };
}

/** A short usage line, e.g. "1.2k in (800 cached) · 310 out". */
export function formatUsage(usage: Usage | undefined): string {
  if (!usage || usage.input_tokens === undefined) {
    return '';
  }
  const cached = usage.cached_tokens ? ` (${compact(usage.cached_tokens)} cached)` : '';
  return `${compact(usage.input_tokens)} in${cached} · ${compact(usage.output_tokens ?? 0)} out`;
}

/** 1234 -> "1.2k". */
export function compact(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

/** The first line of the user's own message (not a daemon notice), for a title. */
export function titleOf(event: SilcrowEvent): string | undefined {
  return event.type === 'user' && event.payload?.notice !== true ? event.content.split('\n')[0] : undefined;
}
