"""What the console reads beside the key figures: search, tiers, rewards, the ledger's actor."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import ADMIN, ANALYST, console_post, make_accounts, signed_in
from tests.api.test_points import setup_program
from tests.api.test_rewards import member_with_points, redeem, upsert

SEARCH = """query($text: String!) { searchMembers(text: $text) { customerId displayName } }"""
HISTORY = """query($id: String!) { member(customerId: $id) {
  pointsHistory(first: 10) { edges { node { kind delta description actor } } } } }"""
ADJUST = """mutation($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { userErrors { code } } }"""


async def test_members_are_found_by_customer_id_or_part_of_their_name(api: GraphQLClient) -> None:
    for sub, name in (("ana", "Ana Torres"), ("ana-2", "Mariana Ruiz"), ("bob", "Bob Anaya")):
        await api.member(sub, "mutation($n: String!) { updateProfile(input: {displayName: $n}) "
                         "{ userErrors { code } } }", {"n": name})  # fmt: skip
    found = data(await api.admin(SEARCH, {"text": "ana"}))["searchMembers"]
    assert [m["customerId"] for m in found] == ["ana", "bob", "ana-2"]  # exact id, then by name
    assert data(await api.admin(SEARCH, {"text": "RUIZ"}))["searchMembers"] == [
        {"customerId": "ana-2", "displayName": "Mariana Ruiz"}
    ]
    assert data(await api.admin(SEARCH, {"text": "  "}))["searchMembers"] == []
    assert error_codes(await api.member("ana", SEARCH, {"text": "a"})) == ["FORBIDDEN"]


async def test_the_tier_distribution_counts_members_per_tier(api: GraphQLClient) -> None:
    await setup_program(api)
    for sub in ("a", "b", "c"):
        await api.member(sub, "{ me { id } }")
    shares = data(await api.admin("{ tierDistribution { level code members } }"))
    assert shares["tierDistribution"][0] == {"level": 0, "code": "BRONZE", "members": 3}
    assert all(s["members"] == 0 for s in shares["tierDistribution"][1:])


async def test_the_most_redeemed_rewards_of_a_period(api: GraphQLClient) -> None:
    cheap = (await upsert(api, code="CHEAP", costPoints=10))["reward"]["id"]
    dear = (await upsert(api, code="DEAR", costPoints=30))["reward"]["id"]
    await member_with_points(api, "ana", 100)
    await redeem(api, "ana", dear)
    await redeem(api, "ana", cheap)
    await redeem(api, "ana", cheap)
    now = api.clock.now()
    period = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    top = data(
        await api.admin(
            """query($from: DateTime!, $to: DateTime!) { mostRedeemedRewards(from: $from, to: $to)
            { code redemptions pointsSpent } }""",
            period,
        )
    )["mostRedeemedRewards"]
    assert top == [
        {"code": "CHEAP", "redemptions": 2, "pointsSpent": 20},
        {"code": "DEAR", "redemptions": 1, "pointsSpent": 30},
    ]


async def test_the_ledger_shows_who_adjusted_points_to_admins_only(api: GraphQLClient) -> None:
    await make_accounts(api)
    await api.member("ana", "{ me { id } }")
    csrf = await signed_in(api, ADMIN)
    adjust = {"input": {"customerId": "ana", "delta": 25, "reason": "Late delivery"}}
    assert data((await console_post(api, ADJUST, adjust, csrf=csrf)).json())["adjustPoints"] == {
        "userErrors": []
    }
    entries = data(await api.admin(HISTORY, {"id": "ana"}))["member"]["pointsHistory"]["edges"]
    [entry] = [e["node"] for e in entries]
    assert (entry["kind"], entry["delta"], entry["actor"]) == ("ADJUST", 25, ADMIN)
    assert "Late delivery" in entry["description"]
    # An analyst reads it too; a member asking for it is refused.
    api.http.cookies.clear()
    analyst = await signed_in(api, ANALYST)
    read = (await console_post(api, HISTORY, {"id": "ana"}, csrf=analyst)).json()
    assert data(read)["member"]["pointsHistory"]["edges"][0]["node"]["actor"] == ADMIN
    mine = await api.member("ana", "{ me { pointsHistory { edges { node { actor } } } } }")
    assert error_codes(mine) == ["FORBIDDEN"]
