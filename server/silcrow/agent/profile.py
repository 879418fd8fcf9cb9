"""Profile learning: a compact JSON picture of the user, kept up to date in the background.

Algorithm (``learn_profile``):
1. Read the stored profile (``store.get_profile``) and the user's recent
   ``user`` events across their latest conversations (newest first, each
   message and the whole sample capped).
2. Ask the provider (one replay ``stream``) for the updated profile as one
   JSON object ``{preferences, working_style, focus, ...}`` given the old one.
3. Parse robustly: code fences, prose or protocol markers around the object
   are ignored; the first JSON object in the reply wins.
4. If the profile is over ``max_chars`` (as compact JSON), ask once to
   compact it; if still over, trim it by hand: long strings shortened, lists
   cut from the end, then the least central keys dropped.
5. ``store.set_profile``; return the profile. Any failure is logged and gives
   None; nothing is raised (cancellation still propagates).
``render_profile`` turns a profile into the system prompt's "about the user"
lines, deterministically.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from silcrow.protocol.messages import Message
from silcrow.providers.base import Provider, TextDelta

log = logging.getLogger(__name__)

CORE_KEYS = ("preferences", "working_style", "focus")
MAX_CONVERSATIONS = 10
MAX_MESSAGES = 40
MESSAGE_CHARS = 600
SAMPLE_CHARS = 8000

INSTRUCTIONS = (
    "You keep a compact profile of one user of a coding assistant, learned from what they write. "
    "Reply with exactly one JSON object and nothing else. Keys: "
    '"preferences" (tools, languages, style choices they ask for), '
    '"working_style" (how they like to work and be answered), '
    '"focus" (what they are working on now); add other short keys only if clearly useful. '
    "Values are short strings or short lists of strings. Keep what is still true from the current "
    "profile, update what changed, drop what is stale. Never record secrets, keys or passwords. "
    "The whole JSON must stay under {limit} characters."
)
COMPACT = (
    "This profile is {size} characters; the limit is {limit}. Rewrite it under {limit} characters, "
    "keeping the most useful facts. Reply with the JSON object only.\n\n{profile}"
)


class ProfileStore(Protocol):
    async def get_profile(self, user_id: str) -> dict[str, Any] | None: ...

    async def set_profile(self, user_id: str, profile: dict[str, Any]) -> None: ...

    async def list_conversations(
        self, *, user_id: str | None = None, limit: int = 50
    ) -> Sequence[Any]: ...

    async def events(self, conversation_id: str) -> Sequence[Any]: ...


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def parse_profile(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text`` (fences and surrounding prose ignored)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def _shorten(value: Any, chars: int) -> Any:
    if isinstance(value, str) and len(value) > chars:
        return value[: max(chars - 1, 0)] + "…"
    if isinstance(value, list):
        return [_shorten(v, chars) for v in value]
    if isinstance(value, dict):
        return {k: _shorten(v, chars) for k, v in value.items()}
    return value


def _drop_one(profile: dict[str, Any]) -> bool:
    """Remove the last list item of the longest list, else the last non-core key."""
    lists = [k for k, v in profile.items() if isinstance(v, list) and v]
    if lists:
        longest = max(lists, key=lambda k: len(compact_json(profile[k])))
        profile[longest] = profile[longest][:-1]
        return True
    extras = [k for k in profile if k not in CORE_KEYS]
    victim = extras[-1] if extras else next(reversed(profile), None)
    if victim is None:
        return False
    del profile[victim]
    return True


def trim_profile(profile: dict[str, Any], max_chars: int) -> dict[str, Any]:
    """A copy of ``profile`` whose compact JSON fits in ``max_chars``."""
    trimmed: dict[str, Any] = json.loads(compact_json(profile))
    for chars in (400, 200, 100):
        if len(compact_json(trimmed)) <= max_chars:
            return trimmed
        trimmed = _shorten(trimmed, chars)
    while len(compact_json(trimmed)) > max_chars and _drop_one(trimmed):
        pass
    return trimmed


def render_profile(profile: dict[str, Any] | None) -> str:
    """Lines for the system prompt; empty when there is nothing to say."""
    if not profile:
        return ""
    keys = [k for k in CORE_KEYS if k in profile] + sorted(k for k in profile if k not in CORE_KEYS)
    lines = ["About the user (learned from earlier conversations):"]
    for key in keys:
        value = profile[key]
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            text = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = compact_json(value)
        else:
            text = str(value)
        lines.append(f"- {key.replace('_', ' ')}: {' '.join(text.split())}")
    return "\n".join(lines) if len(lines) > 1 else ""


async def recent_user_messages(store: ProfileStore, user_id: str) -> list[str]:
    """The user's latest messages, newest first, capped per message and in total."""
    found: list[tuple[float, str]] = []
    for conv in await store.list_conversations(user_id=user_id, limit=MAX_CONVERSATIONS):
        for event in await store.events(conv.id):
            if event.type == "user" and event.content.strip():
                found.append((event.timestamp or 0.0, event.content.strip()[:MESSAGE_CHARS]))
    found.sort(key=lambda item: item[0], reverse=True)
    sample, used = [], 0
    for _, text in found[:MAX_MESSAGES]:
        if used + len(text) > SAMPLE_CHARS:
            break
        sample.append(text)
        used += len(text)
    return sample


async def _ask(provider: Provider, system: str, user: str) -> str:
    parts: list[str] = []
    async for item in provider.stream([Message("system", system), Message("user", user)]):
        if isinstance(item, TextDelta):
            parts.append(item.text)
    return "".join(parts)


async def _request_profile(
    provider: Provider, old: dict[str, Any], messages: list[str], max_chars: int
) -> dict[str, Any]:
    listing = "\n".join(f"- {' '.join(m.split())}" for m in messages)
    prompt = f"Current profile:\n{compact_json(old)}\n\nRecent messages from the user (newest first):\n{listing}"
    reply = await _ask(provider, INSTRUCTIONS.format(limit=max_chars), prompt)
    profile = parse_profile(reply)
    if profile is None:
        raise ValueError(f"the model's reply held no JSON object: {reply[:200]!r}")
    return profile


async def _compact(provider: Provider, profile: dict[str, Any], max_chars: int) -> dict[str, Any]:
    text = compact_json(profile)
    if len(text) <= max_chars:
        return profile
    reply = await _ask(
        provider, INSTRUCTIONS.format(limit=max_chars),
        COMPACT.format(size=len(text), limit=max_chars, profile=text),
    )  # fmt: skip
    shorter = parse_profile(reply)
    if shorter is not None and len(compact_json(shorter)) < len(text):
        profile = shorter
    return trim_profile(profile, max_chars)


async def learn_profile(
    provider: Provider, store: ProfileStore, user_id: str, *, max_chars: int = 2000
) -> dict[str, Any] | None:
    """Update and store the user's profile; None when nothing was learned or anything failed."""
    try:
        old = await store.get_profile(user_id) or {}
        messages = await recent_user_messages(store, user_id)
        if not messages:
            return None
        profile = await _request_profile(provider, old, messages, max_chars)
        profile = await _compact(provider, profile, max_chars)
        await store.set_profile(user_id, profile)
        return profile
    except Exception:
        log.warning("profile update for user %r failed", user_id, exc_info=True)
        return None
