"""A real MCP server written with the SDK (``MCPServer``, formerly ``FastMCP``), run over stdio.

Tools: ``echo`` (text), ``lookup`` (read-only, structured content), ``slow``
(sleeps; for cancel tests), ``grow`` (adds a tool ``extra`` and sends
``tools/list_changed``), ``picture`` (an image block), ``broken`` (an
``isError`` result). ``--exit-at-once`` exits before speaking MCP;
``--marker FILE`` writes the process id to FILE at start (to see that a
server was, or was not, started) and ``slow`` writes ``cancelled`` to it
when the request is cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from mcp.server.mcpserver import Context, MCPServer

parser = argparse.ArgumentParser()
parser.add_argument("--exit-at-once", action="store_true")
parser.add_argument("--marker", default="")
options = parser.parse_args()
if options.exit_at_once:
    sys.exit(3)
if options.marker:
    Path(options.marker).write_text(f"started {os.getpid()}\n")

app = MCPServer("silcrow-test")


@app.tool(description="Echo the text back, prefixed with 'echo: '.")
def echo(text: str) -> str:
    return f"echo: {text}"


@app.tool(description="Look up a user by id.", annotations={"readOnlyHint": True})
def lookup(user_id: int) -> dict[str, object]:
    return {"id": user_id, "name": f"user{user_id}"}


@app.tool(description="Sleep for the given seconds, then say done.")
async def slow(seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        if options.marker:
            with open(options.marker, "a") as fh:
                fh.write("cancelled\n")
        raise
    return "done"


@app.tool(description="Add a tool named extra and notify the client.")
async def grow(ctx: Context) -> str:
    app.add_tool(lambda: "extra says hi", name="extra", description="A tool added at run time.")
    await ctx.session.send_tool_list_changed()
    return "grown"


@app.tool(description="Return a 1x1 PNG.")
def picture() -> object:
    from mcp.types import ImageContent

    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    return [ImageContent(type="image", data=pixel, mime_type="image/png")]


@app.tool(description="Always fails.")
def broken() -> str:
    raise ValueError("the database is down")


app.run()
