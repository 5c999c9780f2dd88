"""Default names tell nothing of the customer id: migration 0014 renames those that did."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from tortoise import connections

from domain.members.models import Member
from domain.members.services import REFERRAL_ALPHABET, get_or_create_member
from tests.integration.member_history import member

pytestmark = pytest.mark.usefixtures("db")

JOINED = datetime(2025, 11, 3, 9, tzinfo=UTC)
DEFAULT_NAME = re.compile(f"Member [{REFERRAL_ALPHABET}]{{4}}")
migration = importlib.import_module("migrations.0014_default_names")


@pytest.mark.parametrize("customer_id", ["ana.garcia@shop.example", "+34600123456", "ana"])
async def test_a_new_member_is_named_with_nothing_of_their_customer_id(customer_id: str) -> None:
    created = await get_or_create_member(customer_id, JOINED)

    assert DEFAULT_NAME.fullmatch(created.display_name)
    assert created.display_name != migration.old_default_name(customer_id)


async def test_the_migration_renames_the_members_still_named_after_their_customer_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    email = await member(JOINED, customer_id="ana.garcia@shop.example", display_name="Member mple")
    phone = await member(JOINED, customer_id="+34600123456", display_name="Member 3456")
    short = await member(JOINED, customer_id="ana", display_name="Member ana")
    chosen = await member(JOINED, customer_id="bruno@shop.example", display_name="Bruno")
    like_it = await member(JOINED, customer_id="carmen-0001", display_name="Member 0002")
    erased = await member(JOINED, display_name="Former member")
    await Member.filter(id=erased.id).update(customer_id=None)

    await migration.rename_members(None, SimpleNamespace(client=connections.get("default")))

    names = dict(await Member.all().values_list("id", "display_name"))
    renamed = [names[m.id] for m in (email, phone, short)]
    assert all(DEFAULT_NAME.fullmatch(name) for name in renamed), renamed
    assert (names[chosen.id], names[like_it.id], names[erased.id]) == (
        "Bruno",
        "Member 0002",
        "Former member",
    )
