"""The console's member, translations and audit pages in a real Chromium: a member's progress
in the running challenges, an old item found by search and translated, the audit filter's
kinds as the API lists them."""

from __future__ import annotations

from typing import Any

import pytest

from api.seed import DEMO_CONSOLE_ACCOUNTS
from tests.browser.test_campaigns import shot
from tests.browser.test_console import api, sign_in

pytestmark = pytest.mark.browser

ADMIN = DEMO_CONSOLE_ACCOUNTS[0][0]
PROGRESS = """query($id: String!) { member(customerId: $id) { challengeProgress {
  challenge { code title } current target completed } } }"""
UPSERT_REWARD = """mutation($input: RewardInput!) { upsertReward(input: $input) {
  userErrors { code field } } }"""


def test_a_members_page_shows_their_progress_in_each_running_challenge(
    page: Any, console_url: str
) -> None:
    expected = api(console_url, PROGRESS, {"id": "alice"})["member"]["challengeProgress"]
    assert expected, "the demo runs challenges"
    sign_in(page, console_url, ADMIN)
    page.goto(f"{console_url}/console#/members/alice")
    section = page.locator("section[aria-label='Challenges running']")
    section.locator("li[data-challenge]").first.wait_for()
    shown = section.locator("li[data-challenge]")
    assert shown.count() == len(expected)
    for index, item in enumerate(expected):
        row = shown.nth(index)
        assert row.get_attribute("data-challenge") == item["challenge"]["code"]
        assert row.get_attribute("data-completed") == str(item["completed"]).lower()
        assert item["challenge"]["title"] in row.inner_text()
        assert ("Completed" if item["completed"] else "In progress") in row.inner_text()
        bar = row.locator("progress")
        assert float(bar.get_attribute("max")) == item["target"]
        assert float(bar.get_attribute("value")) == min(item["current"], item["target"])
    section.scroll_into_view_if_needed()
    shot(page, "member-challenges.png")


def test_an_old_reward_is_found_by_search_and_translated(page: Any, console_url: str) -> None:
    def reward(code: str, name: str) -> None:
        variables = {
            "input": {
                "code": code,
                "name": name,
                "description": f"{name}, for the browser test",
                "kind": "PERCENT_DISCOUNT",
                "costPoints": 100,
                "value": "10",
            }
        }
        assert api(console_url, UPSERT_REWARD, variables)["upsertReward"]["userErrors"] == []

    reward("OLD-LANTERN", "Old lantern")
    for n in range(25):  # newer rewards: the old one is past the first page
        reward(f"NEWER-{n:02}", f"Newer reward {n}")
    sign_in(page, console_url, ADMIN)
    page.get_by_role("link", name="Translations").click()
    page.locator("tr[data-item='NEWER-24']").wait_for()
    assert page.locator("tr[data-item='OLD-LANTERN']").count() == 0
    page.get_by_label("Search by name or code").fill("lantern")
    page.get_by_role("button", name="Search").click()
    page.locator("tr[data-item='OLD-LANTERN']").wait_for()
    assert page.locator("tr[data-item]").count() == 1
    page.get_by_role("link", name="Old lantern").click()
    page.get_by_role("button", name="+ Add a language").click()
    added = page.locator("form fieldset.locale").last
    added.get_by_label("Locale").fill("es")
    added.get_by_label("Name").fill("Farol antiguo")
    added.get_by_label("Description").fill("Un farol de los de antes.")
    shot(page, "translations-search.png")
    page.get_by_role("button", name="Save translations").click()
    from playwright.sync_api import expect

    # Back on the list, still searched, with the new language.
    expect(page.locator("tr[data-item='OLD-LANTERN'] .pill")).to_contain_text(["es"])
    assert page.get_by_label("Search by name or code").input_value() == "lantern"
    found = api(
        console_url,
        """{ catalogueItems(kind: REWARD, search: "OLD-LANTERN") {
        edges { node { code translations { locale name description } } } } }""",
        {},
    )["catalogueItems"]["edges"]
    assert found == [
        {
            "node": {
                "code": "OLD-LANTERN",
                "translations": [
                    {
                        "locale": "es",
                        "name": "Farol antiguo",
                        "description": "Un farol de los de antes.",
                    }
                ],
            }
        }
    ]


def test_the_audit_filter_offers_the_kinds_and_actions_the_api_lists(
    page: Any, console_url: str
) -> None:
    kinds = api(console_url, "{ auditKinds { kind actions } }", {})["auditKinds"]
    sign_in(page, console_url, ADMIN)
    page.get_by_role("link", name="Audit log").click()
    select = page.get_by_label("Kind")
    select.locator("option").nth(1).wait_for(state="attached")
    offered = select.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
    assert offered == ["", *(k["kind"] for k in kinds)]
    assert "drop_claim" in offered  # missing from the list the page used to carry
    select.select_option("reward")
    [reward] = [k["actions"] for k in kinds if k["kind"] == "reward"]
    actions = page.locator("datalist#audit-actions option")
    assert actions.evaluate_all("(options) => options.map((o) => o.value)") == reward
    page.get_by_label("Action").fill("reward.upsert")
    page.get_by_role("button", name="Filter").click()
    page.locator("tr[data-action='reward.upsert']").first.wait_for()
    shown = page.locator("tbody tr[data-action]")
    assert set(shown.evaluate_all("(rows) => rows.map((r) => r.dataset.action)")) == {
        "reward.upsert"
    }
    shot(page, "audit-kinds.png")
