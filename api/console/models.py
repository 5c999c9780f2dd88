"""Tortoise models of the console: the people who run the program and their sessions."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ConsoleRole(StrEnum):
    """What a console account may do: `admin` everything, `analyst` read only."""

    ADMIN = "admin"
    ANALYST = "analyst"


class ConsoleAccount(Model):
    """A person who signs in to the console, by email, with an argon2id password hash."""

    id = fields.BigIntField(primary_key=True)
    #: Lower-cased: the subject of the GraphQL principal and the ledger's `actor`.
    email = fields.CharField(max_length=254, unique=True)
    #: argon2id, in the PHC string format (parameters and salt included).
    password_hash = fields.CharField(max_length=200)
    role = fields.CharEnumField(ConsoleRole, max_length=16)
    created_at = fields.DatetimeField()
    last_sign_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "console_account"


class ConsoleSession(Model):
    """A signed-in browser. The cookie holds a random token, only its SHA-256 is stored.

    So the table's content signs nobody in."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[ConsoleAccount] = fields.ForeignKeyField(
        "fidelio.ConsoleAccount", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: int
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    #: Set by sign-out (or a password change): the session is refused from then on.
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "console_session"
