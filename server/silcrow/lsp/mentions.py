"""``silcrow/mentions``: files and folders for an ``@`` mention, from the workspace's file index.

Algorithm:
1. The folder is ``workspaceUri`` (one of the daemon's workspace folders,
   else ``JsonRpcInvalidParams`` naming the ones there are), or, without
   it, every folder in turn until ``limit`` items are found.
2. Each folder answers from its ``FileIndex`` (``silcrow.tools.fileindex``):
   names that start with the query first (shortest path first), then paths
   that hold it. The request never waits for an index build: a folder whose
   index is still building answers from what it holds so far.
3. An item is ``{label, uri, kind}``: the path from the folder's root
   (folders end in ``/``), its ``file://`` URI and ``"file"`` or
   ``"folder"``. Symbols (``kind: "symbol"`` with a ``range``) come from the
   editor, not from here.
"""

from __future__ import annotations

from pygls.exceptions import JsonRpcInvalidParams

from silcrow.lsp.contract import Mention, MentionsParams, MentionsResult
from silcrow.lsp.sessions import SessionManager, WorkspaceSession

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def mentions(sessions: SessionManager, params: MentionsParams) -> MentionsResult:
    limit = max(1, min(params.limit or DEFAULT_LIMIT, MAX_LIMIT))
    items: list[Mention] = []
    for session in _folders(sessions, params.workspace_uri):
        items += _items(session, params.query, limit - len(items))
        if len(items) >= limit:
            break
    return MentionsResult(items)


def _folders(sessions: SessionManager, uri: str | None) -> list[WorkspaceSession]:
    if uri is None:
        return list(sessions.sessions.values())
    found = sessions.sessions.get(uri)
    if found is None:
        known = ", ".join(sessions.sessions) or "(none)"
        raise JsonRpcInvalidParams(
            f'"workspaceUri" {uri} is not a workspace folder of this daemon; use one of: {known}'
        )
    return [found]


def _items(session: WorkspaceSession, query: str, limit: int) -> list[Mention]:
    workspace = session.workspace()
    workspace.start()
    root = workspace.root
    return [
        Mention(
            label=f"{rel}/" if is_folder else rel,
            uri=(root / rel).as_uri(),
            kind="folder" if is_folder else "file",
        )
        for rel, is_folder in workspace.files.mentions(query, limit)
    ]
