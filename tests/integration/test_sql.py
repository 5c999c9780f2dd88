"""Hand-written SQL (`domain.sql`) on the open database: a tortoise query embedded in a
statement keeps its values, numbered after the statement's own; a per-member part read with
the member of a customer id (`WithMember`) answers what the two reads answer apart."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.members.models import Member
from domain.members.services import WithMember, get_member, get_or_create_member
from domain.sql import Statement, for_ids, query_sql
from domain.versions import ConfigPart, bump_version, read_versions
from push.notifications.models import Notification, NotificationCategory, PushStatus
from tests.integration.member_history import member

pytestmark = pytest.mark.usefixtures("db")

JOINED = datetime(2025, 1, 1, tzinfo=UTC)


async def test_a_query_embedded_after_the_statements_own_values_keeps_its_values() -> None:
    madrid = await member(JOINED, city="Madrid", country="ES", tier_level=2)
    await member(JOINED, city="Madrid", country="ES", tier_level=0)
    await member(JOINED, city="Lisboa", country="PT", tier_level=2)
    query = Member.filter(country__in=["ES"], tier_level__gte=1, joined_at__lte=JOINED)
    sql, params = query_sql(query.values("id"), start=2)

    rows = await Statement(f"SELECT id FROM member WHERE city = $1 AND id IN ({sql})").rows(
        "Madrid", *params
    )

    assert [row["id"] for row in rows] == [madrid.id]
    assert [f"${n}" in sql for n in (1, 2, 3, 4, 5)] == [False, True, True, True, False]


async def notify(member_id: int, *titles: str) -> None:
    """A notification of `member_id` for each title (its dedupe key)."""
    for title in titles:
        await Notification.create(
            member_id=member_id,
            category=NotificationCategory.BADGE,
            title=title,
            body="b",
            dedupe_key=title,
            created_at=datetime(2026, 3, 2, tzinfo=UTC),
            push_status=PushStatus.SENT,
        )


_NOTIFICATIONS = """
    SELECT id, title FROM notification WHERE member_id = $2 AND title <> $1 ORDER BY id
"""


async def test_a_part_read_with_the_member_answers_what_each_read_alone_answers() -> None:
    member = await get_or_create_member("ana", datetime(2026, 3, 1, tzinfo=UTC))
    await Member.filter(id=member.id).update(city="Madrid", birth_date=date(1990, 2, 3))
    with_member = WithMember(_NOTIFICATIONS, ("id", "title"), member=2)

    empty = await with_member.read("hidden", "ana")
    await notify(member.id, "one", "hidden", "two")
    found = await with_member.read("hidden", "ana")
    alone = await Statement(_NOTIFICATIONS).rows("hidden", member.id)

    assert await with_member.read("hidden", "nobody") is None
    assert empty is not None and empty[1] == []
    assert found is not None
    read, rows = found
    assert sorted(rows, key=lambda r: r["id"]) == alone
    assert [r["title"] for r in alone] == ["one", "two"]
    stored = await get_member("ana")
    assert stored is not None
    for name in Member._meta.db_fields:
        assert getattr(read, name) == getattr(stored, name), name
    assert empty[0].birth_date == date(1990, 2, 3) and "title" not in vars(read)


async def test_the_versions_read_with_the_member_are_those_read_apart() -> None:
    await get_or_create_member("ana", datetime(2026, 3, 1, tzinfo=UTC))
    with_member = WithMember(_NOTIFICATIONS, ("id", "title"), member=2, versions=True)

    before = await with_member.read_with_versions("hidden", "ana")
    await bump_version(ConfigPart.ACHIEVEMENTS)
    await bump_version(ConfigPart.ACHIEVEMENTS)
    await bump_version(ConfigPart.TIERS)
    after = await with_member.read_with_versions("hidden", "ana")
    without = await WithMember(_NOTIFICATIONS, ("id", "title"), member=2).read_with_versions(
        "hidden", "ana"
    )

    assert before is not None and after is not None and without is not None
    assert before[2] == {} == without[2]  # parts never changed are left out, as apart
    assert after[2] == await read_versions()
    assert after[2][ConfigPart.ACHIEVEMENTS.value] == 2 and after[2][ConfigPart.TIERS.value] == 1
    assert [name for name in vars(after[0]) if name.startswith("_v")] == []
    assert await with_member.read_with_versions("hidden", "nobody") is None


async def test_the_member_of_a_part_of_many_rows_is_built_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member = await get_or_create_member("ana", datetime(2026, 3, 1, tzinfo=UTC))
    await notify(member.id, "one", "two", "three")
    built: list[int] = []
    init_from_db = Member._init_from_db.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Member], /, **row: object) -> Member:
        built.append(1)
        return init_from_db(cls, **row)  # type: ignore[no-any-return]

    monkeypatch.setattr(Member, "_init_from_db", classmethod(counted))
    found = await WithMember(_NOTIFICATIONS, ("id", "title"), member=2).read("x", "ana")

    assert found is not None
    assert sorted(row["title"] for row in found[1]) == ["one", "three", "two"]
    assert found[0].id == member.id and len(built) == 1


async def test_lists_of_ids_share_a_few_statements_and_answer_as_unpadded_lists() -> None:
    members = [await get_or_create_member(f"listed-{i}", JOINED) for i in range(9)]
    ids = [m.id for m in members]
    template = "SELECT id FROM member WHERE customer_id LIKE $1 AND id IN ({ids}) ORDER BY id"
    lengths = {}
    for count in range(1, 10):
        statement = for_ids(template, count)
        lengths[count] = statement.postgres.count("$") - 1
        found = [row["id"] for row in await statement.rows("listed-%", *ids[:count])]
        assert found == ids[:count]
    # Nine lengths, four statements (1, 2, 4, 8 and 16 placeholders for the ids).
    assert lengths == {1: 1, 2: 2, 3: 4, 4: 4, 5: 8, 6: 8, 7: 8, 8: 8, 9: 16}
    assert for_ids(template, 3) is for_ids(template, 4)
    # Writes pad the same way: each listed row changes once.
    changed = await for_ids("UPDATE member SET city = $1 WHERE id IN ({ids})", 3).execute(
        "Lyon", *ids[:3]
    )
    assert changed == 3
    assert await Member.filter(city="Lyon").count() == 3
