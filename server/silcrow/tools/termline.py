"""The one command line an editor's terminal runs for a ``shell`` call.

When the editor runs a command (the ``terminal`` capability), the daemon
does not start the process, so everything its own runner applies has to be
in the line itself; the user sees exactly that line in the terminal:

1. ``cd -- <root> &&`` first (the terminal may be anywhere);
2. ``env -i`` with the allowlisted environment (``process.scrubbed_env``:
   PATH, HOME, LANG, ... and the ``shellEnv`` names). Those values are
   written out, except a variable whose name says it holds a credential
   (``redact.is_secret_var``, e.g. a ``NPM_TOKEN`` listed in ``shellEnv``):
   it is passed as ``NAME="$NAME"``, so the terminal's own value is used
   and the secret never appears on screen or in the terminal's history;
3. then the sandbox (``Sandbox.argv`` without ``--info-fd``: ending
   bubblewrap ends the namespace, ``--die-with-parent``), or ``/bin/sh -c``
   when there is none.

Quoting is POSIX (``shlex``); the line works in sh, bash, zsh and fish.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from silcrow.tools.redact import is_secret_var
from silcrow.tools.sandbox import Sandbox

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def terminal_line(
    command: str, *, cwd: Path, env: Mapping[str, str], sandbox: Sandbox | None
) -> str:
    """``cd`` + ``env -i`` + the sandbox (or ``/bin/sh -c``) + ``command``, as one quoted line."""
    child = dict(env)
    child["PWD"] = str(cwd)
    if sandbox is not None:
        child["TMPDIR"] = "/tmp"
    assigned = []
    for name in sorted(child):
        if not _NAME.fullmatch(name):
            continue  # not a name a shell can pass on
        if is_secret_var(name):
            assigned.append(f'{name}="${name}"')
        else:
            assigned.append(shlex.quote(f"{name}={child[name]}"))
    argv = sandbox.argv(command, cwd, None) if sandbox is not None else ["/bin/sh", "-c", command]
    return " ".join(
        ["cd", "--", shlex.quote(str(cwd)), "&&", "env", "-i", *assigned, shlex.join(argv)]
    )
