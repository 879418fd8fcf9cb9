/**
 * The daemon's tools through VS Code: the `terminal` and `readFile`
 * capabilities (docs/protocol.md).
 *
 * Algorithm:
 * 1. `silcrow/readFile {uri}` answers `{text}` from `workspace.fs.readFile`
 *    (so remote and virtual workspaces work), decoded as UTF-8; bytes that
 *    are not UTF-8 are an error answer, and the daemon then reads the disk
 *    (where its binary-file check applies).
 * 2. `silcrow/terminal/run {runId, command, cwd}` runs the daemon's line, as
 *    given, in the "Silcrow" integrated terminal (created in `cwd` when there
 *    is none), shown without taking focus. It needs shell integration
 *    (VS Code 1.93+, a supported shell): up to `INTEGRATION_WAIT_MS` are
 *    waited for it; without it the answer is an error sent before anything
 *    ran, and the daemon runs the command itself.
 * 3. `executeCommand` then `read()` at once (output read later is lost); each
 *    piece goes out as `silcrow/terminal/output {runId, data}`, in order;
 *    the answer `{exitCode}` follows when the stream has ended and VS Code
 *    reported the end (`exitCode` null when the shell could not tell).
 * 4. `silcrow/terminal/kill {runId}` sends Ctrl-C to that terminal; if the
 *    command has not ended after `KILL_GRACE_MS`, the terminal is disposed
 *    (its shell and the command with it; the next run opens a new one).
 *
 * The shell-integration API is newer than the VS Code this extension
 * supports (1.90), so it is typed here and detected at run time.
 */
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient } from 'vscode-languageclient/node';

export const TERMINAL_NAME = 'Silcrow';
const INTEGRATION_WAIT_MS = 5000;
const KILL_GRACE_MS = 500;

interface ShellExecution {
  read(): AsyncIterable<string>;
}
interface ShellIntegration {
  executeCommand(commandLine: string): ShellExecution;
}
interface ShellExecutionEnd {
  execution: ShellExecution;
  exitCode: number | undefined;
}
type IntegratedTerminal = vscode.Terminal & { readonly shellIntegration?: ShellIntegration };
interface ShellIntegrationWindow {
  onDidChangeTerminalShellIntegration?: vscode.Event<{ terminal: vscode.Terminal; shellIntegration: ShellIntegration }>;
  onDidEndTerminalShellExecution?: vscode.Event<ShellExecutionEnd>;
}

interface RunParams {
  runId: string;
  command: string;
  cwd: string;
}

const api = vscode.window as unknown as ShellIntegrationWindow;

/** Register the handlers of step 1 to 4 on `client`; call before it starts. */
export function registerEditorTools(client: LanguageClient): void {
  const running = new Map<string, { terminal: vscode.Terminal; ended: boolean }>();
  client.onRequest('silcrow/readFile', (params: { uri: string }) => readFile(params.uri));
  client.onRequest('silcrow/terminal/run', async (params: RunParams) => {
    const terminal = silcrowTerminal(params.cwd);
    const integration = await shellIntegration(terminal);
    const ends = api.onDidEndTerminalShellExecution;
    if (!integration || !ends) {
      throw new ResponseError(-32603, 'the Silcrow terminal has no shell integration; run the command in the daemon');
    }
    terminal.show(true);
    const run = { terminal, ended: false };
    running.set(params.runId, run);
    try {
      let exitCode: number | undefined;
      let execution: ShellExecution | undefined;
      const ended = new Promise<void>((resolve) => {
        const listener = ends((end) => {
          if (end.execution === execution) {
            exitCode = end.exitCode;
            listener.dispose();
            resolve();
          }
        });
      });
      execution = integration.executeCommand(params.command);
      for await (const data of execution.read()) {
        await client.sendNotification('silcrow/terminal/output', { runId: params.runId, data });
      }
      await ended;
      return { exitCode: exitCode ?? null };
    } finally {
      run.ended = true;
      running.delete(params.runId);
    }
  });
  client.onNotification('silcrow/terminal/kill', (params: { runId: string }) => {
    const run = running.get(params.runId);
    if (!run) {
      return;
    }
    run.terminal.sendText('\u0003', false);
    setTimeout(() => {
      if (!run.ended) {
        run.terminal.dispose();
      }
    }, KILL_GRACE_MS);
  });
}

async function readFile(uri: string): Promise<{ text: string }> {
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.parse(uri));
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

/** The open "Silcrow" terminal, or a new one in `cwd`. */
function silcrowTerminal(cwd: string): IntegratedTerminal {
  const open = vscode.window.terminals.find((terminal) => terminal.name === TERMINAL_NAME && terminal.exitStatus === undefined);
  return open ?? vscode.window.createTerminal({ name: TERMINAL_NAME, cwd: vscode.Uri.file(cwd) });
}

/** The terminal's shell integration, waiting up to `INTEGRATION_WAIT_MS` for a new shell to report it. */
function shellIntegration(terminal: IntegratedTerminal): Promise<ShellIntegration | undefined> {
  const changed = api.onDidChangeTerminalShellIntegration;
  if (terminal.shellIntegration || !changed) {
    return Promise.resolve(terminal.shellIntegration);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      listener.dispose();
      resolve(terminal.shellIntegration);
    }, INTEGRATION_WAIT_MS);
    const listener = changed((event) => {
      if (event.terminal === terminal) {
        clearTimeout(timer);
        listener.dispose();
        resolve(event.shellIntegration);
      }
    });
  });
}
