/**
 * The daemon's code actions on a selection: "Ask Silcrow about this…"
 * (asks for a question, then sends `silcrow/prompt` with the selection as
 * context), "Explain this" and "Fix this" (run by the daemon through
 * `workspace/executeCommand`, in the sidebar's conversation). The turn shows
 * in the sidebar either way.
 *
 * "Ask" takes the selection first, then opens the question box while the
 * editor still has focus; the chat is shown only after the question is given
 * and without focusing its text area, so nothing takes focus from the box and
 * the selection goes with the question.
 */
import * as vscode from 'vscode';
import type { ChatController } from './chatController';
import type { ServerCommandHandler } from './daemon';
import { ServerCommand, type SelectionItem } from './protocol/contract';
import { selectionLines } from './protocol/selectionRange';

/** The handler the executeCommand middleware calls for `silcrow.ask` / `explain` / `fix`. */
export function selectionCommands(
  controller: () => ChatController | undefined,
  reveal: (focusInput: boolean) => Promise<void>,
): ServerCommandHandler {
  return async (command, argument, next) => {
    const chat = controller();
    const selection = isContextItem(argument) ? argument : activeSelection();
    if (!chat || !selection) {
      void vscode.window.showWarningMessage(chat ? 'Silcrow: select some code first.' : 'Silcrow: the daemon is not running (see the Silcrow output).');
      return undefined;
    }
    if (command === ServerCommand.ask) {
      const where = vscode.workspace.asRelativePath(vscode.Uri.parse(selection.uri));
      const question = await vscode.window.showInputBox({
        title: 'Ask Silcrow about this',
        prompt: selection.range ? `About ${where}, ${selectionLines(selection.range)}` : `About ${where}`,
        placeHolder: 'What does this do?',
      });
      if (!question?.trim()) {
        return undefined;
      }
      await reveal(false);
      return chat.send(question.trim(), [selection]);
    }
    await reveal(false);
    return chat.runCommand((conversationId) => next({ ...selection, conversationId }));
  };
}

function isContextItem(value: unknown): value is SelectionItem {
  return typeof value === 'object' && value !== null && typeof (value as SelectionItem).uri === 'string';
}

/** The active editor's selection, when it is not empty. */
function activeSelection(): SelectionItem | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    return undefined;
  }
  const { start, end } = editor.selection;
  return {
    uri: editor.document.uri.toString(),
    range: { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } },
    text: editor.document.getText(editor.selection),
  };
}
