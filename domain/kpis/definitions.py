"""What each key figure means, word for word: the API uses these as the schema's descriptions.

Terms used below. The period is [from, to). The scope is every member, or with a segment the
members in that segment now (members who erased their account are in no segment). A purchase
is in the period when it occurred in it; a refund when it was issued in it; a ledger entry
when it was created in it. Amounts are in the program's currency; rates go from 0 to 1 and
are null when their denominator is zero.
"""

from __future__ import annotations

PROGRAM_KPIS = (
    "The program's key figures over the period [from, to), for every member or, with "
    "`segmentCode`, for the members in that segment now (the scope). Purchases count when they "
    "occurred in the period, refunds when they were issued in it, points when their ledger entry was "
    "created in it. Rates go from 0 to 1 and are null when their denominator is zero; amounts "
    "are rounded to the cent."
)

KPI_DEFINITIONS: dict[str, str] = {
    "from": "Start of the period (included).",
    "to": "End of the period (excluded).",
    "members": (
        "Members in the scope who had joined before `to` and had not erased their account by "
        "then (an erasure after `to` does not change the figure)."
    ),
    "newMembers": "Members in the scope who joined in the period.",
    "activeMembers": (
        "Members in the scope with at least one purchase (refunded or not) or one engagement "
        "(share, review, survey) in the period."
    ),
    "retentionRate": (
        "Of the members active in the previous period of the same length (the period just "
        "before `from`), the share who were active again in this one."
    ),
    "repeatPurchaseRate": (
        "Of the members with at least one purchase in the period, the share with two or more."
    ),
    "purchaseFrequency": "Purchases in the period divided by the active members.",
    "averageOrderValue": (
        "The amount of the purchases in the period (before refunds) divided by their number."
    ),
    "averageSpendPerActiveMember": "Revenue divided by the active members.",
    "revenue": (
        "Net revenue: the amount of the purchases in the period minus the refunds issued in "
        "the period (whatever the purchase's date), so a closed period never changes."
    ),
    "pointsIssued": (
        "Points credited in the period: purchases, bonuses, referrals, engagement and positive "
        "manual adjustments (including points still pending)."
    ),
    "pointsRedeemed": "Points spent on rewards and coupons in the period.",
    "pointsExpired": "Points that expired unspent in the period (as recorded by the expiry job).",
    "outstandingPoints": (
        "Points credited before `to` and not yet spent, reversed or expired by then (pending "
        "points included): the program's liability at `to`."
    ),
    "redemptionRate": (
        "Points redeemed in the period divided by the points that could have been redeemed: "
        "the outstanding points at `from` plus the points issued in the period."
    ),
    "netPromoterScore": (
        "From the survey answers with a score (0 to 10) given in the period, one per answer: "
        "the percentage of promoters (9-10) minus the percentage of detractors (0-6), from -100 "
        "to 100."
    ),
}
