"""Tortoise model of the outbox."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OutboxEvent(Model):
    """A domain event waiting for (or done with) delivery to its handlers.

    Delivery is at least once: a row is claimed, its handlers run, then it is marked processed.
    A failure leaves it for a later attempt (`available_at` moves on with backoff).
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    payload: fields.JSONField[Any] = fields.JSONField()
    created_at = fields.DatetimeField()
    available_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    processed_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "outbox_event"
        indexes = (("processed_at", "available_at"),)
