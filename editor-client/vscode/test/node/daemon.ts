/**
 * Test support: the real Silcrow daemon (`silcrow serve`, or
 * `$SILCROW_SERVER_CMD`) over stdio with a `vscode-jsonrpc` connection, a
 * temporary workspace and database, and the scripted fake provider.
 *
 * The connection plays a small editor: it answers `workspace/configuration`,
 * applies `workspace/applyEdit` to text held in memory (recording each edit),
 * saves that text to disk on `silcrow/saveDocuments` (as VS Code does), and
 * declares `experimental.silcrow.permissions` and `saveDocuments` (or the
 * capabilities a test asks for).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { ApplyWorkspaceEditParams, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { applyToTexts } from '../../src/protocol/edits';
import type { SilcrowClientCapabilities } from '../../src/protocol/contract';
import { SilcrowSession } from '../../src/protocol/session';

const REPO = resolve(__dirname, '..', '..', '..', '..');

export interface FakeScript {
  replies: string[];
  chunk?: number;
  delay?: number;
}

export interface Daemon {
  connection: MessageConnection;
  session: SilcrowSession;
  root: string;
  rootUri: string;
  /** Files as the editor holds them after applied edits (uri -> text). */
  files: Map<string, string>;
  edits: WorkspaceEdit[];
  stderr(): string;
  close(): Promise<void>;
}

/** The daemon command: `$SILCROW_SERVER_CMD` (split on spaces) or the venv's `silcrow serve`. */
export function daemonCommand(): string[] {
  const fromEnv = process.env.SILCROW_SERVER_CMD?.trim();
  return fromEnv ? fromEnv.split(/\s+/) : [join(REPO, '.venv', 'bin', 'silcrow'), 'serve'];
}

function daemonEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SILCROW_DB: join(root, '.silcrow-test.db') };
  delete env.SILCROW_FAKE_SCRIPT;
  return env;
}

export function fileUri(path: string): string {
  return pathToFileURL(path).toString();
}

/** Start a daemon on a fresh workspace with `script` as the fake model's replies. */
export async function startDaemon(
  script: FakeScript,
  settings: Record<string, unknown> = {},
  silcrow: SilcrowClientCapabilities = { permissions: true, saveDocuments: true },
): Promise<Daemon> {
  const root = mkdtempSync(join(tmpdir(), 'silcrow-vscode-'));
  const [command, ...args] = daemonCommand();
  const child = spawn(command, args, {
    cwd: root,
    env: daemonEnv(root),
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const spawned = new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', (error) => fail(new Error(`cannot start the daemon (${[command, ...args].join(' ')}): ${error.message}; set SILCROW_SERVER_CMD`)));
  });
  await spawned;
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const all = { provider: 'fake', fakeScript: script, ...settings };
  const files = new Map<string, string>();
  const edits: WorkspaceEdit[] = [];
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
    params.items.map((item) => (item.section === 'silcrow' ? all : null)),
  );
  connection.onRequest('workspace/applyEdit', (params: ApplyWorkspaceEditParams) => {
    edits.push(params.edit);
    try {
      applyToTexts(files, params.edit);
      return { applied: true };
    } catch (error) {
      return { applied: false, failureReason: (error as Error).message };
    }
  });
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.onNotification('window/showMessage', () => undefined);
  connection.onNotification('$/progress', () => undefined);
  const session = new SilcrowSession(connection);
  session.setSaveHandler((uris) => {
    const saved = uris.filter((uri) => files.has(uri));
    for (const uri of saved) writeFileSync(fileURLToPath(uri), files.get(uri) ?? '');
    return Promise.resolve(saved);
  });
  connection.listen();
  const rootUri = fileUri(root);
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    initializationOptions: all,
    capabilities: {
      workspace: { applyEdit: true, configuration: true, workspaceEdit: { documentChanges: true, resourceOperations: ['create'] } },
      window: { workDoneProgress: true },
      experimental: { silcrow },
    },
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    session,
    root,
    rootUri,
    files,
    edits,
    stderr: () => stderr,
    close: () => closeDaemon(connection, child, root),
  };
}

async function closeDaemon(connection: MessageConnection, child: ChildProcessWithoutNullStreams, root: string): Promise<void> {
  const exited = new Promise<void>((ok) => (child.exitCode !== null ? ok() : child.once('exit', () => ok())));
  try {
    await withTimeout(connection.sendRequest('shutdown'), 2000);
    await connection.sendNotification('exit');
  } catch {
    child.kill('SIGKILL');
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(killer);
  connection.dispose();
  rmSync(root, { recursive: true, force: true });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
