"""``silcrow/mentions`` through a real daemon: the index answers, follows the disk, refuses a stranger."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reliability.procs import RawDaemon, RpcError
from support.repotree import make_tree


async def ask(daemon: RawDaemon, root: Path, query: str) -> list[dict[str, Any]]:
    result = await daemon.request(
        "silcrow/mentions", {"workspaceUri": root.as_uri(), "query": query, "limit": 5}
    )
    return list(result["items"])


async def until(daemon: RawDaemon, root: Path, query: str, label: str) -> list[dict[str, Any]]:
    """Ask until ``label`` is among the items (the index builds and watches in the background)."""
    for _ in range(400):
        items = await ask(daemon, root, query)
        if any(item["label"] == label for item in items):
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"{label} never came for {query!r}: {items}")


async def test_mentions_find_files_and_folders_and_follow_the_disk(tmp_path: Path) -> None:
    root = (tmp_path / "ws").resolve()
    make_tree(root, 300)
    daemon = await RawDaemon.spawn(tmp_path / "s.db", cwd=tmp_path)
    try:
        await daemon.initialize([root])
        items = await until(daemon, root, "mid0", "top0/mid0/")
        assert items[0] == {
            "label": "top0/mid0/",
            "uri": (root / "top0" / "mid0").as_uri(),
            "kind": "folder",
        }
        files = await ask(daemon, root, "f12.")
        assert files and all(i["kind"] == "file" and "/f12." in i["label"] for i in files)
        assert await ask(daemon, root, "debug.log") == []  # ignored by .gitignore
        (root / "top2" / "brand_new.py").write_text("x = 1\n")
        fresh = await until(daemon, root, "brand_n", "top2/brand_new.py")
        assert fresh[0]["uri"] == (root / "top2" / "brand_new.py").as_uri()
        with pytest.raises(RpcError, match="not a workspace folder"):
            await daemon.request(
                "silcrow/mentions", {"workspaceUri": tmp_path.as_uri(), "query": "f"}
            )
        with pytest.raises(RpcError, match="query"):
            await daemon.request("silcrow/mentions", {"workspaceUri": root.as_uri()})
        await daemon.close()
    finally:
        daemon.kill()
