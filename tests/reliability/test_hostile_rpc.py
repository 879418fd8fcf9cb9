"""Hostile JSON-RPC: thousands of malformed frames into one daemon, which stays up and answers (issue 8).

One ``silcrow serve`` process gets a stream of frames drawn from a seeded RNG
(``SILCROW_HOSTILE_SEED`` replays one) across the categories in
``GENERATORS``: broken header blocks, huge / negative / non-numeric /
too-short / too-long ``Content-Length``, invalid JSON, JSON that is not an
object, wrong types for ``jsonrpc``/``id``/``method``/``params``, unknown
methods (requests and notifications), valid methods with wrong param shapes,
deep nesting, invalid UTF-8 and a few multi-megabyte junk bodies. A quarter
of the stream goes in before ``initialize`` (with plain requests among it),
the rest after. Then ``silcrow/conversations`` must be answered and
``shutdown`` + ``exit`` must end the process with code 0.

Counted:
* the process never exits during the run (its returncode is polled with the
  RSS samples), and the reader thread and event loop log no unhandled
  exception;
* peak RSS (``VmRSS`` from /proc, sampled every 20 ms) stays below
  ``PEAK_RSS_LIMIT``;
* every well-framed request with an integer id that a hostile frame does not
  swallow (``Hostile.answer``) gets exactly one response, an error for
  unknown methods and wrong param shapes: frames with lying lengths must not
  take the next message with them (the reader resynchronises at the next
  ``Content-Length`` line; see ``silcrow.lsp.frames``);
* at most one popup for malformed frames.

A second daemon gets requests as fast as its pipe takes them while nobody
reads its answers: its writes block, and its reader must stop reading (RSS
growth below ``FLOOD_GROWTH_LIMIT_MB``) rather than queue the whole flood.

The reader's resynchronisation is also tested without a process
(``FrameParser`` is sans-I/O), as are the first-frame and nesting cases that
once stopped the reader thread or raised out of the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import string
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reliability.knobs import record, runs
from reliability.procs import SERVE, RawDaemon, RpcError, server_env
from silcrow.lsp.dispatch import Dispatcher
from silcrow.lsp.frames import EOF, BadFrame, Frame, FrameParser, Item
from silcrow.lsp.stdin import MAX_AHEAD, StdinPump

PEAK_RSS_LIMIT_MB = 200
PRE_INIT_SHARE = 0.25
ANSWER_DEADLINE = 20.0  # seconds for the last answers to arrive once everything is sent
FLOOD_SECONDS = 1.5
FLOOD_GROWTH_LIMIT_MB = 24


def framed(body: bytes, length: int | bytes | None = None) -> bytes:
    """A frame whose ``Content-Length`` is the body's, or ``length`` (a number or raw header bytes)."""
    if not isinstance(length, bytes):
        length = str(len(body) if length is None else length).encode()
    return b"Content-Length: %s\r\n\r\n%s" % (length, body)


def message(**fields: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", **fields}).encode()


@dataclass(frozen=True)
class Hostile:
    data: bytes
    answer: int | None = None  # a request id that must get exactly one response
    error: bool = False  # ... and that response must be an error


Gen = Callable[[random.Random, Iterator[int]], Hostile]
JUNK = (string.ascii_letters + string.digits + '{}[]",:. \t').encode()


def junk(rng: random.Random, low: int = 1, high: int = 300) -> bytes:
    return bytes(rng.choice(JUNK) for _ in range(rng.randint(low, high)))


def some_request(rng: random.Random, ids: Iterator[int]) -> bytes:
    return message(
        id=next(ids), method="silcrow/conversations", params={"limit": rng.randint(1, 9)}
    )


def no_length(rng: random.Random, ids: Iterator[int]) -> Hostile:
    lines = [
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8",
        b"X-%s: 1" % junk(rng, 1, 9),
    ]
    return Hostile(
        b"\r\n".join(rng.sample(lines, rng.randint(1, 2))) + b"\r\n\r\n" + some_request(rng, ids)
    )


def garbage_header(rng: random.Random, ids: Iterator[int]) -> Hostile:
    head = bytes(rng.choice(b"abcxyz:;= \t\x00\x01\xff\x7f") for _ in range(rng.randint(1, 200)))
    return Hostile(head + b"\r\n\r\n" + junk(rng))


def no_terminator(rng: random.Random, ids: Iterator[int]) -> Hostile:
    body = some_request(rng, ids)
    return Hostile(b"Content-Length: %d\r\n" % len(body) + body)


def huge_length(rng: random.Random, ids: Iterator[int]) -> Hostile:
    return Hostile(framed(junk(rng), rng.choice([10**12, 10**18, 2**63, 64 * 2**20 + 1])))


def negative_length(rng: random.Random, ids: Iterator[int]) -> Hostile:
    return Hostile(framed(some_request(rng, ids), -rng.randint(1, 10**6)))


def non_numeric_length(rng: random.Random, ids: Iterator[int]) -> Hostile:
    value = rng.choice([b"", b"abc", b"1e3", b"0x20", b"12abc", b"NaN", b"\xff\xfe", b"9" * 5000])
    return Hostile(framed(some_request(rng, ids), value))


def short_length(rng: random.Random, ids: Iterator[int]) -> Hostile:
    body = some_request(rng, ids)
    return Hostile(framed(body, rng.randint(0, len(body) - 1)))


def long_length(rng: random.Random, ids: Iterator[int]) -> Hostile:
    body = some_request(rng, ids)
    return Hostile(framed(body, len(body) + rng.randint(1, 20_000)))


def invalid_json(rng: random.Random, ids: Iterator[int]) -> Hostile:
    body = rng.choice(
        [
            junk(rng),
            some_request(rng, ids)[: -rng.randint(1, 20)],
            b"{'single': 'quotes'}",
            b'{"jsonrpc": "2.0", "id": 1,}',
            rng.randbytes(rng.randint(1, 200)),
        ]
    )
    return Hostile(framed(body))


def not_object(rng: random.Random, ids: Iterator[int]) -> Hostile:
    value = rng.choice(
        [
            [1, 2],
            42,
            "text",
            None,
            True,
            1.5,
            [{"jsonrpc": "2.0", "id": next(ids), "method": "shutdown"}],
        ]
    )  # a batch: not LSP
    return Hostile(framed(json.dumps(value).encode()))


def wrong_types(rng: random.Random, ids: Iterator[int]) -> Hostile:
    odd: dict[str, list[Any]] = {  # no int ids: they could collide with the client's own
        "jsonrpc": [None, 2, "1.0", [1], ""],
        "id": [None, [1], {"a": 1}, False, 1.5, ""],
        "method": [None, 5, ["silcrow/cancel"], {"a": 1}, True],
        "params": [5, "x", True, [[]]],
    }
    fields: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": next(ids),
        "method": "silcrow/cancel",
        "params": {"conversationId": "none"},
    }
    name = rng.choice(list(fields))
    fields[name] = rng.choice(odd[name])
    return Hostile(framed(json.dumps(fields).encode()))


def unknown_request(rng: random.Random, ids: Iterator[int]) -> Hostile:
    msg_id = next(ids)
    method = rng.choice(["x/", "silcrow/", "textDocument/", "$/", ""]) + junk(rng, 1, 20).decode()
    return Hostile(framed(message(id=msg_id, method=method, params={})), answer=msg_id, error=True)


def unknown_notification(rng: random.Random, ids: Iterator[int]) -> Hostile:
    method = rng.choice(["x/", "silcrow/", "$/", "window/"]) + junk(rng, 1, 20).decode()
    return Hostile(framed(message(method=method, params=rng.choice([{}, [], None, 5]))))


# Requests of real methods whose params are wrong: each must get an error response.
WRONG_PARAMS: list[tuple[str, Any]] = [
    ("silcrow/prompt", None),
    ("silcrow/prompt", [1]),
    ("silcrow/prompt", {"text": 5}),
    ("silcrow/prompt", {"text": ""}),
    ("silcrow/prompt", "hello"),
    ("silcrow/cancel", None),
    ("silcrow/cancel", {"conversationId": 5}),
    ("silcrow/cancel", []),
    ("silcrow/history", {}),
    ("silcrow/history", {"conversationId": None}),
    ("silcrow/conversations", {"limit": "x"}),
    ("silcrow/conversations", {"limit": [5]}),
    ("workspace/executeCommand", {"command": 5}),
    ("workspace/executeCommand", {"command": "nope"}),
    ("workspace/executeCommand", {}),
    ("textDocument/codeAction", {"textDocument": 5}),
    ("textDocument/codeAction", {}),
]
# Notifications of real methods with wrong params: no answer, no harm.
WRONG_NOTIFICATIONS: list[tuple[str, Any]] = [
    ("textDocument/didOpen", {"textDocument": 5}),
    ("textDocument/didOpen", None),
    (
        "textDocument/didChange",
        {
            "textDocument": {"uri": "file:///nowhere", "version": 1},
            "contentChanges": [{"text": "x"}],
        },
    ),
    ("textDocument/didClose", []),
    ("$/cancelRequest", {"id": "nope"}),
    ("$/cancelRequest", None),
    ("window/workDoneProgress/cancel", {"token": 5}),
    ("workspace/didChangeConfiguration", 5),
    ("workspace/didChangeWorkspaceFolders", {"event": 1}),
]


def wrong_params(rng: random.Random, ids: Iterator[int]) -> Hostile:
    if rng.random() < 0.3:
        method, params = rng.choice(WRONG_NOTIFICATIONS)
        return Hostile(framed(message(method=method, params=params)))
    msg_id = next(ids)
    method, params = rng.choice(WRONG_PARAMS)
    return Hostile(
        framed(message(id=msg_id, method=method, params=params)), answer=msg_id, error=True
    )


def deep_nesting(rng: random.Random, ids: Iterator[int]) -> Hostile:
    depth = rng.choice([900, 2_000, 20_000, 200_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    inner = opener * depth + b"1" + closer * depth
    request = b'{"jsonrpc": "2.0", "id": %d, "method": "silcrow/cancel", "params": %s}' % (
        next(ids),
        inner,
    )
    body = rng.choice([inner, request])
    return Hostile(framed(body))


def invalid_utf8(rng: random.Random, ids: Iterator[int]) -> Hostile:
    bad = rng.choice([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
    body = b'{"jsonrpc": "2.0", "id": %d, "method": "silcrow/%s"}' % (next(ids), bad)
    if rng.random() < 0.3:
        return Hostile(b"Content-Length\xff: %d\r\n\r\n" % len(body) + body)
    return Hostile(framed(body))


def big_junk(rng: random.Random, ids: Iterator[int]) -> Hostile:
    return Hostile(framed(b"[" + b"0," * rng.randint(2**17, 2**19) + b"]x"))  # 256 KiB to 1 MiB


def pre_init_request(rng: random.Random, ids: Iterator[int]) -> Hostile:
    msg_id = next(ids)
    method, params = rng.choice(
        [("silcrow/conversations", {}), ("silcrow/cancel", {"conversationId": "x"})]
    )
    return Hostile(framed(message(id=msg_id, method=method, params=params)), answer=msg_id)


GENERATORS: dict[str, tuple[Gen, float]] = {  # category -> (generator, weight)
    "no_length": (no_length, 6),
    "garbage_header": (garbage_header, 6),
    "no_terminator": (no_terminator, 5),
    "huge_length": (huge_length, 5),
    "negative_length": (negative_length, 5),
    "non_numeric_length": (non_numeric_length, 5),
    "short_length": (short_length, 6),
    "long_length": (long_length, 6),
    "invalid_json": (invalid_json, 8),
    "not_object": (not_object, 6),
    "wrong_types": (wrong_types, 8),
    "unknown_request": (unknown_request, 8),
    "unknown_notification": (unknown_notification, 6),
    "wrong_params": (wrong_params, 10),
    "deep_nesting": (deep_nesting, 4),
    "invalid_utf8": (invalid_utf8, 5),
    "big_junk": (big_junk, 0.3),
}


def hostile_stream(
    rng: random.Random, count: int, ids: Iterator[int], *, pre_init: bool
) -> Iterator[tuple[str, Hostile]]:
    names = list(GENERATORS)
    weights = [GENERATORS[n][1] for n in names]
    for _ in range(count):
        if pre_init and rng.random() < 0.1:
            yield "pre_init_request", pre_init_request(rng, ids)
        else:
            name = rng.choices(names, weights)[0]
            yield name, GENERATORS[name][0](rng, ids)


@dataclass
class Recorder(RawDaemon):
    """A raw client that also keeps every response, whoever asked."""

    responses: list[dict[str, Any]] = field(default_factory=list)

    def _dispatch(self, body: bytes) -> None:
        with contextlib.suppress(ValueError):
            msg = json.loads(body)
            if isinstance(msg, dict) and "id" in msg and "method" not in msg:
                self.responses.append(msg)
        super()._dispatch(body)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Watch:
    """RSS samples and liveness of one process, polled every 20 ms."""

    pid: int
    samples: list[float] = field(default_factory=list)
    died_at: int | None = None  # the sample index at which the process was found gone

    async def run(self, daemon: RawDaemon) -> None:
        while True:
            if daemon.proc.returncode is not None:
                self.died_at = len(self.samples)
                return
            with contextlib.suppress(OSError, ValueError):
                self.samples.append(rss_mb(self.pid))
            await asyncio.sleep(0.02)


@dataclass
class Sent:
    """What went over the wire: categories in order, requests owed an answer, bytes."""

    order: list[str] = field(default_factory=list)
    expected: dict[int, Hostile] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)  # answer id -> index in ``order``
    bytes: int = 0

    def before(self, answer: int) -> list[str]:
        """The categories of the frames up to and including the one that asked ``answer``."""
        at = self.position[answer]
        return self.order[max(0, at - 3) : at + 1]


async def send(daemon: RawDaemon, stream: Iterator[tuple[str, Hostile]], sent: Sent) -> None:
    stdin = daemon.proc.stdin
    assert stdin is not None
    for n, (name, hostile) in enumerate(stream):
        if hostile.answer is not None:
            sent.expected[hostile.answer] = hostile
            sent.position[hostile.answer] = len(sent.order)
        sent.order.append(name)
        sent.bytes += len(hostile.data)
        daemon.write(hostile.data)
        if n % 25 == 0 or len(hostile.data) > 2**16:
            await stdin.drain()
    await stdin.drain()


async def answered(daemon: Recorder, ids: set[int]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_DEADLINE
    while not ids <= {r.get("id") for r in daemon.responses} and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def test_malformed_frames_leave_the_daemon_up_bounded_and_answering(tmp_path: Path) -> None:
    seed = int(os.environ.get("SILCROW_HOSTILE_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    total = runs(2_000, 10_000)
    ids = itertools.count(10_000)
    sent = Sent()
    daemon = await Recorder.spawn(tmp_path / "db.sqlite", cwd=tmp_path)
    watch = Watch(daemon.pid)
    watcher = asyncio.ensure_future(watch.run(daemon))
    try:
        before = int(total * PRE_INIT_SHARE)
        await send(daemon, hostile_stream(rng, before, ids, pre_init=True), sent)
        init = await asyncio.wait_for(daemon.initialize([tmp_path]), 30)
        rss_at_init = rss_mb(daemon.pid)
        await send(daemon, hostile_stream(rng, total - before, ids, pre_init=False), sent)
        after = await asyncio.wait_for(daemon.request("silcrow/conversations", {}), 30)
        await answered(daemon, set(sent.expected))
        alive_throughout = watch.died_at is None and daemon.proc.returncode is None
        code = await daemon.close(timeout=20)
    finally:
        watcher.cancel()
        daemon.kill()

    by_id = Counter(r.get("id") for r in daemon.responses)
    errors = {r.get("id") for r in daemon.responses if "error" in r}
    unanswered = [(i, sent.before(i)) for i in sent.expected if by_id[i] == 0]
    repeated = [i for i in sent.expected if by_id[i] > 1]
    not_errors = [i for i, h in sent.expected.items() if h.error and i not in errors]
    stderr = daemon.stderr.decode("utf-8", "replace")
    unhandled = stderr.count("Exception in callback") + stderr.count("Exception in thread")
    popups = [m for m in daemon.texts("window/showMessage") if "malformed message" in m]
    peak = max(watch.samples, default=0.0)
    counts = Counter(sent.order)
    record(
        "hostile/rpc",
        seed=seed,
        frames=len(sent.order),
        bytes_sent=sent.bytes,
        requests_owed_answers=len(sent.expected),
        unanswered=len(unanswered),
        answered_twice=len(repeated),
        peak_rss_mb=round(peak, 1),
        rss_at_initialize_mb=round(rss_at_init, 1),
        rss_samples=len(watch.samples),
        unhandled_exceptions=unhandled,
        malformed_popups=len(popups),
        **{f"frames_{k}": v for k, v in sorted(counts.items())},
    )

    assert init["serverInfo"]["name"] == "silcrow"
    assert isinstance(after["conversations"], list), after
    assert alive_throughout and code == 0
    assert len(sent.order) == total and len(counts) == len(GENERATORS) + 1
    assert unanswered == [] and repeated == [] and not_errors == [], (
        seed,
        unanswered[:5],
        repeated[:5],
        not_errors[:5],
    )
    assert unhandled == 0, stderr[-3000:]
    assert len(popups) == 1
    assert len(watch.samples) > 10 and peak < PEAK_RSS_LIMIT_MB, (peak, seed)


# -- the reader on its own -----------------------------------------------------------------

GOOD = message(id=1, method="silcrow/conversations", params={})


def parse(data: bytes, step: int | None = None) -> list[Frame | BadFrame]:
    parser = FrameParser(max_body=1000)
    if step is None:
        return parser.feed(data)
    return [item for i in range(0, len(data), step) for item in parser.feed(data[i : i + step])]


def test_the_reader_resynchronises_at_the_next_header_after_every_kind_of_lying_length() -> None:
    lying = [
        b"X-No-Length: 1\r\n\r\n"
        + GOOD,  # header without a length: its body is glued to the next header
        framed(GOOD, len(GOOD) - 7),  # too short: the rest of the body is glued to the next header
        framed(GOOD, len(GOOD) + 500),  # too long: would swallow the next frame
        framed(GOOD, 10**12),  # above the limit: skipped, but not past the next header
        framed(GOOD, -5),
        framed(GOOD, b"abc"),
        b"Content-Length: %d\r\n" % len(GOOD) + GOOD,  # no blank line
    ]
    for bad in lying:
        for step in (None, 1, 7, 64):
            items = parse(bad + framed(GOOD) + framed(GOOD), step)
            frames = [i.body for i in items if isinstance(i, Frame)]
            assert frames[-2:] == [GOOD, GOOD], (bad, step, items)
            assert frames.count(GOOD) == 2, (
                bad,
                step,
                items,
            )  # the lying frame itself is not dispatched


def test_a_valid_body_is_never_cut_even_with_crlf_whitespace_and_header_like_strings() -> None:
    body = (
        b'{\r\n"jsonrpc": "2.0",\r\n\r\n"method": "x", "params": {"t": "Content-Length: 12\\r\\n"}}'
    )
    for step in (None, 1, 5):
        assert parse(framed(body) + framed(GOOD), step) == [Frame(body), Frame(GOOD)]


async def test_a_deeply_nested_first_frame_does_not_stop_the_reader(tmp_path: Path) -> None:
    daemon = await RawDaemon.spawn(tmp_path / "db.sqlite", cwd=tmp_path)
    try:
        daemon.write(framed(b"[" * 100_000 + b"]" * 100_000))
        daemon.write(
            framed(
                b'{"jsonrpc": "2.0", "id": 5, "method": "silcrow/cancel", "params": '
                + b"[" * 5_000
                + b"]" * 5_000
                + b"}"
            )
        )
        await asyncio.wait_for(daemon.initialize([]), 20)  # the reader is still in step
        result = await asyncio.wait_for(daemon.request("silcrow/conversations", {}), 20)
        assert result == {"conversations": []}
        with pytest.raises(RpcError) as unknown:
            await asyncio.wait_for(daemon.request("foo/bar", {}), 20)
        assert unknown.value.code == -32601
        assert await daemon.close() == 0
    finally:
        daemon.kill()
    stderr = daemon.stderr.decode("utf-8", "replace")
    assert "Exception in thread" not in stderr and "Exception in callback" not in stderr, stderr[
        -2000:
    ]


def test_frames_that_fail_inside_the_decoder_are_reported_not_raised() -> None:
    from silcrow.lsp.server import create_server

    server = create_server()
    popups: list[str] = []
    stops: list[int] = []
    dispatch = Dispatcher(server.protocol, stops.append, popups.append)
    bodies = [
        b'{"jsonrpc": "2.0", "id": 7.5, "method": "silcrow/conversations"} trailing',  # hook fails first
        b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "silcrow/cancel"}',  # an id no response can carry
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the decoder recurses
    ]
    for body in bodies:
        dispatch(Frame(body))  # each raised out of the event loop callback before
    assert len(popups) == 1 and stops == []


async def test_the_stdin_reader_stops_reading_while_the_loop_is_behind() -> None:
    """Back-pressure: unhandled items hold the reader near ``MAX_AHEAD``; once attached, all arrive, then EOF."""
    frame = framed(json.dumps({"jsonrpc": "2.0", "method": "x", "params": "a" * 60_000}).encode())
    read_end, write_end = os.pipe()
    pump = StdinPump(read_end)
    pump.start()
    os.set_blocking(write_end, False)
    out, written, stalled = bytearray(), 0, time.monotonic()
    while time.monotonic() - stalled < 0.3 and written < 2 * MAX_AHEAD:  # until the pipe stays full
        if not out:
            out += frame
        try:
            sent = os.write(write_end, out)
        except BlockingIOError:
            await asyncio.sleep(0.01)
            continue
        del out[:sent]
        written, stalled = written + sent, time.monotonic()
    # read up to the limit (an item counts its body and about a kilobyte), plus a pipe buffer, then stopped
    assert 0.9 * MAX_AHEAD < written < MAX_AHEAD + 1024 * 1024
    items: list[Item] = []
    ended = asyncio.Event()

    def deliver(item: Item) -> None:
        items.append(item)
        if item is EOF:
            ended.set()

    pump.attach(asyncio.get_running_loop(), deliver)

    def finish() -> None:
        os.set_blocking(write_end, True)
        os.write(write_end, bytes(out) + frame)
        os.close(write_end)

    await asyncio.to_thread(finish)
    await asyncio.wait_for(ended.wait(), 20)
    await asyncio.to_thread(pump.join, 5)
    os.close(read_end)
    assert items[-1] is EOF and len(items) == (written + len(out)) // len(frame) + 2
    assert all(
        isinstance(item, Frame) and item.body == frame.split(b"\r\n\r\n", 1)[1]
        for item in items[:-1]
    )


def test_a_client_that_floods_and_never_reads_costs_the_daemon_bounded_memory(
    tmp_path: Path,
) -> None:
    """Requests written as fast as the pipe takes them while the answers go unread.

    The daemon's writes block once its stdout pipe is full; without
    back-pressure its reader thread would go on queueing everything the
    client writes.
    """
    proc = subprocess.Popen(
        SERVE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(tmp_path / "db.sqlite"),
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    written = [0]
    try:
        proc.stdin.write(
            framed(
                message(id=1, method="initialize", params={"processId": None, "capabilities": {}})
            )
            + framed(message(id=2, method="silcrow/cancel", params={"conversationId": "x"}))
        )
        proc.stdin.flush()
        seen = b""
        while not re.search(rb'"id":\s*2\b', seen):  # answered by pygls: all of it is imported
            seen += proc.stdout.read1(65536) or b"EOF"
            assert not seen.endswith(b"EOF"), seen
        baseline = rss_mb(proc.pid)  # nothing is read from the daemon after this
        chunk = b"".join(
            framed(message(id=n, method="flood/unknown", params={})) for n in range(10_000)
        )
        writer = threading.Thread(target=flood, args=(proc.stdin, chunk, written), daemon=True)
        writer.start()
        samples = []
        for _ in range(int(FLOOD_SECONDS / 0.02)):
            samples.append(rss_mb(proc.pid))
            time.sleep(0.02)
        alive = proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    growth = max(samples) - baseline
    record(
        "hostile/flood_unread",
        seconds=FLOOD_SECONDS,
        written_mb=round(written[0] / 2**20, 1),
        baseline_rss_mb=round(baseline, 1),
        peak_growth_mb=round(growth, 1),
    )
    assert alive and written[0] > 2**19  # the daemon read a good deal before it stopped reading
    assert growth < FLOOD_GROWTH_LIMIT_MB, (baseline, growth, written[0])


def flood(stdin: Any, chunk: bytes, written: list[int]) -> None:
    """Write ``chunk`` again and again in 16 KiB pieces, counting them, until the pipe breaks."""
    with contextlib.suppress(OSError, ValueError):
        while True:
            for at in range(0, len(chunk), 16384):
                stdin.write(chunk[at : at + 16384])
                stdin.flush()
                written[0] += len(chunk[at : at + 16384])
