"""Fail on a `# type: ignore` that does not say what it ignores and why (run by `make lint`).

Each one must name its error codes and give a reason after them on the same line:

    x = row.member_id  # type: ignore[attr-defined]  # tortoise adds it at runtime

mypy itself (`warn_unused_ignores`, `ignore-without-code`) fails on one that is unused or has
no code; this adds the reason. Usage: `python tools/check_type_ignores.py [PATH ...]`
(default: the packages mypy checks).
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("api", "domain", "gamification", "push", "webhooks", "tools")
IGNORE = re.compile(r"#\s*type:\s*ignore\b")
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(,\s*[a-z-]+)*\]\s+#\s*\S")


def unexplained(source: str) -> Iterator[int]:
    """The line numbers of the ignores in `source` without codes or a reason."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and IGNORE.search(token.string):
            if not EXPLAINED.search(token.string):
                yield token.start[0]


def main(paths: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    files = [Path(p) for p in paths] or [f for p in PACKAGES for f in (root / p).rglob("*.py")]
    found = [
        f"{path}:{line}: a type: ignore needs [codes] and a reason: `# type: ignore[code]  # why`"
        for path in sorted(files)
        for line in unexplained(path.read_text())
    ]
    print("\n".join(found) or f"type ignores: every one in {len(files)} files has a reason")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
