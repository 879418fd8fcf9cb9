"""Where a Silcrow process logs: stderr, at the level ``SILCROW_LOG`` names (default warning).

Both stdio front-ends (``silcrow serve``, ``silcrow acp``) keep stdout for
their protocol, so ``configure_logging(prefix)`` only ever writes to stderr;
each line starts with ``prefix`` so a client's log shows which process spoke.
"""

from __future__ import annotations

import logging
import os
import sys


def configure_logging(prefix: str) -> None:
    level = os.environ.get("SILCROW_LOG", "warning").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.WARNING),
        format=f"{prefix} %(levelname)s %(name)s: %(message)s",
    )
