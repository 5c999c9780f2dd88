"""The console's campaign composer through the API: texts per locale with placeholders filled
per member, the preview as a member, delivery figures; segment sizes of a draft rule; an
admin exporting and erasing a member."""

from __future__ import annotations

import json
from typing import Any

from domain.audit import AuditEntry
from domain.members.models import Member
from push.campaigns.models import Campaign
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import ANALYST, console_post, make_accounts, signed_in
from tests.api.test_push import contract
from tests.api.test_rewards import upsert
from tests.fakes.queries import count_queries

SEND = """mutation($input: CampaignInput!) { sendCampaign(input: $input) {
  campaign { code status texts { locale title body } } userErrors { code field message } } }"""
PREVIEW = """query($input: CampaignPreviewInput!) { campaignPreview(input: $input) {
  preview { customerId memberLocale textLocale title body } userErrors { code field } } }"""
CAMPAIGN = """query($code: String!) { campaign(code: $code) { code status recipients
  delivery { recipients delivered failed skipped pending opened } } }"""
LIST = """{ campaigns(first: 10) { nodes { code source delivery { recipients } }
  pageInfo { hasNextPage } } }"""
PROFILE = """mutation($input: UpdateProfileInput!) { updateProfile(input: $input) {
  userErrors { code } } }"""
ADJUST = """mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) {
  userErrors { code } } }"""

SUMMER = {
    "code": "summer",
    "title": "Base: {name}",
    "body": "Base text",
    "texts": [
        {"locale": "en", "title": "Hi {first_name|there}", "body": "You have {points} points."},
        {"locale": "es", "title": "Hola {first_name}", "body": "Tienes {points} puntos ({tier})."},
    ],
}


async def member(api: GraphQLClient, sub: str, name: str, locale: str, points: int) -> None:
    profile = {"displayName": name, "locale": locale} if name else {"locale": locale}
    assert data(await api.member(sub, PROFILE, {"input": profile}))["updateProfile"] == {
        "userErrors": []
    }
    adjust = {"customerId": sub, "delta": points, "reason": "Welcome"}
    assert data(await api.admin(ADJUST, {"input": adjust}))["adjustPoints"]["userErrors"] == []


async def feed(api: GraphQLClient, sub: str) -> list[tuple[str, str]]:
    edges = data(await api.member(sub, contract("Notifications"), {"first": 5}))["me"][
        "notifications"
    ]["edges"]
    return [(e["node"]["title"], e["node"]["body"]) for e in edges]


async def test_each_member_reads_the_campaign_in_their_locale_with_their_own_values(
    api: GraphQLClient,
) -> None:
    await member(api, "ana", "Ana Torres", "es-MX", 1250)
    await member(api, "bob", "Bob", "en-GB", 12500)
    await member(api, "chen", "Chen", "fr", 7)  # no French text: the program's default (en)
    sent = data(await api.admin(SEND, {"input": SUMMER}))["sendCampaign"]
    assert sent["userErrors"] == []
    assert [t["locale"] for t in sent["campaign"]["texts"]] == ["en", "es"]

    await api.runtime.run_jobs_once()

    assert await feed(api, "ana") == [("Hola Ana", "Tienes 1250 puntos (Member).")]
    assert await feed(api, "bob") == [("Hi Bob", "You have 12,500 points.")]
    assert await feed(api, "chen") == [("Hi Chen", "You have 7 points.")]

    read = contract("MarkNotificationsRead")
    assert (
        data(await api.member("bob", read, {"input": {}}))["markNotificationsRead"]["unreadCount"]
        == 0
    )
    found = data(await api.admin(CAMPAIGN, {"code": "summer"}))["campaign"]
    assert (found["status"], found["recipients"]) == ("SENT", 3)
    delivery = found["delivery"]
    assert delivery["recipients"] == 3 and delivery["opened"] == 1
    outcomes = ("delivered", "failed", "skipped", "pending")
    assert sum(delivery[k] for k in outcomes) == 3
    listed = data(await api.admin(LIST))["campaigns"]
    assert listed["nodes"] == [{"code": "summer", "source": "ADMIN", "delivery": {"recipients": 3}}]
    assert data(await api.admin(CAMPAIGN, {"code": "nope"}))["campaign"] is None


async def test_the_base_text_is_read_when_no_locale_matches(api: GraphQLClient) -> None:
    await member(api, "chen", "Chen Wei", "fr", 5)
    only_spanish = {"title": SUMMER["title"], "body": SUMMER["body"], "texts": [SUMMER["texts"][1]]}
    preview = data(await api.admin(PREVIEW, {"input": {**only_spanish, "customerId": "chen"}}))
    assert preview["campaignPreview"]["preview"] == {
        "customerId": "chen",
        "memberLocale": "fr",
        "textLocale": None,
        "title": "Base: Chen Wei",
        "body": "Base text",
    }


async def test_the_preview_shows_a_member_their_own_text_and_saves_nothing(
    api: GraphQLClient,
) -> None:
    await member(api, "ana", "Ana Torres", "es-MX", 1250)
    draft = {k: v for k, v in SUMMER.items() if k != "code"}
    preview = data(await api.admin(PREVIEW, {"input": {**draft, "customerId": "ana"}}))
    assert preview["campaignPreview"] == {
        "preview": {
            "customerId": "ana",
            "memberLocale": "es-MX",
            "textLocale": "es",
            "title": "Hola Ana",
            "body": "Tienes 1250 puntos (Member).",
        },
        "userErrors": [],
    }
    unknown = data(await api.admin(PREVIEW, {"input": {**draft, "customerId": "zed"}}))
    assert unknown["campaignPreview"] == {
        "preview": None,
        "userErrors": [{"code": "NOT_FOUND", "field": ["input", "customerId"]}],
    }
    assert await Campaign.all().count() == 0


async def test_unknown_placeholders_are_refused_on_their_field(api: GraphQLClient) -> None:
    await member(api, "ana", "Ana", "es", 1)
    bad: dict[str, Any] = {
        "code": "oops",
        "title": "Hi {nme}",
        "body": "{points}",
        "texts": [
            {"locale": "es", "title": "Hola", "body": "{points:>9}"},
            {"locale": "de", "title": "Hallo {name.__class__}", "body": "{"},
            {"locale": "xx-YY", "title": "ok", "body": "ok"},
        ],
    }
    result = data(await api.admin(SEND, {"input": bad}))["sendCampaign"]
    assert result["campaign"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("UNKNOWN_PLACEHOLDER", ["input", "title"]),
        ("INVALID_INPUT", ["input", "texts", "0", "body"]),
        ("UNKNOWN_PLACEHOLDER", ["input", "texts", "1", "title"]),
        ("INVALID_INPUT", ["input", "texts", "1", "body"]),
        ("INVALID_INPUT", ["input", "texts", "2", "locale"]),
    ]
    assert "{nme} is not a placeholder" in result["userErrors"][0]["message"]
    assert await Campaign.all().count() == 0
    draft = {k: v for k, v in bad.items() if k != "code"}
    preview = data(await api.admin(PREVIEW, {"input": {**draft, "customerId": "ana"}}))
    assert preview["campaignPreview"]["userErrors"][0] == {
        "code": "UNKNOWN_PLACEHOLDER",
        "field": ["input", "title"],
    }


async def test_the_original_arguments_still_send_one_text_to_everyone(api: GraphQLClient) -> None:
    await member(api, "ana", "Ana", "es", 1)
    plain = {"code": "plain", "title": "Sale", "body": "Today only."}
    assert (
        data(await api.admin(contract("SendCampaign"), {"input": plain}))["sendCampaign"][
            "userErrors"
        ]
        == []
    )
    await api.runtime.run_jobs_once()
    assert await feed(api, "ana") == [("Sale", "Today only.")]


SIZE = """query($input: SegmentSizeInput!) { segmentSize(input: $input) {
  members capped cap userErrors { code field } } }"""


async def test_a_draft_rule_is_counted_without_being_saved(api: GraphQLClient) -> None:
    for sub, country in (("a", "ES"), ("b", "ES"), ("c", "FR")):
        await api.member(sub, PROFILE, {"input": {"country": country}})
    size = data(await api.admin(SIZE, {"input": {"rule": {"countries": ["ES"]}}}))
    assert size["segmentSize"] == {"members": 2, "capped": False, "cap": 100000, "userErrors": []}
    bad = data(await api.admin(SIZE, {"input": {"rule": {"minAge": 40, "maxAge": 20}}}))
    assert bad["segmentSize"]["members"] is None
    assert bad["segmentSize"]["userErrors"][0]["field"][:2] == ["input", "rule"]
    assert error_codes(await api.member("a", SIZE, {"input": {"rule": {}}})) == ["FORBIDDEN"]


EXPORT = """mutation($id: String!) { exportMemberData(customerId: $id) {
  json userErrors { code field } } }"""
ERASE = """mutation($input: EraseMemberInput!) { eraseMember(input: $input) {
  erased userErrors { code field } } }"""


async def test_an_admin_exports_and_erases_a_member_only_when_confirmed(
    api: GraphQLClient,
) -> None:
    await member(api, "ana", "Ana Torres", "es", 10)
    exported = data(await api.admin(EXPORT, {"id": "ana"}))["exportMemberData"]
    assert json.loads(exported["json"])["profile"]["displayName"] == "Ana Torres"

    refused = data(await api.admin(ERASE, {"input": {"customerId": "ana", "confirm": False}}))
    assert refused["eraseMember"] == {
        "erased": False,
        "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "confirm"]}],
    }
    ana = await Member.get(customer_id="ana")
    assert ana.erased_at is None

    done = data(await api.admin(ERASE, {"input": {"customerId": "ana", "confirm": True}}))
    assert done["eraseMember"] == {"erased": True, "userErrors": []}
    await ana.refresh_from_db()
    assert (ana.erased_at is not None, ana.customer_id, ana.display_name) == (
        True,
        None,
        "Former member",
    )
    entries = await AuditEntry.filter(target_kind="member").order_by("id")
    assert [(e.action, e.target_id) for e in entries] == [
        ("points.adjust", f"erased-member-{ana.id}"),
        ("member.export", f"erased-member-{ana.id}"),
        ("member.erase", f"erased-member-{ana.id}"),
    ]
    again = data(await api.admin(ERASE, {"input": {"customerId": "ana", "confirm": True}}))
    assert again["eraseMember"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["input", "customerId"]}
    ]


async def test_an_analyst_reads_campaigns_but_changes_nothing(api: GraphQLClient) -> None:
    await make_accounts(api)
    await member(api, "ana", "Ana", "es", 1)
    csrf = await signed_in(api, ANALYST)
    listed = (await console_post(api, LIST, csrf=csrf)).json()
    assert listed["data"]["campaigns"]["nodes"] == []
    for query, variables in (
        (SEND, {"input": SUMMER}),
        (ERASE, {"input": {"customerId": "ana", "confirm": True}}),
        (EXPORT, {"id": "ana"}),
        (SET_TRANSLATIONS, {"input": {"kind": "BADGE", "code": "x", "translations": []}}),
    ):
        assert error_codes((await console_post(api, query, variables, csrf=csrf)).json()) == [
            "FORBIDDEN"
        ]
    assert await Campaign.all().count() == 0
    assert (await Member.get(id=(await Member.get(customer_id="ana")).id)).erased_at is None


SET_TRANSLATIONS = """mutation($input: SetTranslationsInput!) { setTranslations(input: $input) {
  translations { locale name description } userErrors { code field } } }"""
REWARDS = "{ rewards { code name description } }"


async def test_translations_are_entered_apart_and_read_in_the_members_language(
    api: GraphQLClient,
) -> None:
    await upsert(api, code="COFFEE", name="Free coffee", description="One coffee.")
    await member(api, "ana", "Ana", "es-MX", 1)
    spanish = {"locale": "es", "name": "Café gratis", "description": "Un café."}
    saved = data(
        await api.admin(
            SET_TRANSLATIONS,
            {"input": {"kind": "REWARD", "code": "COFFEE", "translations": [spanish]}},
        )
    )["setTranslations"]
    assert saved == {"translations": [spanish], "userErrors": []}
    [read] = data(await api.member("ana", REWARDS))["rewards"]
    assert (read["name"], read["description"]) == ("Café gratis", "Un café.")
    [kept] = data(await api.admin(REWARDS))["rewards"]
    assert kept["name"] == "Free coffee"  # the other settings are untouched
    entry = await AuditEntry.filter(action="reward.translate").get()
    assert (entry.target_id, entry.before, entry.after) == (
        "COFFEE",
        {"translations": {}},
        {"translations": {"es": {"name": "Café gratis", "description": "Un café."}}},
    )

    bad = {"kind": "TIER", "code": "nope", "translations": [{"locale": "zz-ZZ", "name": ""}]}
    refused = data(await api.admin(SET_TRANSLATIONS, {"input": bad}))["setTranslations"]
    assert refused["userErrors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "translations", "0", "locale"]},
        {"code": "INVALID_INPUT", "field": ["input", "translations", "0", "name"]},
    ]
    unknown = {"kind": "BADGE", "code": "nope", "translations": []}
    assert data(await api.admin(SET_TRANSLATIONS, {"input": unknown}))["setTranslations"][
        "userErrors"
    ] == [{"code": "NOT_FOUND", "field": ["input", "code"]}]
    assert error_codes(await api.member("ana", SET_TRANSLATIONS, {"input": unknown})) == [
        "FORBIDDEN"
    ]


async def test_the_campaign_list_costs_the_same_statements_for_two_or_six_campaigns(
    api: GraphQLClient,
) -> None:
    await member(api, "ana", "Ana", "es", 1)

    async def statements_for(count: int) -> int:
        for i in range(await Campaign.all().count(), count):
            plain = {"code": f"c{i}", "title": "Hi {name}", "body": "{points} points"}
            assert data(await api.admin(SEND, {"input": plain}))["sendCampaign"]["userErrors"] == []
        await api.runtime.run_jobs_once()
        with count_queries() as log:
            listed = data(await api.admin(LIST))["campaigns"]["nodes"]
        assert len(listed) == count and all(c["delivery"]["recipients"] == 1 for c in listed)
        return log.count

    assert await statements_for(2) == await statements_for(6)


async def test_a_draft_rule_is_counted_in_one_statement(api: GraphQLClient) -> None:
    await api.member("a", PROFILE, {"input": {"country": "ES"}})
    rule = {"countries": ["ES"], "minPurchases": 0, "notPurchasedWithinDays": 30}
    with count_queries() as log:
        size = data(await api.admin(SIZE, {"input": {"rule": rule}}))["segmentSize"]
    assert size["members"] == 1
    assert log.count == 1
