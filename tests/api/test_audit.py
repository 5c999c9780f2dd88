"""The audit log through the API: every admin mutation writes exactly one entry (who, what,
the changed fields before and after, the request id) in its own transaction; refused and
rolled-back changes write none; `auditLog` filters and pages, for admins only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from graphql import print_ast

from domain.audit import AuditEntry
from domain.members.services import get_or_create_member
from domain.points import ledger
from domain.points.models import EntryKind
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.contract.contract_check import operations

OPERATIONS = {name.split(":")[1]: print_ast(doc) for name, doc in operations()}
ADMIN = "admin@shop"
USE_COUPON = """
mutation UseCoupon($input: UseCouponInput!) {
  useCoupon(input: $input) { redemption { id } dropClaim { id } userErrors { code field } }
}"""
REDEEM = """
mutation Redeem($id: ID!) {
  redeemReward(input: {rewardId: $id}) { redemption { couponCode } userErrors { code } }
}"""
CLAIM = """
mutation Claim($id: ID!) {
  claimDrop(input: {dropId: $id}) { claim { couponCode } userErrors { code } }
}"""
AUDIT_LOG = """
query Audit($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id at actor action targetKind targetId before after requestId } }
    pageInfo { hasNextPage endCursor }
  }
}"""

Variables = dict[str, Any]


async def admin_call(
    api: GraphQLClient, document: str, variables: Variables, request_id: str = "req-audit-1"
) -> dict[str, Any]:
    """An admin request with its own X-Request-ID (the audit entry keeps it)."""
    response = await api.http.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={
            "Authorization": f"Bearer {api.token('admin', ADMIN)}",
            "X-Request-ID": request_id,
        },
    )
    assert response.status_code == 200, response.text
    return data(response.json())


def payload_errors(result: dict[str, Any]) -> list[dict[str, Any]]:
    (payload,) = result.values()
    return payload["userErrors"]


def tier(code: str, name: str, level: int, points: int, multiplier: float = 1) -> Variables:
    return {
        "code": code,
        "name": name,
        "level": level,
        "qualifyingPoints": points,
        "pointsMultiplier": multiplier,
    }


RULES = {
    "pointsPerCurrencyUnit": 1,
    "pendingDays": 14,
    "expiryDays": 365,
    "tierWindowMonths": 12,
    "referrerPoints": 500,
    "refereePoints": 250,
    "sharePoints": 10,
    "reviewPoints": 50,
    "surveyPoints": 25,
    "engagementDailyCap": 3,
}
RULE = {"event": "PURCHASE", "aggregate": "COUNT", "target": 3}
SOL = {"latitude": 40.4169, "longitude": -3.7035}


def badge(name: str) -> Variables:
    return {"code": "first-3", "name": name, "description": "Three purchases.", "rule": RULE}


def challenge(api: GraphQLClient, title: str) -> Variables:
    now = api.clock.now()
    return {
        "code": "spring",
        "title": title,
        "description": "Buy three times.",
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(days=30)).isoformat(),
        "goal": RULE,
    }


def board(name: str) -> Variables:
    return {"code": "spend", "name": name, "metric": "AMOUNT_SPENT", "windows": ["WEEKLY"]}


def reward(cost: int, code: str = "coffee") -> Variables:
    return {
        "code": code,
        "name": "Free coffee",
        "description": "One coffee.",
        "kind": "PRODUCT",
        "costPoints": cost,
    }


def drop(api: GraphQLClient, title: str, **changes: Any) -> Variables:
    now = api.clock.now()
    return {
        "code": "sneaker",
        "title": title,
        "description": "Numbered pair.",
        "opensAt": (now + timedelta(hours=1)).isoformat(),
        "closesAt": (now + timedelta(hours=3)).isoformat(),
        "quantity": 2,
        "pricePoints": 0,
        **changes,
    }


def store(name: str) -> Variables:
    return {"code": "sol", "name": name, "geofenceRadiusMeters": 200, **SOL}


def promotion(api: GraphQLClient, title: str) -> Variables:
    now = api.clock.now()
    return {
        "code": "welcome",
        "title": title,
        "message": "Come by.",
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(days=30)).isoformat(),
        "storeCodes": ["sol"],
    }


def segment(name: str, level: int = 1) -> Variables:
    return {"code": "loyal", "name": name, "rule": {"minTierLevel": level}}


def campaign(api: GraphQLClient, title: str) -> Variables:
    return {
        "code": "spring-sale",
        "title": title,
        "body": "Everything 20% off.",
        "sendAt": (api.clock.now() + timedelta(days=2)).isoformat(),
    }


async def member_with_points(api: GraphQLClient, sub: str, points: int) -> int:
    member = await get_or_create_member(sub, api.clock.now() - timedelta(days=1))
    if points:
        await ledger.credit(member.id, points, EntryKind.EARN, "purchase", member.joined_at)
    return member.id


async def nothing(api: GraphQLClient) -> dict[str, str]:
    return {}


async def admin_ok(api: GraphQLClient, document: str, variables: Variables) -> dict[str, Any]:
    result = await admin_call(api, document, variables, request_id="req-setup")
    assert payload_errors(result) == [], result
    return result


@dataclass(frozen=True)
class Case:
    """One admin mutation: what it takes, what its entry must say."""

    document: str
    #: Prepares the state the change starts from; returns names the variables may use.
    setup: Callable[[GraphQLClient], Awaitable[dict[str, str]]]
    variables: Callable[[GraphQLClient, dict[str, str]], Variables]
    #: Variables the mutation refuses with userErrors.
    refused: Callable[[GraphQLClient, dict[str, str]], Variables]
    action: str
    target_kind: str
    target_id: Callable[[dict[str, str]], str]
    #: (before, after) as the entry must hold them (compared exactly), or a check of them.
    expect: Callable[[GraphQLClient, dict[str, str]], tuple[Any, Any]] | None = None
    check: Callable[[Any, Any, GraphQLClient], None] | None = field(default=None)


async def ladder_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["ConfigureTiers"], {"input": [tier("BASE", "Base", 0, 0)]})
    return {}


async def rules_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["ConfigureEarningRules"], {"input": RULES})
    return {}


async def adjust_setup(api: GraphQLClient) -> dict[str, str]:
    await member_with_points(api, "alice", 100)
    return {}


async def badge_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertBadge"], {"input": badge("First three")})
    return {}


async def challenge_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertChallenge"], {"input": challenge(api, "Spring")})
    return {}


async def board_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertLeaderboard"], {"input": board("Big spenders")})
    return {}


async def reward_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertReward"], {"input": reward(100)})
    return {}


async def drop_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertDrop"], {"input": drop(api, "Sneaker")})
    return {}


async def raffle_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(
        api, OPERATIONS["UpsertDrop"], {"input": drop(api, "Raffle", code="raffle", mode="RAFFLE")}
    )
    api.clock.advance(hours=4)
    return {}


async def store_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertStore"], {"input": store("Sol")})
    return {}


async def promotion_setup(api: GraphQLClient) -> dict[str, str]:
    await store_setup(api)
    await admin_ok(api, OPERATIONS["UpsertPromotion"], {"input": promotion(api, "Welcome")})
    return {}


async def segment_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["UpsertSegment"], {"input": segment("Loyal")})
    return {}


async def campaign_setup(api: GraphQLClient) -> dict[str, str]:
    await admin_ok(api, OPERATIONS["SendCampaign"], {"input": campaign(api, "Spring sale")})
    return {}


async def coupon_setup(api: GraphQLClient) -> dict[str, str]:
    result = await admin_ok(api, OPERATIONS["UpsertReward"], {"input": reward(10)})
    await member_with_points(api, "alice", 100)
    redeemed = data(
        await api.member("alice", REDEEM, {"id": result["upsertReward"]["reward"]["id"]})
    )
    return {"code": redeemed["redeemReward"]["redemption"]["couponCode"]}


async def drop_claim_setup(api: GraphQLClient) -> dict[str, str]:
    now = api.clock.now()
    opened = drop(api, "Open now", opensAt=(now - timedelta(hours=1)).isoformat())
    result = await admin_ok(api, OPERATIONS["UpsertDrop"], {"input": opened})
    await member_with_points(api, "alice", 0)
    claimed = data(await api.member("alice", CLAIM, {"id": result["upsertDrop"]["drop"]["id"]}))
    assert claimed["claimDrop"]["userErrors"] == [], claimed
    return {"code": claimed["claimDrop"]["claim"]["couponCode"]}


def adjust_check(before: Any, after: Any, api: GraphQLClient) -> None:
    assert before == {"balance": 100}
    assert after["balance"] == 60
    adjustment = after["adjustment"]
    assert {k: adjustment[k] for k in ("delta", "reason")} == {"delta": -40, "reason": "Dupe"}
    assert isinstance(adjustment["entryId"], int)


def draw_check(before: Any, after: Any, api: GraphQLClient) -> None:
    assert before == {"drawn_at": None, "raffle_seed": None}
    assert after == {"drawn_at": api.clock.now().isoformat(), "raffle_seed": "lucky-seed"}


def coupon_check(before: Any, after: Any, api: GraphQLClient) -> None:
    now = api.clock.now().isoformat()
    assert before == {"status": "ACTIVE", "used_at": None, "used_order_id": None}
    assert after == {"status": "USED", "used_at": now, "used_order_id": "order-1"}


def drop_claim_check(before: Any, after: Any, api: GraphQLClient) -> None:
    now = api.clock.now().isoformat()
    assert before == {"completed_at": None, "order_id": None}
    assert after == {"completed_at": now, "order_id": "order-1"}


CASES = {
    "configureTiers": Case(
        OPERATIONS["ConfigureTiers"],
        ladder_setup,
        lambda api, _: {"input": [tier("BASE", "Member", 0, 0), tier("GOLD", "Gold", 1, 500, 2)]},
        lambda api, _: {"input": [tier("BASE", "Member", 3, 0)]},
        "tiers.configure",
        "tiers",
        lambda _: "ladder",
        expect=lambda api, _: (
            {"BASE": {"name": "Base"}},
            {
                "BASE": {"name": "Member"},
                "GOLD": {
                    "name": "Gold",
                    "level": 1,
                    "qualifying_points": 500,
                    "points_multiplier": "2",
                    "benefits": [],
                    "translations": {},
                },
            },
        ),
    ),
    "configureEarningRules": Case(
        OPERATIONS["ConfigureEarningRules"],
        rules_setup,
        lambda api, _: {"input": {**RULES, "pointsPerCurrencyUnit": 2.5, "pendingDays": 7}},
        lambda api, _: {"input": {**RULES, "pendingDays": -1}},
        "earning_rules.configure",
        "earning_rules",
        lambda _: "program",
        expect=lambda api, _: (
            {"points_per_currency_unit": "1", "pending_days": 14},
            {"points_per_currency_unit": "2.5", "pending_days": 7},
        ),
    ),
    "adjustPoints": Case(
        OPERATIONS["AdjustPoints"],
        adjust_setup,
        lambda api, _: {"input": {"customerId": "alice", "delta": -40, "reason": "Dupe"}},
        lambda api, _: {"input": {"customerId": "alice", "delta": -400, "reason": "Dupe"}},
        "points.adjust",
        "member",
        lambda _: "alice",
        check=adjust_check,
    ),
    "upsertBadge": Case(
        OPERATIONS["UpsertBadge"],
        badge_setup,
        lambda api, _: {"input": {**badge("Three in a row"), "rewardPoints": 50}},
        lambda api, _: {"input": badge("")},
        "badge.upsert",
        "badge",
        lambda _: "first-3",
        expect=lambda api, _: (
            {"name": "First three", "reward_points": 0},
            {"name": "Three in a row", "reward_points": 50},
        ),
    ),
    "upsertChallenge": Case(
        OPERATIONS["UpsertChallenge"],
        challenge_setup,
        lambda api, _: {"input": challenge(api, "Spring sprint")},
        lambda api, _: {"input": {**challenge(api, "Spring"), "rewardBadgeCode": "nope"}},
        "challenge.upsert",
        "challenge",
        lambda _: "spring",
        expect=lambda api, _: ({"title": "Spring"}, {"title": "Spring sprint"}),
    ),
    "upsertLeaderboard": Case(
        OPERATIONS["UpsertLeaderboard"],
        board_setup,
        lambda api, _: {"input": board("Top spenders")},
        lambda api, _: {"input": {**board("Top"), "windows": []}},
        "leaderboard.upsert",
        "leaderboard",
        lambda _: "spend",
        expect=lambda api, _: ({"name": "Big spenders"}, {"name": "Top spenders"}),
    ),
    "upsertReward": Case(
        OPERATIONS["UpsertReward"],
        reward_setup,
        lambda api, _: {"input": reward(150)},
        lambda api, _: {"input": reward(-1)},
        "reward.upsert",
        "reward",
        lambda _: "coffee",
        expect=lambda api, _: ({"cost_points": 100}, {"cost_points": 150}),
    ),
    "upsertDrop": Case(
        OPERATIONS["UpsertDrop"],
        drop_setup,
        lambda api, _: {"input": drop(api, "Golden sneaker", quantity=5)},
        lambda api, _: {"input": drop(api, "Sneaker", quantity=0)},
        "drop.upsert",
        "drop",
        lambda _: "sneaker",
        expect=lambda api, _: (
            {"title": "Sneaker", "quantity": 2, "remaining": 2},
            {"title": "Golden sneaker", "quantity": 5, "remaining": 5},
        ),
    ),
    "drawRaffle": Case(
        OPERATIONS["DrawRaffle"],
        raffle_setup,
        lambda api, _: {"input": {"dropCode": "raffle", "seed": "lucky-seed"}},
        lambda api, _: {"input": {"dropCode": "no-such-drop"}},
        "drop.draw_raffle",
        "drop",
        lambda _: "raffle",
        check=draw_check,
    ),
    "upsertStore": Case(
        OPERATIONS["UpsertStore"],
        store_setup,
        lambda api, _: {"input": {**store("Sol"), "geofenceRadiusMeters": 300}},
        lambda api, _: {"input": {**store("Sol"), "geofenceRadiusMeters": 1}},
        "store.upsert",
        "store",
        lambda _: "sol",
        expect=lambda api, _: ({"geofence_radius_m": 200.0}, {"geofence_radius_m": 300.0}),
    ),
    "upsertPromotion": Case(
        OPERATIONS["UpsertPromotion"],
        promotion_setup,
        lambda api, _: {"input": {**promotion(api, "Hello"), "bonusPoints": 20}},
        lambda api, _: {"input": {**promotion(api, "Hello"), "storeCodes": ["nowhere"]}},
        "promotion.upsert",
        "promotion",
        lambda _: "welcome",
        expect=lambda api, _: (
            {"title": "Welcome", "bonus_points": 0},
            {"title": "Hello", "bonus_points": 20},
        ),
    ),
    "upsertSegment": Case(
        OPERATIONS["UpsertSegment"],
        segment_setup,
        lambda api, _: {"input": segment("Very loyal", 2)},
        lambda api, _: {"input": segment("")},
        "segment.upsert",
        "segment",
        lambda _: "loyal",
        expect=lambda api, _: (
            {"name": "Loyal", "rule": {"minTierLevel": 1}},
            {"name": "Very loyal", "rule": {"minTierLevel": 2}},
        ),
    ),
    "sendCampaign": Case(
        OPERATIONS["SendCampaign"],
        campaign_setup,
        lambda api, _: {"input": campaign(api, "Spring sale: last days")},
        lambda api, _: {"input": {**campaign(api, "Spring"), "segmentCode": "nobody"}},
        "campaign.send",
        "campaign",
        lambda _: "spring-sale",
        expect=lambda api, _: ({"title": "Spring sale"}, {"title": "Spring sale: last days"}),
    ),
    "useCoupon": Case(
        USE_COUPON,
        coupon_setup,
        lambda api, found: {"input": {"code": found["code"], "orderId": "order-1"}},
        lambda api, found: {"input": {"code": "FD-NOPE-NOPE-NOPE-NO", "orderId": "order-1"}},
        "coupon.use",
        "coupon",
        lambda found: found["code"],
        check=coupon_check,
    ),
    "useCoupon (a drop's code)": Case(
        USE_COUPON,
        drop_claim_setup,
        lambda api, found: {"input": {"code": found["code"], "orderId": "order-1"}},
        lambda api, found: {"input": {"code": found["code"], "orderId": ""}},
        "drop_claim.complete",
        "drop_claim",
        lambda found: found["code"],
        check=drop_claim_check,
    ),
}


async def entries() -> list[AuditEntry]:
    return await AuditEntry.all().order_by("id")


@pytest.mark.parametrize("name", list(CASES))
async def test_each_admin_mutation_writes_exactly_one_entry_with_what_changed(
    api: GraphQLClient, name: str
) -> None:
    case = CASES[name]
    found = await case.setup(api)
    already = len(await entries())

    result = await admin_call(api, case.document, case.variables(api, found))

    assert payload_errors(result) == [], result
    new = (await entries())[already:]
    assert len(new) == 1, [(e.action, e.target_id) for e in new]
    (entry,) = new
    assert (entry.actor, entry.action, entry.target_kind, entry.target_id) == (
        ADMIN,
        case.action,
        case.target_kind,
        case.target_id(found),
    )
    assert entry.request_id == "req-audit-1"
    assert entry.at == api.clock.now()
    if case.expect is not None:
        assert (entry.before, entry.after) == case.expect(api, found)
    else:
        assert case.check is not None
        case.check(entry.before, entry.after, api)


@pytest.mark.parametrize("name", list(CASES))
async def test_a_refused_admin_mutation_writes_no_entry(api: GraphQLClient, name: str) -> None:
    case = CASES[name]
    found = await case.setup(api)
    before = [(e.id, e.after) for e in await entries()]

    result = await admin_call(api, case.document, case.refused(api, found))

    assert payload_errors(result), result
    assert [(e.id, e.after) for e in await entries()] == before


async def test_creating_records_no_before_and_the_whole_item_after(api: GraphQLClient) -> None:
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(100)})
    (entry,) = await entries()
    assert entry.before is None
    assert entry.after["name"] == "Free coffee"
    assert entry.after["cost_points"] == 100
    assert "created_at" not in entry.after and "id" not in entry.after


async def test_a_change_that_changes_nothing_is_recorded_with_empty_sides(
    api: GraphQLClient,
) -> None:
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(100)})
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(100)})
    _, second = await entries()
    assert (second.action, second.before, second.after) == ("reward.upsert", {}, {})


async def test_a_change_rolled_back_leaves_no_entry(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is written in the change's transaction: when a later statement of that
    transaction fails, the change and its entry both roll back."""
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(100)})
    from domain.rewards import catalogue

    async def fail(part: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(catalogue, "bump_version", fail)
    response = await api.http.post(
        "/graphql",
        json={"query": OPERATIONS["UpsertReward"], "variables": {"input": reward(999)}},
        headers={"Authorization": f"Bearer {api.token('admin', ADMIN)}"},
    )
    assert error_codes(response.json()) == ["INTERNAL_SERVER_ERROR"]
    (entry,) = await entries()
    assert entry.before is None  # the creation's entry only
    from domain.rewards.models import Reward

    assert (await Reward.get(code="coffee")).cost_points == 100


async def test_the_log_reads_newest_first_in_pages(api: GraphQLClient) -> None:
    for cost in (1, 2, 3, 4, 5):
        await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(cost)})
    first = data(await api.admin(AUDIT_LOG, {"first": 2}))["auditLog"]
    assert [e["node"]["after"].get("cost_points") for e in first["edges"]] == [5, 4]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = data(await api.admin(AUDIT_LOG, {"first": 10, "after": first["pageInfo"]["endCursor"]}))[
        "auditLog"
    ]
    assert [e["node"]["after"]["cost_points"] for e in rest["edges"]] == [3, 2, 1]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}
    node = first["edges"][0]["node"]
    assert node["actor"] == ADMIN and node["requestId"] == "req-audit-1"
    assert node["before"] == {"cost_points": 4}


async def test_the_log_filters_by_actor_action_target_and_time(api: GraphQLClient) -> None:
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(10, "tea")})
    api.clock.advance(hours=1)
    middle = api.clock.now()
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(10, "cake")})
    await admin_call(api, OPERATIONS["UpsertStore"], {"input": store("Sol")})
    api.clock.advance(hours=1)
    response = await api.http.post(
        "/graphql",
        json={"query": OPERATIONS["UpsertReward"], "variables": {"input": reward(20, "tea")}},
        headers={"Authorization": f"Bearer {api.token('admin', 'other@shop')}"},
    )
    assert response.status_code == 200

    async def targets(**wanted: Any) -> list[str]:
        page = data(await api.admin(AUDIT_LOG, {"filter": wanted}))["auditLog"]
        return [f"{e['node']['targetKind']}:{e['node']['targetId']}" for e in page["edges"]]

    assert await targets() == ["reward:tea", "store:sol", "reward:cake", "reward:tea"]
    assert await targets(actor="other@shop") == ["reward:tea"]
    assert await targets(action="store.upsert") == ["store:sol"]
    assert await targets(targetKind="reward") == ["reward:tea", "reward:cake", "reward:tea"]
    assert await targets(targetKind="reward", targetId="tea") == ["reward:tea", "reward:tea"]
    assert await targets(**{"from": middle.isoformat()}) == [
        "reward:tea",
        "store:sol",
        "reward:cake",
    ]
    assert await targets(**{"to": middle.isoformat()}) == ["reward:tea"]
    assert await targets(
        **{"from": middle.isoformat(), "to": (middle + timedelta(minutes=1)).isoformat()}
    ) == ["store:sol", "reward:cake"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 101},
        {"first": -1},
        {"after": "not-a-cursor"},
        {"filter": {"targetId": "tea"}},
        {"filter": {"actor": "nul\u0000byte"}},
        {"filter": {"action": ""}},
        {"filter": {"targetKind": "k" * 41}},
        {"filter": {"from": "2026-01-02T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"}},
    ],
)
async def test_bad_arguments_are_client_errors(
    api: GraphQLClient, variables: dict[str, Any]
) -> None:
    result = await api.admin(AUDIT_LOG, variables)
    assert error_codes(result) == ["INVALID_INPUT"], result


@pytest.mark.parametrize(("role", "code"), [("member", "FORBIDDEN"), ("service", "FORBIDDEN")])
async def test_only_admins_read_the_log(api: GraphQLClient, role: str, code: str) -> None:
    await admin_call(api, OPERATIONS["UpsertReward"], {"input": reward(10)})
    result = await api.post(AUDIT_LOG, token=api.token(role, "alice"))
    assert error_codes(result) == [code]
    assert result["data"] is None
    unauthenticated = await api.post(AUDIT_LOG)
    assert error_codes(unauthenticated) == ["UNAUTHENTICATED"]


async def test_the_shops_checkout_is_not_an_admin_change(api: GraphQLClient) -> None:
    found = await coupon_setup(api)
    already = len(await entries())
    result = data(
        await api.service(USE_COUPON, {"input": {"code": found["code"], "orderId": "o-1"}})
    )
    assert result["useCoupon"]["userErrors"] == []
    assert len(await entries()) == already


async def test_an_erased_members_entries_no_longer_carry_their_customer_id(
    api: GraphQLClient,
) -> None:
    """The customer id is personal data, and a new member may get it later."""
    member_id = await member_with_points(api, "alice", 100)
    adjust = {"input": {"customerId": "alice", "delta": 10, "reason": "Goodwill"}}
    await admin_call(api, OPERATIONS["AdjustPoints"], adjust)
    erase = (
        """mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"""
    )
    assert data(await api.member("alice", erase))["deleteMyAccount"]["deleted"] is True

    (entry,) = await entries()
    assert (entry.target_kind, entry.target_id) == ("member", f"erased-member-{member_id}")
    page = data(
        await api.admin(AUDIT_LOG, {"filter": {"targetKind": "member", "targetId": "alice"}})
    )
    assert page["auditLog"]["edges"] == []


@pytest.mark.parametrize("name", ["useCoupon", "useCoupon (a drop's code)", "drawRaffle"])
async def test_a_repeated_admin_mutation_is_recorded_as_changing_nothing(
    api: GraphQLClient, name: str
) -> None:
    """Retrying a checkout with the same order, or drawing a drawn raffle, changes nothing:
    each call still writes its entry, with nothing on either side."""
    case = CASES[name]
    found = await case.setup(api)
    await admin_call(api, case.document, case.variables(api, found))
    already = len(await entries())

    result = await admin_call(api, case.document, case.variables(api, found))

    assert payload_errors(result) == [], result
    (entry,) = (await entries())[already:]
    assert (entry.action, entry.target_id) == (case.action, case.target_id(found))
    assert (entry.before, entry.after) == ({}, {})
