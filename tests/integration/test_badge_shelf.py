"""The process's badge shelf prepares each of its rows once (rule parsed, fingerprint, shown
values) and a row read elsewhere, or a row of an older read, anew."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.achievements.models import Badge
from domain.versions import ConfigPart, bump_version, read_versions
from gamification.achievements.catalogue import rule_fingerprint
from gamification.achievements.queries import BadgeShelf, prepare_badge
from gamification.rules import stored_rule

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 3, 1, tzinfo=UTC)
RULE = {"event": "PURCHASE", "aggregate": "COUNT", "target": 3}


async def badge(code: str, **values: object) -> Badge:
    fields: dict[str, object] = {
        "name": code.title(), "description": "d", "rule": RULE, "created_at": NOW,
        "updated_at": NOW, **values,
    }  # fmt: skip
    return await Badge.create(code=code, **fields)


async def test_each_row_of_the_shelf_is_prepared_once_as_prepare_badge_would() -> None:
    await badge("first")
    await badge("second", translations={"es": {"name": "Segunda"}}, secret=True)
    shelf = BadgeShelf()
    rows = await shelf.all(await read_versions())

    prepared = [shelf.prepare(row) for row in rows]

    assert [shelf.prepare(row) for row in rows] == prepared
    assert all(a is b for a, b in zip(prepared, [shelf.prepare(row) for row in rows], strict=True))
    for row, done in zip(rows, prepared, strict=True):
        assert done.row is row
        assert done == prepare_badge(row)
        assert done.rule == stored_rule(RULE)
        assert done.fingerprint == rule_fingerprint(stored_rule(RULE))


async def test_a_row_read_elsewhere_or_before_a_change_is_prepared_anew() -> None:
    await badge("first")
    shelf = BadgeShelf()
    (kept,) = await shelf.all(await read_versions())
    kept_prepared = shelf.prepare(kept)

    elsewhere = await Badge.get(code="first")
    assert shelf.prepare(elsewhere) is not kept_prepared
    assert shelf.prepare(elsewhere).row is elsewhere

    await Badge.filter(code="first").update(name="Renamed", rule={**RULE, "target": 5})
    await bump_version(ConfigPart.ACHIEVEMENTS)
    (fresh,) = await shelf.all(await read_versions())
    assert fresh is not kept
    assert shelf.prepare(fresh).values != kept_prepared.values
    assert shelf.prepare(fresh).rule.target == 5
    # the row of the earlier read still answers for itself, not for the row kept now
    assert shelf.prepare(kept).values == kept_prepared.values
