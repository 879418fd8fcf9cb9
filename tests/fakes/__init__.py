"""Loopback servers speaking each vendor's real wire protocol, for tests and benchmarks.

``http_server`` speaks OpenAI, Anthropic and Gemini streaming over HTTP;
``ws_server`` speaks the three live WebSocket protocols. They script and bill
with ``silcrow.testing`` (``Script``, ``Ledger``, ``count_tokens``). Importable
as ``fakes.*`` because pytest's ``pythonpath`` includes ``tests/`` (and
``scripts/benchkit.py`` adds it for the benchmarks); the daemon never imports them.
"""
