"""Sans-I/O parts of the live transports: decoders, URLs, messages, error mapping."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Close

from silcrow.providers import gemini_live, realtime, responses_ws
from silcrow.providers.base import (
    AuthError,
    Message,
    ProviderError,
    RateLimited,
    SessionLost,
    Usage,
)
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor, closed_error, error_for
from silcrow.providers.live.events import (
    Ack,
    Billed,
    Failed,
    Finished,
    GoAway,
    Handle,
    Started,
    Text,
)
from silcrow.providers.live.frames import camelize
from silcrow.providers.live.setup import endpoint, require_key, split_system

CFG = ProviderConfig(
    name="openai", model="m", base_url="https://api.example.com/v1", api_key_env="EXAMPLE_KEY"
)


def test_responses_decoder_maps_the_sse_event_names() -> None:
    assert responses_ws.decode({"type": "response.created", "response": {"id": "resp_1"}}) == [
        Started("resp_1")
    ]
    assert responses_ws.decode({"type": "response.output_text.delta", "delta": "§thi"}) == [
        Text("§thi")
    ]
    done = {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "usage": {
                "input_tokens": 90,
                "input_tokens_details": {"cached_tokens": 64},
                "output_tokens": 7,
            },
        },
    }
    assert responses_ws.decode(done) == [
        Finished(Usage(input_tokens=90, cached_tokens=64, output_tokens=7), "completed", "resp_1")
    ]
    error = {
        "type": "error",
        "status": 400,
        "error": {"code": "previous_response_not_found", "message": "gone"},
    }
    assert responses_ws.decode(error) == [Failed("previous_response_not_found", "gone")]
    failed = {
        "type": "response.failed",
        "response": {"error": {"code": "server_error", "message": "boom"}},
    }
    assert responses_ws.decode(failed) == [Failed("server_error", "boom")]
    assert responses_ws.decode({"type": "response.in_progress"}) == []


def test_realtime_decoder_keeps_ids_status_and_event_ids() -> None:
    added = {"type": "response.output_item.added", "response_id": "r1", "item": {"id": "item_9"}}
    assert realtime.decode(added) == [Started("r1", "item_9")]
    cancelled = {
        "type": "response.done",
        "response": {
            "id": "r1",
            "status": "cancelled",
            "status_details": {"reason": "client_cancelled"},
            "usage": {
                "input_tokens": 10,
                "output_tokens": 2,
                "input_token_details": {"cached_tokens": 8},
            },
        },
    }
    assert realtime.decode(cancelled) == [
        Finished(
            Usage(input_tokens=10, cached_tokens=8, output_tokens=2),
            "cancelled",
            "r1",
            "client_cancelled",
        )
    ]
    failed = {
        "type": "response.done",
        "response": {
            "status": "failed",
            "status_details": {"error": {"code": "x", "message": "y"}},
        },
    }
    assert realtime.decode(failed) == [Failed("x", "y")]
    error = {
        "type": "error",
        "error": {
            "code": "conversation_already_has_active_response",
            "message": "m",
            "event_id": "evt_1",
        },
    }
    assert realtime.decode(error) == [
        Failed("conversation_already_has_active_response", "m", "evt_1")
    ]
    assert realtime.decode({"type": "conversation.item.done", "item": {"id": "a"}}) == [
        Ack("item", "a")
    ]
    assert realtime.decode({"type": "response.output_audio_transcript.delta", "delta": "x"}) == []


def test_gemini_decoder_reads_parts_transcripts_usage_and_control_in_order() -> None:
    frame = {
        "server_content": {
            "model_turn": {
                "parts": [{"text": "a"}, {"text": "hidden", "thought": True}, {"text": "b"}]
            }
        }
    }
    assert gemini_live.decode(frame) == [Text("a"), Text("b")]
    assert gemini_live.decode({"serverContent": {"outputTranscription": {"text": "spoken"}}}) == [
        Text("spoken")
    ]
    end = {
        "serverContent": {"turnComplete": True},
        "usageMetadata": {"promptTokenCount": 50, "responseTokenCount": 5},
    }
    assert gemini_live.decode(end) == [
        Billed(Usage(input_tokens=50, output_tokens=5)),
        Finished(None, "completed"),
    ]
    assert gemini_live.decode({"goAway": {"timeLeft": "50s"}}) == [GoAway("50s")]
    assert gemini_live.decode(
        {"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}}
    ) == [Handle("h1")]
    assert (
        gemini_live.decode({"sessionResumptionUpdate": {"newHandle": "", "resumable": False}}) == []
    )
    assert gemini_live.decode({"setupComplete": {}}) == [Ack("setup")]


def test_gemini_setup_defaults_to_audio_with_transcription() -> None:
    cfg = ProviderConfig(
        name="gemini", model="gemini-3.8-live", base_url="https://g.example/v1beta", api_key="k"
    )
    setup = gemini_live.setup_frame(cfg, "sys", handle=None, history=True)["setup"]
    assert setup["generationConfig"]["responseModalities"] == ["AUDIO"]
    assert setup["outputAudioTranscription"] == {}
    assert setup["model"] == "models/gemini-3.8-live"
    assert setup["historyConfig"] == {"initialHistoryInClientContent": True}
    assert setup["sessionResumption"] == {}
    resumed = gemini_live.setup_frame(cfg, "sys", handle="h", history=False)["setup"]
    assert resumed["sessionResumption"] == {"handle": "h"} and "historyConfig" not in resumed


def test_gemini_bad_modality_names_the_setting() -> None:
    cfg = ProviderConfig(
        name="gemini",
        model="m",
        base_url="https://g.example",
        extra={"gemini_live_modality": "video"},
    )
    with pytest.raises(ProviderError, match="gemini_live_modality"):
        gemini_live.modality(cfg)


def test_urls_are_derived_from_base_or_live_url() -> None:
    assert endpoint(CFG, "/responses") == "wss://api.example.com/v1/responses"
    local = ProviderConfig(
        name="x", model="m", base_url="http://127.0.0.1:9/v1", live_url="ws://h:1/v1/realtime"
    )
    assert endpoint(local, "/realtime") == "ws://h:1/v1/realtime"
    assert gemini_live.live_url(CFG) == "wss://api.example.com" + gemini_live.LIVE_PATH
    with pytest.raises(ProviderError, match="baseUrl setting"):
        endpoint(ProviderConfig(name="x", model="m", base_url="ftp://nowhere"), "/responses")


def test_split_system_refuses_a_late_system_message() -> None:
    system, history = split_system([Message("system", "s"), Message("user", "u")])
    assert (system, history) == ("s", [Message("user", "u")])
    assert split_system([Message("user", "u")]) == ("", [Message("user", "u")])
    with pytest.raises(ProviderError, match="only the first message"):
        split_system([Message("user", "u"), Message("system", "late")])


def test_camelize_converts_keys_not_values() -> None:
    assert camelize(
        {"client_content": {"turn_complete": True, "turns": [{"parts": [{"text": "a_b"}]}]}}
    ) == {"clientContent": {"turnComplete": True, "turns": [{"parts": [{"text": "a_b"}]}]}}


V = LiveVendor("V")


def test_error_codes_map_to_actionable_errors() -> None:
    assert isinstance(error_for("session_expired", "m", CFG, V), SessionLost)
    auth = error_for("invalid_api_key", "m", CFG, V)
    assert isinstance(auth, AuthError) and "EXAMPLE_KEY" in str(auth)
    assert isinstance(error_for("rate_limit_exceeded", "m", CFG, V), RateLimited)
    assert error_for("server_error", "m", CFG, V).retryable
    with pytest.raises(AuthError, match="EXAMPLE_KEY"):
        require_key(CFG)


@pytest.mark.parametrize(
    ("code", "reason", "kind", "retryable"),
    [
        (1001, "going away", SessionLost, True),
        (1011, "Deadline expired", SessionLost, True),
        (1007, "API key not valid. Please pass a valid API key.", AuthError, False),
        (1007, "Request contains an invalid argument.", ProviderError, False),
        (1008, "models/x is not found", ProviderError, False),
    ],
)
def test_close_codes_map_to_errors(
    code: int, reason: str, kind: type[ProviderError], retryable: bool
) -> None:
    err = closed_error(ConnectionClosedError(Close(code, reason), None), CFG, V)
    assert type(err) is kind and err.retryable is retryable
    assert reason in str(err)


def test_vendor_advice_comes_from_the_adapter_that_needs_it() -> None:
    beta = error_for("beta_api_shape_disabled", "m", CFG, realtime.VENDOR)
    assert not beta.retryable and "OpenAI-Beta" in str(beta)
    assert "OpenAI-Beta" not in str(error_for("beta_api_shape_disabled", "m", CFG, V))
    invalid = ConnectionClosedError(Close(1007, "Request contains an invalid argument."), None)
    assert "gemini_live_modality" in str(closed_error(invalid, CFG, gemini_live.VENDOR))
    assert "gemini_live_modality" not in str(closed_error(invalid, CFG, responses_ws.VENDOR))
