/**
 * How a selection is named to the user ("lines 3-5"): LSP ranges end
 * exclusively, so a selection that ends at column 0 of a line does not
 * include that line. Pure: no `vscode` import.
 */
import type { Range } from './contract';

/** "line N" or "lines A-B" (1-based) for the lines `range` covers. */
export function selectionLines(range: Range): string {
  const first = range.start.line + 1;
  const endsAtLineStart = range.end.character === 0 && range.end.line > range.start.line;
  const last = endsAtLineStart ? range.end.line : range.end.line + 1;
  return first === last ? `line ${first}` : `lines ${first}-${last}`;
}
