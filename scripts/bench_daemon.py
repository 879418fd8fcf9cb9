"""Daemon benchmark: start-up, streaming latency, memory with live sessions.

Figures (run ``python scripts/bench_daemon.py [--quick] [--json out.json]``;
``measure(quick)`` returns them):

* ``initialize``: spawn ``silcrow serve`` -> the ``initialize`` result read by
  the client (ms, over several spawns).
* ``prompt_to_first_event``: what an editor sees: from writing the
  ``silcrow/prompt`` request to parsing the first ``silcrow/event`` (the
  stored user message), and to the first ``respond`` event (the first text of
  the reply). p50/p99 over N prompts after the first, which builds the
  folder's agent (imports, store, tools) and is reported on its own.
* ``added latency``: from the moment the scripted fake provider yields a
  reply's first delta (its ``first_delta_at``, ``perf_counter`` =
  CLOCK_MONOTONIC, comparable across processes on one machine) to the moment
  the client has parsed the first ``silcrow/event`` carrying that text. This
  covers the lexer, the accumulator, the SQLite append (committed), the
  notification and the pipe. The reply arrives in one chunk so no lexer
  look-ahead is counted. p50/p99 over N prompts (both latency figures come
  from the same prompts).
* ``runqueue wait``: per prompt, how long the daemon's threads were
  runnable but waiting for a CPU (``/proc/<pid>/task/*/schedstat``). On a
  busy machine the latency tail follows it, so the added latency is also
  given over the prompts that waited less than 1 ms (``uncontended``).
* ``RSS``: the daemon's resident memory after initialize, and with 10 and 50
  live workspace sessions: workspace folders that each ran a turn in resume
  mode against the loopback fake OpenAI Responses WebSocket server, so each
  folder's agent holds a warm WebSocket session (counted at the server).

The daemon runs as a subprocess (the latency one through a small bootstrap
that reports the fake provider's first-delta times on a pipe); nothing in the
daemon is changed for the benchmark. The client is a minimal JSON-RPC client
over stdio that stamps each message when it is read.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import arguments, rss_mb, runqueue_wait_ms, spread
from fakes.ws_server import FakeWSServer
from silcrow.lsp.frames import Frame, FrameParser
from silcrow.testing import Script

BOOTSTRAP = """
import os, sys
from silcrow import testing
sink = os.fdopen(int(os.environ["BENCH_FD"]), "w", buffering=1)
original = testing.FakeProvider._emit
async def _emit(self, reply, **kw):
    seen = len(self.first_delta_at)
    async for item in original(self, reply, **kw):
        if len(self.first_delta_at) > seen:
            seen = len(self.first_delta_at)
            sink.write(repr(self.first_delta_at[-1]) + "\\n")
        yield item
testing.FakeProvider._emit = _emit
from silcrow.cli import main
main(["serve"])
"""
REPLY = "§respond: hello from the benchmark\n§end\n"


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Client:
    """A minimal JSON-RPC client on the daemon's pipes; stamps each message on arrival."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.parser = FrameParser()
        self.inbox: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())
        self.next_id = 0

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while data := await self.proc.stdout.read(65536):
            now = time.perf_counter()
            for item in self.parser.feed(data):
                if isinstance(item, Frame):
                    await self.inbox.put((now, json.loads(item.body)))

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame(message))

    async def request(self, method: str, params: Any, on_message: Any = None) -> Any:
        self.next_id += 1
        msg_id = self.next_id
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        while True:
            stamp, message = await self.inbox.get()
            if message.get("id") == msg_id and "method" not in message:
                return message.get("result", message.get("error"))
            if "id" in message and "method" in message:  # a server request: answer null
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif on_message is not None:
                on_message(stamp, message)


async def spawn(env: dict[str, str], *, timed: bool = False) -> tuple[Any, int | None]:
    read_fd = write_fd = None
    cmd = [sys.executable, "-m", "silcrow.cli", "serve"]
    if timed:
        read_fd, write_fd = os.pipe()
        env = {**env, "BENCH_FD": str(write_fd)}
        cmd = [sys.executable, "-c", BOOTSTRAP]
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
        pass_fds=(write_fd,) if write_fd is not None else (),
    )
    if write_fd is not None:
        os.close(write_fd)
    return proc, read_fd


def init_params(folders: list[Path], settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "processId": os.getpid(),
        "rootUri": folders[0].as_uri(),
        "capabilities": {},
        "workspaceFolders": [{"uri": f.as_uri(), "name": f.name} for f in folders],
        "initializationOptions": settings,
    }


async def close(proc: Any, client: Client) -> None:
    client.send({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})
    client.send({"jsonrpc": "2.0", "method": "exit"})
    try:
        await asyncio.wait_for(proc.wait(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    client.reader.cancel()


async def bench_initialize(env: dict[str, str], root: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc, _ = await spawn(env)
        client = Client(proc)
        await client.request("initialize", init_params([root], {"provider": "fake"}))
        times.append((time.perf_counter() - start) * 1000)
        await close(proc, client)
    return times


async def bench_latency(env: dict[str, str], root: Path, prompts: int) -> dict[str, Any]:
    """Idle RSS, then per prompt: client-seen and daemon-added latency (ms)."""
    proc, fd = await spawn(env, timed=True)
    assert fd is not None
    deltas = os.fdopen(fd, "r", buffering=1)
    client = Client(proc)
    script = {"replies": [REPLY] * (prompts + 5), "chunk": 4096}
    await client.request(
        "initialize", init_params([root], {"provider": "fake", "fakeScript": script})
    )
    client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    await asyncio.sleep(0.5)  # let the daemon settle before reading its idle footprint
    idle = rss_mb(proc.pid)
    first_event, first_text, added, waited = [], [], [], []
    for _ in range(prompts + 1):  # the first prompt builds the agent: reported on its own
        seen: dict[str, float] = {}

        def on_message(
            stamp: float, message: dict[str, Any], seen: dict[str, float] = seen
        ) -> None:
            if message.get("method") != "silcrow/event":
                return
            seen.setdefault("event", stamp)
            if (message.get("params") or {}).get("type") == "respond":
                seen.setdefault("respond", stamp)

        wait, sent = runqueue_wait_ms(proc.pid), time.perf_counter()
        result = await client.request("silcrow/prompt", {"text": "hi", "chunks": True}, on_message)
        waited.append(runqueue_wait_ms(proc.pid) - wait)
        assert result["stopReason"] == "end", result
        provider_first = float(await asyncio.to_thread(deltas.readline))
        first_event.append((seen["event"] - sent) * 1000)
        first_text.append((seen["respond"] - sent) * 1000)
        added.append((seen["respond"] - provider_first) * 1000)
    await close(proc, client)
    deltas.close()
    return {
        "idle_rss_mb": idle,
        "first_prompt_to_first_text_ms": round(first_text[0], 1),
        "prompts": len(added) - 1,
        **spread(first_event[1:], "prompt_to_first_event"),
        **spread(first_text[1:], "prompt_to_first_text"),
        **spread(added[1:], "added_latency"),
        **spread(waited[1:], "runqueue_wait_per_prompt"),
        **uncontended(added[1:], waited[1:]),
    }


def uncontended(added: list[float], waited: list[float], limit_ms: float = 1.0) -> dict[str, Any]:
    """Added latency over the prompts whose daemon waited less than ``limit_ms`` for a CPU."""
    calm = [a for a, w in zip(added, waited, strict=True) if w < limit_ms]
    if not calm:
        return {"uncontended_prompts": 0}
    return {"uncontended_prompts": len(calm), **spread(calm, "added_latency_uncontended")}


def make_folders(base: Path, count: int) -> list[Path]:
    folders = []
    for n in range(count):
        folder = base / f"ws{n}"
        folder.mkdir(parents=True)
        (folder / "a.py").write_text(f"N = {n}\n")
        folders.append(folder)
    return folders


async def bench_live_sessions(env: dict[str, str], base: Path, count: int) -> dict[str, Any]:
    """RSS of a daemon whose ``count`` folders each hold a warm live session."""
    folders = make_folders(base / f"live{count}", count)
    async with FakeWSServer(Script.of([REPLY] * count, chunk=16)) as server:
        proc, _ = await spawn({**env, "OPENAI_API_KEY": "test-key"})
        client = Client(proc)
        settings = {"provider": "openai", "mode": "resume", "baseUrl": server.http_base}
        await client.request("initialize", init_params(folders, settings))
        client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        for folder in folders:
            result = await client.request(
                "silcrow/prompt", {"text": "hi", "workspaceUri": folder.as_uri()}
            )
            assert result["stopReason"] == "end", result
        rss = rss_mb(proc.pid)
        live = sum(1 for conn in server.of_kind("responses") if not conn.ws.closed)
        await close(proc, client)
    if live != count:
        raise RuntimeError(f"expected {count} live sessions at the fake server, found {live}")
    return {f"rss_{count}_live_sessions_mb": rss, f"live_sessions_{count}": live}


async def measure_async(quick: bool = False) -> dict[str, Any]:
    prompts, spawns = (200, 5) if quick else (1000, 10)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "ws"
        root.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
        env["SILCROW_DB"] = str(base / "bench.db")
        init = await bench_initialize(env, root, spawns)
        figures: dict[str, Any] = {
            "initialize_p50_ms": round(statistics.median(init), 1),
            "initialize_max_ms": round(max(init), 1),
        }
        figures.update(await bench_latency(env, root, prompts))
        for count in (10, 50):
            env["SILCROW_DB"] = str(base / f"live{count}.db")
            figures.update(await bench_live_sessions(env, base, count))
    return figures


def measure(quick: bool = False) -> dict[str, Any]:
    """Every figure (``quick``: 200 prompts and 5 spawns instead of 1,000 and 10)."""
    return asyncio.run(measure_async(quick))


TARGETS = {"added_latency_p50_ms": "<= 2", "added_latency_p99_ms": "<= 10", "idle_rss_mb": "<= 60"}


def main() -> None:
    args = arguments(__doc__ or "", "200 prompts, 5 spawns")
    figures = measure(args.quick)
    print(f"{'figure':34} {'value':>10}  target")
    for name, value in figures.items():
        print(f"{name:34} {value:>10}  {TARGETS.get(name, '')}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
