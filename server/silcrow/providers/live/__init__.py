"""What the three live WebSocket transports share, one module per job.

- ``events``: the typed ``WireEvent`` union the sans-I/O decoders produce.
- ``frames``: JSON frames in and out (parse, compact dump, protobuf-JSON keys).
- ``setup``: the URL, the key and the history a session opens with.
- ``errors``: vendor error codes, WebSocket closes and handshake failures ->
  ``ProviderError``; each adapter adds its own advice through ``LiveVendor``.
- ``wire``: ``dial`` and ``Wire``, the thin driver around an open socket.
- ``usage``: ``UsageMeter``, usage owed to the caller, each token once.
- ``stops``: each transport's end-of-reply fields -> the shared ``Stop``.
- ``session``: ``LiveSessionBase``, the life cycle every live session shares.

The adapters (``providers.responses_ws``, ``providers.realtime``,
``providers.gemini_live``) build on these and act on events, never on dicts.
"""
