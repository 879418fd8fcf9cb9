"""A library script that never calls ``aclose()``: it must exit 0, at once, with nothing on stderr.

Run by ``test_dropin_agent.py`` ten at a time, each in its own folder (the
current directory, with ``SILCROW_DB`` set there): two turns in ``auto``
mode (the scripted fake has a live session, so one stays warm), and the
profile learning task of Cogency's ``profile=True``. (No tool call: the
first one compiles the secret-redaction rules, seconds of CPU that ten
processes on a small machine would spend before they got to exit.)
"""

import asyncio

from silcrow import Agent
from silcrow.testing import FakeProvider, Script, override

PROFILE = '{"who": "asks about files"}'
REPLIES = ["§respond: nothing here yet\n§end", "§respond: still nothing\n§end", PROFILE]


async def main() -> None:
    with override(FakeProvider(Script.of(REPLIES))):
        agent = Agent(llm="openai", profile=True, learn_every=2)
        for query in ("What files are in this directory?", "And now?"):
            async for event in agent(query, conversation_id="c", user_id="me"):
                if event["type"] == "respond":
                    print(event["content"])


asyncio.run(main())
