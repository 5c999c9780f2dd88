"""Drops through GraphQL, driven by the contract's own operations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from graphql import print_ast
from tortoise import connections

from api.drop_gate import RedisUnitCounter
from api.types.drops import Drop as DropType
from domain.drops.models import Drop, DropClaim
from domain.drops.queries import DropShelf
from domain.members.services import get_member, get_or_create_member
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.contract.contract_check import operations

OPERATIONS = {name.split(":")[1]: print_ast(document) for name, document in operations()}
UPSERT, DROPS, CLAIM, DRAW = (
    OPERATIONS[n] for n in ("UpsertDrop", "Drops", "ClaimDrop", "DrawRaffle")
)
COMPLETE = """
mutation Complete($input: CompleteDropClaimInput!) {
  completeDropClaim(input: $input) { claim { id status completedAt orderId } userErrors { code field message } }
}"""
COUPON = "query DropCoupon($code: String!) { dropCoupon(code: $code) { id status couponCode drop { code } } }"


def drop_input(api: GraphQLClient, **changes: Any) -> dict[str, Any]:
    now = api.clock.now()
    return {
        "code": "SNEAKER-24",
        "title": "Limited sneaker",
        "description": "Numbered pair.",
        "opensAt": (now + timedelta(hours=1)).isoformat(),
        "closesAt": (now + timedelta(hours=3)).isoformat(),
        "quantity": 2,
        "pricePoints": 100,
        **changes,
    }


async def upsert(api: GraphQLClient, **changes: Any) -> dict[str, Any]:
    payload = data(await api.admin(UPSERT, {"input": drop_input(api, **changes)}))["upsertDrop"]
    assert payload["userErrors"] == [], payload
    return payload["drop"]


async def member_with(api: GraphQLClient, sub: str, points: int, **fields: Any) -> int:
    member = await get_or_create_member(sub, api.clock.now() - timedelta(days=1))
    if fields:
        await type(member).filter(id=member.id).update(**fields)
    if points:
        await ledger.credit(member.id, points, EntryKind.EARN, "purchase", member.joined_at)
    return member.id


async def claim(
    api: GraphQLClient, sub: str, drop_id: str, key: str | None = None
) -> dict[str, Any]:
    variables = {"input": {"dropId": drop_id, "idempotencyKey": key}}
    return data(await api.member(sub, CLAIM, variables))["claimDrop"]


async def test_an_admin_defines_a_drop_and_members_may_not(api: GraphQLClient) -> None:
    drop = await upsert(api)
    assert drop["code"] == "SNEAKER-24"
    assert (drop["mode"], drop["status"], drop["totalQuantity"], drop["remainingQuantity"]) == (
        "FIRST_COME",
        "UPCOMING",
        2,
        2,
    )
    result = await api.member("ana", UPSERT, {"input": drop_input(api)})
    assert error_codes(result) == ["FORBIDDEN"]


async def test_invalid_drops_are_refused_field_by_field(api: GraphQLClient) -> None:
    now = api.clock.now()
    result = data(
        await api.admin(
            UPSERT,
            {
                "input": drop_input(
                    api,
                    closesAt=now.isoformat(),
                    quantity=0,
                    pricePoints=-1,
                    requiredBadgeCode="NOPE",
                )
            },
        )
    )["upsertDrop"]
    assert result["drop"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("INVALID_INPUT", ["input", "closesAt"]),
        ("INVALID_INPUT", ["input", "quantity"]),
        ("INVALID_INPUT", ["input", "pricePoints"]),
        ("NOT_FOUND", ["input", "requiredBadgeCode"]),
    ]
    assert await Drop.all().count() == 0


async def test_members_see_their_own_opening_status_and_reasons(api: GraphQLClient) -> None:
    await upsert(api, minTierLevel=1, earlyAccessTierLevel=2, earlyAccessMinutes=90)
    await member_with(api, "gold", 100, tier_level=2)
    await member_with(api, "base", 100, tier_level=0, locale="es")

    gold = data(await api.member("gold", DROPS, {}))["drops"]
    base = data(await api.member("base", DROPS, {}))["drops"]
    assert gold[0]["status"] == "OPEN"
    assert gold[0]["eligibility"] == {
        "eligible": True,
        "opensForMeAt": (api.clock.now() - timedelta(minutes=30)).isoformat(),
        "reasons": [],
    }
    assert base[0]["status"] == "UPCOMING"
    assert base[0]["eligibility"]["eligible"] is False
    assert base[0]["eligibility"]["reasons"] == ["Reservado para miembros de nivel 1 o superior."]
    assert gold[0]["myClaim"] is None
    assert [
        d["code"] for d in data(await api.member("gold", DROPS, {"status": "OPEN"}))["drops"]
    ] == ["SNEAKER-24"]
    assert data(await api.member("base", DROPS, {"status": "OPEN"}))["drops"] == []


async def test_a_member_who_cannot_afford_the_price_is_told_so_in_their_language_not_eligible(
    api: GraphQLClient,
) -> None:
    await upsert(api, pricePoints=250)
    await member_with(api, "rich", 250)
    await member_with(api, "poor", 40, locale="es-ES")
    api.clock.advance(hours=1)

    rich = data(await api.member("rich", DROPS, {}))["drops"][0]["eligibility"]
    poor = data(await api.member("poor", DROPS, {}))["drops"][0]["eligibility"]

    assert (rich["eligible"], rich["reasons"]) == (True, [])
    assert (poor["eligible"], poor["reasons"]) == (
        False,
        ["Este lanzamiento cuesta 250 puntos y tienes 40."],
    )


async def test_a_claim_returns_a_coupon_and_the_fresh_stock(api: GraphQLClient) -> None:
    drop = await upsert(api)
    await member_with(api, "ana", 500)
    api.clock.advance(hours=1)

    first = await claim(api, "ana", drop["id"], key="tap-1")
    assert first["userErrors"] == []
    assert first["claim"]["status"] == "RESERVED"
    assert first["claim"]["couponCode"].startswith("DR-")
    assert first["claim"]["drop"] == {"id": drop["id"], "remainingQuantity": 1, "status": "OPEN"}

    again = await claim(api, "ana", drop["id"], key="tap-1")
    assert again["claim"]["id"] == first["claim"]["id"]
    other = await claim(api, "ana", drop["id"])
    assert [(e["code"], e["message"]) for e in other["userErrors"]] == [
        ("ALREADY_CLAIMED", "You already claimed this drop.")
    ]
    mine = data(await api.member("ana", DROPS, {}))["drops"][0]["myClaim"]
    assert mine == {
        "id": first["claim"]["id"],
        "status": "RESERVED",
        "couponCode": first["claim"]["couponCode"],
    }
    assert await PointsEntry.filter(kind=EntryKind.REDEEM).count() == 1


async def test_claim_errors_are_typed_and_change_nothing(api: GraphQLClient) -> None:
    drop = await upsert(api, pricePoints=1000)
    await member_with(api, "ana", 10)
    early = await claim(api, "ana", drop["id"])
    opens = (api.clock.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M UTC")
    assert [(e["code"], e["message"]) for e in early["userErrors"]] == [
        ("NOT_OPEN", f"This drop opens for you at {opens}.")
    ]
    api.clock.advance(hours=1)
    poor = await claim(api, "ana", drop["id"])
    assert [e["code"] for e in poor["userErrors"]] == ["INSUFFICIENT_POINTS"]
    unknown = await claim(api, "ana", "abc")
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("NOT_FOUND", ["input", "dropId"])
    ]
    assert await DropClaim.all().count() == 0
    assert (await Drop.get(code="SNEAKER-24")).remaining == 2


async def test_a_member_hammering_claim_drop_is_rate_limited(api: GraphQLClient) -> None:
    drop = await upsert(api, quantity=5)
    await member_with(api, "ana", 1000)
    api.clock.advance(hours=1)
    limit = api.settings.drop_claim_rate_limit
    codes = []
    for _ in range(limit + 3):
        payload = await claim(api, "ana", drop["id"])
        codes.append(payload["userErrors"][0]["code"] if payload["userErrors"] else "OK")
    assert codes == ["OK"] + ["ALREADY_CLAIMED"] * (limit - 1) + ["RATE_LIMITED"] * 3
    api.clock.advance(seconds=api.settings.drop_claim_rate_window_seconds)
    later = await claim(api, "ana", drop["id"])
    assert [e["code"] for e in later["userErrors"]] == ["ALREADY_CLAIMED"]
    assert await DropClaim.all().count() == 1


def hold_gate_steady(api: GraphQLClient) -> None:
    """The admission gate keeps its terms and stock for the test: the test's pace must not
    decide whether they are read again."""
    admission = api.runtime.drop_admission
    assert admission is not None
    admission.terms_max_age = admission.refill_every = 3600


async def test_after_the_last_unit_claims_are_refused_by_the_gate_without_reading_the_drop(
    api: GraphQLClient,
) -> None:
    hold_gate_steady(api)
    drop = await upsert(api, quantity=1)
    await member_with(api, "ana", 500)
    await member_with(api, "luz", 500, locale="es")
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", drop["id"]))["userErrors"] == []
    await claim(api, "luz", drop["id"])  # the first empty gate asks the database once

    with counting_queries() as seen:
        late = await claim(api, "luz", drop["id"], key="late")

    assert [(e["code"], e["message"]) for e in late["userErrors"]] == [
        ("OUT_OF_STOCK", "Este lanzamiento está agotado.")
    ]
    # The member's id and locale with whether this key already claimed, in one statement:
    # nothing of the drop or its stock, and no member row.
    assert len(seen) == 1, seen
    assert not any("exclusive_drop" in query for query in seen), seen
    assert await DropClaim.all().count() == 1


async def test_a_keyed_claim_retried_after_the_sellout_returns_the_first_claim(
    api: GraphQLClient,
) -> None:
    hold_gate_steady(api)
    drop = await upsert(api, quantity=1)
    ana = await member_with(api, "ana", 500, locale="es")
    await member_with(api, "luz", 500)
    api.clock.advance(hours=1)
    first = await claim(api, "ana", drop["id"], key="tap")
    assert first["userErrors"] == [] and first["claim"]["status"] == "RESERVED"
    sold_out = await claim(api, "luz", drop["id"], key="tap")  # the same key, another member
    assert [e["code"] for e in sold_out["userErrors"]] == ["OUT_OF_STOCK"]

    again = await claim(api, "ana", drop["id"], key="tap")
    other_key = await claim(api, "ana", drop["id"], key="tap-2")

    assert again == first
    assert [(e["code"], e["message"]) for e in other_key["userErrors"]] == [
        ("OUT_OF_STOCK", "Este lanzamiento está agotado.")
    ]
    assert other_key["claim"] is None
    assert await DropClaim.all().count() == 1
    assert (await ledger.summary(ana, api.clock.now())).balance == 400


async def test_a_member_seen_first_on_a_sold_out_claim_is_refused_and_created(
    api: GraphQLClient,
) -> None:
    hold_gate_steady(api)
    drop = await upsert(api, quantity=1)
    await member_with(api, "ana", 500)
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", drop["id"]))["userErrors"] == []

    refused = await claim(api, "newcomer", drop["id"], key="tap")

    assert [(e["code"], e["message"]) for e in refused["userErrors"]] == [
        ("OUT_OF_STOCK", "This drop is sold out.")
    ]
    assert await get_member("newcomer") is not None
    assert await DropClaim.all().count() == 1


@contextmanager
def counting_redis_commands(api: GraphQLClient) -> Iterator[list[str]]:
    redis = api.runtime.redis
    seen: list[str] = []
    original = redis.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        seen.append(str(args[0]))
        return await original(*args, **options)

    redis.execute_command = counted  # type: ignore[method-assign]  # a spy on this client only
    try:
        yield seen
    finally:
        del redis.execute_command


async def test_after_the_last_unit_a_claim_costs_one_redis_round_trip_rate_limit_included(
    api: GraphQLClient,
) -> None:
    hold_gate_steady(api)
    drop = await upsert(api, quantity=1)
    await member_with(api, "ana", 500)
    await member_with(api, "luz", 500)
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", drop["id"]))["userErrors"] == []
    await claim(api, "luz", drop["id"])  # the first empty gate asks the database once

    with counting_queries() as seen, counting_redis_commands(api) as commands:
        late = await claim(api, "luz", drop["id"])

    assert [e["code"] for e in late["userErrors"]] == ["OUT_OF_STOCK"]
    # One statement: the member's locale (and the claim of the key, had one been sent).
    assert len(seen) == 1, seen
    # The rate limit's count and the gate's answer in one script; on a Redis Cluster the rate
    # limit's key lives in another slot and is counted by a script of its own first.
    clustered = isinstance(api.runtime.redis, aioredis.RedisCluster)
    assert commands == ["EVALSHA"] * (2 if clustered else 1), commands


async def test_a_member_past_the_rate_limit_at_the_gate_is_refused_before_being_looked_up(
    api: GraphQLClient,
) -> None:
    admission = api.runtime.drop_admission
    assert admission is not None
    admission.terms_max_age = 3600
    drop = await upsert(api, quantity=5)
    await member_with(api, "ana", 1000)
    api.clock.advance(hours=1)
    for _ in range(api.settings.drop_claim_rate_limit):
        await claim(api, "ana", drop["id"])

    with counting_queries() as seen, counting_redis_commands(api) as commands:
        refused = await claim(api, "ana", drop["id"])

    assert [e["code"] for e in refused["userErrors"]] == ["RATE_LIMITED"]
    assert seen == [] and commands == ["EVALSHA"], (seen, commands)
    # Nothing was taken from the gate: the four units left are all still there.
    assert isinstance(admission.counter, RedisUnitCounter)
    assert await api.runtime.redis.get(admission.counter.key(int(drop["id"]))) in (b"4", "4")


async def test_a_raffle_is_entered_then_drawn_once_from_its_seed(api: GraphQLClient) -> None:
    drop = await upsert(api, code="RAFFLE-1", mode="RAFFLE", quantity=2)
    for name in ("ana", "bea", "carl", "dani", "eva"):
        await member_with(api, name, 300)
    api.clock.advance(hours=1)
    for name in ("ana", "bea", "carl", "dani", "eva"):
        entry = await claim(api, name, drop["id"])
        assert entry["claim"]["status"] == "ENTERED" and entry["claim"]["couponCode"] is None

    early = data(await api.admin(DRAW, {"input": {"dropCode": "RAFFLE-1", "seed": "s"}}))
    assert [e["code"] for e in early["drawRaffle"]["userErrors"]] == ["NOT_OPEN"]
    api.clock.advance(hours=2)
    drawn = data(await api.admin(DRAW, {"input": {"dropCode": "RAFFLE-1", "seed": "s"}}))
    again = data(await api.admin(DRAW, {"input": {"dropCode": "RAFFLE-1", "seed": "x"}}))
    assert drawn["drawRaffle"]["seed"] == again["drawRaffle"]["seed"] == "s"
    assert len(drawn["drawRaffle"]["winners"]) == 2
    assert drawn["drawRaffle"]["winners"] == again["drawRaffle"]["winners"]
    statuses = []
    for name in ("ana", "bea", "carl", "dani", "eva"):
        mine = data(await api.member(name, DROPS, {}))["drops"][0]["myClaim"]
        statuses.append(mine["status"])
    assert sorted(statuses) == ["LOST", "LOST", "LOST", "WON", "WON"]
    forbidden = await api.member("ana", DRAW, {"input": {"dropCode": "RAFFLE-1"}})
    assert error_codes(forbidden) == ["FORBIDDEN"]


async def test_the_shop_looks_up_and_completes_a_drop_coupon(api: GraphQLClient) -> None:
    drop = await upsert(api)
    await member_with(api, "ana", 500)
    api.clock.advance(hours=1)
    code = (await claim(api, "ana", drop["id"]))["claim"]["couponCode"]

    found = data(await api.service(COUPON, {"code": code.lower()}))["dropCoupon"]
    assert (found["status"], found["couponCode"], found["drop"]) == (
        "RESERVED",
        code,
        {"code": "SNEAKER-24"},
    )
    done = data(await api.service(COMPLETE, {"input": {"code": code, "orderId": "A-1"}}))
    assert done["completeDropClaim"]["claim"]["orderId"] == "A-1"
    twice = data(await api.service(COMPLETE, {"input": {"code": code, "orderId": "B-2"}}))
    assert [e["code"] for e in twice["completeDropClaim"]["userErrors"]] == ["ALREADY_USED"]
    assert data(await api.service(COUPON, {"code": "DR-2222-2222-2222-22"}))["dropCoupon"] is None
    assert error_codes(await api.member("ana", COUPON, {"code": code})) == ["FORBIDDEN"]


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    client = type(connections.get("default"))
    seen: list[str] = []
    originals = {name: getattr(client, name) for name in ("execute_query", "execute_query_dict")}

    def wrap(name: str) -> Any:
        async def counted(self: Any, query: str, values: Any = None) -> Any:
            seen.append(query)
            return await originals[name](self, query, values)

        return counted

    for name in originals:
        setattr(client, name, wrap(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(client, name, original)


@pytest.mark.parametrize("count", [3, 30])
async def test_listing_drops_costs_the_same_queries_however_many(
    api: GraphQLClient, count: int, request: pytest.FixtureRequest
) -> None:
    await member_with(api, "ana", 0)
    for i in range(count):
        await upsert(api, code=f"D{i}")
    await data_of_drops(api)  # the member exists and caches are warm
    with counting_queries() as seen:
        drops = await data_of_drops(api)
    assert len(drops) == count
    # the member with their claims, their balance and the drops' version, in one statement (a
    # drop has a price; badges only when one requires one); the drops themselves come from
    # the process's shelf
    assert len(seen) == 1, seen
    assert "FROM member" in seen[0] and "drop_claim" in seen[0], seen


async def test_the_drops_screen_reads_claims_and_balance_together_as_apart(
    api: GraphQLClient,
) -> None:
    first = await upsert(api, code="D1", pricePoints=100)
    second = await upsert(api, code="D2", pricePoints=150)
    await upsert(api, code="D3", pricePoints=0)
    await member_with(api, "ana", 200)
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", first["id"]))["userErrors"] == []
    await claim(api, "ana", first["id"], key="again")  # a second claim: the first is shown
    await data_of_drops(api)  # the process's drops shelf is filled
    with counting_queries() as seen:
        screen = await data_of_drops(api)
    assert len(seen) == 1, seen
    claims = {d["code"]: d["myClaim"] for d in screen}
    assert claims["D1"] is not None and claims["D1"]["status"] == "RESERVED"
    assert (claims["D2"], claims["D3"]) == (None, None)
    # 100 left: too few for D2's 150
    assert not next(d for d in screen if d["id"] == second["id"])["eligibility"]["eligible"]
    apart = {
        part: {
            d["id"]: d[part]
            for d in data(await api.member("ana", f"{{ drops {{ id {selection} }} }}"))["drops"]
        }
        for part, selection in (
            ("myClaim", "myClaim { id status couponCode }"),
            ("eligibility", "eligibility { eligible opensForMeAt reasons }"),
            ("status", "status"),
        )
    }
    for drop in screen:
        assert drop["myClaim"] == apart["myClaim"][drop["id"]]
        assert drop["eligibility"] == apart["eligibility"][drop["id"]]
        assert drop["status"] == apart["status"][drop["id"]]


async def test_the_drops_screen_answers_each_drops_member_fields_from_its_one_read(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await upsert(api, code="D1", pricePoints=100)
    await upsert(api, code="D2", pricePoints=150, minTierLevel=2)
    await member_with(api, "ana", 200)
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", first["id"]))["userErrors"] == []
    expected = await data_of_drops(api)

    def awaited(*_: object) -> None:
        raise AssertionError("a member field of a listed drop read apart")

    # the fields' own reads (a coroutine each, gathered in tasks) are not needed: the
    # screen's statement read the member, their claims and their balance
    for read in ("_status", "_eligibility", "_my_claim"):
        monkeypatch.setattr(DropType, read, awaited)
    screen = await data_of_drops(api)

    assert screen == expected
    assert [d["status"] for d in screen] == ["OPEN", "OPEN"]
    assert [d["eligibility"]["eligible"] for d in screen] == [True, False]
    assert screen[0]["myClaim"]["status"] == "RESERVED" and screen[1]["myClaim"] is None


async def test_a_member_seen_first_on_the_drops_screen_is_created_and_sees_it_afresh(
    api: GraphQLClient,
) -> None:
    await upsert(api, code="D1", pricePoints=100)
    await upsert(api, code="D2", pricePoints=0)
    await data_of_drops(api)  # the process's drops shelf is filled (ana is created)
    assert await get_member("cai") is None
    with counting_queries() as seen:
        first = data(await api.member("cai", DROPS, {}))["drops"]
    cai = await get_member("cai")
    with counting_queries() as again:
        second = data(await api.member("cai", DROPS, {}))["drops"]

    assert cai is not None and cai.erased_at is None
    assert await type(cai).filter(customer_id="cai").count() == 1
    by_code = {d["code"]: d for d in first}
    assert [d["myClaim"] for d in first] == [None, None]
    assert by_code["D1"]["eligibility"]["eligible"] is False
    assert by_code["D1"]["eligibility"]["reasons"] == ["This drop costs 100 points and you have 0."]
    assert by_code["D2"]["eligibility"]["eligible"] is True
    assert second == first
    # no member yet: the joined read finds none, the member is looked up again and created,
    # then their claims and balance are read apart; from then on, one statement
    assert "FROM member" in seen[0] and "drop_claim" in seen[0], seen
    assert "drop_claim" in seen[-1] and "FROM member" not in seen[-1], seen
    assert len(again) == 1, again


async def test_a_member_who_erases_their_account_and_comes_back_sees_drops_afresh(
    api: GraphQLClient,
) -> None:
    drop = await upsert(api, code="D1", pricePoints=100)
    old_id = await member_with(api, "ana", 500)
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", drop["id"]))["userErrors"] == []
    before = await data_of_drops(api)
    erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"
    assert data(await api.member("ana", erase))["deleteMyAccount"]["deleted"] is True

    back = await data_of_drops(api)
    with counting_queries() as seen:
        steady = await data_of_drops(api)

    assert before[0]["myClaim"]["status"] == "RESERVED"
    ana = await get_member("ana")
    assert ana is not None and ana.id != old_id
    assert await type(ana).filter(customer_id="ana").count() == 1
    # the new member: no claim of the erased one's, and none of their 400 points left
    assert back[0]["myClaim"] is None
    assert back[0]["eligibility"]["eligible"] is False
    assert back[0]["eligibility"]["reasons"] == ["This drop costs 100 points and you have 0."]
    assert steady == back
    assert len(seen) == 1, seen


async def test_the_drops_screen_after_the_member_was_read_reads_their_parts_apart(
    api: GraphQLClient,
) -> None:
    first = await upsert(api, code="D1", pricePoints=100)
    await upsert(api, code="D2", pricePoints=450)
    await member_with(api, "ana", 500)
    api.clock.advance(hours=1)
    assert (await claim(api, "ana", first["id"]))["userErrors"] == []
    screen = await data_of_drops(api)
    with_me = OPERATIONS["Drops"].replace("drops(", "me { id } drops(", 1)
    with counting_queries() as seen:
        both = data(await api.member("ana", with_me, {}))

    # `me` read the member first: the drops screen's claims and balance are read alone
    assert len(seen) == 2 and "drop_claim" not in seen[0] and "FROM member" not in seen[1], seen
    assert both["me"]["id"] and both["drops"] == screen
    assert screen[0]["myClaim"]["status"] == "RESERVED"
    assert screen[1]["eligibility"]["reasons"] == ["This drop costs 450 points and you have 400."]


async def data_of_drops(api: GraphQLClient) -> list[dict[str, Any]]:
    return data(await api.member("ana", DROPS, {}))["drops"]


USE_COUPON = """
mutation UseCoupon($input: UseCouponInput!) {
  useCoupon(input: $input) {
    redemption { id couponCode status }
    dropClaim { status orderId couponCode }
    userErrors { code field message }
  }
}"""


async def test_the_checkout_coupon_field_also_completes_a_drop_reservation(
    api: GraphQLClient,
) -> None:
    drop = await upsert(api)
    await member_with(api, "ana", 500)
    api.clock.advance(hours=1)
    code = (await claim(api, "ana", drop["id"]))["claim"]["couponCode"]

    used = data(await api.service(USE_COUPON, {"input": {"code": code, "orderId": "A-1"}}))
    assert used["useCoupon"]["userErrors"] == []
    assert used["useCoupon"]["redemption"] is None
    assert used["useCoupon"]["dropClaim"]["orderId"] == "A-1"
    again = data(await api.service(USE_COUPON, {"input": {"code": code, "orderId": "B-2"}}))
    assert [e["code"] for e in again["useCoupon"]["userErrors"]] == ["ALREADY_USED"]
    unknown = data(
        await api.service(USE_COUPON, {"input": {"code": "DR-2222-2222-2222-22", "orderId": "C"}})
    )
    assert [e["code"] for e in unknown["useCoupon"]["userErrors"]] == ["INVALID_CODE"]


class Ticking:
    """A monotonic clock the test moves (the drops shelf's measure of its rows' age)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def shelf_on(api: GraphQLClient) -> Ticking:
    """The runtime's drops shelf, on a monotonic clock that only the test moves."""
    ticking = Ticking()
    api.runtime.drops = DropShelf(api.clock, ticks=ticking)
    return ticking


LIST = "{ drops { code title status remainingQuantity drawnAt } }"


async def listed_by(api: GraphQLClient, query: str = LIST) -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in data(await api.member("ana", query))["drops"]}


#: The list with the member's parts: the drops' version comes with their claims and balance.
LIST_WITH_CLAIMS = (
    "{ drops { code title status remainingQuantity drawnAt "
    "myClaim { id } eligibility { eligible } } }"
)


@pytest.mark.parametrize("query", [LIST, LIST_WITH_CLAIMS], ids=["versions", "claims"])
async def test_an_admin_change_made_on_another_process_is_listed_at_once(
    api: GraphQLClient, query: str
) -> None:
    """The process answering (its shelf) is not the one where the admin changed the drop:
    they share only the database, and no time passes on the shelf's clock."""
    shelf_on(api)
    await member_with(api, "ana", 0)
    await upsert(api, code="RAFFLE-1", mode="RAFFLE", quantity=2)

    async def listed(api: GraphQLClient) -> dict[str, dict[str, Any]]:
        return await listed_by(api, query)

    assert (await listed(api))["RAFFLE-1"]["title"] == "Limited sneaker"

    # another process: its own writes, the same database
    from domain.audit import SYSTEM
    from domain.catalogue_translations import CatalogueKind, set_translations
    from domain.drops.definition import DropInput, upsert_drop
    from domain.drops.draw import draw_raffle
    from domain.drops.models import DropMode
    from domain.members.models import Member
    from domain.translations import TranslationDraft

    now = api.clock.now()
    changed = DropInput(
        code="RAFFLE-1",
        title="Signed sneaker",
        description="Numbered pair.",
        mode=DropMode.RAFFLE,
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(hours=3),
        quantity=2,
        price_points=100,
    )
    await upsert_drop(changed, now)
    await upsert_drop(replace(changed, code="NEW-1", title="New"), now)
    seen = await listed(api)
    assert (seen["RAFFLE-1"]["title"], seen["NEW-1"]["title"]) == ("Signed sneaker", "New")

    await Member.filter(customer_id="ana").update(locale="es")
    await set_translations(
        CatalogueKind.DROP, "NEW-1", [TranslationDraft("es", "Nueva")], now, SYSTEM
    )
    assert (await listed(api))["NEW-1"]["title"] == "Nueva"

    api.clock.advance(hours=4)
    await draw_raffle("RAFFLE-1", "s", api.clock.now())
    drawn = (await listed(api))["RAFFLE-1"]
    assert (drawn["drawnAt"], drawn["status"]) == (api.clock.now().isoformat(), "CLOSED")


async def test_a_claims_stock_is_listed_within_a_second(api: GraphQLClient) -> None:
    ticking = shelf_on(api)
    drop = await upsert(api, quantity=1)
    await member_with(api, "ana", 500)
    await member_with(api, "bea", 500)
    api.clock.advance(hours=1)
    before = (await listed_by(api))["SNEAKER-24"]
    assert (before["status"], before["remainingQuantity"]) == ("OPEN", 1)

    assert (await claim(api, "bea", drop["id"]))["userErrors"] == []
    ticking.now += 0.5
    assert (await listed_by(api))["SNEAKER-24"] == before  # within the second, the stock may lag
    ticking.now += 0.51
    after = (await listed_by(api))["SNEAKER-24"]
    assert (after["status"], after["remainingQuantity"]) == ("SOLD_OUT", 0)


async def test_a_listed_drop_opens_and_closes_on_the_clock_without_reading_it_again(
    api: GraphQLClient,
) -> None:
    shelf_on(api)
    await upsert(api)
    await upsert(api, code="LATER", closesAt=(api.clock.now() + timedelta(days=40)).isoformat())
    await member_with(api, "ana", 0)
    opening = "{ drops(status: OPEN) { code } }"
    api.clock.advance(hours=1, seconds=-1)
    assert (await listed_by(api))["SNEAKER-24"]["status"] == "UPCOMING"
    assert await listed_by(api, opening) == {}

    moments = [
        (timedelta(seconds=1), "OPEN"),
        (timedelta(hours=2), "CLOSED"),
        (timedelta(days=30), None),  # closed for 30 days: out of the list
    ]
    with counting_queries() as seen:
        for step, status in moments:
            api.clock.advance(step)
            found = await listed_by(api)
            assert found.get("SNEAKER-24", {}).get("status") == status, step
            assert ("SNEAKER-24" in await listed_by(api, opening)) == (status == "OPEN")
    assert not [q for q in seen if "exclusive_drop" in q], seen


async def test_closed_drops_are_read_from_the_database_with_the_members_parts_in_one_statement(
    api: GraphQLClient,
) -> None:
    await upsert(api, code="D1")
    await member_with(api, "ana", 0)
    api.clock.advance(hours=4)
    await data_of_drops(api)
    with counting_queries() as seen:
        closed = data(await api.member("ana", DROPS, {"status": "CLOSED"}))["drops"]
    assert [(d["code"], d["status"], d["myClaim"]) for d in closed] == [("D1", "CLOSED", None)]
    # member, the closed drops, the claims with the balance
    assert len(seen) == 3, seen
