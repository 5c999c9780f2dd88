"""`make lint` refuses a `# type: ignore` without its error code and a reason on its line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check", ROOT / "tools" / "check_type_ignores.py")
assert _spec is not None and _spec.loader is not None
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def test_an_ignore_without_a_code_or_a_reason_is_refused_and_one_with_both_passes() -> None:
    source = (
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[attr-defined]\n"
        "c = 3  # type: ignore[attr-defined]  #\n"
        "d = 4  # type: ignore[attr-defined, arg-type]  # added at runtime\n"
        "e = '# type: ignore'  # in a string: not an ignore\n"
    )
    assert list(check.unexplained(source)) == [1, 2, 3]


def test_every_ignore_in_the_checked_packages_has_a_reason() -> None:
    assert check.main([]) == 0
