"""Personal offers on a real database: training, storage, the ranking the app reads, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.offers import interactions
from domain.offers.models import MemberRecommendation, PopularReward, RecommendationModel
from domain.offers.ranking import recommended_rewards
from domain.offers.services import OfferSettings, retrain_if_due, train_and_store
from domain.offers.training import Basis
from domain.points import ledger
from domain.points.models import EntryKind
from domain.privacy.erasure import delete_my_account
from domain.rewards.catalogue import active_rewards
from domain.rewards.models import Reward
from tests.integration.offers_support import TASTES, buy, new_member, planted, redeem
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SETTINGS = OfferSettings(retrain_after=5)


async def test_a_member_who_always_buys_one_category_gets_that_categorys_rewards_first() -> None:
    await planted(NOW)
    runner = await new_member("runner", NOW, locale="en", country="ES")
    corredora = await new_member("corredora", NOW, locale="es-MX", country="GB")
    for member in (runner, corredora):
        await buy(member, "running-shoes", NOW, times=4)

    run = await train_and_store(NOW, SETTINGS)
    assert (run.created, run.basis) == (True, Basis.MODEL)

    for member, reason in (
        (runner, "Because you often buy running shoes"),
        (corredora, "Porque sueles comprar running shoes"),
    ):
        found = await recommended_rewards(member, await active_rewards(), NOW, 5)
        assert found.basis is Basis.MODEL
        assert found.version == run.version
        first_two = [item.reward.code for item in found.rewards[:2]]
        assert sorted(first_two) == sorted(TASTES["running-shoes"]), first_two
        assert [item.reason for item in found.rewards[:2]] == [reason, reason]
        assert all(item.basis is Basis.MODEL for item in found.rewards)
        assert found.rewards[0].score > found.rewards[-1].score


async def test_rewards_the_member_may_not_redeem_never_appear_and_affordability_is_shown() -> None:
    rewards = await planted(NOW)
    runner = await new_member("runner", NOW)
    await buy(runner, "running-shoes", NOW, times=4)
    await ledger.credit(runner.id, 150, EntryKind.EARN, "test", NOW - timedelta(days=1))
    await train_and_store(NOW, SETTINGS)
    # After training: one reward sold out, one for a higher tier, one withdrawn.
    await Reward.filter(id=rewards["RUN-SOCKS"].id).update(stock=10, remaining_stock=0)
    await Reward.filter(id=rewards["RUN-CAP"].id).update(min_tier_level=2)
    await Reward.filter(id=rewards["YOGA-MAT"].id).update(active=False)
    await Reward.filter(id=rewards["BOOK-MARK"].id).update(cost_points=400)

    found = await recommended_rewards(runner, await active_rewards(), NOW, 20)

    codes = [item.reward.code for item in found.rewards]
    assert not {"RUN-SOCKS", "RUN-CAP", "YOGA-MAT"} & set(codes)
    assert len(codes) == len(set(codes)) == 5
    by_code = {item.reward.code: item for item in found.rewards}
    assert (by_code["COFFEE-MUG"].affordable, by_code["COFFEE-MUG"].points_missing) == (True, 0)
    assert (by_code["BOOK-MARK"].affordable, by_code["BOOK-MARK"].points_missing) == (False, 250)


async def test_a_new_member_gets_what_their_tier_and_region_redeem_most_and_is_told_so() -> None:
    rewards = await planted(NOW)
    # Gold members in Portugal redeem coffee.
    for n in range(4):
        gold = await new_member(f"gold-{n}", NOW, country="PT", tier_level=2)
        for _ in range(2):
            await redeem(gold, rewards["COFFEE-BEANS"], NOW - timedelta(days=3))
    await train_and_store(NOW, SETTINGS)
    newcomer = await new_member("newcomer", NOW, country="PT", tier_level=2, locale="es")
    stranger = await new_member("stranger", NOW, country="FR")

    found = await recommended_rewards(newcomer, await active_rewards(), NOW, 3)
    assert found.basis is Basis.POPULAR
    assert found.rewards[0].reward.code == "COFFEE-BEANS"
    assert found.rewards[0].reason == "Popular entre miembros como tú"
    assert {item.basis for item in found.rewards} == {Basis.POPULAR}

    elsewhere = await recommended_rewards(stranger, await active_rewards(), NOW, 3)
    assert elsewhere.basis is Basis.POPULAR
    assert {item.reason for item in elsewhere.rewards} == {"Popular with our members"}
    assert len(elsewhere.rewards) == 3


async def test_a_program_too_small_for_a_model_is_served_popularity() -> None:
    rewards = await planted(NOW, per_taste=3)  # 12 members: fewer than min_members
    member = await new_member("member", NOW)
    await redeem(member, rewards["YOGA-BAG"], NOW)

    run = await train_and_store(NOW, SETTINGS)

    assert run.basis is Basis.POPULAR
    assert await MemberRecommendation.all().count() == 0
    found = await recommended_rewards(member, await active_rewards(), NOW, 5)
    assert found.basis is Basis.POPULAR and found.rewards


async def test_retraining_on_unchanged_data_keeps_the_version_and_writes_nothing() -> None:
    rewards = await planted(NOW)
    first = await train_and_store(NOW, SETTINGS)
    rows = await MemberRecommendation.all().count()

    again = await train_and_store(NOW + timedelta(hours=1), SETTINGS)

    assert (again.version, again.created) == (first.version, False)
    assert await RecommendationModel.all().count() == 1
    assert await MemberRecommendation.all().count() == rows

    member = await new_member("late", NOW)
    await redeem(member, rewards["BOOK-LIGHT"], NOW)
    changed = await train_and_store(NOW + timedelta(hours=2), SETTINGS)
    assert changed.created and changed.version != first.version
    assert await RecommendationModel.filter(active=True).values_list("id", flat=True) == [
        changed.version
    ]
    # The previous version's rows went with the switch.
    assert await MemberRecommendation.filter(model_id=first.version).count() == 0
    assert await PopularReward.filter(model_id=first.version).count() == 0


async def test_the_job_retrains_once_enough_new_interactions_arrived() -> None:
    rewards = await planted(NOW)
    assert await retrain_if_due(NOW, SETTINGS) == 1  # no version yet
    assert await retrain_if_due(NOW, SETTINGS) == 0
    member = await new_member("late", NOW)
    for _ in range(4):
        await redeem(member, rewards["BOOK-LIGHT"], NOW)
    assert await retrain_if_due(NOW, SETTINGS) == 0  # 4 new, 5 needed
    await buy(member, "books", NOW)
    assert await retrain_if_due(NOW, SETTINGS) == 1
    assert await RecommendationModel.all().count() == 2


async def test_an_erased_member_loses_their_scores_and_leaves_the_next_training_set() -> None:
    await planted(NOW)
    runner = await new_member("runner", NOW)
    await buy(runner, "running-shoes", NOW, times=4)
    await train_and_store(NOW, SETTINGS)
    assert await MemberRecommendation.filter(member_id=runner.id).exists()

    from domain.privacy.export import DOMAIN_SECTIONS, export_member_data

    exported = await export_member_data(runner, DOMAIN_SECTIONS, NOW)
    assert exported["recommendations"][0]["reasonItem"] == "running shoes"

    await delete_my_account(runner, True, NOW)

    assert not await MemberRecommendation.filter(member_id=runner.id).exists()
    marks = await interactions.read_marks()
    assert runner.id not in {i.member_id for i in await interactions.read_interactions(marks)}
    retrained = await train_and_store(NOW + timedelta(hours=1), SETTINGS)
    assert retrained.created  # the data changed: without them
    assert not await MemberRecommendation.filter(member_id=runner.id).exists()


async def test_reading_a_members_ranking_costs_two_statements() -> None:
    await planted(NOW)
    runner = await new_member("runner", NOW)
    await buy(runner, "running-shoes", NOW, times=4)
    await train_and_store(NOW, SETTINGS)
    on_offer = await active_rewards()

    with counting_statements() as statements:
        found = await recommended_rewards(runner, on_offer, NOW, 10)

    assert len(found.rewards) == 8
    assert len(statements) == 2, statements.sql


async def test_a_segment_of_the_members_most_likely_to_redeem_a_reward() -> None:
    from domain.errors import ValidationErrors
    from domain.segments.rules import LikelyToRedeem, SegmentRule
    from domain.segments.services import segment_members, upsert_segment
    from push.ports import DomainSegments

    await planted(NOW)
    await train_and_store(NOW, SETTINGS)

    rule = SegmentRule(likely_to_redeem=LikelyToRedeem("RUN-SOCKS", top=5))
    segment = await upsert_segment("likely-socks", "Likely to want socks", rule, NOW)

    assert segment.member_count == 5
    scored = await MemberRecommendation.filter(reward__code="RUN-SOCKS").order_by("-score")
    top_five = {row.member_id for row in scored[:5]}
    members = await (await segment_members("likely-socks", NOW)).values_list("id", "customer_id")
    assert {member_id for member_id, _ in members} == top_five
    # The planted runners (a few others redeemed running rewards too, now and then).
    assert sum(customer.startswith("running-shoes") for _, customer in members) >= 4, members
    # What campaigns read, page by page.
    assert set(await DomainSegments().members_after("likely-socks", 0, 100, NOW)) == top_five
    best = [row.score for row in scored]
    threshold = SegmentRule(likely_to_redeem=LikelyToRedeem("RUN-SOCKS", min_score=best[2]))
    assert (await upsert_segment("likely-3", "Top three", threshold, NOW)).member_count == 3

    with pytest.raises(ValidationErrors) as refused:
        await upsert_segment(
            "bad",
            "Bad",
            SegmentRule(likely_to_redeem=LikelyToRedeem("NO-SUCH", top=0)),
            NOW,
        )
    assert sorted((e.code, tuple(e.field or ())) for e in refused.value.errors) == [
        ("INVALID_INPUT", ("input", "rule", "likelyToRedeem", "top")),
        ("NOT_FOUND", ("input", "rule", "likelyToRedeem", "rewardCode")),
    ]
