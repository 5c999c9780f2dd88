"""The served schema keeps the contract: no breaking change, every operation validates.

Until every area is built, coordinates not yet served may be listed in pending.txt. That list
only shrinks: an entry that is served now fails the test until it is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from api.schema import schema_sdl
from tests.contract.contract_check import (
    breaking_changes,
    is_served,
    operation_problems,
    operations,
    pending_coordinates,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served():  # type: ignore[no-untyped-def]
    return build_schema(schema_sdl())


def test_the_served_schema_breaks_nothing_in_the_contract_except_pending_parts(served) -> None:  # type: ignore[no-untyped-def]
    pending = pending_coordinates()
    unexpected = [desc for coord, desc in breaking_changes(served) if coord not in pending]
    assert unexpected == []


@pytest.mark.parametrize(
    "name, document", operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_contract_operation_validates_against_the_served_schema(
    served, name, document
) -> None:  # type: ignore[no-untyped-def]
    pending = pending_coordinates()
    unexpected = [
        msg for coord, msg in operation_problems(served, document) if coord not in pending
    ]
    assert unexpected == [], name


def test_pending_lists_only_what_is_still_missing(served) -> None:  # type: ignore[no-untyped-def]
    served_now = sorted(c for c in pending_coordinates() if is_served(served, c))
    assert served_now == [], "served now: remove from tests/contract/pending.txt"


def test_the_contract_copy_matches_the_shared_contract() -> None:
    shared = ROOT.parent / "shared" / "contract"
    if not shared.is_dir():
        pytest.skip("no shared contract next to this checkout")
    here = ROOT / "tests" / "contract"
    for path in [shared / "schema.graphql", *sorted((shared / "operations").glob("*.graphql"))]:
        copy = here / path.relative_to(shared)
        assert copy.read_text() == path.read_text(), f"{copy} differs from {path}"


def test_schema_graphql_is_the_schema_the_code_serves() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema_sdl(), "run `make schema` and commit schema.graphql"
