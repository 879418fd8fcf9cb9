"""The recorded vendor exchanges under ``recordings/``, loaded for replay.

The recordings are VCR cassettes (YAML) from pydantic/pydantic-ai (see
``recordings/README.md``). ``load_recordings()`` keeps the interactions that
hit a chat endpoint (Chat Completions, Anthropic Messages, Gemini
``streamGenerateContent``) and returns one ``Recording`` each: the vendor
family, the status, the headers and the response body as bytes. A body the
recorder stored parsed (``parsed_body``, JSON error answers) is serialised
again with ``json.dumps``; streamed bodies are the bytes as recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).parent / "recordings"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Family = Literal["openai", "anthropic", "gemini"]


@dataclass(frozen=True, slots=True)
class Recording:
    name: str  # "<dir>/<file>.yaml#<index>"
    family: Family
    host: str
    status: int
    headers: dict[str, str]
    body: bytes
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def streamed(self) -> bool:
        return self.status == 200 and (
            "event-stream" in self.headers.get("content-type", "") or self.family == "gemini"
        )

    @property
    def model(self) -> str:
        return str(self.request.get("model") or "recorded-model")


def _family(uri: str) -> Family | None:
    path = urlsplit(uri).path
    if path.endswith("/chat/completions"):
        return "openai"
    if path.endswith("/messages"):
        return "anthropic"
    if path.endswith(":streamGenerateContent"):
        return "gemini"
    return None


def _body(response: dict[str, Any]) -> bytes:
    if "parsed_body" in response:
        return json.dumps(response["parsed_body"]).encode()
    raw = (response.get("body") or {}).get("string", "")
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def _one(name: str, exchange: dict[str, Any]) -> Recording | None:
    request, response = exchange["request"], exchange["response"]
    family = _family(request["uri"])
    if family is None:
        return None
    headers = {k.lower(): str(v[0]) for k, v in (response.get("headers") or {}).items() if v}
    return Recording(
        name=name,
        family=family,
        host=urlsplit(request["uri"]).netloc,
        status=int(response["status"]["code"]),
        headers=headers,
        body=_body(response),
        request=request.get("parsed_body") or {},
    )


@cache
def load_recordings() -> tuple[Recording, ...]:
    found = []
    for path in sorted(ROOT.glob("*/*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        for i, exchange in enumerate(doc.get("interactions") or ()):
            if "request" not in exchange:
                continue
            rec = _one(f"{path.parent.name}/{path.name}#{i}", exchange)
            if rec is not None:
                found.append(rec)
    return tuple(found)
