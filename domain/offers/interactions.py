"""The training set, read from the program's own tables.

Purchases record their item categories (`purchase.categories`), redemptions and gift
coupons are `redemption` rows, drop claims `drop_claim` rows and badges `member_badge` rows.
Members who erased their account are left out (their rows stay for the accounting, not for
learning), and so are fully refunded purchases. Each source is read up to the highest id seen
when the read began (`SourceMarks`), so that what arrives meanwhile is counted as new by the
next run rather than half-read by this one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.offers.training import Interaction, InteractionKind, ItemKind, item_key
from domain.sql import Statement, as_datetime

#: The tables interactions come from, in a fixed order.
SOURCES = ("purchase", "redemption", "drop_claim", "member_badge")

_MARKS = Statement(
    "SELECT "
    + ", ".join(f"(SELECT COALESCE(MAX(id), 0) FROM {table}) AS {table}" for table in SOURCES)
)
_NEW_SINCE = Statement(
    "SELECT "
    + " + ".join(
        f"(SELECT COUNT(*) FROM {table} WHERE id > ${n})" for n, table in enumerate(SOURCES, 1)
    )
    + " AS n"
)
_PURCHASES = Statement("""
    SELECT p.id, p.member_id, p.occurred_at AS at, p.categories
    FROM purchase p JOIN member m ON m.id = p.member_id
    WHERE p.id <= $1 AND m.erased_at IS NULL AND (p.amount - p.refunded_amount) > 0
""")
_REDEMPTIONS = Statement("""
    SELECT r.id, r.member_id, r.created_at AS at, w.code, w.name, r.points_spent,
        r.debit_entry_id
    FROM redemption r JOIN reward w ON w.id = r.reward_id JOIN member m ON m.id = r.member_id
    WHERE r.id <= $1 AND m.erased_at IS NULL
""")
_CLAIMS = Statement("""
    SELECT c.id, c.member_id, c.created_at AS at, d.code, d.title
    FROM drop_claim c JOIN exclusive_drop d ON d.id = c.drop_id JOIN member m ON m.id = c.member_id
    WHERE c.id <= $1 AND m.erased_at IS NULL
""")
_BADGES = Statement("""
    SELECT mb.id, mb.member_id, mb.earned_at AS at, b.code, b.name
    FROM member_badge mb JOIN badge b ON b.id = mb.badge_id JOIN member m ON m.id = mb.member_id
    WHERE mb.id <= $1 AND m.erased_at IS NULL
""")
_GROUPS = Statement("SELECT id, tier_level, country FROM member WHERE erased_at IS NULL")
_REWARDS = Statement("SELECT id, code FROM reward WHERE active = $1")


@dataclass(frozen=True)
class SourceMarks:
    """The highest id of each source table at one moment."""

    ids: Mapping[str, int]

    def text(self) -> str:
        """`purchase=12,redemption=5,...`: for a watermark's fingerprint."""
        return ",".join(f"{table}={self.ids.get(table, 0)}" for table in SOURCES)

    @classmethod
    def parse(cls, text: str) -> SourceMarks | None:
        try:
            pairs = dict(part.split("=", 1) for part in text.split(",") if part)
            return cls({table: int(pairs[table]) for table in SOURCES})
        except (KeyError, ValueError):
            return None


async def read_marks() -> SourceMarks:
    """Each source's highest id now."""
    [row] = await _MARKS.rows()
    return SourceMarks({table: int(row[table] or 0) for table in SOURCES})


async def count_new(since: SourceMarks) -> int:
    """Rows written to the sources after `since` (a range of each primary key)."""
    [row] = await _NEW_SINCE.rows(*(since.ids.get(table, 0) for table in SOURCES))
    return int(row["n"] or 0)


def category_label(category: str) -> str:
    """A category as people read it: "running-shoes" -> "running shoes"."""
    return " ".join(category.replace("_", " ").replace("-", " ").split())


def _categories(raw: Any) -> list[str]:
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    return [c for c in raw or [] if isinstance(c, str) and c]


async def read_interactions(marks: SourceMarks) -> list[Interaction]:
    """Every interaction of current members up to `marks`, source by source."""
    found: list[Interaction] = []
    for row in await _PURCHASES.rows(marks.ids["purchase"]):
        at = as_datetime(row["at"])
        for category in dict.fromkeys(_categories(row["categories"])):
            found.append(
                Interaction(
                    int(row["member_id"]),
                    item_key(ItemKind.CATEGORY, category),
                    InteractionKind.PURCHASE,
                    at,
                    category_label(category),
                )
            )
    for row in await _REDEMPTIONS.rows(marks.ids["redemption"]):
        paid = int(row["points_spent"] or 0) > 0 or row["debit_entry_id"] is not None
        found.append(
            Interaction(
                int(row["member_id"]),
                item_key(ItemKind.REWARD, row["code"]),
                InteractionKind.REDEMPTION if paid else InteractionKind.GIFT,
                as_datetime(row["at"]),
                row["name"],
            )
        )
    for row in await _CLAIMS.rows(marks.ids["drop_claim"]):
        found.append(
            Interaction(
                int(row["member_id"]),
                item_key(ItemKind.DROP, row["code"]),
                InteractionKind.CLAIM,
                as_datetime(row["at"]),
                row["title"],
            )
        )
    for row in await _BADGES.rows(marks.ids["member_badge"]):
        found.append(
            Interaction(
                int(row["member_id"]),
                item_key(ItemKind.BADGE, row["code"]),
                InteractionKind.BADGE,
                as_datetime(row["at"]),
                row["name"],
            )
        )
    return found


async def read_groups() -> dict[int, tuple[int, str]]:
    """{member id: (tier level, region)} of current members; the region is the country
    (empty when unknown)."""
    return {
        int(row["id"]): (int(row["tier_level"]), row["country"] or "")
        for row in await _GROUPS.rows()
    }


async def read_catalogue() -> dict[str, int]:
    """{code: id} of the rewards on offer."""
    return {row["code"]: int(row["id"]) for row in await _REWARDS.rows(True)}
