"""Suite-wide rules: which tests are ``slow`` (left out of ``scripts/test -m "not slow"``).

Algorithm:
1. A test marked ``@pytest.mark.slow`` in its module is slow.
2. Every test under a directory in ``SLOW_DIRS`` is slow: they drive real
   daemons under load, kill them, or run benchmarks, for seconds each.
3. Every test that starts a ``silcrow serve`` process (a fixture in
   ``DAEMON_FIXTURES``) is slow: start-up alone costs about a second.
The full run (``scripts/test`` or plain ``pytest``) still runs all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SLOW_DIRS = ("reliability",)
DAEMON_FIXTURES = frozenset({"make_daemon"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.resolve().relative_to(TESTS).parts
        if parts[0] in SLOW_DIRS or DAEMON_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
