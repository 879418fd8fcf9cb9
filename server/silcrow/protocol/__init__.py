"""Sans-I/O core: § lexer, event types, call codec, context assembly.

Nothing in this package touches asyncio, sockets or SQL.
"""
