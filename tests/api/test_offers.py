"""me.recommendedRewards through the real app: the demo's cold start, the model's ranking,
its cost in statements, and an answer that is the caller's own (never a shared fragment)."""

from __future__ import annotations

from typing import Any

from api.seed import SEEDERS
from domain.members.models import Member
from domain.offers.services import OfferSettings, train_and_store
from domain.points import ledger
from domain.points.models import EntryKind
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.fakes.queries import count_queries
from tests.integration.offers_support import TASTES, buy, planted

RECOMMENDED = """
query Recommended($first: Int!) {
  me {
    recommendedRewards(first: $first) {
      basis modelVersion trainedAt
      rewards { basis score reason affordable pointsMissing reward { code canRedeem } }
    }
  }
}"""


async def recommended(api: GraphQLClient, sub: str, first: int = 5) -> dict[str, Any]:
    answer = data(await api.member(sub, RECOMMENDED, {"first": first}))
    return answer["me"]["recommendedRewards"]


async def test_the_demo_is_a_cold_start_answered_by_popularity_and_says_so(
    api: GraphQLClient,
) -> None:
    for seed in SEEDERS:
        await seed(api.runtime)
    await api.deliver_events()

    found = await recommended(api, "alice", 5)

    assert found["basis"] == "POPULAR"
    assert found["modelVersion"] is not None
    assert found["rewards"], found
    alice = await Member.get(customer_id="alice")
    for item in found["rewards"]:
        assert item["basis"] == "POPULAR"
        assert item["reason"] in (
            "Popular entre miembros como tú",
            "Popular entre nuestros miembros",
        )
        assert item["reward"]["code"] != "TOTE-BAG" or alice.tier_level >= 2  # Gold only
        assert item["reward"]["canRedeem"] == item["affordable"]
        assert item["pointsMissing"] >= 0


async def test_a_member_reads_the_models_ranking_with_reasons(api: GraphQLClient) -> None:
    now = api.clock.now()
    await planted(now)
    await api.member("runner", "{ me { id } }")  # created on first sight, as the app does
    runner = await Member.get(customer_id="runner")
    await buy(runner, "running-shoes", now, times=4)
    await ledger.credit(runner.id, 100, EntryKind.EARN, "test", now)
    run = await train_and_store(now, OfferSettings())

    found = await recommended(api, "runner", 2)

    assert found["basis"] == "MODEL"
    assert found["modelVersion"] == run.version
    assert sorted(i["reward"]["code"] for i in found["rewards"]) == sorted(TASTES["running-shoes"])
    assert {i["reason"] for i in found["rewards"]} == {"Because you often buy running shoes"}
    assert all(i["affordable"] and i["reward"]["canRedeem"] for i in found["rewards"])


async def test_the_list_costs_the_same_statements_for_five_or_twenty_rewards(
    api: GraphQLClient,
) -> None:
    now = api.clock.now()
    await planted(now)
    await api.member("runner", "{ me { id } }")
    runner = await Member.get(customer_id="runner")
    await buy(runner, "running-shoes", now, times=4)
    await train_and_store(now, OfferSettings())
    await recommended(api, "runner", 1)  # the process's catalogue is loaded once

    counts = []
    for first in (5, 20):
        with count_queries() as log:
            found = await recommended(api, "runner", first)
        assert len(found["rewards"]) == min(first, 8)
        counts.append(log.count)
    # The token's member, the versions, the stored ranking, the balance with coupons held
    # (canRedeem of the listed rewards comes with it).
    assert counts == [4, 4]


async def test_each_member_reads_their_own_list_never_someone_elses(api: GraphQLClient) -> None:
    now = api.clock.now()
    await planted(now)
    for sub, category in (("runner", "running-shoes"), ("yogi", "yoga")):
        await api.member(sub, "{ me { id } }")
        member = await Member.get(customer_id=sub)
        await buy(member, category, now, times=4)
    await train_and_store(now, OfferSettings())

    runner = await recommended(api, "runner", 2)
    yogi = await recommended(api, "yogi", 2)
    runner_again = await recommended(api, "runner", 2)

    assert {i["reward"]["code"] for i in runner["rewards"]} == set(TASTES["running-shoes"])
    assert {i["reward"]["code"] for i in yogi["rewards"]} == set(TASTES["yoga"])
    assert runner_again == runner


async def test_first_out_of_range_is_a_client_error(api: GraphQLClient) -> None:
    for first in (0, 21, -1):
        answer = await api.member("runner", RECOMMENDED, {"first": first})
        assert error_codes(answer) == ["INVALID_INPUT"], answer


CONFIGURE = """
mutation Configure($input: AnniversaryOfferInput!) {
  configureAnniversaryOffer(input: $input) {
    offer { enabled points rewardCode localHour }
    userErrors { code field }
  }
}"""


async def test_an_admin_configures_the_anniversary_offer(api: GraphQLClient) -> None:
    assert data(await api.admin("{ anniversaryOffer { enabled } }"))["anniversaryOffer"] is None
    refused = data(
        await api.admin(CONFIGURE, {"input": {"enabled": True, "points": -5, "rewardCode": "NONE"}})
    )["configureAnniversaryOffer"]
    assert refused["offer"] is None
    assert sorted((e["code"], tuple(e["field"])) for e in refused["userErrors"]) == [
        ("INVALID_INPUT", ("input", "points")),
        ("NOT_FOUND", ("input", "rewardCode")),
    ]

    saved = data(await api.admin(CONFIGURE, {"input": {"enabled": True, "points": 150}}))
    assert saved["configureAnniversaryOffer"] == {
        "offer": {"enabled": True, "points": 150, "rewardCode": None, "localHour": 9},
        "userErrors": [],
    }
    member = await api.member("alice", CONFIGURE, {"input": {"enabled": False}})
    assert error_codes(member) == ["FORBIDDEN"]
