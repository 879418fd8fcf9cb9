/**
 * The pure rules of the daemon the extension installs itself (no `vscode`, no
 * processes; serverSetup.ts runs them): which bundled wheel, where the virtual
 * environment lives, whether a Python is new enough, whether an installed
 * daemon is the bundled one, whether a daemon's version suits this client, and
 * the commands a user runs by hand when the automatic setup fails.
 */
import * as path from 'node:path';

/** The oldest Python the daemon runs on (pyproject.toml `requires-python`). */
export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** A Silcrow wheel's file name: `silcrow-<version>-py3-none-any.whl`. */
const WHEEL = /^silcrow-([0-9][^-]*)-py3-none-any\.whl$/;

/** The one-line program that reports a Python's version and executable (JSON on stdout). */
export const PYTHON_PROBE = 'import json, sys; print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable}))';

export class SetupError extends Error {}

/** The bundled wheel among a folder's file names; throws when there is none or more than one. */
export function bundledWheel(names: readonly string[]): { file: string; version: string } {
  const wheels = names.filter((name) => WHEEL.test(name));
  if (wheels.length !== 1) {
    throw new SetupError(
      wheels.length === 0
        ? 'this copy of the extension carries no Silcrow wheel (server/silcrow-<version>-py3-none-any.whl); install the released .vsix'
        : `this copy of the extension carries ${wheels.length} Silcrow wheels (${wheels.join(', ')}); reinstall the extension`,
    );
  }
  return { file: wheels[0], version: WHEEL.exec(wheels[0])![1] };
}

/** The managed environment's paths under the extension's global storage folder. */
export function venvPaths(storage: string, platform: NodeJS.Platform = process.platform): { dir: string; python: string; silcrow: string; stamp: string } {
  const dir = path.join(storage, 'venv');
  const bin = platform === 'win32' ? path.join(dir, 'Scripts') : path.join(dir, 'bin');
  const exe = platform === 'win32' ? '.exe' : '';
  return { dir, python: path.join(bin, `python${exe}`), silcrow: path.join(bin, `silcrow${exe}`), stamp: path.join(storage, 'installed.json') };
}

/** What the install stamp records: the wheel that was installed. */
export interface InstallStamp {
  wheel: string;
}

/** Whether the stamp's text names `wheel` (an unreadable or foreign stamp means "reinstall"). */
export function stampIsCurrent(text: string | undefined, wheel: string): boolean {
  if (!text) {
    return false;
  }
  try {
    return (JSON.parse(text) as Partial<InstallStamp>).wheel === wheel;
  } catch {
    return false;
  }
}

/** A Python found by the probe. */
export interface PythonFound {
  executable: string;
  version: [number, number, number];
}

/** Parse the probe's output; throws SetupError naming the version found when it is too old. */
export function checkPython(command: string, stdout: string): PythonFound {
  let found: PythonFound;
  try {
    found = JSON.parse(stdout.trim()) as PythonFound;
  } catch {
    throw new SetupError(`"${command}" did not answer as a Python interpreter`);
  }
  const [major, minor] = found.version;
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new SetupError(`"${command}" is Python ${found.version.join('.')}; Silcrow needs Python ${MIN_PYTHON.join('.')} or newer`);
  }
  return found;
}

/** The commands that do the setup by hand, for a failure's message. */
export function manualCommands(python: string, storage: string, wheel: string, platform: NodeJS.Platform = process.platform): string {
  const paths = venvPaths(storage, platform);
  return `"${python}" -m venv "${paths.dir}" && "${paths.python}" -m pip install --upgrade "${wheel}"`;
}

/** The first executable called `name` on the PATH (`exists` says whether a path is an executable file). */
export function findOnPath(
  name: string,
  searchPath: string | undefined,
  exists: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const suffixes = platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    for (const suffix of suffixes) {
      const file = path.join(dir, name + suffix);
      if (exists(file)) {
        return file;
      }
    }
  }
  return undefined;
}

/**
 * Whether this client can work with a daemon of `server` version: the same major and minor
 * version (the editor contract changes only with the minor version). Returns the warning to
 * show, or undefined when they fit (or the daemon did not say).
 */
export function versionMismatch(client: string, server: string | undefined): string | undefined {
  if (!server) {
    return undefined;
  }
  const minor = (version: string): string => version.split('.').slice(0, 2).join('.');
  if (minor(client) === minor(server)) {
    return undefined;
  }
  return (
    `The Silcrow daemon is version ${server} but this extension is ${client}; some features may not work. ` +
    'Run "Silcrow: Reinstall Server" to use the daemon that comes with the extension, or upgrade the daemon you set in silcrow.server.command.'
  );
}
