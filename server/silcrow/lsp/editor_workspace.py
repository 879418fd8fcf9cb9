"""The Workspace port backed by the editor: buffers in, applyEdit out.

Algorithm:
1. Path policy (confinement, protected and secret files) is
   ``LocalWorkspace``'s; only the I/O methods are overridden.
2. ``load_text``: the open document's current text (unsaved changes
   included) when the file is open in the editor, else the disk. Every read
   is recorded for stale-file notices. The workspace keeps a file index
   (``silcrow.tools.fileindex``) that ``start()`` builds and a watcher
   keeps current (``silcrow.lsp.watch.TreeWatcher``).
3. ``store_text``: one ``workspace/applyEdit`` so the change is visible and
   undoable in the editor (a refusal fails the tool with the editor's
   reason); then make it durable: ``silcrow/saveDocuments`` for clients that
   declared it, and a direct disk write whenever the disk still differs
   (clients without saveDocuments, unopened files). A client without
   ``workspace.applyEdit`` gets the disk write only.
4. ``run``: before a shell command, ask a saveDocuments client to save open
   buffers that differ from disk; the command runs locally in the root in its
   own process group; running commands are tracked so the daemon can kill
   them on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from silcrow.lsp.editor import Editor
from silcrow.lsp.watch import StaleFiles, TreeWatcher
from silcrow.tools.base import OutputSink, ShellOutcome, ToolError
from silcrow.tools.fileindex import FileIndex
from silcrow.tools.local import LocalWorkspace, read_regular, write_atomic


class EditorWorkspace(LocalWorkspace):
    def __init__(self, root: Path, editor: Editor, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        self.editor = editor
        self.stale = StaleFiles(self.root)
        self.files = FileIndex(self.root)
        self.index = self.files
        self.watcher = TreeWatcher(self.root, self.files, self.stale)
        self._shells: set[asyncio.Task[ShellOutcome]] = set()

    def start(self) -> None:
        """Build the file index and start watching, in the background."""
        self.watcher.start()

    def notices(self) -> list[str]:
        return self.stale.notices(self.editor.is_open)

    async def load_text(self, real: Path, display: str) -> str:
        buffer = self.editor.buffer(real)
        if buffer is not None:
            text = buffer[0]
        else:
            text = await super().load_text(real, display)
        self.stale.record(real)
        self.watcher.start()
        return text

    async def store_text(self, real: Path, text: str) -> None:
        old = await asyncio.to_thread(_disk_text, real, self.max_read_bytes)
        exists = await asyncio.to_thread(real.exists)
        if self.editor.flags.apply_edit and (old is not None or not exists):
            failure = await self.editor.apply_write(real, text, old)
            if failure is not None:
                raise ToolError(f"the editor refused the edit to {self._rel(real)}: {failure}")
            await self.editor.save([real])
        if await asyncio.to_thread(_disk_text, real, self.max_read_bytes) != text:
            await asyncio.to_thread(write_atomic, real, text)
        self.stale.record(real)

    async def run(
        self,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the port's signature
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        await self.editor.save(await asyncio.to_thread(self._dirty_buffers))
        task = asyncio.ensure_future(super().run(command, timeout=timeout, on_output=on_output))
        self._shells.add(task)
        try:
            return await task
        finally:
            self._shells.discard(task)

    def _dirty_buffers(self) -> list[Path]:
        dirty = []
        for path in self.editor.open_paths():
            if not path.is_relative_to(self.root):
                continue
            buffer = self.editor.buffer(path)
            if buffer is not None and _disk_text(path, self.max_read_bytes) != buffer[0]:
                dirty.append(path)
        return dirty

    async def kill_shells(self) -> None:
        """Cancel running commands; cancellation kills each process group."""
        for task in list(self._shells):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._shells, return_exceptions=True)

    async def aclose(self) -> None:
        await self.kill_shells()
        await self.watcher.aclose()

    def _rel(self, real: Path) -> str:
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            return str(real)


def _disk_text(real: Path, max_bytes: int) -> str | None:
    """The file's text on disk, or None if it does not exist or is not text."""
    if not real.is_file():
        return None
    try:
        return read_regular(real, real.name, max_bytes)
    except (ToolError, OSError):
        return None
