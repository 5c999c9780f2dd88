"""previewRule: a rule being edited, in the words members read and with how many members
qualify today; the count is exactly the members a back-fill of that rule awards."""

from __future__ import annotations

from typing import Any

from domain.achievements.models import MemberBadge
from tests.api.backfill_support import (
    QUALIFYING,
    START,
    TWO_APP,
    finished_run,
    make_badge,
    record_history,
)
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import ANALYST, console_post, make_accounts, signed_in
from tests.api.test_achievements import BADGES
from tests.fakes.queries import count_queries

PREVIEW = """query($rule: RuleInput!, $locale: String!) { previewRule(rule: $rule, locale: $locale) {
  words members userErrors { code field message } } }"""


async def preview(api: GraphQLClient, rule: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    return dict(data(await api.admin(PREVIEW, {"rule": rule, "locale": locale}))["previewRule"])


async def test_the_preview_says_the_rule_as_the_badge_shows_it_to_members_in_their_language(
    api: GraphQLClient,
) -> None:
    await record_history(api)
    english = await preview(api, TWO_APP)
    spanish = await preview(api, TWO_APP, "es-ES")
    await make_badge(api, "two-app", TWO_APP)
    shown = {
        b["code"]: b["rule"]["description"]
        for b in data(await api.member("alice", BADGES))["badges"]
    }
    assert english["words"] == shown["two-app"]
    assert spanish["words"] and spanish["words"] != english["words"]
    assert english["userErrors"] == [] and spanish["members"] == english["members"]


async def test_the_count_is_the_members_a_backfill_of_the_rule_awards(
    api: GraphQLClient,
) -> None:
    await record_history(api)
    counted = await preview(api, TWO_APP)
    assert counted["members"] == len(QUALIFYING)
    assert (await preview(api, {**TWO_APP, "target": 1}))["members"] == 3  # alice, bob, carol
    assert (await preview(api, {**TWO_APP, "channel": None}))["members"] == 3  # + dave
    spent = {"event": "PURCHASE", "aggregate": "SUM_AMOUNT", "target": 55}
    assert (await preview(api, spent))["members"] == 3  # alice 65, carol 55, dave 140
    assert (await preview(api, {**spent, "channel": "APP"}))["members"] == 2  # 55 and 55
    big = {"event": "PURCHASE", "aggregate": "COUNT", "target": 1, "minAmount": "35.00"}
    assert (await preview(api, big))["members"] == 3  # alice's 35, carol's 50, dave's
    await make_badge(api, "two-app", TWO_APP)
    started = data(await api.admin(START, {"input": {"badgeCode": "two-app"}}))["startBackfill"]
    run = await finished_run(api, started["run"]["id"])
    holders = await MemberBadge.filter(badge__code="two-app").values_list(
        "member__customer_id", flat=True
    )
    assert set(holders) == QUALIFYING
    assert run["awarded"] == counted["members"]
    # Holders still count: the figure is who qualifies, not who is left to award.
    assert (await preview(api, TWO_APP))["members"] == len(QUALIFYING)


async def test_a_bad_rule_is_a_field_error_and_a_kind_without_history_has_no_count(
    api: GraphQLClient,
) -> None:
    bad = await preview(api, {**TWO_APP, "target": 0})
    assert bad["words"] is None and bad["members"] is None
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [
        ("INVALID_INPUT", ["rule", "target"])
    ]
    visits = await preview(api, {"event": "STORE_VISIT", "aggregate": "COUNT", "target": 3})
    assert visits["words"] and visits["members"] is None
    assert [(e["code"], e["field"]) for e in visits["userErrors"]] == [
        ("INVALID_INPUT", ["rule", "event"])
    ]


async def test_members_may_not_preview_and_the_analyst_may(api: GraphQLClient) -> None:
    refused = await api.member("alice", PREVIEW, {"rule": TWO_APP, "locale": "en"})
    assert error_codes(refused) == ["FORBIDDEN"]
    await make_accounts(api)
    csrf = await signed_in(api, ANALYST)
    read = await console_post(api, PREVIEW, {"rule": TWO_APP, "locale": "en"}, csrf=csrf)
    assert read.json()["data"]["previewRule"]["members"] == 0


async def test_the_history_is_replayed_only_when_the_count_is_asked_for(
    api: GraphQLClient,
) -> None:
    await record_history(api)
    words_only = """query($rule: RuleInput!) { previewRule(rule: $rule, locale: "es") { words } }"""
    with count_queries() as log:
        data(await api.admin(words_only, {"rule": TWO_APP}))
    assert not [s for s in log.statements if '"purchase"' in s]
    with count_queries() as log:
        data(await api.admin(PREVIEW, {"rule": TWO_APP, "locale": "en"}))
    assert [s for s in log.statements if '"purchase"' in s]
