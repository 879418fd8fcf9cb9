"""Which workspace-defined MCP servers the user approved: a file in user scope.

A repository can name any command in ``.mcp.json``; such a server is never
started until the user approves it once. Approvals live in a JSON file
outside every workspace (``$SILCROW_MCP_APPROVALS``, else
``mcp-approvals.json`` beside the event database, i.e. in the user data
directory), are written only by ``approve`` (the editor's approve command),
and are keyed by workspace folder, server name and the definition's
``fingerprint``: a repository that changes the command, its arguments, its
environment or its URL must be approved again. Nothing in a workspace's
files or folder settings is read as an approval.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from silcrow.mcp.spec import ServerSpec
from silcrow.store.paths import default_db_path

ENV_VAR = "SILCROW_MCP_APPROVALS"


def default_path() -> Path:
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else default_db_path().parent / "mcp-approvals.json"


def _key(root: Path, spec: ServerSpec) -> str:
    return json.dumps([str(root), spec.name, spec.fingerprint()])


class ApprovalStore:
    """Approved (workspace, server, definition) triples, read from and written to one file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def _load(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        entries = data.get("approved", []) if isinstance(data, dict) else []
        return {
            json.dumps([e.get("workspace"), e.get("server"), e.get("fingerprint")])
            for e in entries
            if isinstance(e, dict)
        }

    def approved(self, root: Path, spec: ServerSpec) -> bool:
        return spec.origin == "user" or _key(root, spec) in self._load()

    def approve(self, root: Path, spec: ServerSpec) -> None:
        """Record the approval (atomically: a crash never leaves half a file)."""
        keys = self._load() | {_key(root, spec)}
        entries = [
            dict(zip(("workspace", "server", "fingerprint"), json.loads(k), strict=True))
            for k in sorted(keys)
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".mcp-approvals.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"approved": entries}, fh, indent=1)
        os.replace(tmp, self.path)
