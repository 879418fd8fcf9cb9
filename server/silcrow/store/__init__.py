"""The event store: the only place in Silcrow that writes SQL.

An append-only event log per conversation (aiosqlite, WAL, ``BEGIN IMMEDIATE``
writes), conversations, user profiles and a full-text recall index over past
turns, with append-only migrations recorded in the database. See
``docs/store.md``.
"""

from silcrow.store.paths import default_db_path
from silcrow.store.records import Conversation, SearchHit
from silcrow.store.store import EventStore

__all__ = ["Conversation", "EventStore", "SearchHit", "default_db_path"]
