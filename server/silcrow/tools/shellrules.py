"""What "allow always" on a simple shell command remembers, and which argvs a remembered approval covers.

Input is an argv from ``shellgrammar.simple_argv``; nothing here parses text.

Algorithm:
1. Every table is looked up by the command's last path component
   (``/usr/bin/git`` is ``git``).
2. ``refusal(argv)``: why no approval may ever cover this argv (None when
   one may):
   - the command runs whatever code it is given (``RUNS_ANY_CODE``):
     shells and builtins such as ``eval``/``exec``/``command``, wrappers
     (``env``, ``sudo``, ``xargs``, ``nohup``, ``timeout``, ``nice``, ...),
     interpreters (``node``, ``perl``, ``awk``, ``sed``, ...), editors and
     pagers; ``python`` unless ``python -m module``, whose module is then
     judged by these same rules (``python -m pdb`` is refused);
   - a launcher that takes a sub-command (``git``, ``npm``, ``cargo``, ...)
     whose second word is an option (``git -c core.pager=... status``), or
     whose sub-command runs or configures arbitrary code
     (``RUNS_ANY_SUBCOMMAND``: ``git config``, ``docker run``, ...);
   - a runner sub-command (``uv run``, ``poetry run``, ``npm exec``, ...):
     the command it runs (``argv[2:]``) is judged by these same rules;
   - an argument is an exec-option: a long option containing a name in
     ``EXEC_LONG`` (``exec``, ``config``, ``upload-pack``, ``shell``,
     ``command``, ``output``, ...) or, for commands in ``ABBREVIATING``
     (GNU getopt_long, git, npm, argparse), abbreviating one (``git fetch
     --upload-p=...``); one of the command's single-dash options in
     ``EXEC_WORDS`` (``find -exec``, ``go test -toolexec``); a single-dash
     argument holding one of the command's exec letters anywhere (bundles
     and attached values: ``tar -xIf``, ``rsync -avze``, ``git grep -Ocmd``);
     or a ``NAME=value`` argument to ``make``/``just`` (``make SHELL=...``).
3. ``approval_for(argv)``: what "allow always" remembers: None when
   ``refusal`` refuses; a launcher alone (``make``) -> exactly that argv;
   ``python -m`` and runners -> their words plus what the command they run
   would remember (``python -m pytest``, ``uv run pytest``,
   ``python -m pip install``); another launcher -> its name and sub-command
   (``git status``); anything else -> the name (``ls``).
4. ``Approval.covers(argv)``: not refused, and the argv starts with the
   approved words (or equals them, for an exact approval).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from silcrow.tools.shellgrammar import Argv

RUNS_ANY_CODE = frozenset({
    # shells and shell builtins that run their arguments
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "busybox",
    "eval", "exec", "command", "builtin", "source", ".", "trap", "alias",
    # wrappers that run another command
    "env", "sudo", "doas", "su", "pkexec", "runuser", "xargs", "parallel", "nohup", "timeout",
    "nice", "ionice", "stdbuf", "setsid", "setpriv", "chroot", "unshare", "nsenter", "flock",
    "script", "watch", "time", "strace", "ltrace", "gdb", "valgrind", "chrt", "taskset",
    "systemd-run", "bwrap", "firejail", "ssh-agent", "dbus-run-session", "expect", "at", "batch",
    "crontab", "enable", "entr", "nodemon", "screen", "tmux", "sg", "open", "xdg-open",
    # interpreters and tools whose arguments are programs
    "node", "nodejs", "deno", "bun", "perl", "ruby", "irb", "php", "lua", "luajit", "tclsh", "wish",
    "R", "Rscript", "julia", "osascript", "pwsh", "powershell", "awk", "gawk", "mawk", "nawk",
    "sed", "gsed", "m4", "jshell", "groovy", "scala", "erl", "escript", "elixir", "iex", "ghci",
    "runghc", "swipl", "guile", "racket", "sbcl", "clisp", "ipython", "jupyter", "sqlite3",
    # python modules that run the code they are given (``python -m pdb x.py``)
    "pdb", "cProfile", "profile", "trace", "timeit", "code", "runpy", "IPython", "idlelib", "doctest",
    # editors and pagers (shell escapes, -c commands)
    "vi", "vim", "nvim", "view", "ex", "emacs", "nano", "ed", "less", "more", "most", "man",
})  # fmt: skip
PYTHON = re.compile(r"(python|pypy)(\d+(\.\d+)?)?|py")
SUBCOMMAND_LAUNCHERS = frozenset({
    "npm", "pnpm", "yarn", "bun", "cargo", "go", "git", "uv", "poetry", "pip", "pip3", "docker",
    "podman", "kubectl", "dotnet", "mvn", "gradle", "npx", "make", "just", "hatch", "pdm", "rye",
    "deno", "mix", "bundle", "rails", "gh", "terraform", "helm",
})  # fmt: skip
RUNNERS = frozenset({
    ("uv", "run"), ("poetry", "run"), ("pdm", "run"), ("hatch", "run"),
    ("rye", "run"), ("bundle", "exec"), ("npm", "exec"), ("pnpm", "exec"), ("pnpm", "dlx"),
    ("yarn", "exec"), ("yarn", "dlx"), ("bun", "x"), ("dotnet", "exec"), ("mix", "run"),
    ("npm", "x"),
})  # fmt: skip
RUNS_ANY_SUBCOMMAND = frozenset({
    ("git", "config"), ("git", "submodule"), ("git", "bisect"), ("git", "filter-branch"),
    ("git", "filter-repo"), ("git", "daemon"), ("git", "difftool"), ("git", "mergetool"),
    ("git", "web--browse"), ("git", "instaweb"), ("git", "credential"),
    ("docker", "run"), ("docker", "exec"), ("docker", "compose"), ("docker", "buildx"),
    ("podman", "run"), ("podman", "exec"), ("kubectl", "exec"), ("kubectl", "run"),
    ("kubectl", "debug"), ("kubectl", "attach"), ("npm", "config"), ("pnpm", "config"),
    ("yarn", "config"), ("pip", "config"), ("pip3", "config"), ("gh", "extension"),
    ("go", "env"), ("cargo", "install"), ("uv", "tool"), ("yarn", "node"), ("npm", "explore"),
})  # fmt: skip
EXEC_LONG = frozenset({
    "exec", "execdir", "exec-path", "config", "config-env", "upload-pack", "receive-pack",
    "git-dir", "work-tree", "rsh", "rsync-path", "to-command", "checkpoint-action",
    "use-compress-program", "info-script", "new-volume-script", "unzip-command", "script-shell",
    "node-options", "eval", "toolexec", "open-files-in-pager", "ext-diff", "textconv", "output",
    "pager", "editor", "shell", "command", "interpreter", "require", "preload", "init-file",
    "rcfile", "hook", "ldflags", "gcflags", "asmflags", "gccgoflags", "overlay",
})  # fmt: skip
# Per command (or command + sub-command): options whose value is a program, or that write anywhere.
EXEC_WORDS: dict[tuple[str, ...], frozenset[str]] = {
    ("find",): frozenset({"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0",
                          "-fprintf", "-fls"}),
    ("go",): frozenset({"-exec", "-toolexec", "-overlay", "-ldflags", "-gcflags", "-asmflags",
                        "-gccgoflags", "-modfile"}),
    ("cmake",): frozenset({"-E", "-P"}),
    ("git", "rebase"): frozenset({"-x"}),
    ("git", "grep"): frozenset({"-O"}),
    ("git", "clone"): frozenset({"-u"}),
}  # fmt: skip
# Per command: letters that may be bundled into a short option (``tar -xIf``, ``rsync -avze``).
EXEC_LETTERS: dict[str, frozenset[str]] = {
    "tar": frozenset("IF"), "rsync": frozenset("e"), "ssh": frozenset("oF"), "scp": frozenset("SoF"),
    "sftp": frozenset("SoF"), "zip": frozenset("T"), "make": frozenset("E"),
}  # fmt: skip
# Commands whose option parser accepts abbreviated long options (GNU getopt_long, git, nopt, argparse).
ABBREVIATING = frozenset(
    {
        "git",
        "tar",
        "rsync",
        "make",
        "gmake",
        "zip",
        "npm",
        "pnpm",
        "yarn",
        "pip",
        "pip3",
        "pytest",
        "wget",
        "grep",
        "ls",
        "cp",
        "mv",
        "rm",
        "sort",
        "diff",
    }
)
MAKE_LIKE = frozenset({"make", "gmake", "bmake", "just"})
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class Approval:
    """Remembered words: a prefix (``git status``) or, when ``exact``, a whole argv (``make``)."""

    words: Argv
    exact: bool = False

    def covers(self, argv: Argv) -> bool:
        if refusal(argv) is not None:
            return False
        return argv == self.words if self.exact else argv[: len(self.words)] == self.words

    def describe(self) -> str:
        shown = " ".join(self.words)
        return f"exactly `{shown}`" if self.exact else f"commands starting `{shown}`"


def refusal(argv: Argv) -> str | None:
    """Why no approval may cover ``argv`` (a sentence), or None."""
    if not argv:
        return "it has no command"
    name, base = argv[0], command_name(argv)
    if PYTHON.fullmatch(base):
        if len(argv) < 3 or argv[1] != "-m" or argv[2].startswith("-"):
            return f"`{name}` runs any code it is given (only `{name} -m module` can be remembered)"
        return refusal(argv[2:])
    if base in RUNS_ANY_CODE:
        return f"`{name}` runs any code or command it is given"
    if base in SUBCOMMAND_LAUNCHERS and len(argv) > 1:
        sub = argv[1]
        if sub.startswith("-"):
            return f"an option (`{sub}`) comes before `{name}`'s sub-command"
        if (base, sub) in RUNS_ANY_SUBCOMMAND:
            return f"`{name} {sub}` runs or configures arbitrary commands"
        if (base, sub) in RUNNERS:
            return (
                refusal(argv[2:]) if len(argv) > 2 else f"`{name} {sub}` runs the command after it"
            )
    return _exec_option(argv)


def approval_for(argv: Argv) -> Approval | None:
    """What "allow always" on ``argv`` remembers, or None (nothing)."""
    if refusal(argv) is not None:
        return None
    base = command_name(argv)
    if PYTHON.fullmatch(base):
        return _wrapping(argv[:2], argv[2:])
    if base in SUBCOMMAND_LAUNCHERS:
        if len(argv) == 1:
            return Approval(argv, exact=True)
        if (base, argv[1]) in RUNNERS:
            return _wrapping(argv[:2], argv[2:])
        return Approval(argv[:2])
    return Approval(argv[:1])


def command_name(argv: Argv) -> str:
    """The name the rules look up: the last path component (``/usr/bin/git`` -> ``git``)."""
    return argv[0].rsplit("/", 1)[-1]


def _wrapping(head: Argv, inner: Argv) -> Approval | None:
    """``head`` plus what the wrapped command would remember (``uv run`` + ``pytest``)."""
    found = approval_for(inner)
    return Approval(head + found.words, found.exact) if found else None


def _exec_option(argv: Argv) -> str | None:
    name, base = argv[0], command_name(argv)
    words = EXEC_WORDS.get((base,), frozenset()) | EXEC_WORDS.get((base, *argv[1:2]), frozenset())
    letters = EXEC_LETTERS.get(base, frozenset()) | {w[1] for w in words if len(w) == 2}
    for arg in argv[1:]:
        if arg == "--":
            continue
        if arg.startswith("--"):
            option = arg[2:].split("=", 1)[0]
            if option and any(
                w in option or (base in ABBREVIATING and w.startswith(option)) for w in EXEC_LONG
            ):
                return f"`--{option}` may let `{name}` run other programs or change files"
        elif arg.startswith("-") and len(arg) > 1:
            if arg.split("=", 1)[0] in words:
                return f"`{arg.split('=', 1)[0]}` lets `{name}` run other programs or change files"
            if letters & set(arg[1:]):
                return f"`{arg}` may hold an option that lets `{name}` run other programs"
        elif base in MAKE_LIKE and ASSIGNMENT.match(arg):
            return f"`{arg}` overrides a `{name}` variable (it can name any program)"
    return None
