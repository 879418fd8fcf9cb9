"""Where the database lives.

Order of precedence: an explicit path given to ``EventStore.open``, then the
``SILCROW_DB`` environment variable, then ``user_data_dir("silcrow")/silcrow.db``
from platformdirs. ``":memory:"`` is passed through untouched (tests).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

MEMORY = ":memory:"
ENV_VAR = "SILCROW_DB"


def default_db_path() -> Path:
    """The database file used when no path is given: ``$SILCROW_DB`` or the user data dir."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("silcrow")) / "silcrow.db"


def resolve_db_path(path: str | Path | None) -> str:
    """Turn the caller's choice into what sqlite3 opens, creating the parent directory.

    Raises ``ValueError`` naming the fix when the path cannot hold a database.
    """
    if path is not None and str(path) == MEMORY:
        return MEMORY
    target = Path(path).expanduser() if path is not None else default_db_path()
    if str(target) == "" or target.is_dir():
        raise ValueError(
            f"database path {str(target)!r} is a directory; give a file path such as "
            f"{str(target / 'silcrow.db')!r} (or set {ENV_VAR})"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"cannot create the directory for the database {str(target)!r}: {exc}; "
            f"pass another path or set {ENV_VAR}"
        ) from exc
    return str(target)
