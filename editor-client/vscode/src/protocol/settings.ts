/**
 * Settings of section `silcrow`: what the daemon gets (initializationOptions,
 * `workspace/configuration`) and how the daemon process is started.
 *
 * Algorithm:
 * 1. `daemonSettings(raw)` keeps only the keys the daemon reads and drops
 *    empty values, so the daemon's own defaults apply to anything unset.
 *    `userSettings(user, effective)` is what the daemon gets as
 *    initializationOptions and in configuration pushes: the `USER_ONLY_KEYS`
 *    (permissions, provider, model, endpoints, MCP servers, custom tools, review) from the user's own settings
 *    only, never a workspace's, and the `FOLDER_KEYS` as in effect.
 *    `folderSettings(effective)` answers `workspace/configuration` for a
 *    folder with the `FOLDER_KEYS` alone (the daemon ignores the rest there).
 * 2. `serverCommand(raw)` picks the process to start: `silcrow.server.python`
 *    (run `<python> -m silcrow serve`) wins when set, else
 *    `silcrow.server.command` (default `["silcrow", "serve"]`). A malformed
 *    value is reported with the setting's name and the fix.
 * 3. `startFailureMessage` turns a failed start (spawn error, or the exit
 *    code and last stderr line) into one message that says which setting to change.
 *
 * Pure: no `vscode` import.
 */

/**
 * Keys of section `silcrow` that only the user sets (declared `"scope": "application"` in
 * package.json): a workspace's `.vscode/settings.json` is a file the agent can write.
 */
export const USER_ONLY_KEYS = [
  'provider', 'model', 'apiKeyEnv', 'baseUrl', 'permissions', 'mcpServers', 'tools', 'responsesStore', 'review',
] as const;
/** Keys a workspace folder may set (the daemon's `FOLDER_SETTINGS`). */
export const FOLDER_KEYS = ['mode', 'streaming', 'maxIterations', 'idleTimeout', 'fakeScript'] as const;
/** Keys of section `silcrow` that are passed to the daemon. */
export const DAEMON_KEYS = [...USER_ONLY_KEYS, ...FOLDER_KEYS] as const;

export type DaemonSettings = Partial<Record<(typeof DAEMON_KEYS)[number], unknown>>;

export interface ServerCommand {
  command: string;
  args: string[];
}

export const DEFAULT_SERVER_COMMAND: readonly string[] = ['silcrow', 'serve'];

export class SettingError extends Error {}

/** The settings the daemon reads, without empty values. `raw` is the `silcrow` section. */
export function daemonSettings(raw: Record<string, unknown>): DaemonSettings {
  const out: DaemonSettings = {};
  for (const key of DAEMON_KEYS) {
    const value = raw[key];
    if (value === undefined || value === null || value === '') {
      continue;
    }
    out[key] = value;
  }
  return out;
}

/**
 * The settings for initializationOptions and configuration pushes: user-only keys from `user`
 * (the user's own values, `inspect(key).globalValue`), folder keys from `effective`.
 */
export function userSettings(user: Record<string, unknown>, effective: Record<string, unknown>): DaemonSettings {
  const picked: Record<string, unknown> = {};
  for (const key of USER_ONLY_KEYS) {
    picked[key] = user[key];
  }
  for (const key of FOLDER_KEYS) {
    picked[key] = effective[key];
  }
  return daemonSettings(picked);
}

/** A folder's answer to `workspace/configuration`: the folder keys only. */
export function folderSettings(effective: Record<string, unknown>): DaemonSettings {
  return daemonSettings(Object.fromEntries(FOLDER_KEYS.map((key) => [key, effective[key]])));
}

/** The daemon process to start, from `silcrow.server.python` / `silcrow.server.command`. */
export function serverCommand(raw: { python?: unknown; command?: unknown }): ServerCommand {
  if (raw.python !== undefined && raw.python !== null && raw.python !== '') {
    if (typeof raw.python !== 'string') {
      throw new SettingError(
        'Setting silcrow.server.python must be the path of a Python interpreter (a string), e.g. "/home/me/.venv/bin/python".',
      );
    }
    return { command: raw.python, args: ['-m', 'silcrow', 'serve'] };
  }
  const command = raw.command ?? DEFAULT_SERVER_COMMAND;
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string' && part)) {
    throw new SettingError(
      'Setting silcrow.server.command must be a non-empty list of strings, e.g. ["silcrow", "serve"].',
    );
  }
  const [program, ...args] = command as string[];
  return { command: program, args };
}

/** What is known of a daemon process that stopped: its last stderr line and exit code. */
export interface ProcessReport {
  readonly lastError?: string;
  readonly exitCode?: number | null;
}

/**
 * A message for a daemon that could not start: what happened (the spawn error, else the
 * process's exit code and last stderr line) and which setting fixes it.
 */
export function startFailureMessage(server: ServerCommand, cause: unknown, process?: ProcessReport): string {
  const line = [server.command, ...server.args].join(' ');
  const error = cause instanceof Error ? cause.message : String(cause);
  const missing = /ENOENT|not found/i.test(error);
  const exited = process?.exitCode !== undefined && process.exitCode !== null ? `it exited with code ${process.exitCode}` : 'it stopped';
  const reason = missing ? `"${server.command}" was not found` : `${exited}${process?.lastError ? `: ${process.lastError}` : ` (${error})`}`;
  const fix = missing
    ? 'Clear silcrow.server.command and silcrow.server.python to use the daemon this extension sets up ("Silcrow: Reinstall Server"), ' +
      'or install Silcrow (pipx install silcrow-<version>-py3-none-any.whl) so that "silcrow" is on your PATH, ' +
      'or set silcrow.server.command to the full command.'
    : 'Check silcrow.server.command / silcrow.server.python; the daemon\'s output is in the Silcrow log.';
  return `Silcrow could not start its daemon (${line}): ${reason}. ${fix}`;
}
