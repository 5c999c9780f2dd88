"""GraphQL types of the audit log: admin changes, who made them, before and after."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.types.common import PageInfo
from domain.audit import AuditEntry as AuditEntryModel


@strawberry.type(description="One admin change of the program.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    at: datetime = strawberry.field(description="When the change was made.")
    actor: str = strawberry.field(
        description="Who made it: the admin's subject (an admin token's `sub`, a console "
        "account's email); `system` for the program's own changes (demo data, commands)."
    )
    action: str = strawberry.field(
        description="What was done, a stable name such as `reward.upsert`, `tiers.configure`, "
        "`points.adjust`, `drop.draw_raffle`."
    )
    target_kind: str = strawberry.field(
        description="The kind of thing changed: `reward`, `badge`, `member`, `tiers`..."
    )
    target_id: str = strawberry.field(
        description="Its key: a code for catalogue items, the customer id for members."
    )
    before: JSON | None = strawberry.field(
        description="The fields that changed, as they were (only those: a field that kept "
        "its value is in neither side; nested objects are compared field by field). Null: "
        "the target did not exist. Never holds secrets."
    )
    after: JSON | None = strawberry.field(
        description="The fields that changed, as they are now. Null: the target is gone. "
        "A change that changed nothing has {} on both sides."
    )
    request_id: str | None = strawberry.field(
        description="The X-Request-ID of the request that made it (null outside requests)."
    )

    @classmethod
    def from_model(cls, entry: AuditEntryModel) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target_kind=entry.target_kind,
            target_id=entry.target_id,
            before=entry.before,
            after=entry.after,
            request_id=entry.request_id,
        )


@strawberry.type(description="An audit entry and its place in the log.")
class AuditEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the audit log, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")


@strawberry.type(description="A kind of target the audit log records changes of.")
class AuditKind:
    kind: str = strawberry.field(
        description="The target kind, as `AuditEntry.targetKind`: `reward`, `member`, `tiers`..."
    )
    actions: list[str] = strawberry.field(
        description="The actions recorded on targets of this kind, by name, as "
        "`AuditEntry.action`: `reward.upsert`, `reward.translate`..."
    )


@strawberry.input(description="Which audit entries to read; every condition given must hold.")
class AuditLogFilter:
    actor: str | None = strawberry.field(default=None, description="Changes by this subject.")
    action: str | None = strawberry.field(
        default=None, description="Changes of this action, e.g. `reward.upsert`."
    )
    target_kind: str | None = strawberry.field(
        default=None, description="Changes of this kind of thing, e.g. `reward`."
    )
    target_id: str | None = strawberry.field(
        default=None, description="Changes of this one thing (give targetKind too)."
    )
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Changes made at or after this moment."
    )
    to: datetime | None = strawberry.field(
        default=None, description="Changes made before this moment."
    )
