"""The tortoise model of the audit log."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One admin change: who (`actor`), what (`action` on `target_kind` `target_id`), when
    (`at`) and what moved (`before` and `after`: the changed fields only, see
    `domain.audit.recording.changes`). Append-only."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    #: The admin principal's subject: an admin token's `sub`, a console account's email.
    actor = fields.CharField(max_length=254)
    #: A stable name of what was done, e.g. "reward.upsert".
    action = fields.CharField(max_length=64)
    #: What was changed: its kind ("reward", "member", "tiers") and its key (code, id).
    target_kind = fields.CharField(max_length=40)
    target_id = fields.CharField(max_length=128)
    #: The changed fields as they were (null: the target did not exist).
    before: fields.JSONField[Any] = fields.JSONField(null=True)
    #: The changed fields as they are now (null: the target is gone).
    after: fields.JSONField[Any] = fields.JSONField(null=True)
    #: The id of the request that made the change (its X-Request-ID), null outside requests.
    request_id = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_entry"
        indexes = (("actor", "id"), ("action", "id"), ("target_kind", "target_id", "id"), ("at",))
