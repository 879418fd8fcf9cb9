"""A generated source tree that looks like a repository, for search tests and ``bench_repo``.

``make_tree(root, files)`` writes ``files`` files (deterministic for a seed)
into a fan-out of folders ten wide, with what real repositories hold and the
search rules care about:

* source-like text files (``.py``, ``.c``, ``.md``), a few kilobytes each;
  one file in ``NEEDLE_EVERY`` holds ``NEEDLE`` (a literal to search for),
  one in ``REGEX_EVERY`` a line ``MATCH_REGEX`` matches;
* a ``.gitignore`` at the root (``*.log``, ``build/``) and one in each top
  folder (``*.tmp``), with ignored files and folders that hold the needle;
* a hidden folder (``.github/``) and a hidden file holding the needle;
* binary files (a NUL byte) holding the needle, a symlink to a file;
* secret-looking files holding the needle (``.env``, ``id_rsa``), and a
  file whose private key block holds it, which the security rules skip.

``SECURITY_SKIPPED`` names the files the security rules skip, so a caller
comparing with ripgrep can list them apart.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

NEEDLE = "silcrow_needle_token"
NEEDLE_EVERY = 97
NO_MATCH_REGEX = r"zq[0-9]{3}xv_nowhere"
MATCH_REGEX = r"class Widget\d+Handler\b"
REGEX_EVERY = 89
SECURITY_SKIPPED = ("top0/.env", "top0/id_rsa", "top0/deploy_key.txt")
WORDS = "alpha beta gamma delta value index buffer count result parse load store".split()


VARIANTS = 64  # distinct file bodies; files reuse them (writing 100,000 files stays quick)


def _bodies(rng: random.Random) -> list[tuple[str, str]]:
    """(first half, second half) of each body; a planted needle goes between them."""
    out = []
    for _ in range(VARIANTS):
        lines = []
        for i in range(rng.randint(20, 80)):
            word = rng.choice(WORDS)
            lines.append(f"def {word}_{rng.randint(0, 99)}(x):")
            lines.append(f"    return x + {i}  # {word} {rng.choice(WORDS)}")
        half = len(lines) // 2
        out.append(("\n".join(lines[:half]) + "\n", "\n".join(lines[half:]) + "\n"))
    return out


def _folders(files: int) -> list[str]:
    """Leaf folders ``topA/midB/leafC`` (ten wide per level), about 100 files each."""
    leaves = max(1, files // 100)
    out = []
    for n in range(leaves):
        a, b, c = n % 10, (n // 10) % 10, n // 100
        out.append(f"top{a}/mid{b}/leaf{c}")
    return out


def make_tree(root: Path, files: int, *, seed: int = 24) -> None:
    """Write the tree under ``root`` (see the module docstring)."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    folders = _folders(files)
    per = max(1, files // len(folders))
    suffixes = (".py", ".c", ".md")
    bodies = _bodies(rng)
    planted = f"    token = '{NEEDLE}'  # planted\n"
    count = 0
    for folder in folders:
        where = root / folder
        where.mkdir(parents=True, exist_ok=True)
        for i in range(per):
            count += 1
            head, tail = bodies[count % VARIANTS]
            middle = planted if count % NEEDLE_EVERY == 0 else ""
            if count % REGEX_EVERY == 0:
                middle += f"class Widget{count}Handler:\n"
            body = head + middle + tail
            with open(where / f"f{i}{suffixes[i % 3]}", "w") as out:
                out.write(body)
    for top in sorted({f.split("/")[0] for f in folders}):
        (root / top / ".gitignore").write_text("*.tmp\n")
        (root / top / "scratch.tmp").write_text(f"{NEEDLE}\n")
    _extras(root)


def _extras(root: Path) -> None:
    """The files the rules care about: ignored, hidden, binary, linked, secret."""
    (root / "debug.log").write_text(f"{NEEDLE}\n")
    (root / "build").mkdir(exist_ok=True)
    (root / "build" / "out.c").write_text(f"{NEEDLE}\n")
    (root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(f"run: echo {NEEDLE}\n")
    (root / ".hidden.py").write_text(f"x = '{NEEDLE}'\n")
    (root / "blob.bin").write_bytes(b"\x00\x01" + NEEDLE.encode() + b"\n")
    (root / "late.bin").write_bytes(NEEDLE.encode() + b"\n" + b"\x00" * 4)
    top = root / "top0"
    top.mkdir(exist_ok=True)
    (top / ".env").write_text(f"TOKEN={NEEDLE}\n")
    (top / "id_rsa").write_text(f"{NEEDLE}\n")
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    (top / "deploy_key.txt").write_text(f"{key}{NEEDLE}\n-----END OPENSSH PRIVATE KEY-----\n")
    link = root / "linked.py"
    if not link.is_symlink():
        os.symlink("top0/.env", link)
