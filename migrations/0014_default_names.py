"""Members still named after their customer id get a name that tells nothing of it.

A member created without a name was called "Member " and the last four characters of the
shop's customer id (the whole id when shorter): the end of an email address or of a phone
number, shown to everyone on boards, referrals and raffles. Every member whose name is still
exactly that now gets the name new members get (`domain.members.services.default_display_name`,
"Member " and four characters drawn at random); a member who chose a name keeps it. Erased
members have no customer id and keep theirs. Not reversible: going back leaves the new names.
"""

import secrets
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

#: `domain.members.services.REFERRAL_ALPHABET` as of this migration.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: Members read (and renamed) a statement at a time.
BATCH = 1000


def old_default_name(customer_id: str) -> str:
    """The name a member created without one was given before this migration."""
    return f"Member {customer_id[-4:]}" if len(customer_id) > 4 else f"Member {customer_id}"


def new_default_name() -> str:
    return "Member " + "".join(secrets.choice(ALPHABET) for _ in range(4))


async def rename_members(apps: object, schema_editor: object) -> None:
    client: Any = schema_editor.client  # type: ignore[attr-defined]  # tortoise's schema editors all have it
    first, second = ("$1", "$2") if client.capabilities.dialect == "postgres" else ("?", "?")
    after = 0
    while True:
        _, rows = await client.execute_query(
            "SELECT id, customer_id, display_name FROM member WHERE id > "
            f"{first} AND customer_id IS NOT NULL AND display_name LIKE 'Member %' "
            f"ORDER BY id LIMIT {BATCH}",
            [after],
        )
        if not rows:
            return
        renamed = [
            [new_default_name(), row["id"]]
            for row in rows
            if row["display_name"] == old_default_name(row["customer_id"])
        ]
        if renamed:
            await client.execute_many(
                f"UPDATE member SET display_name = {first} WHERE id = {second}", renamed
            )
        after = rows[-1]["id"]


class Migration(migrations.Migration):
    dependencies = [("fidelio", "0013_purchase_start")]

    initial = False

    operations = [ops.RunPython(rename_members, ops.RunPython.noop)]
