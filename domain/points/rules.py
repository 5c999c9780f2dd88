"""Reading the program's earning rules."""

from __future__ import annotations

from domain.points.models import EarningRules


async def earning_rules() -> EarningRules:
    """The configured rules, or the defaults when an admin has not configured any yet."""
    rules = await EarningRules.get_or_none(id=1)
    return rules if rules is not None else EarningRules(id=1)
