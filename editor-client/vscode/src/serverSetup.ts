/**
 * The daemon the extension brings along: the .vsix carries Silcrow's wheel
 * (`server/silcrow-<version>-py3-none-any.whl`), and when the user has set no
 * daemon command and none is on the PATH, the extension installs that wheel
 * into a virtual environment in its global storage and starts it from there.
 * The rules (paths, versions, messages) are in protocol/serverInstall.ts.
 *
 * Algorithm:
 * 1. `command()` picks the daemon for each start: the user's
 *    `silcrow.server.command` / `silcrow.server.python` when set, else
 *    `silcrow` from the PATH, else the managed environment's `silcrow serve`.
 * 2. `prepare()` runs before each start. Only for the managed daemon: an
 *    environment installed from this extension's wheel is used as it is; one
 *    from another wheel (the extension was upgraded) is upgraded at once; none
 *    at all is offered to the user first ("Set Up" / "Not Now").
 * 3. `install()`: a Python >= 3.11 (the Python extension's selected
 *    interpreter, else `python3`, else `python`), `-m venv`, `pip install
 *    --upgrade <wheel>` (dependencies from the package index), every line in
 *    the Output channel, a progress notification naming the step; the stamp
 *    `installed.json` records the wheel. A failure throws SetupError with the
 *    cause and the exact commands to run by hand.
 * 4. `reinstall()` ("Silcrow: Reinstall Server") removes the environment and
 *    installs again.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readServerCommand } from './daemon';
import {
  bundledWheel,
  checkPython,
  findOnPath,
  manualCommands,
  PYTHON_PROBE,
  SetupError,
  stampIsCurrent,
  venvPaths,
  type InstallStamp,
} from './protocol/serverInstall';
import type { ServerCommand } from './protocol/settings';

export { SetupError } from './protocol/serverInstall';

/** How the daemon of the next start is found. */
export type DaemonSource = 'settings' | 'path' | 'managed';

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath?: (resource?: vscode.Uri) => { path?: string } | undefined };
}

export class ManagedServer {
  private readonly storage: string;
  private readonly paths: ReturnType<typeof venvPaths>;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    this.storage = context.globalStorageUri.fsPath;
    this.paths = venvPaths(this.storage);
  }

  /** Where the daemon of the next start comes from. */
  source(): DaemonSource {
    const config = vscode.workspace.getConfiguration('silcrow.server');
    const python = config.inspect('python')?.globalValue;
    if (config.inspect('command')?.globalValue !== undefined || (python !== undefined && python !== '')) {
      return 'settings';
    }
    return findOnPath('silcrow', process.env.PATH, isExecutable) ? 'path' : 'managed';
  }

  /** The process of the next start (throws SettingError for a malformed setting). */
  command(): ServerCommand {
    return this.source() === 'managed' ? { command: this.paths.silcrow, args: ['serve'] } : readServerCommand();
  }

  /** Make the managed daemon ready when it is the one to start; false when the user declined or setup failed. */
  async prepare(): Promise<boolean> {
    if (this.source() !== 'managed') {
      return true;
    }
    const wheel = this.wheel();
    if (existsSync(this.paths.silcrow) && stampIsCurrent(readText(this.paths.stamp), wheel.file)) {
      return true;
    }
    if (!existsSync(this.paths.dir)) {
      const choice = await vscode.window.showInformationMessage(
        `Silcrow needs its daemon (silcrow ${wheel.version}). Set it up now in a private Python environment? It needs Python 3.11 or newer and downloads its dependencies from the package index.`,
        'Set Up',
        'Not Now',
      );
      if (choice !== 'Set Up') {
        throw new SetupError('the daemon is not set up. Run "Silcrow: Reinstall Server" to set it up, or set silcrow.server.command to a Silcrow you installed.');
      }
    }
    await this.install();
    return true;
  }

  /** Remove the managed environment and install the bundled wheel again. */
  async reinstall(): Promise<void> {
    await rm(this.paths.dir, { recursive: true, force: true });
    await rm(this.paths.stamp, { force: true });
    await this.install();
  }

  /** The bundled wheel (throws SetupError when the extension carries none). */
  wheel(): { file: string; version: string; path: string } {
    const dir = path.join(this.context.extensionPath, 'server');
    const found = bundledWheel(existsSync(dir) ? readdirSync(dir) : []);
    return { ...found, path: path.join(dir, found.file) };
  }

  private async install(): Promise<void> {
    const wheel = this.wheel();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Silcrow: setting up the daemon' },
      async (progress) => {
        const step = (message: string): void => {
          this.output.appendLine(`[setup] ${message}`);
          progress.report({ message });
        };
        step('finding Python 3.11 or newer');
        const python = await this.findPython();
        const manual = manualCommands(python, this.storage, wheel.path);
        try {
          await mkdir(this.storage, { recursive: true });
          if (!existsSync(this.paths.python)) {
            step(`creating a virtual environment with ${python}`);
            await this.run(python, ['-m', 'venv', this.paths.dir]);
          }
          step(`installing ${wheel.file} and its dependencies`);
          await this.run(this.paths.python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--upgrade', wheel.path], (line) => {
            if (/^(Collecting|Installing|Successfully)/.test(line)) {
              progress.report({ message: line.slice(0, 80) });
            }
          });
          const stamp: InstallStamp = { wheel: wheel.file };
          await writeFile(this.paths.stamp, JSON.stringify(stamp));
          step(`installed ${wheel.file} into ${this.paths.dir}`);
        } catch (error) {
          throw new SetupError(`setting up the daemon failed: ${(error as Error).message}. Its log is in the Silcrow output. To do it by hand, run: ${manual}`);
        }
      },
    );
  }

  /** The Python to build the environment with: the Python extension's choice, else python3, else python. */
  private async findPython(): Promise<string> {
    const candidates = [pythonExtensionInterpreter(), 'python3', 'python'].filter((c): c is string => Boolean(c));
    const problems: string[] = [];
    for (const candidate of candidates) {
      try {
        const lines: string[] = [];
        await this.run(candidate, ['-c', PYTHON_PROBE], (line) => lines.push(line), false);
        return checkPython(candidate, lines.join('\n')).executable;
      } catch (error) {
        problems.push(error instanceof SetupError ? error.message : `"${candidate}" could not be run`);
      }
    }
    throw new SetupError(
      `no Python 3.11 or newer was found (${problems.join('; ')}). Install Python 3.11+ (python.org, or your system's package manager), ` +
        'select it with the Python extension, then run "Silcrow: Reinstall Server"',
    );
  }

  /** Run a process, its output line by line into the log (and `onLine`); rejects on a non-zero exit. */
  private run(command: string, args: string[], onLine?: (line: string) => void, log = true): Promise<void> {
    if (log) {
      this.output.appendLine(`[setup] $ ${[command, ...args].join(' ')}`);
    }
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { env: { ...process.env, PIP_NO_INPUT: '1' } });
      let last = '';
      const lines = (chunk: Buffer): void => {
        for (const line of chunk.toString().split(/\r?\n/).filter(Boolean)) {
          last = line;
          if (log) {
            this.output.appendLine(line);
          }
          onLine?.(line);
        }
      };
      child.stdout.on('data', lines);
      child.stderr.on('data', lines);
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args[0]} ${args[1] ?? ''} exited with code ${code}${last ? `: ${last}` : ''}`)),
      );
    });
  }
}

function pythonExtensionInterpreter(): string | undefined {
  const api = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!api?.isActive) {
    return undefined;
  }
  return api.exports?.environments?.getActiveEnvironmentPath?.(vscode.workspace.workspaceFolders?.[0]?.uri)?.path;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
