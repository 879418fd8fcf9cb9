"""Sensitive writes: files that make an editor, git, CI or another tool run code.

A write to such a file is asked every time, even with ``edit = "allow"``, and
"allow always" never covers it (``PermissionPolicy.check`` / ``remember``):
an agent that may write them can raise its own permissions or run code the
next time the user opens the editor, enters the directory or runs git.

Algorithm (``write_reason(root, path)``, a pure function of the two plus
what already exists on disk under ``root``):
1. Spell the path both ways it can be reached: as written (joined onto
   ``root``, ``.`` and ``..`` folded, ``\\`` read as a separator) and as
   resolved through symlinks. Each spelling inside ``root`` is checked as a
   list of components, compared case-folded with trailing dots and spaces
   and an NTFS stream suffix dropped (``.VSCode``, ``.git.``,
   ``.envrc::$DATA`` are those names on macOS or Windows).
2. By name: any component in ``SENSITIVE_DIRS`` (``.vscode/``, ``.husky/``,
   ``.circleci/``, ...), a last component in ``SENSITIVE_FILES``
   (``.nvim.lua``, ``.envrc``, ``.pre-commit-config.yaml``, ...) or ending in
   one of ``SENSITIVE_SUFFIXES`` (``*.code-workspace``), any
   component starting with ``.git`` (``.git``, ``.github/``, ``.gitignore``,
   ``.gitlab-ci.yml``, ``.gitmodules``, ...).
3. Git internals anywhere (git runs ``core.pager``, ``core.fsmonitor`` and
   hooks from any directory it takes for a repository, bare ones included,
   and ``HEAD`` + ``objects/`` + ``refs/`` is all it takes): a last component
   in ``GIT_FILES`` (``HEAD``, ``config``, ``packed-refs``, ``commondir``,
   ...), anything under a directory named ``objects`` or ``refs`` (so each
   write that plants a repository is asked, whatever its order), and
   anything inside a directory that already looks like a git directory
   (``HEAD`` file + ``objects/`` + ``refs/``: its ``hooks/``, ``info/``...).
4. The first rule that matches gives the reason, a phrase the permission
   question shows ("editor configuration (.vscode/)"); ``None`` means an
   ordinary file.
5. ``protected_entries(root)`` lists the existing entries at the top of the
   workspace that step 2 or 3 names (``.git``, ``.vscode``, ``.envrc``...),
   for a sandbox that mounts them read-only; deeper ones are not listed.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

SENSITIVE_DIRS: dict[str, str] = {
    # editors and other agents: settings, tasks and extensions that run code
    ".vscode": "editor configuration", ".idea": "editor configuration",
    ".vs": "editor configuration", ".fleet": "editor configuration",
    ".zed": "editor configuration", ".helix": "editor configuration",
    ".vim": "editor configuration",
    ".claude": "agent configuration", ".cursor": "agent configuration",
    # hooks and containers
    ".husky": "git hooks", ".lefthook": "git hooks",
    ".devcontainer": "dev container definition (runs commands on open)",
    ".cargo": "cargo configuration (can name programs cargo runs)",
    # CI
    ".circleci": "CI workflow", ".buildkite": "CI workflow", ".woodpecker": "CI workflow",
    ".forgejo": "CI workflow", ".azure-pipelines": "CI workflow", ".tekton": "CI workflow",
}  # fmt: skip
SENSITIVE_FILES: dict[str, str] = {
    # editors that run project files (Vim/Neovim 'exrc')
    ".nvim.lua": "editor start-up file", ".nvimrc": "editor start-up file",
    ".exrc": "editor start-up file", "_exrc": "editor start-up file",
    ".vimrc": "editor start-up file", "_vimrc": "editor start-up file",
    ".lvimrc": "editor start-up file", ".lazy.lua": "editor start-up file",
    ".neoconf.json": "editor configuration (language server settings)",
    # environments loaded on entering the directory or by runners
    ".envrc": "shell environment file (direnv runs it)",
    ".env": "environment file (loaded into commands by several tools)",
    # hooks and package managers that run programs
    ".pre-commit-config.yaml": "git hooks", ".pre-commit-config.yml": "git hooks",
    "lefthook.yml": "git hooks", "lefthook.yaml": "git hooks",
    ".lefthook.yml": "git hooks", ".lefthook.yaml": "git hooks",
    "lefthook-local.yml": "git hooks",
    ".devcontainer.json": "dev container definition (runs commands on open)",
    ".npmrc": "package manager configuration (can name the script shell)",
    ".yarnrc": "package manager configuration (can name the yarn binary)",
    ".yarnrc.yml": "package manager configuration (can name the yarn binary)",
    ".pnpmfile.cjs": "package manager hook",
    "mise.toml": "tool manager configuration (runs hooks)",
    ".mise.toml": "tool manager configuration (runs hooks)",
    ".mcp.json": "agent configuration",
    # CI
    ".travis.yml": "CI workflow", ".drone.yml": "CI workflow", ".cirrus.yml": "CI workflow",
    ".woodpecker.yml": "CI workflow", ".woodpecker.yaml": "CI workflow",
    "azure-pipelines.yml": "CI workflow", "azure-pipelines.yaml": "CI workflow",
    "bitbucket-pipelines.yml": "CI workflow", "jenkinsfile": "CI workflow",
    "appveyor.yml": "CI workflow", ".appveyor.yml": "CI workflow",
    "cloudbuild.yaml": "CI workflow", "cloudbuild.yml": "CI workflow",
    "codemagic.yaml": "CI workflow",
}  # fmt: skip
SENSITIVE_SUFFIXES: dict[str, str] = {
    ".code-workspace": "editor configuration (VS Code workspace file)"
}
GIT_FILES = frozenset(
    {"head", "config", "packed-refs", "commondir", "gitdir", "orig_head", "fetch_head"}
)
GIT_DIRS = frozenset({"objects", "refs"})


def fold(name: str) -> str:
    """A path component as macOS and Windows compare it: case-folded, an NTFS stream suffix
    (``.envrc::$DATA``, ``.envrc:x``) and trailing dots and spaces dropped."""
    base = name.split(":", 1)[0] or name
    return base.rstrip(". ").casefold() or name


def write_reason(root: Path | None, path: str) -> str | None:
    """Why a write to ``path`` (relative to ``root``, or absolute inside it) must be asked, or ``None``.

    Never raises: a path no file system takes (a NUL byte) is left to the workspace, which refuses it.
    """
    if not isinstance(path, str) or "\x00" in path:
        return None
    for parts in _spellings(root, path):
        reason = _by_name(parts) or _git_internals(root, parts)
        if reason:
            return reason
    return None


def _spellings(root: Path | None, path: str) -> list[list[str]]:
    """The path's components relative to ``root``: as written, then as resolved through symlinks."""
    text = str(path).replace("\\", "/")
    found: list[list[str]] = []
    if root is None:
        if not posixpath.isabs(text):
            found.append(_parts(posixpath.normpath(text)))
        return found
    joined = Path(text) if posixpath.isabs(text) else root / text
    literal = Path(posixpath.normpath(joined.as_posix()))
    for base in {root, _resolved(root)}:
        if literal.is_relative_to(base):
            found.append(_parts(literal.relative_to(base).as_posix()))
    real = _resolved(literal)
    real_root = _resolved(root)
    if real.is_relative_to(real_root):
        found.append(_parts(real.relative_to(real_root).as_posix()))
    return found


def _resolved(path: Path) -> Path:
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError, ValueError):  # a loop: the literal spelling is still checked
        return path


def _parts(rel: str) -> list[str]:
    return [p for p in rel.split("/") if p not in ("", ".")]


def _by_name(parts: list[str]) -> str | None:
    folded = [fold(p) for p in parts]
    for i, name in enumerate(folded):
        shown = "/".join(parts[: i + 1])
        if name.startswith(".git"):
            what = "git internals" if name == ".git" else "git configuration"
            return f"{what} ({shown}{'/' if i < len(parts) - 1 else ''})"
        if i < len(folded) - 1 and name in SENSITIVE_DIRS:
            return f"{SENSITIVE_DIRS[name]} ({shown}/)"
    if folded and folded[-1] in SENSITIVE_FILES:
        return f"{SENSITIVE_FILES[folded[-1]]} ({'/'.join(parts)})"
    suffix = next((x for x in SENSITIVE_SUFFIXES if folded and folded[-1].endswith(x)), None)
    if suffix:
        return f"{SENSITIVE_SUFFIXES[suffix]} ({'/'.join(parts)})"
    if folded and folded[-1] in SENSITIVE_DIRS:  # a file named like the directory would become it
        return f"{SENSITIVE_DIRS[folded[-1]]} ({'/'.join(parts)})"
    return None


def _git_internals(root: Path | None, parts: list[str]) -> str | None:
    """Step 3: a file that makes or configures a git directory, or one inside an existing one."""
    folded = [fold(p) for p in parts]
    if folded and folded[-1] in GIT_FILES:
        return f"git internals (a file named {parts[-1]} makes or configures a git repository)"
    for i, name in enumerate(folded[:-1]):
        if name in GIT_DIRS:
            return f"git internals ({'/'.join(parts[: i + 1])}/ is where a git repository keeps its {name})"
    for i in range(len(parts)):
        if root is not None and _looks_like_git_dir(root.joinpath(*parts[:i])):
            shown = "/".join(parts[:i]) + "/" if i else "the workspace root"
            return f"git internals (inside the git repository data at {shown})"
    return None


def _looks_like_git_dir(directory: Path) -> bool:
    """``HEAD`` (a file) with ``objects/`` and ``refs/`` beside it: what git takes for a repository."""
    try:
        with os.scandir(directory) as it:
            found = {
                fold(e.name): e.is_dir() for e in it if fold(e.name) in ("head", "objects", "refs")
            }
    except (OSError, ValueError):
        return False
    return found.get("head") is False and found.get("objects") is True and found.get("refs") is True


def protected_entries(root: Path) -> list[Path]:
    """Existing top-level entries of ``root`` that a write must not change unasked (step 5)."""
    try:
        with os.scandir(root) as it:
            names = sorted(e.name for e in it)
    except OSError:
        return []
    return [
        root / name
        for name in names
        if _by_name([name, "x"])
        or _git_internals(None, [name, "x"])
        or _by_name([name])
        or _git_internals(None, [name])
    ]
