"""Path policy: confinement to a root, protected writes, secret-looking reads.

Every check here is a pure function of paths (plus ``Path.resolve``), so a
workspace that reads through the editor applies the same rules as the disk one.

Algorithm:
1. ``confine(root, path)``: refuse ``~`` and empty paths; join relative paths
   onto the root; ``Path.resolve(strict=False)`` follows every symlink (leaf
   and middle); a symlink loop or an unresolvable path is refused, never
   raised as something else; the result must satisfy ``is_relative_to(root)``
   - a component check, so a sibling ``/repo-old`` never passes for ``/repo``.
2. ``PathPolicy.for_write``: after confinement, refuse any path with a ``.git``
   component (in any letter case: ``.GIT`` is ``.git`` on macOS and Windows),
   the daemon's store files (``*.db``, ``*.db-wal``, ``*.db-shm`` under a
   ``.silcrow`` directory, and the database ``silcrow.store.paths`` names -
   ``$SILCROW_DB`` - with its sidecar files, wherever it is), anything under a
   ``protected`` absolute path, and anything matching a ``protected``
   gitignore-style glob.
3. ``PathPolicy.for_read``: after confinement, refuse secret-looking names
   (checked on the name asked for and on the resolved target) unless
   ``allow_secret_reads``. ``PathPolicy.check_content`` refuses, likewise, a
   file whose text holds a private key block whatever its name: a line range
   or a search hit of the key's body carries no header a redactor could see.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pathspec

from silcrow.store.paths import default_db_path
from silcrow.tools.base import ToolError
from silcrow.tools.redact import holds_private_key

STORE_SUFFIXES = (".db", ".db-wal", ".db-shm")
SIDECARS = ("", "-wal", "-shm", "-journal")
SECRET_NAMES = (
    ".env*", "*.pem", "*.key", "id_rsa*", "id_ed25519*", "id_ecdsa*", ".netrc",
    ".npmrc", ".pypirc", "credentials*",
)  # fmt: skip
PUBLIC_NAMES = ("*.pub", ".env.example", ".env.sample", ".env.template")
SECRET_PATHS = (".aws/credentials", ".docker/config.json")


def confine(root: Path, path: str) -> Path:
    """The resolved absolute path of ``path`` inside ``root``, or ``ToolError``."""
    if not isinstance(path, str) or not path.strip():
        raise ToolError("empty path: give a path relative to the workspace root")
    if "\x00" in path:
        raise ToolError("path contains a NUL byte")
    if path.startswith("~"):
        raise ToolError(
            f"{path!r}: home-relative paths are outside the workspace; use a path relative to {root}"
        )
    candidate = Path(path)
    joined = candidate if candidate.is_absolute() else root / candidate
    try:
        real = joined.resolve(strict=False)
    except (RuntimeError, OSError) as exc:  # Python 3.11 reports a symlink loop as RuntimeError
        raise ToolError(f"{path!r} is refused: it cannot be resolved ({exc})") from None
    if not real.is_relative_to(root):
        raise ToolError(
            f"{path!r} is refused: {_escape_reason(candidate)} the workspace {root}; use a path inside it"
        )
    return real


def _escape_reason(candidate: Path) -> str:
    """A relative path without ``..`` can only leave the root through a symlink."""
    if candidate.is_absolute() or ".." in candidate.parts:
        return "it is outside"
    return "a symlink points outside"


def relative(root: Path, real: Path) -> str:
    """``real`` as a POSIX path relative to ``root`` (``"."`` for the root)."""
    rel = real.relative_to(root).as_posix()
    return rel or "."


@functools.cache
def fnmatch_any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """``fnmatch``'s meaning of any of ``patterns``, as one compiled expression."""
    return re.compile("|".join(fnmatch.translate(p) for p in patterns))


def is_secret_name(rel: str) -> bool:
    """True for secret-looking files: ``.env*``, keys, ``.netrc``, credentials..."""
    name = rel.rpartition("/")[2]
    if fnmatch_any(PUBLIC_NAMES).match(name):
        return False
    if fnmatch_any(SECRET_NAMES).match(name):
        return True
    return any(rel == p or rel.endswith("/" + p) for p in SECRET_PATHS)


def is_store_file(rel: str) -> bool:
    pure = PurePosixPath(rel)
    return ".silcrow" in pure.parts[:-1] and pure.name.endswith(STORE_SUFFIXES)


def store_paths() -> tuple[Path, ...]:
    """The daemon's database (``$SILCROW_DB`` or the default) and its sidecar files."""
    db = default_db_path().expanduser().resolve()
    return tuple(db.with_name(db.name + suffix) for suffix in SIDECARS)


@dataclass(frozen=True)
class PathPolicy:
    """Which paths may be read and written under ``root``."""

    root: Path
    protected: Sequence[str] = ()
    allow_secret_reads: bool = False
    _abs: tuple[Path, ...] = field(init=False, repr=False)
    _globs: pathspec.GitIgnoreSpec = field(init=False, repr=False)
    _store: tuple[Path, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        root = Path(self.root).expanduser().resolve()
        object.__setattr__(self, "root", root)
        absolute = tuple(Path(p).resolve() for p in self.protected if Path(p).is_absolute())
        patterns = [p for p in self.protected if not Path(p).is_absolute()]
        object.__setattr__(self, "_abs", absolute)
        object.__setattr__(self, "_globs", _protected_spec(patterns))
        object.__setattr__(self, "_store", store_paths())

    def resolve(self, path: str) -> Path:
        return confine(self.root, path)

    def for_read(self, path: str) -> Path:
        real = confine(self.root, path)
        if not self.allow_secret_reads:
            asked = Path(path).name
            if is_secret_name(relative(self.root, real)) or is_secret_name(asked):
                raise ToolError(
                    f"{path!r} looks like a secrets file; reading it is refused "
                    "(a person can allow secret reads in the settings)"
                )
        return real

    def readable_name(self, rel: str) -> bool:
        """Whether ``for_read`` lets ``rel`` through once it is known to hold no symlink.

        For a plain path from the root (no ``.``/``..``, opened with no symlink
        followed, ``silcrow.tools.treeread``) the resolved path is ``rel``
        itself, so only the name check remains.
        """
        return self.allow_secret_reads or not is_secret_name(rel)

    def check_content(self, path: str, text: str) -> str:
        """``text`` of ``path``, or ``ToolError`` when it holds a private key (unless allowed)."""
        if not self.allow_secret_reads and holds_private_key(text):
            raise ToolError(
                f"{path!r} holds a private key; reading it is refused "
                "(a person can allow secret reads in the settings)"
            )
        return text

    def for_write(self, path: str) -> Path:
        real = confine(self.root, path)
        rel = relative(self.root, real)
        reason = self.write_refusal(real, rel)
        if reason:
            raise ToolError(f"writing {path!r} is refused: {reason}")
        return real

    def write_refusal(self, real: Path, rel: str) -> str | None:
        """Why a write to ``real`` is refused, or None when it is allowed."""
        if rel == ".":
            return "it is the workspace root"
        if any(part.lower() == ".git" for part in PurePosixPath(rel).parts):
            return "files under .git belong to git; use the shell tool with git commands"
        if is_store_file(rel) or real in self._store:
            return "it is one of Silcrow's own database files"
        if any(real == p or real.is_relative_to(p) for p in self._abs):
            return "the path is protected by the settings"
        if self._globs.match_file(rel):
            return "the path matches a protected pattern in the settings"
        return None


def _protected_spec(patterns: list[str]) -> pathspec.GitIgnoreSpec:
    """The user's protected globs on re2 (linear time); pathspec's own backend if re2 refuses one."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns, backend="re2")
    except (
        Exception
    ):  # re2's and pathspec's errors have no common base; the patterns are the user's
        return pathspec.GitIgnoreSpec.from_lines(patterns)
