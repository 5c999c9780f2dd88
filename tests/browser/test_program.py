"""The console's Program pages in a real Chromium: a badge created with its rule previewed in
words and in members who qualify, found through the app's `Badges` operation; a back-fill
started from the page whose bar runs to the end; field errors; the analyst refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from api.auth import mint_token
from api.settings import Settings
from tests.api.test_push import contract
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_console import ADMIN, ANALYST, api, sign_in

pytestmark = pytest.mark.browser

PREVIEW = """query($rule: RuleInput!, $locale: String! = "en") { previewRule(rule: $rule, locale: $locale) {
  words members userErrors { code } } }"""
TWO_PURCHASES = {"event": "PURCHASE", "aggregate": "COUNT", "target": 2}


def as_member(url: str, customer_id: str, query: str) -> dict[str, Any]:
    """An operation sent as the app sends it, with a member token."""
    token = mint_token(Settings(), "member", customer_id)
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


def open_new_badge(page: Any, url: str) -> None:
    page.goto(f"{url}/console#/program/badges/new")
    page.get_by_role("heading", name="New badge").wait_for()


def test_an_admin_creates_a_badge_with_its_preview_and_back_fills_it(
    page: Any, console_url: str
) -> None:
    from playwright.sync_api import expect

    sign_in(page, console_url, ADMIN)
    page.get_by_role("link", name="Program").click()
    page.get_by_role("heading", name="Tier ladder").wait_for()
    open_new_badge(page, console_url)
    page.get_by_label("Code", exact=True).fill("two-orders")
    page.get_by_label("Name", exact=True).fill("Two orders")
    page.get_by_label("Description").fill("Come back for a second order.")
    page.get_by_label("Bonus points when earned").fill("30")
    page.get_by_label("Counts").select_option("PURCHASE")
    page.get_by_label("Folded as").select_option("COUNT")
    page.get_by_label("Target", exact=True).fill("2")
    expected = api(console_url, PREVIEW, {"rule": TWO_PURCHASES})["previewRule"]
    assert expected["members"] > 0
    count = page.locator("[data-qualifying]")
    count.and_(page.locator(f"[data-qualifying='{expected['members']}']")).wait_for()
    assert page.locator(".rule-words[data-locale=en]").inner_text() == expected["words"]
    assert page.locator(".rule-words[data-locale=es]").inner_text() not in ("", "…")
    page.screenshot(path=str(SCREENSHOTS / "program-badge-editor.png"), full_page=True)
    page.get_by_role("button", name="Create badge").click()
    page.get_by_role("heading", name="Badge two-orders").wait_for()

    # The app reads it through its own operation, in the words of the member's language.
    shown = {b["code"]: b for b in as_member(console_url, "alice", contract("Badges"))["badges"]}
    assert shown["two-orders"]["name"] == "Two orders"
    locale = as_member(console_url, "alice", "{ me { locale } }")["me"]["locale"]
    in_theirs = api(console_url, PREVIEW, {"rule": TWO_PURCHASES, "locale": locale})
    assert shown["two-orders"]["rule"]["description"] == in_theirs["previewRule"]["words"]
    # The saved badge's page previews its rule again: the same words.
    page_words = page.locator(f".rule-words[data-locale={locale[:2]}]")
    expect(page_words).to_have_text(shown["two-orders"]["rule"]["description"])

    page.get_by_role("button", name="Back-fill over history").click()
    status = page.locator(".backfill-bar [data-status=DONE]")
    status.wait_for(timeout=60_000)
    assert page.get_by_label("Back-fill of two-orders").evaluate("(bar) => bar.value") == 1
    assert f"{expected['members']} awarded" in status.inner_text()
    runs = api(
        console_url,
        '{ backfillRuns(badgeCode: "two-orders") { status awarded startedBy } }',
        {},
    )["backfillRuns"]
    assert runs == [{"status": "DONE", "awarded": expected["members"], "startedBy": ADMIN}]
    page.screenshot(path=str(SCREENSHOTS / "program-backfill.png"), full_page=True)


def test_bad_input_shows_the_error_next_to_its_field(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    open_new_badge(page, console_url)
    page.get_by_label("Code", exact=True).fill("zero-target")
    page.get_by_label("Name", exact=True).fill("Nothing to do")
    page.get_by_label("Target", exact=True).fill("0")
    page.get_by_role("button", name="Create badge").click()
    target = page.get_by_label("Target", exact=True)
    error = page.locator(f"#{target.get_attribute('id')}-error")
    error.filter(has_text="0").wait_for()
    assert target.get_attribute("aria-invalid") == "true"
    # The earning rules' rate per channel: a word where a number goes is refused on its field.
    page.goto(f"{console_url}/console#/program/earning")
    rate = page.get_by_label("Store purchases ×")
    rate.fill("double")
    page.get_by_role("button", name="Save earning rules").click()
    page.locator(f"#{rate.get_attribute('id')}-error").filter(has_text="rate").wait_for()
    assert rate.evaluate("(el) => el === document.activeElement")


def test_an_analyst_sees_the_program_and_changes_nothing(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ANALYST)
    page.goto(f"{console_url}/console#/program/earning")
    page.get_by_role("heading", name="Earning rules").wait_for()
    assert page.get_by_role("button", name="Save earning rules").is_hidden()
    assert page.get_by_label("App purchases ×").is_disabled()
    page.goto(f"{console_url}/console#/program/badges")
    page.get_by_role("heading", name="Badges", exact=True).wait_for()
    code = page.locator("tr[data-badge]").first.get_attribute("data-badge")
    page.goto(f"{console_url}/console#/program/badges/{code}")
    page.locator("[data-qualifying]:not([data-qualifying=''])").wait_for()  # previews still
    assert page.get_by_role("button", name="Save badge").is_hidden()
    assert page.get_by_role("button", name="Back-fill over history").is_hidden()
    refused = page.evaluate(
        """async (code) => {
          const { csrfToken } = await (await fetch("/console/api/session")).json();
          const response = await fetch("/graphql", {
            method: "POST",
            headers: {"content-type": "application/json", "x-csrf-token": csrfToken},
            body: JSON.stringify({query: `mutation { startBackfill(input: {badgeCode: "${code}"})
              { userErrors { code } } }`}),
          });
          return (await response.json()).errors[0].extensions.code;
        }""",
        code,
    )
    assert refused == "FORBIDDEN"
    page.screenshot(path=str(SCREENSHOTS / "program-analyst.png"), full_page=True)


def test_each_program_page_shows_what_the_api_holds(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    held = api(
        console_url,
        """{ tiers { code } rewards(includeInactive: true) { code }
          drops { code totalQuantity remainingQuantity } leaderboards { code windows } }""",
        {},
    )
    page.goto(f"{console_url}/console#/program/tiers")
    page.get_by_role("heading", name="Tier ladder").wait_for()
    assert page.locator("tr[data-tier]").count() == len(held["tiers"])
    page.screenshot(path=str(SCREENSHOTS / "program-tiers.png"), full_page=True)
    page.goto(f"{console_url}/console#/program/earning")
    page.get_by_role("heading", name="Earning rules").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "program-earning.png"), full_page=True)
    page.goto(f"{console_url}/console#/program/challenges")
    page.get_by_role("heading", name="Challenges", exact=True).wait_for()
    page.screenshot(path=str(SCREENSHOTS / "program-challenges.png"), full_page=True)
    page.goto(f"{console_url}/console#/program/rewards")
    page.get_by_role("heading", name="Rewards", exact=True).wait_for()
    assert page.locator("tr[data-reward]").count() == len(held["rewards"])
    page.screenshot(path=str(SCREENSHOTS / "program-rewards.png"), full_page=True)
    page.goto(f"{console_url}/console#/program/drops")
    page.get_by_role("heading", name="Drops", exact=True).wait_for()
    for drop in held["drops"]:
        claimed = drop["totalQuantity"] - drop["remainingQuantity"]
        row = page.locator(f"tr[data-drop='{drop['code']}']")
        assert row.get_attribute("data-claimed") == str(claimed)
    page.screenshot(path=str(SCREENSHOTS / "program-drops.png"), full_page=True)
    page.goto(f"{console_url}/console#/program/boards")
    page.get_by_role("region", name="Top 10").wait_for()
    board = held["leaderboards"][0]
    top = api(
        console_url,
        """query($code: String!, $window: LeaderboardWindow!) {
          leaderboard(code: $code, window: $window) { top(first: 10) { rank } } }""",
        {"code": board["code"], "window": board["windows"][0]},
    )["leaderboard"]["top"]
    page.locator("p[role=status]", has_text="live").wait_for()
    assert page.locator("tr[data-rank]").count() == len(top)
    page.screenshot(path=str(SCREENSHOTS / "program-leaderboards.png"), full_page=True)


def test_an_admin_creates_a_weekly_challenge_with_its_goal_previewed(
    page: Any, console_url: str
) -> None:
    sign_in(page, console_url, ADMIN)
    page.goto(f"{console_url}/console#/program/challenges/new")
    page.get_by_role("heading", name="New challenge").wait_for()
    page.get_by_label("Code", exact=True).fill("weekly-reviews")
    page.get_by_label("Title", exact=True).fill("Review two things a week")
    page.get_by_label("Description").fill("Tell others what you think.")
    start = datetime.now() - timedelta(days=1)  # the browser's time zone is the machine's
    page.get_by_label("Starts (your time)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends (your time)").fill(
        (start + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Repeats").select_option("WEEKLY")
    page.get_by_label("Counts").select_option("REVIEW")
    page.get_by_label("Target", exact=True).fill("2")
    expected = api(
        console_url,
        PREVIEW,
        {"rule": {"event": "REVIEW", "aggregate": "COUNT", "target": 2}},
    )["previewRule"]
    page.locator(f"[data-qualifying='{expected['members']}']").wait_for()
    assert page.locator(".rule-words[data-locale=en]").inner_text() == expected["words"]
    page.get_by_role("button", name="Create challenge").click()
    page.get_by_role("heading", name="Challenge weekly-reviews").wait_for()
    found = api(
        console_url, "{ challenges(status: null) { code recurrence goal { event target } } }", {}
    )["challenges"]
    assert {"code": "weekly-reviews", "recurrence": "WEEKLY",
            "goal": {"event": "REVIEW", "target": 2.0}} in found  # fmt: skip
