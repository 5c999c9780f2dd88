"""One member, one language: refusals and notifications alike speak the member's locale (English
when the locale's language is not supported), through the operations the app sends."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import print_ast

from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.messages import LANGUAGES
from domain.points import ledger
from domain.points.models import EntryKind
from tests.api.conftest import GraphQLClient, data
from tests.contract.contract_check import operations

OPERATIONS = dict(operations())
REDEEM, APPLY_REFERRAL, NOTIFICATIONS, UPSERT_REWARD, RECORD_PURCHASE = (
    print_ast(OPERATIONS[name])
    for name in (
        "member-app:RedeemReward",
        "member-app:ApplyReferralCode",
        "member-app:Notifications",
        "admin-console:UpsertReward",
        "shop-backend:RecordPurchase",
    )
)


async def member(api: GraphQLClient, sub: str, locale: str, points: int = 0) -> Member:
    created = await get_or_create_member(sub, api.clock.now())
    await Member.filter(id=created.id).update(locale=locale)
    if points:
        await ledger.credit(created.id, points, EntryKind.EARN, "test", api.clock.now())
    return created


async def reward(api: GraphQLClient, cost: int) -> str:
    reward_input = {"code": "TEN-OFF", "name": "10% off", "description": "Ten percent off",
                    "kind": "PERCENT_DISCOUNT", "costPoints": cost, "value": "10"}  # fmt: skip
    payload = data(await api.admin(UPSERT_REWARD, {"input": reward_input}))["upsertReward"]
    return str(payload["reward"]["id"])


def messages(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["code"], e["message"]) for e in payload["userErrors"]]


async def test_a_spanish_speaking_member_reads_refusals_and_notifications_in_spanish(
    api: GraphQLClient,
) -> None:
    await member(api, "ana", "en")
    lucia = await member(api, "lucia", "es-ES", points=40)
    ana_code = data(await api.member("ana", "{ me { referralCode } }"))["me"]["referralCode"]
    lucia_code = data(await api.member("lucia", "{ me { referralCode } }"))["me"]["referralCode"]
    reward_id = await reward(api, cost=300)

    own = data(await api.member("lucia", APPLY_REFERRAL, {"input": {"code": lucia_code}}))
    applied = data(await api.member("lucia", APPLY_REFERRAL, {"input": {"code": ana_code}}))
    again = data(await api.member("lucia", APPLY_REFERRAL, {"input": {"code": ana_code}}))
    redeemed = data(await api.member("lucia", REDEEM, {"input": {"rewardId": reward_id}}))
    purchase = {"orderId": "W-1", "customerId": "lucia", "amount": "80.00", "currency": "EUR",
                "channel": "WEB"}  # fmt: skip
    assert (
        data(await api.service(RECORD_PURCHASE, {"input": purchase}))["recordPurchase"][
            "userErrors"
        ]
        == []
    )
    await api.deliver_events()
    feed = data(await api.member("lucia", NOTIFICATIONS, {"first": 10}))["me"]["notifications"]

    assert messages(own["applyReferralCode"]) == [
        ("SELF_REFERRAL", "no puedes usar tu propio código de invitación")
    ]
    assert applied["applyReferralCode"]["userErrors"] == []
    assert messages(again["applyReferralCode"]) == [
        ("NOT_ELIGIBLE", "ya has usado un código de invitación")
    ]
    assert messages(redeemed["redeemReward"]) == [
        ("INSUFFICIENT_POINTS", "necesitas 300 puntos y tienes 40")
    ]
    assert [(e["node"]["title"], e["node"]["body"]) for e in feed["edges"]] == [
        (
            "Regalo de bienvenida",
            f"¡Bienvenido, {lucia.display_name}! Aquí tienes 250 puntos para empezar.",
        )
    ]


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
async def test_a_member_whose_language_is_not_supported_reads_english(
    api: GraphQLClient, locale: str
) -> None:
    assert "fr" not in LANGUAGES
    await member(api, "pierre", locale, points=40)
    reward_id = await reward(api, cost=1200)
    code = data(await api.member("pierre", "{ me { referralCode } }"))["me"]["referralCode"]

    own = data(await api.member("pierre", APPLY_REFERRAL, {"input": {"code": code}}))
    redeemed = data(await api.member("pierre", REDEEM, {"input": {"rewardId": reward_id}}))

    assert messages(own["applyReferralCode"]) == [
        ("SELF_REFERRAL", "members cannot apply their own referral code")
    ]
    assert messages(redeemed["redeemReward"]) == [
        ("INSUFFICIENT_POINTS", "1,200 points needed, 40 available")
    ]
