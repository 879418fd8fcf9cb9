"""``silcrow doctor``: key, endpoint, model and live checks against the loopback vendors."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fakes.http_server import FakeHTTPServer
from fakes.ws_server import FakeWSServer
from silcrow.providers.doctor import Check, diagnose, report

Start = Callable[..., Awaitable[FakeHTTPServer]]
SERVER = Path(__file__).resolve().parents[2] / "server"
SERVED = ["gpt-5.4-mini", "gpt-4.1-mini", "gemini-3.5-flash", "gemini-3.8-live"]


def by_name(checks: list[Check]) -> dict[str, Check]:
    assert [c.name for c in checks] == ["key", "endpoint", "model", "live"]
    return {c.name: c for c in checks}


async def test_a_working_openai_setup_passes_every_check(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    async with FakeWSServer() as live:
        checks = by_name(
            await diagnose(
                "openai",
                base_url=server.base_url("openai"),
                live_url=live.http_base,
                env={"OPENAI_API_KEY": "test-key"},
            )
        )
        assert all(c.ok for c in checks.values()), checks
        assert "OPENAI_API_KEY" in checks["key"].detail
        assert "gpt-5.4-mini is available" in checks["model"].detail
        assert "handshake" in checks["live"].detail and live.connections == 1
        assert live.of_kind("responses")[0].received_frames == 0  # nothing generated or billed


async def test_a_model_the_key_cannot_use_fails_with_the_ones_it_can(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    checks = by_name(
        await diagnose(
            "openai",
            model="gpt-5-mini",
            base_url=server.base_url("openai"),
            mode="replay",
            env={"OPENAI_API_KEY": "test-key"},
        )
    )
    assert checks["endpoint"].ok and not checks["model"].ok
    assert "gpt-5.4-mini, gpt-4.1-mini" in checks["model"].fix
    assert "SILCROW_MODEL" in checks["model"].fix
    assert checks["live"].ok and "replay" in checks["live"].detail


async def test_no_key_fails_first_and_the_rest_say_why_they_did_not_run() -> None:
    checks = by_name(await diagnose("auto", env={}))
    assert not checks["key"].ok and "OPENAI_API_KEY" in checks["key"].fix
    for name in ("endpoint", "model", "live"):
        assert not checks[name].ok
        assert checks[name].detail == "not checked: the key check failed"


async def test_a_refused_key_and_an_unreachable_server_say_what_to_check(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    refused = by_name(
        await diagnose(
            "anthropic", base_url=server.base_url("anthropic"), env={"ANTHROPIC_API_KEY": "bad"}
        )
    )
    assert refused["key"].ok and not refused["endpoint"].ok
    assert "ANTHROPIC_API_KEY" in refused["endpoint"].fix
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    down = by_name(
        await diagnose(
            "gemini", base_url=f"http://127.0.0.1:{port}/v1beta", env={"GEMINI_API_KEY": "k"}
        )
    )
    assert not down["endpoint"].ok and "GEMINI_BASE_URL" in down["endpoint"].fix


async def test_gemini_live_needs_a_live_model_the_key_lists(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    env = {"GEMINI_API_KEY": "test-key"}
    base = server.base_url("gemini")
    replay = by_name(await diagnose("gemini", base_url=base, env=env))
    assert replay["live"].ok and "gemini-3.8-live" in replay["live"].detail
    async with FakeWSServer() as live:
        opted = by_name(
            await diagnose(
                "gemini",
                base_url=base,
                live_transport="gemini-live",
                live_url=live.http_base,
                env=env,
            )
        )
    assert opted["live"].ok, opted["live"]
    server.models = ["gemini-3.5-flash"]
    missing = by_name(
        await diagnose("gemini", base_url=base, live_transport="gemini-live", env=env)
    )
    assert not missing["live"].ok and "live_model" in missing["live"].fix


async def test_doctor_json_on_the_command_line_has_the_shape_editors_read(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        PYTHONPATH=str(SERVER),
        OPENAI_API_KEY="test-key",
        OPENAI_BASE_URL=server.base_url("openai"),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "silcrow.cli",
        "doctor",
        "--json",
        "--mode",
        "replay",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    doc: Any = json.loads(out)
    assert proc.returncode == 0
    assert list(doc) == ["checks"]
    assert [list(c) for c in doc["checks"]] == [["name", "ok", "detail", "fix"]] * 4
    assert doc == report([Check(**c) for c in doc["checks"]])


async def test_models_on_the_command_line_lists_and_marks_the_configured_one(
    http_fake: Start,
) -> None:
    server = await http_fake(models=SERVED)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        PYTHONPATH=str(SERVER), GEMINI_API_KEY="test-key", GEMINI_BASE_URL=server.base_url("gemini")
    )
    command = [sys.executable, "-m", "silcrow.cli", "models", "--provider", "gemini"]
    proc = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE)
    text = (await proc.communicate())[0].decode()
    assert proc.returncode == 0
    assert "* gemini-3.5-flash" in text and "  gpt-5.4-mini" in text
    proc = await asyncio.create_subprocess_exec(
        *command, "--json", env=env, stdout=asyncio.subprocess.PIPE
    )
    doc = json.loads((await proc.communicate())[0])
    assert doc["model"] == "gemini-3.5-flash"
    assert [m["id"] for m in doc["models"] if m["live"]] == ["gemini-3.8-live"]
