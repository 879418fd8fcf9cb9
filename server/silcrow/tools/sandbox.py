"""The OS sandbox shell commands run in: bubblewrap on Linux, probed once.

Algorithm:
1. ``probe()`` decides once per daemon whether commands can be sandboxed:
   ``SILCROW_SANDBOX=off`` forces "no"; ``SILCROW_BWRAP`` names another
   bubblewrap binary (default ``bwrap`` on ``PATH``, then ``/usr/bin/bwrap``);
   on anything but Linux, with no binary, or when ``bwrap ... true`` fails
   (user namespaces off, seccomp, a container without privileges) the
   answer is ``SandboxStatus(sandbox=None, reason=...)`` and the caller must
   ask for every command.
2. ``Sandbox.argv(command, root, info_fd)`` is the bubblewrap command line,
   mounts in this order (a later mount hides an earlier one):
   - ``/`` read-only, a fresh ``/dev`` and ``/proc`` (the PID namespace's, so
     ``/proc/$PPID/environ`` is bubblewrap's allowlisted environment, never
     the daemon's), private ``/tmp`` and ``/var/tmp``;
   - the workspace root read-write, and the git directory of a worktree or
     of a ``gitdir:`` file (kept writable so ``git commit`` works);
   - ``PROTECTED`` paths of the root and of those git directories re-bound
     read-only (only those that exist: a mount needs a target; the runner
     reports any that a command creates, see ``absent``);
   - credentials hidden: each existing ``CREDENTIALS`` path under the
     home directory (``$HOME`` and the password database's), the daemon's
     store directory, the user's runtime directory and ``SOCKETS`` get an
     empty tmpfs (directories) or ``/dev/null`` (files and sockets);
   - new PID, IPC and UTS namespaces, a new network namespace (no network
     at all, loopback included) unless ``network`` is true,
     ``--die-with-parent`` and ``--new-session`` (no terminal injection);
   - ``--info-fd`` reports (``parse_info``) the host pid of the namespace's init, through
     which the runner kills the whole namespace (no ``info_fd``: a command
     line run by the editor's terminal, which ends the namespace by ending
     bubblewrap: ``--die-with-parent``).
3. ``namespace_members(ns)`` lists the host pids inside a PID namespace (by
   ``/proc/<pid>/ns/pid``); the runner waits on it so nothing outlives a
   command.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from silcrow.store.paths import default_db_path
from silcrow.tools.sensitive import protected_entries

ENV_SWITCH = "SILCROW_SANDBOX"
ENV_BINARY = "SILCROW_BWRAP"
PROBE_TIMEOUT = 10.0
# Written by editors and tools that run what they say (hooks, tasks, direnv,
# CI): a command may read them, never change them.
PROTECTED = (
    ".git/hooks", ".git/config", ".git/info", ".vscode", ".idea", ".nvim.lua", ".nvimrc",
    ".exrc", ".envrc", ".helix", ".zed", ".github/workflows", ".gitlab-ci.yml", ".silcrow",
)  # fmt: skip
# Inside a git directory itself (a worktree's or the common one).
PROTECTED_GIT = ("hooks", "config", "config.worktree", "info")
# Under the home directory: keys, tokens, cloud and registry logins, keyrings,
# histories (which hold pasted secrets).
CREDENTIALS = (
    ".ssh", ".aws", ".azure", ".config/gcloud", ".config/gh", ".config/hub", ".netrc",
    ".docker", ".kube", ".gnupg", ".git-credentials", ".config/git/credentials", ".npmrc",
    ".yarnrc", ".yarnrc.yml", ".pypirc", ".config/pip", ".cargo/credentials",
    ".cargo/credentials.toml", ".gem/credentials", ".m2/settings.xml",
    ".gradle/gradle.properties", ".terraform.d", ".vault-token", ".password-store",
    ".local/share/keyrings", ".pgpass", ".my.cnf", ".config/op", ".config/rclone",
    ".mozilla", ".config/google-chrome", ".config/chromium", ".bash_history",
    ".zsh_history", ".python_history", ".psql_history", ".mysql_history",
    ".local/share/silcrow", ".config/silcrow",
)  # fmt: skip
# Daemon sockets that give root or a login to whoever can connect.
SOCKETS = ("/run/docker.sock", "/var/run/docker.sock", "/run/podman/podman.sock")
SIDECARS = ("", "-wal", "-shm", "-journal")  # a SQLite database and the files beside it


@dataclass(frozen=True, slots=True)
class Sandbox:
    """How to wrap one command in bubblewrap; ``network`` lets it reach the network."""

    bwrap: str
    network: bool = False
    homes: tuple[Path, ...] = ()
    store_files: tuple[Path, ...] = ()
    runtime_dir: Path | None = None

    def argv(self, command: str, root: Path, info_fd: int | None) -> list[str]:
        root = root.resolve()
        args = [self.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--bind", str(root), str(root)]  # fmt: skip
        git_dirs = [d for d in git_dirs_of(root) if not d.is_relative_to(root)]
        for git_dir in git_dirs:
            args += ["--bind", str(git_dir), str(git_dir)]
        protected = _existing(self.protected(root))
        # A folder holding a protected path is bound onto itself first: a mount point
        # cannot be renamed, so `mv .git x && mkdir .git` cannot swap in fresh hooks.
        for folder in _holders(protected, root):
            args += ["--bind", str(folder), str(folder)]
        for path in protected:
            args += ["--ro-bind", str(path), str(path)]
        for path in _existing(self._hidden(root)):
            args += (
                ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
            )
        if not self.network:
            args.append("--unshare-net")
        args += ["--cap-drop", "ALL", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                 "--new-session", "--chdir", str(root)]  # fmt: skip
        if info_fd is not None:
            args += ["--info-fd", str(info_fd)]
        return [*args, "--", "/bin/sh", "-c", command]

    def protected(self, root: Path) -> list[Path]:
        """The paths a command may not change (those that exist are mounted read-only)."""
        git_dirs = [d for d in git_dirs_of(root) if not d.is_relative_to(root)]
        # What the edit policy always asks about (sensitive.py), except a `.git` folder
        # itself, whose objects and refs `git commit` must write; a `.git` file (a
        # worktree's `gitdir:` pointer) is kept.
        asked = [
            p for p in protected_entries(root) if not (p.name.lower() == ".git" and p.is_dir())
        ]
        return (
            [root / p for p in PROTECTED] + asked + [d / p for d in git_dirs for p in PROTECTED_GIT]
        )

    def absent(self, root: Path) -> list[Path]:
        """Protected or hidden paths in the root that do not exist: a command can create them."""
        root = root.resolve()
        stores = [
            db.with_name(db.name + s)
            for db in self.store_files
            if db.parent == root
            for s in SIDECARS
        ]
        return [p for p in [*self.protected(root), *stores] if not os.path.lexists(p)]

    def _hidden(self, root: Path) -> list[Path]:
        hidden = [home / name for home in self.homes for name in CREDENTIALS]
        hidden += [Path(s) for s in SOCKETS]
        if self.runtime_dir is not None:
            hidden.append(self.runtime_dir)
        for db in self.store_files:
            folder = db.parent
            # A tmpfs over a folder holding the workspace would hide the workspace.
            if folder == root or root.is_relative_to(folder):
                hidden += [db.with_name(db.name + s) for s in SIDECARS]
            else:
                hidden.append(folder)
        return hidden


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    """The probe's answer: a sandbox, or why there is none (shown to the user once)."""

    sandbox: Sandbox | None
    reason: str = ""


def probe(environ: dict[str, str] | None = None) -> SandboxStatus:
    """Can commands run under bubblewrap here? Runs ``bwrap ... true`` once (blocking)."""
    env = dict(os.environ if environ is None else environ)
    if env.get(ENV_SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        return SandboxStatus(None, f"the sandbox is turned off ({ENV_SWITCH}={env[ENV_SWITCH]})")
    if not sys.platform.startswith("linux"):
        return SandboxStatus(None, f"there is no shell sandbox on {sys.platform} yet")
    binary = env.get(ENV_BINARY, "").strip() or shutil.which("bwrap") or "/usr/bin/bwrap"
    if not os.access(binary, os.X_OK):
        return SandboxStatus(
            None, f"bubblewrap is not installed ({binary} not found); install the Debian/Ubuntu "
            "package `bubblewrap` (or your distribution's) and restart",
        )  # fmt: skip
    sandbox = default_sandbox(binary, env)
    read, write = os.pipe()
    try:
        done = subprocess.run(
            sandbox.argv("true", Path("/"), write), pass_fds=(write,), capture_output=True,
            timeout=PROBE_TIMEOUT, check=False, env={"PATH": env.get("PATH", "/usr/bin:/bin")},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(None, f"bubblewrap ({binary}) could not start: {exc}")
    finally:
        os.close(write)
        os.close(read)
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
        return SandboxStatus(
            None, f"bubblewrap ({binary}) cannot create a sandbox here: {why} "
            "(are unprivileged user namespaces turned off? see kernel.unprivileged_userns_clone "
            "or AppArmor's restrict_unprivileged_userns)",
        )  # fmt: skip
    return SandboxStatus(sandbox)


def default_sandbox(binary: str, environ: dict[str, str] | None = None) -> Sandbox:
    """A sandbox hiding this user's credentials and this daemon's store."""
    env = os.environ if environ is None else environ
    homes: list[Path] = []
    with contextlib.suppress(KeyError):
        homes.append(Path(pwd.getpwuid(os.getuid()).pw_dir))
    if env.get("HOME"):
        homes.append(Path(env["HOME"]))
    runtime = env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return Sandbox(
        bwrap=binary,
        homes=tuple(dict.fromkeys(_real(h) for h in homes)),
        store_files=(_real(default_db_path()),),
        runtime_dir=_real(Path(runtime)),
    )


def parse_info(data: bytes) -> dict[str, int]:
    """bubblewrap's ``--info-fd`` JSON: ``child-pid``, ``pid-namespace``...; ``{}`` if it failed first."""
    try:
        info = json.loads(data or b"{}")
    except ValueError:
        return {}
    return {k: v for k, v in info.items() if isinstance(v, int)} if isinstance(info, dict) else {}


def namespace_members(ns: int) -> list[int]:
    """Host pids of the live (not zombie) processes in PID namespace ``ns``."""
    wanted = f"pid:[{ns}]"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != wanted:
                continue
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry))
    return found


def git_dirs_of(root: Path) -> list[Path]:
    """The root's git directories: ``.git``, or a ``gitdir:`` file's target and its common dir."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return [dot_git]
    try:
        text = dot_git.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if not text.startswith("gitdir:"):
        return []
    git_dir = _real(root / text[len("gitdir:") :].strip())
    dirs = [git_dir]
    with contextlib.suppress(OSError):
        common = (git_dir / "commondir").read_text(encoding="utf-8").strip()
        dirs.insert(0, _real(git_dir / common))
    # The common dir usually holds the worktree's dir; one mount then covers both.
    return [d for d in dirs if d.is_dir() and not any(d != o and d.is_relative_to(o) for o in dirs)]


def _holders(paths: Iterable[Path], root: Path) -> list[Path]:
    """The folders strictly between ``root`` and each of ``paths``, outermost first."""
    seen: dict[Path, None] = {}
    for path in paths:
        if path.is_relative_to(root):
            parts = path.relative_to(root).parts
            for depth in range(1, len(parts)):
                seen[root.joinpath(*parts[:depth])] = None
    return sorted(seen, key=lambda p: len(p.parts))


def _existing(paths: Iterable[Path]) -> list[Path]:
    seen: dict[Path, None] = {}
    for path in paths:
        real = _real(path)
        if os.path.lexists(real):
            seen[real] = None
    return list(seen)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))
