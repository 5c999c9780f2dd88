"""What a campaign's placeholders read of each recipient, for a batch at once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from domain.members.models import Member
from domain.points.balances import figures
from domain.tiers.services import tier_held, tier_ladder
from domain.translations import Language


async def personal_values(
    member_ids: Sequence[int], wanted: Collection[str], now: datetime, default_locale: str
) -> dict[int, dict[str, object]]:
    """The placeholders' values of each member (`texts.PLACEHOLDERS`), reading only what
    `wanted` names: one statement for the members, one for balances (`{points}`) and one for
    the tier ladder (`{tier}`), whatever the number of members. Erased members are left out."""
    if not member_ids or not wanted:
        return {member_id: {} for member_id in member_ids}
    rows = await Member.filter(id__in=list(member_ids), erased_at__isnull=True).only(
        "id", "display_name", "locale", "tier_code", "tier_level"
    )
    balances = await figures([m.id for m in rows], now) if "points" in wanted else {}
    ladder = await tier_ladder() if "tier" in wanted else []
    values: dict[int, dict[str, object]] = {}
    for member in rows:
        name = " ".join((member.display_name or "").split())
        found: dict[str, object] = {"name": name, "first_name": name.split(" ")[0]}
        if "points" in wanted:
            found["points"] = balances[member.id].balance
        if ladder:
            tier = tier_held(member, ladder)
            found["tier"] = Language(member.locale, default_locale).text(
                tier.translations, "name", tier.name
            )
        values[member.id] = found
    return values
