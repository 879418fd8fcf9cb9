"""The ``silcrow acp`` entry point: the ACP agent on stdin/stdout.

Algorithm:
1. Logs go to stderr (level from ``SILCROW_LOG``, default warning).
2. stdout carries JSON-RPC lines and nothing else: the protocol keeps a
   private duplicate of file descriptor 1, then descriptor 1 and
   ``sys.stdout`` are pointed at stderr, so a stray ``print`` or a child
   process that inherits stdout cannot break a frame.
3. The SDK's ``AgentSideConnection`` (``acp.run_agent``) serves
   ``SilcrowAcpAgent`` until stdin closes; then running turns are cancelled,
   sessions and the store closed, and the exit code is 0.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TextIO, cast

STDIO_LIMIT = 50 * 1024 * 1024  # one JSON-RPC line may carry a whole file


def _protocol_stdout() -> TextIO:
    """A private stdout for the protocol; fd 1 and ``sys.stdout`` now go to stderr."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


async def _serve(protocol: TextIO) -> None:
    from acp import run_agent, stdio_streams
    from acp.interfaces import Agent

    from silcrow.acp.agent import SilcrowAcpAgent

    sys.stdout = protocol  # the SDK connects its pipe to ``sys.stdout``'s descriptor
    try:
        reader, writer = await stdio_streams(limit=STDIO_LIMIT)
    finally:
        sys.stdout = sys.stderr
    agent = SilcrowAcpAgent()
    try:
        # The SDK routes the methods an agent has; the others answer "method not found".
        await run_agent(cast(Agent, agent), writer, reader)
    finally:
        await agent.aclose()


def run_acp() -> int:
    from silcrow.logs import configure_logging

    configure_logging("silcrow-acp")
    protocol = _protocol_stdout()
    try:
        asyncio.run(_serve(protocol))
    except KeyboardInterrupt:
        return 130
    return 0
