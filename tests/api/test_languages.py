"""One member, one language: refusals and notifications alike speak the member's locale (English
when the locale's language is not supported), through the operations the app sends."""

from __future__ import annotations

from datetime import timedelta
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


# What a member is refused through the app's other mutations: each test signs in a member who
# reads Spanish and one who reads English, and sends both the same refused input.

(CLAIM_DROP, UPSERT_DROP, RECORD_ENGAGEMENT, REPORT_GEOFENCE_EVENT, REPORT_LOCATION,
 UPSERT_STORE, UPDATE_PREFERENCES, MARK_READ, DELETE_ACCOUNT) = (
    print_ast(OPERATIONS[name])
    for name in (
        "member-app:ClaimDrop",
        "admin-console:UpsertDrop",
        "member-app:RecordEngagement",
        "member-app:ReportGeofenceEvent",
        "member-app:ReportLocation",
        "admin-console:UpsertStore",
        "member-app:UpdateNotificationPreferences",
        "member-app:MarkNotificationsRead",
        "member-app:DeleteMyAccount",
    )
)  # fmt: skip

Refusals = list[tuple[str, list[str] | None, str]]


def refusals(payload: dict[str, Any]) -> Refusals:
    return [(e["code"], e["field"], e["message"]) for e in payload["userErrors"]]


async def refused(
    api: GraphQLClient, sub: str, operation: str, name: str, variables: dict[str, Any]
) -> Refusals:
    return refusals(data(await api.member(sub, operation, variables))[name])


async def lucia_and_ana(api: GraphQLClient, points: int = 0) -> None:
    await member(api, "lucia", "es-MX", points=points)
    await member(api, "ana", "en-GB", points=points)


async def test_redeem_reward_refuses_a_bad_or_reused_idempotency_key_in_the_members_language(
    api: GraphQLClient,
) -> None:
    await lucia_and_ana(api, points=100)
    ids = []
    for code in ("COFFEE", "CAKE"):
        reward_input = {"code": code, "name": code, "description": code, "kind": "FREE_SHIPPING",
                        "costPoints": 10}  # fmt: skip
        payload = data(await api.admin(UPSERT_REWARD, {"input": reward_input}))["upsertReward"]
        ids.append(str(payload["reward"]["id"]))
    coffee, cake = ids

    def redeem(reward_id: str, key: str) -> dict[str, Any]:
        return {"input": {"rewardId": reward_id, "idempotencyKey": key}}

    spanish_key = await refused(api, "lucia", REDEEM, "redeemReward", redeem(coffee, " k "))
    english_key = await refused(api, "ana", REDEEM, "redeemReward", redeem(coffee, " k "))
    for sub in ("lucia", "ana"):
        first = data(await api.member(sub, REDEEM, redeem(coffee, f"{sub}-1")))["redeemReward"]
        assert first["userErrors"] == []
    spanish_reuse = await refused(api, "lucia", REDEEM, "redeemReward", redeem(cake, "lucia-1"))
    english_reuse = await refused(api, "ana", REDEEM, "redeemReward", redeem(cake, "ana-1"))

    field = ["input", "idempotencyKey"]
    assert spanish_key == [("INVALID_INPUT", field, "una clave de idempotencia tiene de 1 a 128 "
                            "caracteres, sin espacios al principio ni al final")]  # fmt: skip
    assert english_key == [("INVALID_INPUT", field, "an idempotency key is 1-128 characters "
                            "without spaces around")]  # fmt: skip
    assert spanish_reuse == [
        ("DUPLICATE", field, "esta clave de idempotencia ya se usó para otra recompensa")
    ]
    assert english_reuse == [
        ("DUPLICATE", field, "this idempotency key was used for another reward")
    ]


async def test_claim_drop_refuses_an_unknown_drop_or_a_bad_key_in_the_members_language(
    api: GraphQLClient,
) -> None:
    await lucia_and_ana(api)
    now = api.clock.now()
    drop_input = {"code": "SNEAKER", "title": "Sneaker", "description": "A pair.",
                  "opensAt": (now - timedelta(hours=1)).isoformat(),
                  "closesAt": (now + timedelta(hours=1)).isoformat(), "quantity": 5}  # fmt: skip
    drop = data(await api.admin(UPSERT_DROP, {"input": drop_input}))["upsertDrop"]["drop"]

    def claim(drop_id: str, key: str | None = None) -> dict[str, Any]:
        return {"input": {"dropId": drop_id, "idempotencyKey": key}}

    spanish_unknown = await refused(api, "lucia", CLAIM_DROP, "claimDrop", claim("987654"))
    english_unknown = await refused(api, "ana", CLAIM_DROP, "claimDrop", claim("987654"))
    spanish_key = await refused(api, "lucia", CLAIM_DROP, "claimDrop", claim(drop["id"], "k" * 65))
    english_key = await refused(api, "ana", CLAIM_DROP, "claimDrop", claim(drop["id"], "k" * 65))

    assert spanish_unknown == [
        ("NOT_FOUND", ["input", "dropId"], "no existe ningún lanzamiento con el id 987654")
    ]
    assert english_unknown == [("NOT_FOUND", ["input", "dropId"], "no drop with id 987654")]
    field = ["input", "idempotencyKey"]
    assert spanish_key == [("INVALID_INPUT", field, "debe tener entre 1 y 64 caracteres")]
    assert english_key == [("INVALID_INPUT", field, "must be 1-64 characters")]


async def test_record_engagement_refuses_a_score_in_the_members_language(
    api: GraphQLClient,
) -> None:
    await lucia_and_ana(api)
    out_of_range = {"input": {"kind": "SURVEY", "reference": "nps-1", "score": 11}}
    not_a_survey = {"input": {"kind": "SHARE", "reference": "link-1", "score": 5}}

    spanish = [
        await refused(api, "lucia", RECORD_ENGAGEMENT, "recordEngagement", variables)
        for variables in (out_of_range, not_a_survey)
    ]
    english = [
        await refused(api, "ana", RECORD_ENGAGEMENT, "recordEngagement", variables)
        for variables in (out_of_range, not_a_survey)
    ]

    field = ["input", "score"]
    assert spanish == [
        [("INVALID_INPUT", field, "la puntuación va de 0 a 10")],
        [("INVALID_INPUT", field, "solo las encuestas llevan puntuación")],
    ]
    assert english == [
        [("INVALID_INPUT", field, "a score is 0 to 10")],
        [("INVALID_INPUT", field, "only surveys have a score")],
    ]


async def test_visits_are_refused_in_the_members_language(api: GraphQLClient) -> None:
    await lucia_and_ana(api)
    store = {"code": "sol", "name": "Sol", "address": "Calle 1", "latitude": 40.4169,
             "longitude": -3.7035, "geofenceRadiusMeters": 200}  # fmt: skip
    saved = data(await api.admin(UPSERT_STORE, {"input": store}))["upsertStore"]
    assert saved["userErrors"] == []
    fence = data(
        await api.member("ana", "{ nearbyGeofences(latitude: 40.4169, longitude: -3.7035) { id } }")
    )["nearbyGeofences"][0]["id"]
    far = {"geofenceId": fence, "transition": "ENTER", "latitude": 41.387, "longitude": 2.17}
    old_and_half = {"geofenceId": fence, "transition": "ENTER", "latitude": 91.0,
                    "occurredAt": (api.clock.now() - timedelta(days=1)).isoformat()}  # fmt: skip
    unknown = {"geofenceId": "987654", "transition": "EXIT"}
    nowhere = {"latitude": 40.0, "longitude": 181.0, "accuracyMeters": -1.0}
    for sub in ("lucia", "ana"):  # seen before: reportLocation reads them only if it must
        data(await api.member(sub, "{ me { id } }"))

    async def sent(sub: str) -> list[Refusals]:
        name = "reportGeofenceEvent"
        answers = [
            await refused(api, sub, REPORT_GEOFENCE_EVENT, name, {"input": event})
            for event in (far, old_and_half, unknown)
        ]
        answers.append(
            await refused(api, sub, REPORT_LOCATION, "reportLocation", {"input": nowhere})
        )
        return answers

    spanish, english = await sent("lucia"), await sent("ana")

    latitude, occurred_at = ["input", "latitude"], ["input", "occurredAt"]
    assert spanish == [
        [("NOT_ELIGIBLE", latitude, "la posición indicada está lejos de esta geocerca")],
        [
            ("INVALID_INPUT", latitude, "indica la latitud y la longitud, o ninguna de las dos"),
            ("INVALID_INPUT", latitude, "la latitud está entre -90 y 90 grados"),
            ("INVALID_INPUT", occurred_at, "el evento es demasiado antiguo"),
        ],
        [("NOT_FOUND", ["input", "geofenceId"], "no existe la geocerca 987654")],
        [
            ("INVALID_INPUT", ["input", "longitude"], "la longitud está entre -180 y 180 grados"),
            ("INVALID_INPUT", ["input", "accuracyMeters"],
             "la precisión es una distancia en metros"),
        ],
    ]  # fmt: skip
    assert english == [
        [("NOT_ELIGIBLE", latitude, "the position reported is far from this geofence")],
        [
            ("INVALID_INPUT", latitude, "give both latitude and longitude, or neither"),
            ("INVALID_INPUT", latitude, "a latitude is between -90 and 90 degrees"),
            ("INVALID_INPUT", occurred_at, "the event is too old"),
        ],
        [("NOT_FOUND", ["input", "geofenceId"], "no geofence 987654")],
        [
            (
                "INVALID_INPUT",
                ["input", "longitude"],
                "a longitude is between -180 and 180 degrees",
            ),
            ("INVALID_INPUT", ["input", "accuracyMeters"], "accuracy is a distance in metres"),
        ],
    ]


async def test_notification_settings_and_the_feed_refuse_in_the_members_language(
    api: GraphQLClient,
) -> None:
    await lucia_and_ana(api)
    bad_hours = {"input": {"quietHoursStart": "25:00", "maxPushesPerDay": 99}}
    half_hours = {"input": {"quietHoursStart": "22:00"}}
    same_hours = {"input": {"quietHoursStart": "22:00", "quietHoursEnd": "22:00"}}
    not_mine = {"input": {"ids": ["987654"]}}
    too_many = {"input": {"ids": [str(i) for i in range(1, 502)]}}

    async def sent(sub: str) -> list[Refusals]:
        name = "updateNotificationPreferences"
        answers = [
            await refused(api, sub, UPDATE_PREFERENCES, name, variables)
            for variables in (bad_hours, half_hours, same_hours)
        ]
        for variables in (not_mine, too_many):
            answers.append(await refused(api, sub, MARK_READ, "markNotificationsRead", variables))
        return answers

    spanish, english = await sent("lucia"), await sent("ana")

    start, end = ["input", "quietHoursStart"], ["input", "quietHoursEnd"]
    cap, ids = ["input", "maxPushesPerDay"], ["input", "ids"]
    assert spanish == [
        [
            ("INVALID_INPUT", start, "«25:00» no es una hora en formato HH:MM (00:00-23:59)"),
            ("INVALID_INPUT", cap, "debe estar entre 0 y 50"),
        ],
        [("INVALID_INPUT", end,
          "las horas de silencio necesitan una hora de inicio y una de fin")],
        [("INVALID_INPUT", end,
          "las horas de silencio deben terminar a una hora distinta de la de inicio")],
        [("NOT_FOUND", [*ids, "0"], "no tienes ninguna notificación con el id 987654")],
        [("INVALID_INPUT", ids, "como máximo 500 ids a la vez")],
    ]  # fmt: skip
    assert english == [
        [
            ("INVALID_INPUT", start, "'25:00' is not a time as HH:MM (00:00-23:59)"),
            ("INVALID_INPUT", cap, "must be between 0 and 50"),
        ],
        [("INVALID_INPUT", end, "quiet hours need both a start and an end")],
        [("INVALID_INPUT", end, "quiet hours must end at another time than they start")],
        [("NOT_FOUND", [*ids, "0"], "no notification 987654 for this member")],
        [("INVALID_INPUT", ids, "at most 500 ids at once")],
    ]


async def test_deleting_an_account_without_confirming_is_refused_in_the_members_language(
    api: GraphQLClient,
) -> None:
    await lucia_and_ana(api)
    unconfirmed = {"input": {"confirm": False}}

    spanish = await refused(api, "lucia", DELETE_ACCOUNT, "deleteMyAccount", unconfirmed)
    english = await refused(api, "ana", DELETE_ACCOUNT, "deleteMyAccount", unconfirmed)

    field = ["input", "confirm"]
    assert spanish == [("INVALID_INPUT", field, "eliminar una cuenta no se puede deshacer: "
                        "envía confirm: true para eliminarla")]  # fmt: skip
    assert english == [("INVALID_INPUT", field, "deleting an account cannot be undone: "
                        "send confirm: true to delete it")]  # fmt: skip
