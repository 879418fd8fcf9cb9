"""Review before apply and checkpoints (issue 18), through stdio JSON-RPC.

A raw client plays an editor that declared ``experimental.silcrow.review``:
it applies each ``workspace/applyEdit`` to disk (as an editor that saves on
``silcrow/saveDocuments``), keeps every text it was sent, and answers
``silcrow/review`` as a test decides. Checked: nothing is on disk (and no
edit is sent) before the answer; a partial acceptance is applied exactly and
a rejected hunk is never sent; the results tell the model; several edits to
one file in a cycle are one review; a cancel during a pending review rejects
everything; checkpoints and revert across two turns, after a daemon crash,
and with a conflict; a client without the capability is unchanged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from reliability.procs import RawDaemon

REVIEW_CAPS = {
    "workspace": {
        "applyEdit": True,
        "workspaceEdit": {"resourceOperations": ["create", "delete"]},
    },
    "experimental": {"silcrow": {"permissions": True, "saveDocuments": True, "review": True}},
}
ORIGINAL = "x = 1\ny = 2\nz = 3\n"
PROPOSED = "x = 10\ny = 2\nz = 30\n"


def call(name: str, **args: Any) -> str:
    return "§call: " + json.dumps({"name": name, "args": args}) + "\n"


def path_of(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


class FakeEditor:
    """Applies edits to disk; answers reviews with ``decide(params)`` (may be awaitable)."""

    def __init__(self, decide: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.decide = decide
        self.sent: list[tuple[str, str | None]] = []  # every (path, text) an applyEdit carried
        self.reviews: list[dict[str, Any]] = []

    def answer(self, method: str, params: Any) -> Any:
        if method == "silcrow/review":
            self.reviews.append(params)
            assert self.decide is not None, "no review expected"
            return self.decide(params)
        if method == "workspace/applyEdit":
            for change in params["edit"]["documentChanges"]:
                if change.get("kind") == "delete":
                    path_of(change["uri"]).unlink(missing_ok=True)
                    self.sent.append((change["uri"], None))
                elif "textDocument" in change:
                    text = change["edits"][0]["newText"]
                    path_of(change["textDocument"]["uri"]).write_text(text)
                    self.sent.append((change["textDocument"]["uri"], text))
            return {"applied": True}
        if method == "silcrow/saveDocuments":
            return {"saved": params["uris"]}
        return {"optionId": "allow_once"} if method == "silcrow/requestPermission" else None


async def start(
    tmp_path: Path,
    replies: list[str],
    editor: FakeEditor,
    *,
    caps: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> RawDaemon:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    d = await RawDaemon.spawn(tmp_path / "silcrow.db", cwd=root)
    d.answer_server_request = editor.answer
    script = {"replies": replies, "chunk": 4096}
    await d.initialize(
        [root], {"fakeScript": script, **(settings or {})}, REVIEW_CAPS if caps is None else caps
    )
    return d


def results(d: RawDaemon) -> list[dict[str, Any]]:
    return [e for e in d.events if e["type"] == "result"]


WRITE_A = [call("write", file="a.py", content=PROPOSED) + "§execute\n", "§respond: ok\n§end\n"]


def accept_all(params: dict[str, Any]) -> dict[str, Any]:
    return {"files": [{"uri": f["uri"], "newText": f["newText"]} for f in params["files"]]}


def workspace_with_a(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text(ORIGINAL)
    return root


def whole(uri: str, params: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in params["files"] if f["uri"] == uri)


async def test_nothing_lands_before_the_answer_and_only_the_accepted_text_is_applied(
    tmp_path: Path,
) -> None:
    root = workspace_with_a(tmp_path)
    accepted = "x = 10\ny = 2\nz = 3\n"  # the first hunk only
    seen_on_disk: list[tuple[str, bool]] = []
    editor = FakeEditor()

    def decide(params: dict[str, Any]) -> dict[str, Any]:
        seen_on_disk.append(((root / "a.py").read_text(), (root / "new.py").exists()))
        assert not editor.sent  # no edit before the answer
        a = params["files"][0]["uri"]
        return {"files": [{"uri": a, "newText": accepted}]}  # new.py left out: rejected

    editor.decide = decide
    cycle = (
        call("edit", file="a.py", old="x = 1\n", new="x = 10\n")
        + call("edit", file="a.py", old="z = 3\n", new="z = 30\n")
        + call("write", file="new.py", content="print('hi')\n")
        + "§execute\n"
    )
    d = await start(tmp_path, [cycle, "§respond: ok\n§end\n"], editor)
    try:
        result = await d.request("silcrow/prompt", {"text": "change it"})
    finally:
        await d.close()
    assert result["stopReason"] == "end"
    assert seen_on_disk == [(ORIGINAL, False)]
    (review,) = editor.reviews  # two edits of a.py and a new file: one review
    a_uri = (root / "a.py").as_uri()
    assert [(path_of(f["uri"]).name, f["kind"]) for f in review["files"]] == [
        ("a.py", "edit"),
        ("new.py", "create"),
    ]
    assert whole(a_uri, review)["oldText"] == ORIGINAL
    assert whole(a_uri, review)["newText"] == PROPOSED
    assert [f["oldText"] for f in review["files"]][1] is None
    assert (root / "a.py").read_text() == accepted
    assert not (root / "new.py").exists()
    assert [text for _, text in editor.sent] == [accepted]  # never a rejected hunk, not briefly
    first, second, third = results(d)
    assert "accepted part of your change to a.py; the rest was rejected" in first["content"]
    assert "-z = 30\n+z = 3" in first["content"]  # the diff proposed -> accepted
    assert "partly accepted" in first["payload"]["outcome"]
    assert "The user rejected your change to new.py" in third["content"]
    assert third["payload"]["error"] is True
    assert "accepted part of your change to a.py" in second["content"]  # both edits of a.py


async def test_edit_permission_ask_is_not_asked_twice_when_the_user_reviews(
    tmp_path: Path,
) -> None:
    root = workspace_with_a(tmp_path)
    editor = FakeEditor(accept_all)
    d = await start(
        tmp_path,
        WRITE_A,
        editor,
        settings={"permissions": {"edit": "ask"}},
    )
    try:
        await d.request("silcrow/prompt", {"text": "change it"})
    finally:
        await d.close()
    assert not [r for r in d.requests if r["method"] == "silcrow/requestPermission"]
    assert len(editor.reviews) == 1
    assert (root / "a.py").read_text() == PROPOSED
    (res,) = results(d)
    assert "The user accepted your change to a.py." in res["content"]


async def test_a_cancel_during_a_pending_review_rejects_everything(tmp_path: Path) -> None:
    root = workspace_with_a(tmp_path)
    never = asyncio.Event()

    async def decide(_params: dict[str, Any]) -> dict[str, Any]:
        await never.wait()  # the user never answers
        return {}

    editor = FakeEditor(decide)
    d = await start(tmp_path, [call("write", file="a.py", content=PROPOSED) + "§execute\n"], editor)
    try:
        prompt = asyncio.ensure_future(d.request("silcrow/prompt", {"text": "change it"}))
        while not editor.reviews:  # noqa: ASYNC110 - requests arrive on the reader task
            await asyncio.sleep(0.02)
        await d.request("silcrow/cancel", {"conversationId": d.events[0]["conversationId"]})
        result = await asyncio.wait_for(prompt, 30)
    finally:
        await d.close()
    assert result["stopReason"] == "cancelled"
    assert (root / "a.py").read_text() == ORIGINAL
    assert not editor.sent
    (res,) = results(d)
    assert "rejected and the file is unchanged" in res["content"]
    assert res["payload"]["error"] is True
    assert d.events[-1]["type"] == "cancelled"
    (review,) = [r for r in d.requests if r["method"] == "silcrow/review"]
    cancels = [n["params"] for n in d.notifications if n["method"] == "$/cancelRequest"]
    assert cancels == [{"id": review["id"]}]  # the client is told to close its review


async def test_revert_across_two_turns_restores_every_file_and_tells_the_model(
    tmp_path: Path,
) -> None:
    root = workspace_with_a(tmp_path)
    editor = FakeEditor(accept_all)
    replies = [
        call("edit", file="a.py", old="x = 1\n", new="x = 10\n") + "§execute\n",
        "§respond: one\n§end\n",
        call("edit", file="a.py", old="y = 2\n", new="y = 20\n")
        + call("write", file="b.py", content="b = 1\n")
        + "§execute\n",
        "§respond: two\n§end\n",
        "§respond: three\n§end\n",
    ]
    d = await start(tmp_path, replies, editor)
    try:
        first = await d.request("silcrow/prompt", {"text": "one"})
        cid = first["conversationId"]
        second = await d.request("silcrow/prompt", {"text": "two", "conversationId": cid})
        assert (root / "a.py").read_text() == "x = 10\ny = 20\nz = 3\n"
        marks = await d.request("silcrow/checkpoints", {"conversationId": cid})
        reverted = await d.request(
            "silcrow/revert", {"conversationId": cid, "turnId": first["turnId"]}
        )
        after = await d.request("silcrow/checkpoints", {"conversationId": cid})
        await d.request("silcrow/prompt", {"text": "three", "conversationId": cid})
        history = await d.request("silcrow/history", {"conversationId": cid})
    finally:
        await d.close()
    a_uri, b_uri = (root / "a.py").as_uri(), (root / "b.py").as_uri()
    assert [(c["turnId"], c["files"]) for c in marks["checkpoints"]] == [
        (first["turnId"], [a_uri]),
        (second["turnId"], [a_uri, b_uri]),
    ]
    assert reverted == {"reverted": [a_uri, b_uri], "conflicts": []}
    assert (root / "a.py").read_text() == ORIGINAL
    assert not (root / "b.py").exists()
    assert after == {"checkpoints": []}
    (notice,) = [e for e in history["events"] if (e.get("payload") or {}).get("revert")]
    assert notice["type"] == "user" and notice["payload"]["notice"] is True
    assert notice["payload"]["revert"] == {"turnId": first["turnId"], "files": [a_uri, b_uri]}
    assert "reverted" in notice["content"]
    kinds = [(e["type"], e["content"]) for e in history["events"]]
    assert kinds.index(("user", notice["content"])) < kinds.index(("user", "three"))


async def test_revert_after_a_daemon_crash(tmp_path: Path) -> None:
    root = workspace_with_a(tmp_path)
    d = await start(tmp_path, WRITE_A, FakeEditor(accept_all))
    try:
        turn = await d.request("silcrow/prompt", {"text": "change it"})
    finally:
        d.kill()
        await d.wait()
    assert (root / "a.py").read_text() == PROPOSED
    d = await start(tmp_path, [], FakeEditor())
    try:
        reverted = await d.request(
            "silcrow/revert", {"conversationId": turn["conversationId"], "turnId": turn["turnId"]}
        )
    finally:
        await d.close()
    assert reverted["reverted"] == [(root / "a.py").as_uri()]
    assert (root / "a.py").read_text() == ORIGINAL


async def test_a_file_the_user_changed_since_is_a_conflict_until_forced(tmp_path: Path) -> None:
    root = workspace_with_a(tmp_path)
    d = await start(tmp_path, WRITE_A, FakeEditor(accept_all))
    try:
        turn = await d.request("silcrow/prompt", {"text": "change it"})
        (root / "a.py").write_text(PROPOSED + "# mine\n")  # the user's own change
        ids = {"conversationId": turn["conversationId"], "turnId": turn["turnId"]}
        refused = await d.request("silcrow/revert", ids)
        kept = (root / "a.py").read_text()
        forced = await d.request("silcrow/revert", {**ids, "force": True})
    finally:
        await d.close()
    a_uri = (root / "a.py").as_uri()
    assert refused == {"reverted": [], "conflicts": [a_uri]}
    assert kept == PROPOSED + "# mine\n"
    assert forced == {"reverted": [a_uri], "conflicts": []}
    assert (root / "a.py").read_text() == ORIGINAL


async def test_a_client_without_the_capability_is_unchanged_and_still_gets_checkpoints(
    tmp_path: Path,
) -> None:
    root = workspace_with_a(tmp_path)
    d = await start(
        tmp_path,
        WRITE_A,
        FakeEditor(),
        caps={"workspace": {"applyEdit": True}},
    )
    try:
        turn = await d.request("silcrow/prompt", {"text": "change it"})
        assert (root / "a.py").read_text() == PROPOSED
        reverted = await d.request(
            "silcrow/revert", {"conversationId": turn["conversationId"], "turnId": turn["turnId"]}
        )
    finally:
        await d.close()
    assert not [r for r in d.requests if r["method"] == "silcrow/review"]
    (res,) = results(d)
    assert res["content"].startswith("Wrote a.py") and "review" not in res["content"]
    assert reverted["reverted"] == [(root / "a.py").as_uri()]
    assert (root / "a.py").read_text() == ORIGINAL


async def test_review_auto_applies_at_once_for_a_client_with_the_capability(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    editor = FakeEditor()
    d = await start(
        tmp_path,
        [call("write", file="n.py", content="n = 1\n") + "§execute\n", "§respond: ok\n§end\n"],
        editor,
        settings={"review": "auto"},
    )
    try:
        await d.request("silcrow/prompt", {"text": "make it"})
    finally:
        await d.close()
    assert not editor.reviews
    assert (root / "n.py").read_text() == "n = 1\n"


async def test_a_sensitive_write_is_still_asked_before_its_review(tmp_path: Path) -> None:
    editor = FakeEditor(lambda p: {"files": []})  # then rejected in the review
    d = await start(
        tmp_path,
        [
            call("write", file=".envrc", content="export A=1\n") + "§execute\n",
            "§respond: ok\n§end\n",
        ],
        editor,
    )
    try:
        await d.request("silcrow/prompt", {"text": "add it"})
    finally:
        await d.close()
    methods = [r["method"] for r in d.requests if r["method"].startswith("silcrow/")]
    assert methods.index("silcrow/requestPermission") < methods.index("silcrow/review")
    assert not (tmp_path / "ws" / ".envrc").exists()
