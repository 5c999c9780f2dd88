"""PostgreSQL: `fidelio_purchase_start`, what recordPurchase reads under the member's lock in
one round trip (domain.purchases.services).

The member's row is locked first, then the rest is read by a second statement of the function,
whose snapshot is taken after the lock was granted: a purchase queued behind another of the
same member sees that purchase's entries. (One statement could not: its snapshot is taken
before its row lock waits.) The figures are those of `domain.tiers.qualification.STANDING_COLUMNS`
as of this migration, written out; `tests/integration/test_purchases.py` checks that they still
agree. A change of those figures needs a migration that replaces the function. SQLite, which has
no functions of this kind and no row locks, keeps two statements.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

FUNCTION = """
CREATE OR REPLACE FUNCTION fidelio_purchase_start(
    p_customer_id text, p_order_id text, p_now timestamptz, p_window_start timestamptz)
RETURNS TABLE (
    holder member, recorded_id bigint, purchased_before boolean, balance bigint,
    pending bigint, credited bigint, reversed bigint, qualifying bigint)
LANGUAGE plpgsql VOLATILE AS $function$
#variable_conflict use_column
DECLARE
    locked member;
BEGIN
    SELECT * INTO locked FROM member WHERE customer_id = p_customer_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT locked,
        (SELECT p.id FROM purchase p WHERE p.order_id = p_order_id),
        EXISTS (SELECT 1 FROM purchase p WHERE p.member_id = locked.id),
        SUM(CASE WHEN e.delta > 0 AND e.remaining > 0
            AND (e.expires_at IS NULL OR e.expires_at > p_now)
            AND e.available_at <= p_now THEN e.remaining ELSE 0 END)::bigint,
        SUM(CASE WHEN e.delta > 0 AND e.remaining > 0
            AND (e.expires_at IS NULL OR e.expires_at > p_now)
            AND e.available_at > p_now THEN e.remaining ELSE 0 END)::bigint,
        SUM(CASE WHEN e.delta > 0 AND e.kind IN ('ADJUST', 'BONUS', 'EARN', 'ENGAGEMENT',
            'REFERRAL') THEN e.delta ELSE 0 END)::bigint,
        SUM(CASE WHEN e.kind = 'REVERSAL' THEN e.delta ELSE 0 END)::bigint,
        SUM(CASE WHEN e.kind IN ('EARN', 'BONUS', 'REFERRAL', 'ENGAGEMENT', 'ADJUST',
            'REVERSAL') AND e.created_at > p_window_start AND e.created_at <= p_now
            THEN e.delta ELSE 0 END)::bigint
    FROM points_entry e WHERE e.member_id = locked.id;
END
$function$
"""


async def create_function(apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]  # tortoise's schema editors all have it
    if client.capabilities.dialect == "postgres":
        await client.execute_script(FUNCTION)


async def drop_function(apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]  # as above
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            "DROP FUNCTION IF EXISTS fidelio_purchase_start(text, text, timestamptz, timestamptz)"
        )


class Migration(migrations.Migration):
    dependencies = [("fidelio", "0012_refund_purchase_index")]

    initial = False

    operations = [ops.RunPython(create_function, drop_function)]
