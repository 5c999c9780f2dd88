"""Campaigns: scheduled or immediate, fanned out in resumable batches, counted, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import Duplicate, ValidationErrors
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from push.campaigns import services as campaign_services
from push.campaigns.models import Campaign, CampaignStatus
from push.campaigns.services import CampaignInput, fan_out_campaigns, send_campaign
from push.live import NoLiveFeed
from push.notifications.models import Notification, NotificationCategory
from push.ports import NoSegments
from tests.integration.points_factories import set_tiers
from tests.integration.push_support import member
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class SegmentOf:
    """A segment directory with fixed members (the segments area provides the real one)."""

    def __init__(self, code: str, member_ids: list[int]) -> None:
        self.code = code
        self.member_ids = sorted(member_ids)

    async def exists(self, code: str) -> bool:
        return code == self.code

    async def contains(self, code: str, member_id: int, now: datetime) -> bool:
        return code == self.code and member_id in self.member_ids

    async def members_after(self, code: str, after: int, limit: int, now: datetime) -> list[int]:
        return [m for m in self.member_ids if m > after][:limit]


def sale(**overrides: object) -> CampaignInput:
    values: dict[str, object] = {
        "code": "winter-sale",
        "title": "Winter sale",
        "body": "Up to 50% off this weekend.",
        "deep_link": "fidelio://sale",
    }
    values.update(overrides)
    return CampaignInput(**values)  # type: ignore[arg-type]


async def test_a_campaign_sent_now_reaches_every_member_once_and_counts_them() -> None:
    members = [await member(f"m{i}", NOW) for i in range(7)]
    erased = members[-1]
    await Member.filter(id=erased.id).update(erased_at=NOW)

    campaign = await send_campaign(sale(), NOW, NoSegments())
    assert (campaign.status, campaign.send_at, campaign.recipients) == (
        CampaignStatus.SENDING,
        NOW,
        0,
    )
    created = await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed(), batch=2)

    await campaign.refresh_from_db()
    assert created == 6
    assert (campaign.status, campaign.recipients, campaign.finished_at) == (
        CampaignStatus.SENT,
        6,
        NOW,
    )
    rows = await Notification.filter(dedupe_key="campaign:winter-sale")
    assert sorted(r.member_id for r in rows) == sorted(m.id for m in members[:-1])
    assert {(r.category, r.title, r.deep_link) for r in rows} == {
        (NotificationCategory.CAMPAIGN, "Winter sale", "fidelio://sale")
    }
    assert await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed()) == 0  # nothing twice


async def test_a_scheduled_campaign_waits_for_its_time() -> None:
    await member("ana", NOW)
    later = NOW + timedelta(hours=3)

    campaign = await send_campaign(sale(send_at=later), NOW, NoSegments())
    assert campaign.status is CampaignStatus.SCHEDULED
    assert await fan_out_campaigns(NOW + timedelta(hours=2), NoSegments(), NoLiveFeed()) == 0

    assert await fan_out_campaigns(later, NoSegments(), NoLiveFeed()) == 1
    await campaign.refresh_from_db()
    assert campaign.status is CampaignStatus.SENT


async def test_a_campaign_to_a_segment_reaches_only_its_members_with_their_bonus_points() -> None:
    members = [await member(f"m{i}", NOW) for i in range(5)]
    vip = SegmentOf("vip", [members[1].id, members[3].id])

    await send_campaign(sale(segment_code="vip", bonus_points=200), NOW, vip)
    await fan_out_campaigns(NOW, vip, NoLiveFeed())

    notified = await Notification.all().values_list("member_id", flat=True)
    assert sorted(notified) == [members[1].id, members[3].id]
    for m in members:
        expected = 200 if m.id in notified else 0
        assert (await ledger.summary(m.id, NOW)).balance == expected
    assert await OutboxEvent.filter(kind="PointsEarned").count() == 2


async def test_a_fan_out_that_crashed_mid_batch_resumes_without_duplicates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = [await member(f"m{i}", NOW) for i in range(10)]
    await send_campaign(sale(bonus_points=50), NOW, NoSegments())
    real = campaign_services.award_bonus_to_many
    calls = 0

    async def crash_on_third_batch(*args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("worker killed")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(campaign_services, "award_bonus_to_many", crash_on_third_batch)
    with pytest.raises(RuntimeError):
        await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed(), batch=3)
    campaign = await Campaign.get(code="winter-sale")
    assert (campaign.status, campaign.recipients, campaign.cursor) == (
        CampaignStatus.SENDING,
        6,
        members[5].id,
    )
    assert await Notification.all().count() == 6  # the third batch rolled back whole

    await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed(), batch=3)

    await campaign.refresh_from_db()
    assert (campaign.status, campaign.recipients) == (CampaignStatus.SENT, 10)
    per_member = await Notification.all().values_list("member_id", flat=True)
    assert sorted(per_member) == [m.id for m in members]
    assert await PointsEntry.filter(reference="campaign:winter-sale").count() == 10


async def test_sending_the_same_campaign_again_is_harmless_and_an_edit_reschedules_it() -> None:
    first = await send_campaign(sale(send_at=NOW + timedelta(days=1)), NOW, NoSegments())
    again = await send_campaign(sale(send_at=NOW + timedelta(days=1)), NOW, NoSegments())
    edited = await send_campaign(
        sale(title="Winter sale: last days", send_at=NOW + timedelta(days=2)), NOW, NoSegments()
    )

    assert again.id == first.id == edited.id
    assert (edited.title, edited.send_at) == ("Winter sale: last days", NOW + timedelta(days=2))
    assert await Campaign.all().count() == 1


async def test_a_campaign_already_under_way_cannot_be_changed() -> None:
    await member("ana", NOW)
    await send_campaign(sale(), NOW, NoSegments())
    await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed())

    with pytest.raises(Duplicate) as raised:
        await send_campaign(sale(title="Another text"), NOW, NoSegments())

    assert raised.value.field == ["input", "code"]
    assert (await Campaign.get(code="winter-sale")).title == "Winter sale"


async def test_a_bad_campaign_is_refused_with_every_problem_and_nothing_is_scheduled() -> None:
    with pytest.raises(ValidationErrors) as raised:
        await send_campaign(
            sale(
                code="winter sale!",
                title=" ",
                deep_link="not a link",
                segment_code="nobody",
                bonus_points=-5,
                send_at=NOW - timedelta(hours=1),
            ),
            NOW,
            NoSegments(),
        )

    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", "code"]),
        ("INVALID_INPUT", ["input", "title"]),
        ("INVALID_INPUT", ["input", "deepLink"]),
        ("INVALID_INPUT", ["input", "bonusPoints"]),
        ("INVALID_INPUT", ["input", "sendAt"]),
        ("NOT_FOUND", ["input", "segmentCode"]),
    ]
    assert await Campaign.all().count() == 0


async def test_a_campaign_bonus_upgrades_at_once_every_member_it_lifts() -> None:
    await set_tiers(NOW)
    members = [await member(f"m{i}", NOW) for i in range(6)]
    gold = members[0]
    await Member.filter(id=gold.id).update(tier_code="GOLD", tier_level=2)
    await ledger.credit(members[1].id, 1500, EntryKind.EARN, "Order", NOW, reference="o-1")
    await send_campaign(sale(bonus_points=600), NOW, NoSegments())

    await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed(), batch=4)

    tiers = dict(await Member.all().values_list("id", "tier_code"))
    assert tiers == {
        gold.id: "GOLD",
        members[1].id: "GOLD",
        **{m.id: "SILVER" for m in members[2:]},
    }
    changes = [
        (c["member_id"], c["old_level"], c["new_code"], c["new_level"])
        for c in await OutboxEvent.filter(kind="TierChanged").values_list("payload", flat=True)
    ]
    assert sorted(changes) == sorted(
        [(members[1].id, 0, "GOLD", 2)] + [(m.id, 0, "SILVER", 1) for m in members[2:]]
    )


async def test_a_campaign_batch_upgrades_its_members_in_the_same_statements_however_many() -> None:
    await set_tiers(NOW)
    few = [(await member(f"a{i}", NOW)).id for i in range(2)]
    many = [(await member(f"b{i}", NOW)).id for i in range(10)]
    counts = []
    for code, ids in (("few", few), ("many", many)):
        segment = SegmentOf(code, ids)
        await send_campaign(sale(code=code, segment_code=code, bonus_points=600), NOW, segment)
        with counting_statements() as statements:
            await fan_out_campaigns(NOW, segment, NoLiveFeed(), batch=100)
        counts.append(len(statements))

    assert await Member.filter(tier_code="SILVER").count() == 12
    assert counts[0] == counts[1]
