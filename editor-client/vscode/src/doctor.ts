/**
 * The "Silcrow: Check Setup" command: the daemon's `silcrow/doctor` checks (the
 * provider's key, its endpoint, the model, live sessions) for the active
 * folder, shown as a list with what to fix.
 *
 * Algorithm:
 * 1. `silcrow/doctor {workspaceUri}` for the folder of the active editor (else
 *    the first folder), under a progress notification: the daemon calls the
 *    vendor, which takes a few seconds at most.
 * 2. `checkItem` turns each check into a quick-pick row (pure): a pass or an
 *    error icon, the detail, and the fix when the check failed. Picking a
 *    failed row copies its fix to the clipboard (fixes name settings and
 *    commands to run).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Method, type DoctorCheck, type DoctorResult } from './protocol/contract';

/** The quick-pick row of one check (pure). */
export function checkItem(check: DoctorCheck): vscode.QuickPickItem & { check: DoctorCheck } {
  return {
    label: `${check.ok ? '$(pass)' : '$(error)'} ${check.name}`,
    description: check.detail,
    detail: check.ok ? undefined : check.fix,
    check,
  };
}

export async function showDoctor(client: LanguageClient): Promise<void> {
  const folder =
    (vscode.window.activeTextEditor &&
      vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri)) ??
    vscode.workspace.workspaceFolders?.[0];
  const params = folder ? { workspaceUri: folder.uri.toString() } : {};
  const { checks } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Silcrow: checking the setup…' },
    () => client.sendRequest<DoctorResult>(Method.doctor, params),
  );
  const failed = checks.filter((c) => !c.ok).length;
  const picked = await vscode.window.showQuickPick(checks.map(checkItem), {
    title: failed ? `Silcrow setup: ${failed} of ${checks.length} checks failed` : 'Silcrow setup: all checks pass',
  });
  if (picked && !picked.check.ok && picked.check.fix) {
    await vscode.env.clipboard.writeText(picked.check.fix);
    void vscode.window.showInformationMessage('Silcrow: the fix is on the clipboard.');
  }
}
