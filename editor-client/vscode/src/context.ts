/**
 * The editor's side of what goes with a chat message: the current file and
 * selection (shown as chips in the chat), `@` mention completions, the model
 * list, and "Fix with Silcrow" on a diagnostic.
 *
 * Algorithm:
 * 1. The active text editor's file and non-empty selection are posted to the
 *    chat (`editorContext`) when the editor, its selection or the setting
 *    `silcrow.sendEditorContext` changes, and when the chat (re)appears.
 *    With the setting off no chip is shown and nothing is sent.
 * 2. A `mentions` query is answered with, in this order: `problems` (the
 *    active file's diagnostics) when the query is a prefix of it; files and
 *    folders from the daemon's index (`silcrow/mentions`); symbols from the
 *    editor's workspace symbol providers (`vscode.executeWorkspaceSymbolProvider`),
 *    which get `SYMBOL_WAIT_MS` before the answer goes without them.
 * 3. `listModels` (the chat appearing, `/model`, each daemon start) asks the
 *    daemon for `silcrow/models`; a failure leaves only the default in the
 *    picker, with the reason as its tooltip.
 * 4. Each diagnostic gets a quick fix "Fix with Silcrow" that sends it (as
 *    an LSP Diagnostic) and its file as context of a prompt in the chat.
 */
import * as vscode from 'vscode';
import type { ChatSurface, TurnChoice } from './chatController';
import type { ContextItem, Diagnostic, Range } from './protocol/contract';
import { selectionLines } from './protocol/selectionRange';
import type { SilcrowSession } from './protocol/session';
import type { Attachment, FromWebview } from './webview/messages';

/** The setting that turns the current file and selection chips on and off. */
export const SEND_EDITOR_CONTEXT = 'sendEditorContext';
export const FIX_DIAGNOSTIC_COMMAND = 'silcrow.fixDiagnostic';
/** How long an `@` completion waits for the editor's symbol providers. */
const SYMBOL_WAIT_MS = 1500;
const MENTION_LIMIT = 20;
const SYMBOL_LIMIT = 10;
/** Documents whose text the daemon can read (a file on disk, or an open buffer). */
const SCHEMES = new Set(['file', 'untitled']);

export type SendToChat = (text: string, context: ContextItem[], choice?: TurnChoice) => Promise<unknown>;

export class EditorContext implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private lastEditor: vscode.TextEditor | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly session: SilcrowSession,
    private readonly surface: ChatSurface,
    send: SendToChat,
  ) {
    this.lastEditor = vscode.window.activeTextEditor;
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      vscode.window.onDidChangeTextEditorSelection(() => this.refreshSoon()),
      vscode.workspace.onDidChangeConfiguration((change) => change.affectsConfiguration(`silcrow.${SEND_EDITOR_CONTEXT}`) && this.refresh()),
      vscode.languages.registerCodeActionsProvider([...SCHEMES].map((scheme) => ({ scheme })), new FixProvider(), { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
      vscode.commands.registerCommand(FIX_DIAGNOSTIC_COMMAND, (uri: string, diagnostic: Diagnostic) =>
        send(`Fix this problem: ${diagnostic.message}`, [{ kind: 'diagnostics', uri, diagnostics: [diagnostic] }, { kind: 'file', uri }]),
      ),
    );
  }

  /** Answer the chat's context messages; true when `message` was one (`ready` is seen, and left to the controller). */
  handle(message: FromWebview): boolean {
    switch (message.type) {
      case 'ready':
        this.refresh();
        void this.listModels();
        return false;
      case 'mentions':
        void this.mentions(message.requestId, message.query);
        return true;
      case 'listModels':
        void this.listModels();
        return true;
      default:
        return false;
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }

  /** The editor the chat's context is about: the active one, else the last one while it is still visible. */
  private editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active && SCHEMES.has(active.document.uri.scheme)) {
      this.lastEditor = active;
      return active;
    }
    return this.lastEditor && vscode.window.visibleTextEditors.includes(this.lastEditor) ? this.lastEditor : undefined;
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 150);
  }

  private refresh(): void {
    const enabled = vscode.workspace.getConfiguration('silcrow').get<boolean>(SEND_EDITOR_CONTEXT, true);
    const editor = enabled ? this.editor() : undefined;
    this.surface.post({ type: 'editorContext', attachments: editor ? editorAttachments(editor) : [] });
  }

  /** Ask the daemon for its models and tell the chat (after each daemon start: the list depends on its settings). */
  async listModels(): Promise<void> {
    try {
      const { models, current, provider, error } = await this.session.models();
      this.surface.post({ type: 'models', models, current: current || undefined, provider, error });
    } catch (error) {
      this.surface.post({ type: 'models', models: [], error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async mentions(requestId: number, query: string): Promise<void> {
    const [paths, symbols] = await Promise.all([this.pathMentions(query), symbolMentions(query)]);
    const choices = [...this.problemsMention(query), ...paths, ...symbols];
    this.surface.post({ type: 'mentions', requestId, choices });
  }

  private async pathMentions(query: string): Promise<Attachment[]> {
    try {
      const { items } = await this.session.mentions({ query, limit: MENTION_LIMIT });
      return items.map((mention) => ({
        id: `${mention.kind}:${mention.uri}`,
        label: mention.label,
        icon: mention.kind,
        item: mention.kind === 'folder' ? undefined : mention.kind === 'symbol' && mention.range ? { kind: 'symbol', uri: mention.uri, range: mention.range, name: mention.label } : { kind: 'file', uri: mention.uri },
      }));
    } catch {
      return []; // a daemon without mentions (or not running): the other sources still answer
    }
  }

  private problemsMention(query: string): Attachment[] {
    const editor = this.editor();
    if (!editor || !'problems'.startsWith(query.toLowerCase())) {
      return [];
    }
    const uri = editor.document.uri;
    const diagnostics = vscode.languages.getDiagnostics(uri).map(diagnosticOf);
    const where = vscode.workspace.asRelativePath(uri);
    return [{
      id: `problems:${uri.toString()}`,
      label: 'problems',
      icon: 'problems',
      title: `${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} in ${where}`,
      item: { kind: 'diagnostics', uri: uri.toString(), diagnostics },
    }];
  }
}

/** The chips for an editor: its file, and its selection when there is one. */
function editorAttachments(editor: vscode.TextEditor): Attachment[] {
  const uri = editor.document.uri;
  const where = vscode.workspace.asRelativePath(uri);
  const name = where.split('/').pop() ?? where;
  const file: Attachment = { id: `file:${uri.toString()}`, label: name, icon: 'file', title: `${where} (current file)`, item: { kind: 'file', uri: uri.toString() } };
  const selection = editor.selection;
  if (selection.isEmpty) {
    return [file];
  }
  const range = rangeOf(selection);
  const lines = selectionLines(range); // "line 3" / "lines 3-5" (a selection ending at column 0 leaves that line out)
  return [
    file,
    {
      id: `selection:${uri.toString()}:${range.start.line}:${range.start.character}:${range.end.line}:${range.end.character}`,
      label: `${name}:${lines.replace(/^lines? /, '')}`,
      icon: 'selection',
      title: `Selection in ${where}, ${lines}`,
      item: { kind: 'selection', uri: uri.toString(), range, text: editor.document.getText(selection) },
    },
  ];
}

/** Symbols matching `query` from the editor's providers (none for an empty query, or after `SYMBOL_WAIT_MS`). */
async function symbolMentions(query: string): Promise<Attachment[]> {
  if (!query) {
    return [];
  }
  const lookup = Promise.resolve(vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', query)).catch(() => undefined);
  const late = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), SYMBOL_WAIT_MS));
  const symbols = (await Promise.race([lookup, late])) ?? [];
  return symbols.slice(0, SYMBOL_LIMIT).map((symbol) => {
    const uri = symbol.location.uri.toString();
    const range = rangeOf(symbol.location.range);
    return {
      id: `symbol:${uri}:${range.start.line}:${symbol.name}`,
      label: symbol.name,
      icon: 'symbol',
      title: `${vscode.SymbolKind[symbol.kind] ?? 'symbol'} in ${vscode.workspace.asRelativePath(symbol.location.uri)}:${range.start.line + 1}`,
      item: { kind: 'symbol', uri, range, name: symbol.name },
    };
  });
}

/** "Fix with Silcrow" for each diagnostic in the requested range. */
class FixProvider implements vscode.CodeActionProvider {
  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics.map((diagnostic) => {
      const action = new vscode.CodeAction(`Fix with Silcrow: ${truncate(diagnostic.message, 60)}`, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [diagnostic];
      action.command = { title: 'Fix with Silcrow', command: FIX_DIAGNOSTIC_COMMAND, arguments: [document.uri.toString(), diagnosticOf(diagnostic)] };
      return action;
    });
  }
}

/** A VS Code diagnostic as an LSP Diagnostic. */
export function diagnosticOf(diagnostic: vscode.Diagnostic): Diagnostic {
  const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
  return {
    range: rangeOf(diagnostic.range),
    message: diagnostic.message,
    severity: (diagnostic.severity + 1) as Diagnostic['severity'],
    source: diagnostic.source,
    code,
  };
}

function rangeOf(range: vscode.Range): Range {
  return { start: { line: range.start.line, character: range.start.character }, end: { line: range.end.line, character: range.end.character } };
}

function truncate(text: string, length: number): string {
  const line = text.split('\n')[0];
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}
