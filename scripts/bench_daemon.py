"""Daemon benchmark: start-up, added streaming latency, memory.

Figures (run ``python scripts/bench_daemon.py``):

* ``initialize``: spawn ``silcrow serve`` -> the ``initialize`` result read by
  the client (ms, over several spawns).
* ``added latency``: from the moment the scripted fake provider yields a
  reply's first delta (its ``first_delta_at``, ``perf_counter`` =
  CLOCK_MONOTONIC, comparable across processes on one machine) to the moment
  the client has parsed the first ``silcrow/event`` carrying that text. This
  covers the lexer, the accumulator, the SQLite append (committed), the
  notification and the pipe. The reply arrives in one chunk so no lexer
  look-ahead is counted. p50/p99 over N prompts.
* ``RSS``: the daemon's resident memory after initialize, and with 10
  workspace folders that each ran a turn (10 agents, 10 warm live sessions).

The daemon runs as a subprocess started through a small bootstrap that
reports the fake provider's first-delta times on a pipe; nothing in
the daemon is changed for the benchmark.
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

from silcrow.lsp.guards import Frame, FrameParser

BOOTSTRAP = """
import os, sys
from silcrow.providers.fakes import inproc
sink = os.fdopen(int(os.environ["BENCH_FD"]), "w", buffering=1)
original = inproc.FakeProvider._emit
async def _emit(self, reply, **kw):
    seen = len(self.first_delta_at)
    async for item in original(self, reply, **kw):
        if len(self.first_delta_at) > seen:
            seen = len(self.first_delta_at)
            sink.write(repr(self.first_delta_at[-1]) + "\\n")
        yield item
inproc.FakeProvider._emit = _emit
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
        *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=env,
        pass_fds=(write_fd,) if write_fd is not None else (),
    )
    if write_fd is not None:
        os.close(write_fd)
    return proc, read_fd


def init_params(folders: list[Path], settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "processId": os.getpid(), "rootUri": folders[0].as_uri(), "capabilities": {},
        "workspaceFolders": [{"uri": f.as_uri(), "name": f.name} for f in folders],
        "initializationOptions": settings,
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


async def bench_latency(env: dict[str, str], root: Path, prompts: int) -> tuple[list[float], float]:
    proc, fd = await spawn(env, timed=True)
    assert fd is not None
    deltas = os.fdopen(fd, "r", buffering=1)
    client = Client(proc)
    script = {"replies": [REPLY] * (prompts + 5), "chunk": 4096}
    await client.request("initialize", init_params([root], {"provider": "fake", "fakeScript": script}))
    client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    idle = rss_mb(proc.pid)
    added = []
    for _ in range(prompts):
        first: list[float] = []

        def on_message(stamp: float, message: dict[str, Any], first: list[float] = first) -> None:
            params = message.get("params") or {}
            if message.get("method") == "silcrow/event" and params.get("type") == "respond" and not first:
                first.append(stamp)

        result = await client.request("silcrow/prompt", {"text": "hi", "chunks": True}, on_message)
        assert result["stopReason"] == "end", result
        provider_first = float(await asyncio.to_thread(deltas.readline))
        added.append((first[0] - provider_first) * 1000)
    await close(proc, client)
    deltas.close()
    return added, idle


async def bench_workspaces(env: dict[str, str], base: Path, count: int) -> float:
    folders = []
    for n in range(count):
        folder = base / f"ws{n}"
        folder.mkdir()
        (folder / "a.py").write_text(f"N = {n}\n")
        folders.append(folder)
    proc, _ = await spawn(env)
    client = Client(proc)
    script = {"replies": [REPLY] * (count + 5), "chunk": 16}
    await client.request("initialize", init_params(folders, {"provider": "fake", "fakeScript": script}))
    for folder in folders:
        result = await client.request("silcrow/prompt", {"text": "hi", "workspaceUri": folder.as_uri()})
        assert result["stopReason"] == "end", result
    rss = rss_mb(proc.pid)
    await close(proc, client)
    return rss


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(prompts: int = 200, spawns: int = 10) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "ws"
        root.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
        env["SILCROW_DB"] = str(base / "bench.db")
        init = await bench_initialize(env, root, spawns)
        added, idle = await bench_latency(env, root, prompts)
        ten = await bench_workspaces(env, base, 10)
    return {
        "initialize_p50_ms": statistics.median(init),
        "initialize_max_ms": max(init),
        "added_latency_p50_ms": pct(added, 0.50),
        "added_latency_p99_ms": pct(added, 0.99),
        "prompts": float(len(added)),
        "idle_rss_mb": idle,
        "rss_10_workspaces_mb": ten,
    }


def main() -> None:
    figures = asyncio.run(run())
    targets = {"initialize_p50_ms": "<= 300", "added_latency_p50_ms": "<= 2",
               "added_latency_p99_ms": "<= 10", "idle_rss_mb": "<= 60"}
    print(f"{'figure':28} {'value':>10}  target")
    for name, value in figures.items():
        print(f"{name:28} {value:10.2f}  {targets.get(name, '')}")


if __name__ == "__main__":
    main()
