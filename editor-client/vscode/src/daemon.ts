/**
 * Starting the Silcrow daemon as a language server (`vscode-languageclient`)
 * and the standard LSP parts that need VS Code: settings for
 * `workspace/configuration`, the experimental capabilities, applying the
 * daemon's edits, saving documents.
 *
 * Algorithm:
 * 1. The process comes from `silcrow.server.python` / `silcrow.server.command`
 *    (protocol/settings.ts), the user's values only, or from the daemon the
 *    extension installs itself (serverSetup.ts), read again at every start. The daemon's settings go
 *    as initializationOptions and as `didChangeConfiguration` pushes
 *    (`pushUserSettings`) with permissions, provider, model and endpoints
 *    from the user's settings only (`inspect().globalValue`: a workspace's
 *    `.vscode/settings.json` never raises permissions); `workspace/configuration`
 *    for a folder is answered with the folder settings alone.
 * 2. `capabilities.experimental.silcrow` declares permissions,
 *    saveDocuments, readFile, terminal and review, so the daemon asks in the
 *    chat, lets VS Code save, reads unopened files through `workspace.fs`,
 *    runs shell commands in the "Silcrow" terminal (terminal.ts) and shows
 *    every change for review first (review.ts).
 * 3. `workspace/applyEdit` is applied by VS Code (undoable there) after a
 *    version check; an edited document that is not visible is shown beside
 *    the chat without taking focus.
 * 4. `silcrow.ask`/`explain`/`fix` (the daemon's code actions) are routed to
 *    `onServerCommand` through the executeCommand middleware.
 * 5. The process is spawned here (its environment carries the stored API
 *    keys, read again on every start), and its last stderr lines and exit
 *    code are kept (`DaemonProcess`), so a failed start is one message with
 *    the cause; the language client's own error toasts for it are turned off
 *    (`SilcrowLanguageClient`).
 */
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type ApplyWorkspaceEditParams,
  type ApplyWorkspaceEditResult,
  type ClientCapabilities,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { ServerCommand, type ServerCommandName, type SilcrowClientCapabilities } from './protocol/contract';
import { editedUris } from './protocol/edits';
import {
  DAEMON_KEYS,
  folderSettings,
  serverCommand,
  USER_ONLY_KEYS,
  userSettings,
  type DaemonSettings,
  type ServerCommand as ProcessCommand,
} from './protocol/settings';
import { registerEditorTools } from './terminal';

export type ServerCommandHandler = (
  command: ServerCommandName,
  argument: unknown,
  next: (argument: unknown) => Promise<unknown>,
) => Promise<unknown>;

const SERVER_COMMANDS = new Set<string>(Object.values(ServerCommand));

export const CLIENT_CAPABILITIES: SilcrowClientCapabilities = {
  permissions: true,
  saveDocuments: true,
  readFile: true,
  terminal: true,
  review: true,
};

/** The `silcrow` section for initializationOptions and pushes: user-only keys from the user's settings. */
export function readUserSettings(): DaemonSettings {
  const config = vscode.workspace.getConfiguration('silcrow');
  const user = Object.fromEntries(USER_ONLY_KEYS.map((key) => [key, config.inspect(key)?.globalValue]));
  const effective = Object.fromEntries(DAEMON_KEYS.map((key) => [key, config.get(key)]));
  return userSettings(user, effective);
}

/** The answer to `workspace/configuration` for a folder: its folder settings only. */
export function readFolderSettings(scope?: vscode.Uri): DaemonSettings {
  const config = vscode.workspace.getConfiguration('silcrow', scope);
  return folderSettings(Object.fromEntries(DAEMON_KEYS.map((key) => [key, config.get(key)])));
}

/** Tell a running daemon the user's settings changed (replaces vscode-languageclient's synchronize push). */
export async function pushUserSettings(client: LanguageClient): Promise<void> {
  if (client.isRunning()) {
    await client.sendNotification('workspace/didChangeConfiguration', { settings: { silcrow: readUserSettings() } });
  }
}

/** The daemon process from the user's settings (never a workspace's); throws SettingError with the fix. */
export function readServerCommand(): ProcessCommand {
  const config = vscode.workspace.getConfiguration('silcrow.server');
  return serverCommand({ command: config.inspect('command')?.globalValue, python: config.inspect('python')?.globalValue });
}

/**
 * vscode-languageclient with two changes for a daemon that fails to start: its forced
 * "couldn't create connection" toast is only logged (the extension shows one message with the
 * cause), and `stop()` of a client that never ran resolves instead of rejecting (the library calls
 * it, un-awaited, after a failed `initialize`, which would log an unhandled rejection).
 */
class SilcrowLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.state === State.Running ? showNotification : false);
  }

  override async stop(timeout?: number): Promise<void> {
    try {
      await super.stop(timeout);
    } catch (error) {
      if (this.state === State.Running) {
        throw error;
      }
    }
  }
}

/** The daemon process of the latest start: its last stderr lines and exit code, for a failed start's message. */
export class DaemonProcess {
  readonly stderr: string[] = [];
  exitCode: number | null | undefined;

  constructor(readonly command: ProcessCommand) {}

  /** The last non-empty stderr line, e.g. "No module named silcrow". */
  get lastError(): string | undefined {
    return this.stderr.flatMap((chunk) => chunk.split('\n')).map((line) => line.trim()).filter(Boolean).at(-1);
  }
}

export function createClient(
  output: vscode.OutputChannel,
  onServerCommand: ServerCommandHandler,
  environment: () => Promise<NodeJS.ProcessEnv>,
  onSpawn: (process: DaemonProcess) => void,
  serverCommand: () => ProcessCommand = readServerCommand,
): LanguageClient {
  serverCommand(); // a malformed setting fails here, before anything starts
  const serverOptions: ServerOptions = async () => {
    const command = serverCommand(); // read at every (re)start: the managed daemon may have been set up since
    const watch = new DaemonProcess(command);
    onSpawn(watch);
    const child = spawn(command.command, command.args, { env: await environment() });
    child.stderr.on('data', (chunk: Buffer) => {
      watch.stderr.push(chunk.toString());
      watch.stderr.splice(0, Math.max(0, watch.stderr.length - 20));
    });
    child.on('exit', (code) => {
      watch.exitCode = code;
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return child;
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // A failed start is reported once, by the extension, with its cause (not as the client's toasts);
    // once the daemon has run, a crash is handled as vscode-languageclient does (restart, then give up).
    initializationFailedHandler: () => false,
    errorHandler: {
      error: (error, message, count) =>
        ran ? fallback().error(error, message, count) : { action: ErrorAction.Shutdown, handled: true },
      closed: () => (ran ? fallback().closed() : { action: CloseAction.DoNotRestart, handled: true }),
    },
    initializationOptions: () => readUserSettings(), // read at every (re)start
    middleware: {
      executeCommand: (command, args, next): Promise<unknown> =>
        SERVER_COMMANDS.has(command)
          ? onServerCommand(command as ServerCommandName, args[0], (argument) => Promise.resolve<unknown>(next(command, [argument])))
          : Promise.resolve<unknown>(next(command, args)),
      workspace: {
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          const list: unknown[] = Array.isArray(answers) ? answers : [];
          return params.items.map((item, index) =>
            item.section === 'silcrow'
              ? readFolderSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : list[index],
          );
        },
      },
    },
  };
  let ran = false;
  let defaultHandler: ErrorHandler | undefined;
  const fallback = (): ErrorHandler => (defaultHandler ??= client.createDefaultErrorHandler());
  const client = new SilcrowLanguageClient('silcrow', 'Silcrow', serverOptions, clientOptions);
  client.onDidChangeState(({ newState }) => {
    ran ||= newState === State.Running;
  });
  client.registerFeature(experimentalFeature());
  client.onRequest('workspace/applyEdit', (params: ApplyWorkspaceEditParams) => applyEdit(client, params));
  registerEditorTools(client);
  return client;
}

function experimentalFeature(): StaticFeature {
  return {
    fillClientCapabilities(capabilities: ClientCapabilities): void {
      capabilities.experimental = { ...(capabilities.experimental as object | undefined), silcrow: CLIENT_CAPABILITIES };
    },
    initialize(): void {},
    getState: () => ({ kind: 'static' }),
    clear(): void {},
  };
}

async function applyEdit(client: LanguageClient, params: ApplyWorkspaceEditParams): Promise<ApplyWorkspaceEditResult> {
  const stale = staleDocument(params);
  if (stale) {
    return { applied: false, failureReason: `${stale} changed in the editor since the daemon read it; read it again and retry` };
  }
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(params.edit);
  const applied = await vscode.workspace.applyEdit(edit);
  if (!applied) {
    return { applied, failureReason: 'VS Code refused the edit (is the file read-only or outside the workspace?)' };
  }
  await revealEdited(editedUris(params.edit));
  return { applied };
}

function staleDocument(params: ApplyWorkspaceEditParams): string | undefined {
  for (const change of params.edit.documentChanges ?? []) {
    if ('textDocument' in change && typeof change.textDocument.version === 'number') {
      const document = openDocument(change.textDocument.uri);
      if (document && document.version !== change.textDocument.version) {
        return vscode.workspace.asRelativePath(document.uri);
      }
    }
  }
  return undefined;
}

async function revealEdited(uris: string[]): Promise<void> {
  const visible = new Set(vscode.window.visibleTextEditors.map((editor) => editor.document.uri.toString()));
  for (const uri of uris) {
    if (!visible.has(vscode.Uri.parse(uri).toString())) {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      await vscode.window.showTextDocument(document, { preview: true, preserveFocus: true });
    }
  }
}

/** Save the open documents among `uris` (answer to `silcrow/saveDocuments`). */
export async function saveDocuments(uris: string[]): Promise<string[]> {
  const saved: string[] = [];
  for (const uri of uris) {
    const document = openDocument(uri);
    if (document && (!document.isDirty || (await document.save()))) {
      saved.push(uri);
    }
  }
  return saved;
}

function openDocument(uri: string): vscode.TextDocument | undefined {
  const key = vscode.Uri.parse(uri).toString();
  return vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === key);
}
