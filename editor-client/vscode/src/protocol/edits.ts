/**
 * Reading the daemon's `workspace/applyEdit` requests: which files an edit
 * touches, and (for headless clients and tests) applying it to text held in
 * memory.
 *
 * Algorithm (applyToTexts):
 * 1. Walk `documentChanges` in order (else the `changes` map): a CreateFile
 *    adds an empty file unless it exists; a TextDocumentEdit applies its edits.
 * 2. Text edits of one document are applied from the last to the first
 *    position, so earlier offsets stay valid; positions are LSP UTF-16
 *    line/character pairs, as JavaScript strings index them.
 *
 * Pure: no `vscode` import.
 */
import type {
  CreateFile,
  DeleteFile,
  RenameFile,
  TextDocumentEdit,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import type { Position } from './contract';

type DocumentChange = TextDocumentEdit | CreateFile | RenameFile | DeleteFile;

/** The URIs an edit writes to, in order, without repeats. */
export function editedUris(edit: WorkspaceEdit): string[] {
  const uris = new Set<string>();
  for (const change of edit.documentChanges ?? []) {
    uris.add(uriOf(change));
  }
  for (const uri of Object.keys(edit.changes ?? {})) {
    uris.add(uri);
  }
  return [...uris];
}

/** Apply `edit` to `files` (uri -> text) in place; throws with a reason on an edit it cannot apply. */
export function applyToTexts(files: Map<string, string>, edit: WorkspaceEdit): void {
  for (const change of edit.documentChanges ?? []) {
    applyChange(files, change);
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    files.set(uri, applyTextEdits(files.get(uri) ?? '', edits));
  }
}

function applyChange(files: Map<string, string>, change: DocumentChange): void {
  if ('kind' in change) {
    if (change.kind === 'create') {
      if (!files.has(change.uri) || change.options?.overwrite) {
        files.set(change.uri, '');
      }
      return;
    }
    throw new Error(`unsupported resource operation "${change.kind}"`);
  }
  const uri = change.textDocument.uri;
  if (!files.has(uri)) {
    throw new Error(`edit for ${uri}, which does not exist`);
  }
  files.set(uri, applyTextEdits(files.get(uri) ?? '', change.edits));
}

/** Apply LSP text edits to `text`. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const starts = lineStarts(text);
  const located = edits.map((edit) => ({
    start: offsetOf(text, starts, edit.range.start),
    end: offsetOf(text, starts, edit.range.end),
    newText: edit.newText,
  }));
  located.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const { start, end, newText } of located) {
    out = out.slice(0, start) + newText + out.slice(end);
  }
  return out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') {
      starts.push(i + 1);
    }
  }
  return starts;
}

function offsetOf(text: string, starts: number[], position: Position): number {
  if (position.line >= starts.length) {
    return text.length;
  }
  const lineStart = starts[position.line];
  const lineEnd = position.line + 1 < starts.length ? starts[position.line + 1] - 1 : text.length;
  return Math.min(lineStart + position.character, lineEnd);
}

function uriOf(change: DocumentChange): string {
  if ('kind' in change) {
    return change.kind === 'rename' ? change.newUri : change.uri;
  }
  return change.textDocument.uri;
}
