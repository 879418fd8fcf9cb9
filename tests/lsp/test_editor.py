"""Tools through the editor: unsaved buffers, applyEdit, saveDocuments, code actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_harness import CLIENTS, call, plain, respond
from lsprotocol import types as t
from pytest_lsp import client_capabilities


@pytest.mark.parametrize("kind", CLIENTS)
async def test_read_sees_the_unsaved_buffer(make_daemon, kind: str) -> None:
    d = await make_daemon(
        kind=kind, settings={"fakeScript": [call("read", file="a.py"), respond("ok")]}
    )
    uri = d.open("a.py", "print('hi')\n")
    d.client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text="print('unsaved')\n")],
        )
    )
    result = await d.prompt("read a.py")
    seen = next(e for e in d.of(result["conversationId"]) if e["type"] == "result")
    assert "unsaved" in seen["content"] and "'hi'" not in seen["content"]


async def test_write_to_an_open_document_is_a_versioned_edit(make_daemon, workspace: Path) -> None:
    d = await make_daemon(
        silcrow={"saveDocuments": True},
        settings={"fakeScript": [call("write", file="a.py", content="x = 1\n"), respond("done")]},
    )
    uri = d.open("a.py", "print('hi')\n", version=7)
    inode = (workspace / "a.py").stat().st_ino
    result = await d.prompt("rewrite a.py")

    assert result["stopReason"] == "end"
    assert len(d.edits) == 1 and d.saves == [[uri]]
    (change,) = d.edits[0].edit.document_changes
    assert isinstance(change, t.TextDocumentEdit)
    assert change.text_document.uri == uri and change.text_document.version == 7
    (edit,) = change.edits
    assert edit.new_text == "x = 1\n"
    assert (edit.range.end.line, edit.range.end.character) == (1, 0)  # the whole old text
    assert (workspace / "a.py").read_text() == "x = 1\n"  # durable: the editor saved it
    assert (workspace / "a.py").stat().st_ino == inode  # and the daemon did not write it again


@pytest.mark.parametrize("kind", CLIENTS)
async def test_a_client_without_save_documents_gets_the_file_written_once_by_the_daemon(
    make_daemon, workspace: Path, kind: str
) -> None:
    d = await make_daemon(
        kind=kind,
        settings={"fakeScript": [call("write", file="a.py", content="x = 1\n"), respond("done")]},
    )
    d.open("a.py", "print('hi')\n", version=7)
    result = await d.prompt("rewrite a.py")

    assert result["stopReason"] == "end"
    assert d.edits == []  # no applyEdit: the editor reloads the file from disk
    assert (workspace / "a.py").read_text() == "x = 1\n"


async def test_new_file_is_created_then_filled(make_daemon, workspace: Path) -> None:
    d = await make_daemon(
        silcrow={"saveDocuments": True},
        settings={
            "fakeScript": [call("write", file="pkg/new.py", content="y = 2\n"), respond("done")]
        },
    )
    await d.prompt("create it")
    create, fill = d.edits[0].edit.document_changes
    assert isinstance(create, t.CreateFile) and create.uri.endswith("/pkg/new.py")
    assert isinstance(fill, t.TextDocumentEdit) and fill.text_document.version is None
    assert fill.edits[0].new_text == "y = 2\n"
    assert (workspace / "pkg" / "new.py").read_text() == "y = 2\n"


async def test_a_new_file_for_a_client_without_resource_operations_is_written_by_the_daemon(
    make_daemon, workspace: Path
) -> None:
    caps = client_capabilities("visual-studio-code")
    assert caps.workspace is not None and caps.workspace.workspace_edit is not None
    caps.workspace.workspace_edit.resource_operations = []
    d = await make_daemon(
        capabilities=caps,
        silcrow={"saveDocuments": True},
        settings={"fakeScript": [call("write", file="new.py", content="y = 2\n"), respond("ok")]},
    )
    result = await d.prompt("create it")
    assert result["stopReason"] == "end"
    assert d.edits == []  # never a CreateFile the client did not advertise
    assert (workspace / "new.py").read_text() == "y = 2\n"


async def test_refused_edit_is_reported_to_the_model_and_disk_is_untouched(
    make_daemon, workspace: Path
) -> None:
    d = await make_daemon(
        silcrow={"saveDocuments": True},
        settings={"fakeScript": [call("write", file="a.py", content="gone\n"), respond("sorry")]},
    )
    d.apply_ok = False
    result = await d.prompt("rewrite a.py")
    outcome = next(e for e in d.of(result["conversationId"]) if e["type"] == "result")
    assert outcome["payload"]["error"] is True
    assert outcome["payload"]["outcome"] == "write rejected by the user"  # not a crash
    assert "buffer is read-only" in outcome["content"]
    assert (workspace / "a.py").read_text() == "print('hi')\n"


async def test_save_documents_client_is_asked_to_save(make_daemon) -> None:
    script = [
        call("write", file="b.py", content="z = 3\n"),
        call("shell", command="true"),
        respond("done"),
    ]
    d = await make_daemon(
        silcrow={"saveDocuments": True},
        settings={"fakeScript": script, "permissions": {"shell": "allow"}},
    )
    uri = d.open("a.py", "print('edited in the buffer')\n")
    await d.prompt("write and run")
    flat = [u for batch in d.saves for u in batch]
    assert any(u.endswith("/b.py") for u in flat)  # after the edit
    assert uri in flat  # the dirty buffer, before the shell command


@pytest.mark.parametrize("kind", CLIENTS)
async def test_code_action_command_runs_a_turn_with_the_selection(make_daemon, kind: str) -> None:
    d = await make_daemon(kind=kind, settings={"fakeScript": [respond("it prints")]})
    uri = d.open("a.py", "import os\nprint('hi')\n")
    selection = t.Range(start=t.Position(line=1, character=0), end=t.Position(line=1, character=11))
    actions = await d.code_actions(uri, selection)
    assert all(a["kind"] == "refactor" for a in actions)
    commands = {a["command"]["command"]: a["command"] for a in actions}
    assert set(commands) == {"silcrow.ask", "silcrow.explain", "silcrow.fix"}
    explain = commands["silcrow.explain"]
    assert explain["arguments"][0]["text"] == "print('hi')"

    result = plain(
        await d.client.workspace_execute_command_async(
            t.ExecuteCommandParams(
                command=explain["command"],
                arguments=explain["arguments"],
            )
        )
    )
    assert set(result) == {"conversationId"}  # at once: the turn streams on
    cid = result["conversationId"]
    await d.wait_for(lambda e: e["conversationId"] == cid and "stopReason" in e.get("payload", {}))
    assert d.of(cid)[-1]["payload"] == {"stopReason": "end"}
    user = d.of(cid)[0]
    assert user["type"] == "user" and "Explain" in user["content"]
    assert user["payload"]["context"][0]["text"] == "print('hi')"

    empty = t.Range(start=t.Position(line=1, character=3), end=t.Position(line=1, character=3))
    assert await d.code_actions(uri, empty) == []


async def test_ask_command_with_a_question_uses_it(make_daemon) -> None:
    d = await make_daemon(settings={"fakeScript": [respond("yes")]})
    uri = d.open("a.py", "print('hi')\n")
    argument = {"uri": uri, "text": "print('hi')", "question": "Is this Python 3?"}
    result = plain(
        await d.client.workspace_execute_command_async(
            t.ExecuteCommandParams(
                command="silcrow.ask",
                arguments=[argument],
            )
        )
    )
    cid = result["conversationId"]
    await d.wait_for(lambda e: e["conversationId"] == cid and e["type"] == "user")
    assert d.of(cid)[0]["content"] == "Is this Python 3?"


async def test_a_file_changed_on_disk_after_a_read_is_told_to_the_model(
    make_daemon, workspace: Path
) -> None:
    d = await make_daemon(settings={"fakeScript": [call("read", file="a.py"), respond("read")]})
    first = await d.prompt("read a.py")
    cid = first["conversationId"]
    for n in range(
        1, 101
    ):  # the watcher reports in the background; each prompt is a new model cycle
        if any((e.get("payload") or {}).get("notice") for e in d.of(cid)):
            break
        (workspace / "a.py").write_text(f"print({n})\n")
        await d.prompt("anything new?", conversationId=cid)
    else:
        pytest.fail("no notice after 100 prompts that each followed a change to a.py")
    notice = next(e for e in d.of(cid) if (e.get("payload") or {}).get("notice"))
    assert notice["type"] == "user"
    assert notice["content"] == "changed on disk since you read them: a.py"
