"""The ``silcrow models`` and ``silcrow doctor`` commands: what the provider offers, and whether it works.

Algorithm:
1. Both take ``--provider`` / ``--model`` (else ``SILCROW_PROVIDER`` /
   ``SILCROW_MODEL`` / the vendor table, as ``silcrow chat`` does).
2. ``models``: the models the configured key can use, one per line, the
   configured one marked ``*``; ``--json`` prints ``{"provider", "model",
   "models": [{"id", "label", "live"}]}``. Exit 1 (with the error, which
   says what to fix) when the list cannot be read.
3. ``doctor``: ``providers.doctor.diagnose``'s four checks as a table, or
   with ``--json`` exactly ``{"checks": [{"name", "ok", "detail",
   "fix"}]}`` (the Neovim health check reads it). Exit 0 when every check
   passed, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], choices: str) -> None:
    """Register ``models`` and ``doctor`` on the ``silcrow`` parser."""
    models = sub.add_parser("models", help="list the models the configured provider offers")
    doctor = sub.add_parser(
        "doctor", help="check the provider: key, endpoint, model, live sessions"
    )
    for command in (models, doctor):
        command.add_argument("--provider", help=choices)
        command.add_argument("--model", help="model name (default: the provider's)")
        command.add_argument("--json", action="store_true", help="print JSON")
    doctor.add_argument(
        "--mode", choices=("auto", "resume", "replay"), default="auto", help="session mode"
    )


def run_models(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from silcrow.providers.base import ProviderError
    from silcrow.providers.models import list_models
    from silcrow.providers.registry import resolve_config

    try:
        cfg = resolve_config(args.provider or "auto", model=args.model)
        models = asyncio.run(list_models(cfg))
    except ProviderError as err:
        print(f"silcrow models: {err}", file=sys.stderr)
        return 1
    if args.json:
        rows = [{"id": m.id, "label": m.label, "live": m.live} for m in models]
        print(json.dumps({"provider": cfg.name, "model": cfg.model, "models": rows}), file=out)
        return 0
    for m in models:
        mark = "*" if m.id == cfg.model else " "
        print(
            f"{mark} {m.id}" + (f"  ({m.label})" if m.label and m.label != m.id else ""), file=out
        )
    if not any(m.id == cfg.model for m in models):
        print(f"(the configured model {cfg.model!r} is not in this list)", file=out)
    return 0


def run_doctor(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from silcrow.providers.doctor import diagnose, report

    checks = asyncio.run(diagnose(args.provider or "auto", model=args.model, mode=args.mode))
    if args.json:
        print(json.dumps(report(checks)), file=out)
    else:
        for c in checks:
            print(f"{'ok ' if c.ok else 'NO '} {c.name:<9} {c.detail}", file=out)
            if not c.ok and c.fix and not c.detail.startswith("not checked"):
                print(f"    {'':<9} fix: {c.fix}", file=out)
    return 0 if all(c.ok for c in checks) else 1
