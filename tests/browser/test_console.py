"""The console in a real Chromium: sign-in, the dashboard's figures and charts, a member's
points, roles, field errors and the keyboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.auth import mint_token
from api.seed import DEMO_CONSOLE_ACCOUNTS, DEMO_CONSOLE_PASSWORD
from api.settings import Settings
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

ADMIN, ANALYST = (email for email, _ in DEMO_CONSOLE_ACCOUNTS)


def sign_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_CONSOLE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-value=revenue]")


def api(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The same question asked of the API with an admin token (the demo's dev secret)."""
    token = mint_token(Settings(), "admin", "browser-test")
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


def test_the_dashboard_shows_the_apis_figures_and_charts(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    # The default period: the last 12 weeks up to the end of today (UTC).
    now = datetime.now(UTC)
    end = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    variables = {
        "from": (end - timedelta(weeks=12)).isoformat(),
        "to": end.isoformat(),
        "bucket": "WEEK",
    }
    expected = api(
        console_url,
        """query($from: DateTime!, $to: DateTime!, $bucket: KpiBucket!) {
          programKpis(from: $from, to: $to) { activeMembers revenue }
          programKpiSeries(from: $from, to: $to, bucket: $bucket) { activeMembers revenue }
        }""",
        variables,
    )
    assert expected["programKpis"]["activeMembers"] > 0
    shown = page.locator("[data-value=activeMembers]").inner_text()
    assert shown == f"{expected['programKpis']['activeMembers']:,}"
    revenue = page.locator("[data-value=revenue]").inner_text()
    assert revenue == f"€{float(expected['programKpis']['revenue']):,.2f}"
    for figure in ("activeMembers", "revenue"):
        drawn = page.evaluate(
            """(figure) => {
              const canvas = document.querySelector(`canvas[data-figure="${figure}"]`);
              return window.Chart.getChart(canvas).data.datasets[0].data;
            }""",
            figure,
        )
        assert drawn == [float(b[figure]) for b in expected["programKpiSeries"]]
    assert page.locator("canvas[data-figure]").count() == 16  # 15 figures and the tiers
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)


def test_an_admin_finds_a_member_and_adjusts_their_points(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Customer id or name").fill("ali")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Alice").click()
    page.wait_for_selector("text=Points ledger")
    before = int(page.locator("[data-value=balance]").inner_text().replace(",", ""))
    page.get_by_label("Points (negative to take)").fill("25")
    page.get_by_label("Reason").fill("Parcel arrived late")
    page.get_by_role("button", name="Adjust points").click()
    first = page.locator("table tbody tr").first
    first.get_by_text("Parcel arrived late").wait_for()
    assert first.locator("td.actor").inner_text() == ADMIN
    assert "+25" in first.inner_text() and "ADJUST" in first.inner_text()
    after = int(page.locator("[data-value=balance]").inner_text().replace(",", ""))
    assert after == before + 25
    page.screenshot(path=str(SCREENSHOTS / "member.png"), full_page=True)


def test_a_refused_field_shows_its_error_next_to_it(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    page.goto(f"{console_url}/console#/members/bruno")
    page.wait_for_selector("text=Points ledger")
    page.get_by_label("Points (negative to take)").fill("10")
    page.get_by_role("button", name="Adjust points").click()  # no reason
    reason = page.get_by_label("Reason")
    error = page.locator(f"#{reason.get_attribute('id')}-error")
    error.wait_for()
    assert "reason" in error.inner_text()
    assert reason.get_attribute("aria-invalid") == "true"
    assert reason.evaluate("(el) => el === document.activeElement")


def test_an_analyst_has_no_adjust_button_and_the_api_refuses_anyway(
    page: Any, console_url: str
) -> None:
    sign_in(page, console_url, ANALYST)
    assert page.locator("#who-role").inner_text() == "Analyst · read only"
    page.goto(f"{console_url}/console#/members/alice")
    page.wait_for_selector("text=Points ledger")
    assert page.get_by_role("button", name="Adjust points").count() == 0
    refused = page.evaluate(
        """async () => {
          const { csrfToken } = await (await fetch("/console/api/session")).json();
          const response = await fetch("/graphql", {
            method: "POST",
            headers: {"content-type": "application/json", "x-csrf-token": csrfToken},
            body: JSON.stringify({query: `mutation { adjustPoints(input: {customerId: "alice",
              delta: 1000, reason: "sneaky"}) { userErrors { code } } }`}),
          });
          return (await response.json()).errors[0].extensions.code;
        }"""
    )
    assert refused == "FORBIDDEN"


def test_signing_in_works_with_the_keyboard_alone(page: Any, console_url: str) -> None:
    page.goto(f"{console_url}/console")
    page.wait_for_selector("form.signin-card")
    page.keyboard.type(ADMIN)  # the email field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-value=revenue]")
    # The page takes the focus: the next Tab reaches its first control, labelled.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Period"
    page.keyboard.press("Shift+Tab")  # back over "Sign out" to the navigation
    assert page.evaluate("document.activeElement.textContent") == "Sign out"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "Members"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Find a member by the shop's customer id or by name.")
