"""The Workspace port backed by the editor: buffers in, applyEdit out.

Algorithm:
1. Path policy (confinement, protected and secret files) is
   ``LocalWorkspace``'s; only the I/O methods are overridden.
2. ``load_text``: the open document's current text (unsaved changes
   included) when the file is open in the editor; else, for a client that
   declared ``readFile``, the text it answers to ``silcrow/readFile`` (held
   to the same size limit and binary check as a disk read; the path policy
   before and the private-key check after apply as to any read); else the
   disk. Every read is recorded for stale-file notices. The workspace keeps
   a file index (``silcrow.tools.fileindex``) that ``start()`` builds and a
   watcher keeps current (``silcrow.lsp.watch.TreeWatcher``).
3. ``store_text``: a file is written once, by one party. Clients that
   declared ``saveDocuments`` (and ``workspace.applyEdit``) get one
   ``workspace/applyEdit``, so the change is visible and undoable there,
   then ``silcrow/saveDocuments`` so it is on disk; a declined edit is
   ``ToolRejected`` ("rejected by the user") with the editor's reason. Only
   if the client then reports the file not saved does the daemon write it
   (logged). Every other client (no ``saveDocuments``; or a new file when
   the client did not advertise ``workspaceEdit.resourceOperations``
   "create") gets no ``applyEdit``: the daemon writes the file itself and
   the editor reloads it from disk (said once in the log for new files).
4. ``remove`` (a revert deleting a file a turn created): a ``DeleteFile``
   applyEdit for a saveDocuments client that lists "delete" in
   ``workspaceEdit.resourceOperations``, else the daemon deletes it.
5. ``run``: before a shell command, ask a saveDocuments client to save open
   buffers that differ from disk. A client that declared ``terminal`` runs
   it (``run_process``): the whole line - ``cd``, the allowlisted
   environment, the sandbox - is built here (``tools.termline``) and sent
   with ``silcrow/terminal/run`` (``silcrow.lsp.terminal``); if the client
   answers that it cannot, or for any other client, the command runs
   locally in the root in its own process group. Running commands are
   tracked so the daemon can kill them on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from silcrow.lsp.editor import Editor
from silcrow.lsp.terminal import TerminalUnavailable
from silcrow.lsp.watch import StaleFiles, TreeWatcher
from silcrow.tools.base import OutputSink, ShellOutcome, ToolError, ToolRejected
from silcrow.tools.fileindex import FileIndex
from silcrow.tools.local import (
    BinaryFile,
    LocalWorkspace,
    read_regular,
    too_large,
    write_atomic,
)
from silcrow.tools.process import scrubbed_env
from silcrow.tools.termline import terminal_line

log = logging.getLogger(__name__)


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
        served = None if buffer is not None else await self.editor.read_file(real)
        if buffer is not None:
            text = buffer[0]
        elif served is not None:
            text = _checked(served, display, self.max_read_bytes)
        else:
            text = await super().load_text(real, display)
        self.stale.record(real)
        self.watcher.start()
        return text

    async def store_text(self, real: Path, text: str) -> None:
        old = await asyncio.to_thread(_disk_text, real, self.max_read_bytes)
        exists = await asyncio.to_thread(real.exists)
        flags = self.editor.flags
        by_editor = flags.apply_edit and flags.save_documents and (old is not None or not exists)
        if by_editor and not exists and not flags.create_files:
            by_editor = False
            self.editor.log(
                f"Silcrow: wrote the new file {self._rel(real)} itself: the client does not "
                "advertise workspaceEdit.resourceOperations create"
            )
        if by_editor:
            failure = await self.editor.apply_write(real, text, old)
            if failure is not None:
                raise ToolRejected(
                    f"The user's editor declined the change to {self._rel(real)} ({failure}); "
                    "the file is unchanged. Do not make the same change again; ask the user "
                    "what they want instead."
                )
            if await self.editor.save([real]):  # saved as the editor saves (format-on-save too)
                self.stale.record(real)
                return
            log.warning("the editor did not save %s; writing it to disk", self._rel(real))
        await asyncio.to_thread(write_atomic, real, text)
        self.stale.record(real)

    async def current_text(self, real: Path, display: str) -> str:
        buffer = self.editor.buffer(real)  # never silcrow/readFile: only what a change replaces
        if buffer is not None:
            return buffer[0]
        return await LocalWorkspace.load_text(self, real, display)  # the disk

    async def exists(self, real: Path) -> bool:
        return self.editor.is_open(real) or await super().exists(real)

    async def remove(self, real: Path) -> None:
        flags = self.editor.flags
        if flags.apply_edit and flags.save_documents and flags.delete_files:
            failure = await self.editor.apply_delete(real)
            if failure is None:
                self.stale.record(real)
                return
            log.warning(
                "the editor did not delete %s (%s); deleting it here", self._rel(real), failure
            )
        await super().remove(real)
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

    async def run_process(
        self,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the port's signature
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        if self.editor.flags.terminal:
            env = scrubbed_env(extra=self.shell_env)
            line = terminal_line(command, cwd=self.root, env=env, sandbox=self.sandbox)
            try:
                return await self.editor.terminal.run(
                    line, cwd=self.root, timeout=timeout, limit=self.shell_output_limit,
                    on_output=on_output,
                )  # fmt: skip
            except TerminalUnavailable as exc:
                log.info("the editor's terminal did not run the command (%s); running it here", exc)
        return await super().run_process(command, timeout=timeout, on_output=on_output)

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
        await self.editor.terminal.aclose()
        await self.watcher.aclose()

    def _rel(self, real: Path) -> str:
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            return str(real)


def _checked(text: str, display: str, max_bytes: int) -> str:
    """Text the editor served, held to the rules of a disk read: size limit, no NUL bytes."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise too_large(display, size, max_bytes)
    if "\x00" in text:
        raise BinaryFile(display, size, "unknown binary data")
    return text


def _disk_text(real: Path, max_bytes: int) -> str | None:
    """The file's text on disk, or None if it does not exist or is not text."""
    if not real.is_file():
        return None
    try:
        return read_regular(real, real.name, max_bytes)
    except (ToolError, OSError):
        return None
