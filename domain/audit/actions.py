"""The actions the audit log records, each with the kind of target it changes.

`record_change` takes its `action` as an `AuditedAction`, so a change recorded under a name
missing here fails the type check (`make lint`), and `AUDITED_ACTIONS` is what the console
offers to filter by (the `auditKinds` query): the list cannot drift from what is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias, get_args

AuditedAction: TypeAlias = Literal[
    "badge.backfill",
    "badge.translate",
    "badge.upsert",
    "campaign.send",
    "challenge.translate",
    "challenge.upsert",
    "coupon.use",
    "drop.draw_raffle",
    "drop.translate",
    "drop.upsert",
    "drop_claim.complete",
    "earning_rules.configure",
    "leaderboard.upsert",
    "member.erase",
    "member.export",
    "points.adjust",
    "promotion.upsert",
    "reward.translate",
    "reward.upsert",
    "segment.upsert",
    "store.upsert",
    "tier.translate",
    "tiers.configure",
    "webhook_endpoint.create",
    "webhook_endpoint.delete",
    "webhook_endpoint.rotate_secret",
    "webhook_endpoint.update",
]

#: Where an action's target kind is not the action's prefix (`points.adjust` changes a member).
_TARGET_OF_PREFIX: Mapping[str, str] = {"points": "member"}


def target_kind(action: AuditedAction) -> str:
    """The kind of target `action` changes: `reward.upsert` -> `reward`."""
    prefix = action.partition(".")[0]
    return _TARGET_OF_PREFIX.get(prefix, prefix)


#: Every audited action with its target kind, in the order of `AuditedAction`.
AUDITED_ACTIONS: Mapping[AuditedAction, str] = {
    action: target_kind(action) for action in get_args(AuditedAction)
}


def audit_kinds() -> dict[str, list[AuditedAction]]:
    """The target kinds of the audit log, by name, each with its actions by name."""
    kinds: dict[str, list[AuditedAction]] = {}
    for action, kind in sorted(AUDITED_ACTIONS.items(), key=lambda pair: (pair[1], pair[0])):
        kinds.setdefault(kind, []).append(action)
    return kinds
