"""Use cases of campaigns: an admin sends one (now or later), previews it as a member would
read it and reads its delivery figures; a job fans them out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, Snapshot, record_change, row_snapshot
from domain.drops.models import Drop
from domain.drops.queries import announcement_audience
from domain.errors import Duplicate, InputErrors, InvalidInput, NotFound
from domain.members.models import Member
from push.bonus import MAX_BONUS_POINTS, award_bonus_to_many
from push.campaigns.models import Campaign, CampaignSource, CampaignStatus
from push.campaigns.personal import personal_values
from push.campaigns.texts import CampaignText, check_texts, choose, fill, placeholders_of
from push.live import NotificationPublisher
from push.notifications.models import Notification, NotificationCategory, PushStatus
from push.notifications.services import Draft, Recipient, notify_members
from push.notifications.templates import render
from push.ports import SegmentDirectory
from push.validation import check_aware, check_code, check_deep_link, check_int

FANOUT_BATCH = 1000
#: A send time this far in the past is a mistake, not "now".
PAST_TOLERANCE = timedelta(minutes=5)
MAX_SCHEDULE_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class CampaignInput:
    code: str
    title: str
    body: str
    deep_link: str | None = None
    segment_code: str | None = None
    bonus_points: int = 0
    #: None: now.
    send_at: datetime | None = None
    #: The title and body in other locales (`push.campaigns.texts`); () keeps none.
    texts: Sequence[CampaignText] = ()


async def send_campaign(
    data: CampaignInput, now: datetime, segments: SegmentDirectory, actor: Actor = SYSTEM
) -> Campaign:
    """Schedule a message to a segment's members (everyone without a segment) at `send_at`
    (now when omitted), with optional bonus points; the fan-out job delivers it in batches.

    The base title and body are read by members whose language has no text in `texts`; every
    text may use the placeholders of `push.campaigns.texts`, filled per recipient.

    Sending the same code again with the same content returns the campaign (a retried
    request); with other content it edits a campaign still scheduled. Raises ValidationErrors
    of InvalidInput / UnknownPlaceholder / NotFound (unknown segment), and Duplicate when the
    code belongs to a campaign already under way or sent. Audited as `campaign.send` by `actor` (a retried
    request records that nothing changed).
    """
    problems = InputErrors()
    code = problems.check(check_code, data.code, ["input", "code"])
    (title, body), texts = check_texts(data.title, data.body, data.texts, ["input"], problems)
    deep_link = problems.check(check_deep_link, data.deep_link, ["input", "deepLink"])
    bonus = problems.check(
        check_int, data.bonus_points, ["input", "bonusPoints"], minimum=0, maximum=MAX_BONUS_POINTS
    )
    send_at = now
    if data.send_at is not None:
        checked = problems.check(check_aware, data.send_at, ["input", "sendAt"])
        if checked is not None:
            if checked < now - PAST_TOLERANCE:
                problems.add(InvalidInput("the send time is in the past", ["input", "sendAt"]))
            elif checked > now + MAX_SCHEDULE_AHEAD:
                problems.add(InvalidInput("at most a year ahead", ["input", "sendAt"]))
            else:
                send_at = max(checked, now)
    segment_code = data.segment_code.strip() if data.segment_code else None
    if segment_code and not await segments.exists(segment_code):
        problems.add(NotFound(f"no segment '{segment_code}'", ["input", "segmentCode"]))
    problems.raise_any()
    assert code is not None and bonus is not None
    values: dict[str, Any] = {
        "title": title,
        "body": body,
        "texts": texts,
        "deep_link": deep_link,
        "segment_code": segment_code,
        "bonus_points": bonus,
        "send_at": send_at,
        "status": CampaignStatus.SENDING if send_at <= now else CampaignStatus.SCHEDULED,
    }
    async with in_transaction():
        existing = await Campaign.filter(code=code).select_for_update().first()
        if existing is None:
            try:
                async with in_transaction():
                    created = await Campaign.create(
                        code=code,
                        source=CampaignSource.ADMIN,
                        category=NotificationCategory.CAMPAIGN,
                        dedupe_key=f"campaign:{code}",
                        created_at=now,
                        **values,
                    )
            except IntegrityError:
                existing = await Campaign.filter(code=code).select_for_update().get()
            else:
                await _audit(actor, code, None, created, now)
                return created
        if existing.source is CampaignSource.ADMIN and _same_content(existing, values):
            await _audit(actor, code, row_snapshot(existing), existing, now)
            return existing
        if existing.source is not CampaignSource.ADMIN or existing.started_at is not None:
            raise Duplicate(
                f"campaign '{code}' is already {existing.status.value.lower()}", ["input", "code"]
            )
        before = row_snapshot(existing)
        await Campaign.filter(id=existing.id).update(**values)
        await existing.refresh_from_db()
        await _audit(actor, code, before, existing, now)
        return existing


async def _audit(
    actor: Actor, code: str, before: Snapshot | None, campaign: Campaign, now: datetime
) -> None:
    await record_change(
        actor, "campaign.send", "campaign", code, before, row_snapshot(campaign), now
    )


def _same_content(campaign: Campaign, values: dict[str, object]) -> bool:
    keys = ("title", "body", "texts", "deep_link", "segment_code", "bonus_points")
    return all(getattr(campaign, k) == values[k] for k in keys)


async def announce_drop(
    drop_id: int,
    drop_title: str,
    early_access: bool,
    min_tier_level: int,
    now: datetime,
) -> Campaign:
    """Queue the announcement of a drop that opened (once per drop and phase) to the members
    at or above `min_tier_level` (early access) or to every member. Members already told about
    this drop are not told again.

    The audience follows the drop's own eligibility (tier, required badge, segment), as the
    drops area defines it (`announcement_audience`).
    """
    phase = "early" if early_access else "open"
    code = f"drop-{drop_id}-{phase}"
    template = "drop_early_access" if early_access else "drop_opened"
    async with in_transaction():
        existing = await Campaign.get_or_none(code=code)
        if existing is not None:
            return existing
        try:
            async with in_transaction():
                return await Campaign.create(
                    code=code,
                    source=CampaignSource.DROP,
                    category=NotificationCategory.DROP,
                    title=drop_title[:200],
                    body="",
                    template=template,
                    template_params={"drop": drop_title, "drop_id": drop_id},
                    dedupe_key=f"drop:{drop_id}",
                    min_tier_level=min_tier_level,
                    send_at=now,
                    status=CampaignStatus.SENDING,
                    created_at=now,
                )
        except IntegrityError:
            return await Campaign.get(code=code)


# ---------------------------------------------------------------- the fan-out job


async def fan_out_campaigns(
    now: datetime,
    segments: SegmentDirectory,
    publisher: NotificationPublisher,
    batch: int = FANOUT_BATCH,
    max_batches: int = 100,
    default_locale: str = "en",
) -> int:
    """Deliver due campaigns to their audiences in batches (at most `max_batches` this call);
    returns the notifications created. Each batch commits its notifications, bonus points and
    cursor together, so a crash resumes after the last committed batch without duplicates.
    Admin campaigns' texts are chosen by each member's locale, falling back on
    `default_locale` (the program's), then on the base text."""
    created = 0
    batches = 0
    due = await Campaign.filter(
        status__in=(CampaignStatus.SCHEDULED, CampaignStatus.SENDING), send_at__lte=now
    ).order_by("send_at", "id")
    for campaign in due:
        while batches < max_batches:
            batches += 1
            notifications, done = await _fan_out_batch(
                campaign.id, now, segments, batch, default_locale
            )
            await publisher.publish(notifications)
            created += len(notifications)
            if done:
                break
    return created


async def _fan_out_batch(
    campaign_id: int, now: datetime, segments: SegmentDirectory, batch: int, default_locale: str
) -> tuple[list[Notification], bool]:
    async with in_transaction():
        campaign = await Campaign.filter(id=campaign_id).select_for_update().get()
        if campaign.status is CampaignStatus.SENT or campaign.send_at > now:
            return [], True
        member_ids = await _lock_page(await _audience_page(campaign, batch, now, segments))
        if not member_ids:
            await Campaign.filter(id=campaign.id).update(
                status=CampaignStatus.SENT, finished_at=now, started_at=campaign.started_at or now
            )
            return [], True
        personal: dict[int, dict[str, object]] = {}
        if campaign.source is CampaignSource.ADMIN:
            personal = await personal_values(
                member_ids, _placeholders(campaign), now, default_locale
            )
        notifications = await notify_members(
            member_ids, _composer(campaign, personal, default_locale), campaign.dedupe_key, now
        )
        if campaign.bonus_points:
            await award_bonus_to_many(
                [n.member_id for n in notifications],
                campaign.bonus_points,
                f"Campaign: {fill(campaign.title, {}, None) or campaign.code}",
                f"campaign:{campaign.code}",
                now,
            )
        await Campaign.filter(id=campaign.id).update(
            status=CampaignStatus.SENDING,
            started_at=campaign.started_at or now,
            cursor=member_ids[-1],
            recipients=campaign.recipients + len(notifications),
        )
    return notifications, False


async def _lock_page(member_ids: list[int]) -> list[int]:
    """Lock the members of a page, in id order, without ever waiting for one while holding
    another; returns the leading part of the page this transaction now holds.

    The outbox dispatcher and purchases lock members too, in the order their events come, so
    a batch that waited for a member while holding others could close a cycle (a deadlock
    PostgreSQL breaks by aborting one side). The first member is waited for (nothing is held
    yet); the others are taken only if free (SKIP LOCKED), and the batch stops before the
    first busy one: the cursor stops there and the next batch starts with it.
    """
    if not member_ids:
        return []
    first, rest = member_ids[0], member_ids[1:]
    await Member.filter(id=first).select_for_update()
    free = {
        m.id
        for m in await Member.filter(id__in=rest)
        .order_by("id")
        .select_for_update(skip_locked=True)  # whole rows: .values() drops FOR UPDATE
    }
    held = [first]
    for member_id in rest:
        if member_id not in free:
            break
        held.append(member_id)
    return held


async def _audience_page(
    campaign: Campaign, limit: int, now: datetime, segments: SegmentDirectory
) -> list[int]:
    if campaign.source == CampaignSource.DROP:
        drop = await Drop.get_or_none(id=campaign.template_params.get("drop_id"))
        if drop is None:
            return []
        return await announcement_audience(
            drop, campaign.min_tier_level or 0, now, after_member_id=campaign.cursor, limit=limit
        )
    if campaign.segment_code:
        return await segments.members_after(campaign.segment_code, campaign.cursor, limit, now)
    query = Member.filter(id__gt=campaign.cursor, erased_at__isnull=True)
    if campaign.min_tier_level is not None:
        query = query.filter(tier_level__gte=campaign.min_tier_level)
    return list(await query.order_by("id").limit(limit).values_list("id", flat=True))


def _placeholders(campaign: Campaign) -> set[str]:
    texts = [campaign.title, campaign.body]
    for localized in (campaign.texts or {}).values():
        texts += [localized["title"], localized["body"]]
    return placeholders_of(*texts)


def _composer(
    campaign: Campaign, personal: dict[int, dict[str, object]], default_locale: str
) -> Callable[[Recipient], Draft]:
    data = {"campaign": campaign.code}

    def admin_text(recipient: Recipient) -> Draft:
        chosen = choose(
            (campaign.title, campaign.body), campaign.texts or {}, recipient.locale, default_locale
        )
        values = personal.get(recipient.member_id) or {"name": recipient.name}
        return Draft(
            category=campaign.category,
            title=fill(chosen.title, values, recipient.locale),
            body=fill(chosen.body, values, recipient.locale),
            deep_link=campaign.deep_link,
            data=data,
        )

    def template_text(recipient: Recipient) -> Draft:
        assert campaign.template is not None
        text = render(
            campaign.template,
            recipient.locale,
            {**campaign.template_params, "name": recipient.name},
        )
        return Draft(text.category, text.title, text.body, text.deep_link, data)

    return template_text if campaign.template else admin_text


# ---------------------------------------------------------------- the console's reads


@dataclass(frozen=True)
class CampaignPreview:
    """A campaign's text as one member would read it."""

    customer_id: str
    member_locale: str
    #: The locale of the text chosen; None: the base text.
    text_locale: str | None
    title: str
    body: str


async def preview_campaign(
    customer_id: str,
    title: str,
    body: str,
    texts: Sequence[CampaignText],
    now: datetime,
    default_locale: str,
) -> CampaignPreview:
    """The texts of a draft campaign (nothing is saved) chosen and filled for one member, as
    the fan-out would. Raises ValidationErrors of the texts' problems (as `send_campaign`) and
    of NotFound on `["input", "customerId"]`."""
    problems = InputErrors()
    base, stored = check_texts(title, body, texts, ["input"], problems)
    member = await Member.get_or_none(customer_id=customer_id.strip(), erased_at__isnull=True)
    if member is None:
        problems.add(NotFound(f"no member '{customer_id.strip()}'", ["input", "customerId"]))
    problems.raise_any()
    assert member is not None
    chosen = choose(base, stored, member.locale, default_locale)
    wanted = placeholders_of(chosen.title, chosen.body)
    values = (await personal_values([member.id], wanted, now, default_locale)).get(member.id, {})
    return CampaignPreview(
        customer_id=customer_id.strip(),
        member_locale=member.locale,
        text_locale=chosen.locale,
        title=fill(chosen.title, values, member.locale),
        body=fill(chosen.body, values, member.locale),
    )


@dataclass(frozen=True)
class DeliveryFigures:
    """What became of a campaign's notifications so far (erased members' are gone)."""

    notified: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    opened: int = 0


async def delivery_figures(campaigns: Sequence[Campaign]) -> dict[int, DeliveryFigures]:
    """The delivery figures of each campaign, by id, in one grouped statement over the
    notifications (by their dedupe key and push status, which an index covers)."""
    keys = {c.dedupe_key: c.id for c in campaigns}
    if not keys:
        return {}
    counts: dict[int, dict[str, int]] = {c.id: {} for c in campaigns}
    rows = (
        await Notification.filter(dedupe_key__in=list(keys))
        .group_by("dedupe_key", "push_status")
        .annotate(total=Count("id"), opened=Count("read_at"))
        .values("dedupe_key", "push_status", "total", "opened")
    )
    for row in rows:
        tally = counts[keys[row["dedupe_key"]]]
        status = PushStatus(row["push_status"])
        name = {
            PushStatus.SENT: "delivered",
            PushStatus.FAILED: "failed",
            PushStatus.SKIPPED: "skipped",
        }.get(status, "pending")
        tally[name] = tally.get(name, 0) + int(row["total"])
        tally["notified"] = tally.get("notified", 0) + int(row["total"])
        tally["opened"] = tally.get("opened", 0) + int(row["opened"] or 0)
    return {campaign_id: DeliveryFigures(**tally) for campaign_id, tally in counts.items()}


async def campaign_page(first: int, before_id: int | None) -> tuple[list[Campaign], bool]:
    """A page of campaigns, newest first, and whether older ones follow."""
    query = Campaign.all().order_by("-id")
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.limit(first + 1)
    return rows[:first], len(rows) > first


async def campaign_by_code(code: str) -> Campaign | None:
    return await Campaign.get_or_none(code=code.strip())
