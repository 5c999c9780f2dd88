"""The one SQL statement behind the key figures, portable between SQLite and PostgreSQL.

Every figure comes from a single statement, one row of single-row aggregates cross-joined:
members, activity (one pass over the purchases and engagement of the period and the one
before, grouped by member), refunds, the ledger and survey scores. With a segment, its members
are first written to a temporary table (`SCOPE_TABLE`, evaluated once, with statistics so the
planner joins it by hash) that each part filters on.

The SQL is written with `:name` parameters (each used several times); `domain.sql.numbered`
turns them into a `Statement`'s.
"""

from __future__ import annotations

SCOPE_TABLE = "kpi_scope"
IN_SCOPE = " AND {column} IN (SELECT id FROM kpi_scope)"

MEMBERS = """
SELECT COUNT(*) AS members,
       COUNT(CASE WHEN m.joined_at >= :start THEN 1 END) AS new_members
FROM member m
WHERE m.joined_at < :end AND (m.erased_at IS NULL OR m.erased_at >= :end){members_scope}
"""

ACTIVITY = """
SELECT COUNT(CASE WHEN now_events > 0 THEN 1 END) AS active,
       COUNT(CASE WHEN before_events > 0 THEN 1 END) AS active_before,
       COUNT(CASE WHEN now_events > 0 AND before_events > 0 THEN 1 END) AS retained,
       COUNT(CASE WHEN now_orders > 0 THEN 1 END) AS buyers,
       COUNT(CASE WHEN now_orders > 1 THEN 1 END) AS repeat_buyers,
       COALESCE(SUM(now_orders), 0) AS purchases,
       COALESCE(SUM(now_cents), 0) AS gross_cents
FROM (
    SELECT e.member_id,
           SUM(CASE WHEN e.at >= :start THEN 1 ELSE 0 END) AS now_events,
           SUM(CASE WHEN e.at < :start THEN 1 ELSE 0 END) AS before_events,
           SUM(CASE WHEN e.at >= :start THEN e.orders ELSE 0 END) AS now_orders,
           SUM(CASE WHEN e.at >= :start THEN e.cents ELSE 0 END) AS now_cents
    FROM (
        SELECT p.member_id, p.occurred_at AS at, 1 AS orders,
               CAST(ROUND(p.amount * 100) AS BIGINT) AS cents
        FROM purchase p
        WHERE p.occurred_at >= :before AND p.occurred_at < :end{purchases_scope}
        UNION ALL
        SELECT g.member_id, g.occurred_at AS at, 0 AS orders, 0 AS cents
        FROM engagement g
        WHERE g.occurred_at >= :before AND g.occurred_at < :end{engagement_scope}
    ) e
    GROUP BY e.member_id
) per_member
"""

REFUNDS = """
SELECT COALESCE(SUM(CAST(ROUND(r.amount * 100) AS BIGINT)), 0) AS refund_cents
FROM refund r JOIN purchase rp ON rp.id = r.purchase_id
WHERE r.created_at >= :start AND r.created_at < :end{refunds_scope}
"""

POINTS = """
SELECT COALESCE(SUM(CASE WHEN l.created_at >= :start AND l.delta > 0 THEN l.delta ELSE 0 END), 0)
           AS issued,
       COALESCE(SUM(CASE WHEN l.created_at >= :start AND l.kind = :redeem THEN -l.delta ELSE 0 END),
           0) AS redeemed,
       COALESCE(SUM(CASE WHEN l.created_at >= :start AND l.kind = :expire THEN -l.delta ELSE 0 END),
           0) AS expired,
       COALESCE(SUM(CASE WHEN l.created_at < :start THEN l.delta ELSE 0 END), 0)
           AS outstanding_before,
       COALESCE(SUM(l.delta), 0) AS outstanding
FROM points_entry l
WHERE l.created_at < :end{ledger_scope}
"""

SURVEYS = """
SELECT COUNT(*) AS answers,
       COUNT(CASE WHEN s.score >= :promoter THEN 1 END) AS promoters,
       COUNT(CASE WHEN s.score <= :detractor THEN 1 END) AS detractors
FROM engagement s
WHERE s.kind = :survey AND s.score IS NOT NULL
  AND s.occurred_at >= :start AND s.occurred_at < :end{surveys_scope}
"""


#: Each part's member column, filtered on `SCOPE_TABLE` when a segment scopes the figures.
_SCOPED_COLUMNS = {
    "members_scope": "m.id",
    "purchases_scope": "p.member_id",
    "engagement_scope": "g.member_id",
    "refunds_scope": "rp.member_id",
    "ledger_scope": "l.member_id",
    "surveys_scope": "s.member_id",
}


def scope_fills(scoped: bool) -> dict[str, str]:
    """The `{..._scope}` placeholders of the parts: each part's filter on the members in
    `SCOPE_TABLE` when `scoped`, nothing otherwise (the figures and their series share them)."""
    return {
        name: IN_SCOPE.format(column=column) if scoped else ""
        for name, column in _SCOPED_COLUMNS.items()
    }


def kpi_statement(scoped: bool) -> str:
    """The statement; `scoped` filters every part on the members in `SCOPE_TABLE`."""
    fills = scope_fills(scoped)
    body = (
        f"SELECT * FROM ({MEMBERS}) members_part"
        f" CROSS JOIN ({ACTIVITY}) activity_part"
        f" CROSS JOIN ({REFUNDS}) refunds_part"
        f" CROSS JOIN ({POINTS}) points_part"
        f" CROSS JOIN ({SURVEYS}) surveys_part"
    )
    return body.format(**fills)
