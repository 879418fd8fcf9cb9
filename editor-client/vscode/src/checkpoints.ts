/**
 * "Restore to before this turn": `silcrow/revert` for a turn of the shown
 * conversation. The daemon restores every file that turn and the later ones
 * changed, or, when the user changed some of them since, restores nothing
 * and names them; then the user is asked (a modal listing the files) and the
 * request is sent again with `force`. What happened is told in the chat.
 */
import * as vscode from 'vscode';
import { Method, type RevertParams, type RevertResult } from './protocol/contract';

/** The part of the language client a restore needs. */
export interface RevertRequests {
  sendRequest<R>(method: string, params: unknown): Promise<R>;
}

/** Where a restore tells what happened (the chat). */
export interface RestoreReport {
  info(text: string): void;
  error(text: string): void;
}

export const OVERWRITE = 'Restore Anyway';

export async function restoreTurn(
  rpc: RevertRequests,
  conversationId: string | undefined,
  turnId: string,
  report: RestoreReport,
): Promise<void> {
  if (!conversationId) {
    report.error('This conversation is not stored yet; there is nothing to restore.');
    return;
  }
  const params: RevertParams = { conversationId, turnId };
  try {
    let result = await rpc.sendRequest<RevertResult>(Method.revert, params);
    const conflicts = result.conflicts ?? [];
    if (conflicts.length > 0) {
      const names = conflicts.map(pathOf).join(', ');
      const choice = await vscode.window.showWarningMessage(
        `${conflicts.length === 1 ? `${names} was` : `${conflicts.length} files were`} changed since this turn.`,
        { modal: true, detail: `Restoring overwrites your changes to ${names}. Nothing has been restored yet.` },
        OVERWRITE,
      );
      if (choice !== OVERWRITE) {
        report.info(`Nothing restored: ${names} changed since this turn.`);
        return;
      }
      result = await rpc.sendRequest<RevertResult>(Method.revert, { ...params, force: true } satisfies RevertParams);
    }
    report.info(result.reverted.length === 0
      ? 'Nothing to restore: no file was changed by this turn or a later one (or they were restored already).'
      : `Restored to before this turn: ${result.reverted.map(pathOf).join(', ')}.`);
  } catch (error) {
    report.error(`Could not restore: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function pathOf(uri: string): string {
  return vscode.workspace.asRelativePath(vscode.Uri.parse(uri));
}
