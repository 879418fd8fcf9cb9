"""The offline demo in ``silcrow serve``: the default when no provider and no key is configured."""

from __future__ import annotations

import pytest
from lsp_harness import respond

NO_KEYS = {
    "OPENAI_API_KEY": "",
    "ANTHROPIC_API_KEY": "",
    "GEMINI_API_KEY": "",
    "GOOGLE_API_KEY": "",
}


def _text(events: list[dict[str, object]], kind: str) -> str:
    return "".join(str(e["content"]) for e in events if e["type"] == kind)


@pytest.mark.parametrize(
    ("client", "hint"),
    [
        ("Visual Studio Code", "silcrow.provider"),
        ("Neovim", 'require("silcrow").setup({ settings = { provider'),
        ("Eglot", "initializationOptions"),
        (None, "initializationOptions"),
    ],
)
async def test_no_provider_and_no_key_runs_the_labelled_demo(
    make_daemon, client: str | None, hint: str
) -> None:
    d = await make_daemon(settings={"provider": "auto"}, env=NO_KEYS, client_name=client)
    result = await d.prompt("what is this project?")

    assert result["stopReason"] == "end"
    events = d.of(result["conversationId"])
    answer = _text(events, "respond")
    assert "OFFLINE DEMO" in answer and hint in answer  # labelled, in the client's own terms
    read = next(e for e in events if e["type"] == "result")
    assert "print('hi')" in read["content"]  # a real tool call on the user's workspace
    assert not [e for e in events if e["type"] == "error"]
    metrics = [e["payload"] for e in events if e["type"] == "metric"]
    assert metrics and not any("input_tokens" in m for m in metrics)  # no made-up token counts


async def test_provider_fake_without_a_script_is_the_demo_and_never_runs_dry(make_daemon) -> None:
    d = await make_daemon(settings={"provider": "fake"}, env=NO_KEYS)
    texts = []
    for n in range(12):  # more answers than the demo has scripted replies
        result = await d.prompt(f"question {n}")
        assert result["stopReason"] == "end"
        texts.append(_text(d.of(result["conversationId"]), "respond"))
    assert all("OFFLINE DEMO" in text for text in texts)
    assert not any("no more replies" in text for text in texts)


async def test_a_key_in_the_environment_is_not_the_demo(make_daemon) -> None:
    d = await make_daemon(
        settings={"provider": "auto"},
        env={**NO_KEYS, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    result = await d.prompt("hello")
    events = d.of(result["conversationId"])
    assert result["stopReason"] == "error"  # it tried OpenAI (nothing listens on port 9)
    assert "OFFLINE DEMO" not in _text(events, "respond")


async def test_silcrow_provider_fake_wins_over_the_settings(make_daemon) -> None:
    script = '{"replies": ["§respond: scripted for the test\\n§end\\n"]}'
    d = await make_daemon(
        settings={"provider": "openai", "model": "gpt-5-mini"},
        env={**NO_KEYS, "SILCROW_PROVIDER": "fake", "SILCROW_FAKE_SCRIPT": script},
    )
    result = await d.prompt("hello")
    assert result["stopReason"] == "end"
    assert _text(d.of(result["conversationId"]), "respond").strip() == "scripted for the test"


async def test_a_scripted_test_still_gets_its_script(make_daemon) -> None:
    d = await make_daemon(settings={"fakeScript": [respond("only this")]}, env=NO_KEYS)
    result = await d.prompt("hello")
    assert _text(d.of(result["conversationId"]), "respond").strip() == "only this"
