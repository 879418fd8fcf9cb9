"""Print the figures a reliability run recorded (JSON lines) as one table.

Each line is ``{"check": name, "setting": ..., **figures}`` written by
``reliability.knobs.record``; rows of the same check are listed in order.
Run: ``.venv/bin/python scripts/soak_table.py soak-results/<run>.jsonl``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        print(f"{path}: no figures recorded")
        return
    width = max(len(r["check"]) for r in rows)
    for row in rows:
        figures = ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("check", "setting"))
        print(f"{row['check']:<{width}}  [{row['setting']}]  {figures}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
