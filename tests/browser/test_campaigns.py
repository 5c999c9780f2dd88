"""The console's management pages in a real Chromium: a campaign written in two locales,
previewed as members and received by each in their own language; the audit log; erasing a
member after confirming; a segment's size as it is edited; stores and promotions; drops'
sell-through; a reward's name in another language."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

from api.auth import mint_token
from api.seed import DEMO_CONSOLE_ACCOUNTS
from api.settings import Settings
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_console import api, sign_in

pytestmark = pytest.mark.browser

ADMIN = DEMO_CONSOLE_ACCOUNTS[0][0]
NOTIFICATIONS = """query { me { notifications(first: 5) { edges { node { title body } } } } }"""


def as_member(url: str, customer_id: str, query: str) -> dict[str, Any]:
    """A question asked as the member's app asks it (member token)."""
    token = mint_token(Settings(), "member", customer_id)
    body = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert "errors" not in body, body
    return dict(body["data"])


def balance(url: str, customer_id: str) -> int:
    found = api(
        url,
        "query($id: String!) { member(customerId: $id) { points { balance } } }",
        {"id": customer_id},
    )
    return int(found["member"]["points"]["balance"])


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky bar at the top, where it belongs
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_campaign_in_two_locales_reaches_each_member_in_their_own(
    page: Any, console_server: tuple[str, dict[str, str]]
) -> None:
    from playwright.sync_api import expect

    url, env = console_server
    sign_in(page, url, ADMIN)
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Code").fill("winter-sale")
    form = page.locator("form.composer")
    base = form.locator("fieldset.base")
    base.get_by_label("Title").fill("Winter sale, {first_name}")
    base.get_by_label("Text").fill("You have {points} points to spend.")
    page.get_by_role("button", name="+ Add a language").click()
    spanish = form.locator(".locales fieldset").first
    spanish.get_by_label("Locale").fill("es")
    spanish.get_by_label("Title").fill("Rebajas de invierno, {first_name}")
    body = spanish.get_by_label("Text")
    body.fill("Tienes {puntos} puntos.")

    # An unknown placeholder is refused next to its field, before anything is sent.
    page.get_by_label("Preview as member").fill("alice")
    page.get_by_role("button", name="Preview").click()
    error = page.locator(f"#{body.get_attribute('id')}-error")
    error.wait_for()
    assert "{puntos} is not a placeholder" in error.inner_text()
    assert body.get_attribute("aria-invalid") == "true"
    body.fill("Tienes ")
    body.press("End")
    page.get_by_role("button", name="{points}").click()  # inserted where the caret is
    body.press("End")
    body.type(" puntos para gastar.")
    assert body.input_value() == "Tienes {points} puntos para gastar."

    # The preview shows each member their own language and values.
    page.get_by_role("button", name="Preview").click()
    phone = page.locator("[data-preview=alice]")
    phone.wait_for()
    alice_points = balance(url, "alice")
    assert phone.locator(".push-title").inner_text() == "Rebajas de invierno, Alice"
    assert phone.locator(".push-body").inner_text() == f"Tienes {alice_points} puntos para gastar."
    shot(page, "campaign-composer.png")
    page.get_by_label("Preview as member").fill("frank")
    page.get_by_role("button", name="Preview").click()
    page.locator("[data-preview=frank]").wait_for()
    assert page.locator(".push-title").inner_text() == "Winter sale, Frank"
    # The preview follows the draft as it is typed.
    base.get_by_label("Title").fill("Winter sale for you, {first_name}")
    expect(page.locator(".push-title")).to_have_text("Winter sale for you, Frank")

    # Sending now asks for a confirmation, then shows the campaign's page.
    page.get_by_role("button", name="Send campaign").click()
    page.get_by_role("button", name="Send now").click()
    page.wait_for_selector("text=winter-sale")
    page.wait_for_selector("[data-value=recipients]")

    fidelio = [sys.executable, "-m", "api.cli", "jobs"]
    subprocess.run(fidelio, env=env, check=True, capture_output=True, timeout=180)

    alice = as_member(url, "alice", NOTIFICATIONS)["me"]["notifications"]["edges"][0]["node"]
    assert alice == {
        "title": "Rebajas de invierno, Alice",
        "body": f"Tienes {alice_points} puntos para gastar.",
    }
    frank = as_member(url, "frank", NOTIFICATIONS)["me"]["notifications"]["edges"][0]["node"]
    assert frank["title"] == "Winter sale for you, Frank"
    assert frank["body"] == f"You have {balance(url, 'frank'):,} points to spend."

    page.reload()
    page.wait_for_selector("[data-value=recipients]")
    assert page.locator("[data-value=recipients]").inner_text() == "12"  # the demo's members
    assert page.locator("tr[data-locale=es]").count() == 1
    shot(page, "campaign.png")
    page.get_by_role("link", name="Campaigns").first.click()
    row = page.locator("tr[data-campaign=winter-sale]")
    row.wait_for()
    assert "Sent" in row.inner_text()
    shot(page, "campaigns.png")

    # The audit log shows who sent it, with what.
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Kind").select_option("campaign")
    page.get_by_role("button", name="Filter").click()
    entry = page.locator("tr[data-action='campaign.send']").first
    entry.wait_for()
    assert ADMIN in entry.inner_text() and "winter-sale" in entry.inner_text()
    assert "Rebajas de invierno, {first_name}" in entry.inner_text()
    shot(page, "audit-log.png")


def test_an_admin_erases_a_member_only_after_confirming(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    page.goto(f"{console_url}/console#/members/kate")
    page.wait_for_selector("text=Data rights")
    assert page.locator("section[aria-label='Drop claims']").count() == 1
    page.get_by_role("button", name="Erase member…").click()
    dialog = page.get_by_role("dialog")
    erase = dialog.get_by_role("button", name="Erase for good")
    assert erase.is_disabled()
    dialog.get_by_role("button", name="Cancel").click()
    query = "query($id: String!) { member(customerId: $id) { customerId } }"
    assert api(console_url, query, {"id": "kate"})["member"] == {"customerId": "kate"}

    page.get_by_role("button", name="Erase member…").click()
    dialog.get_by_label("Type kate to confirm").fill("kate")
    shot(page, "member-erase.png")
    erase.click()
    page.wait_for_selector("text=Find a member by the shop's customer id or by name.")
    assert api(console_url, query, {"id": "kate"})["member"] is None

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").fill("member.erase")
    page.get_by_role("button", name="Filter").click()
    entry = page.locator("tr[data-action='member.erase']").first
    entry.wait_for()
    assert ADMIN in entry.inner_text()


def test_segments_stores_drops_and_translations_pages(page: Any, console_url: str) -> None:
    sign_in(page, console_url, ADMIN)
    page.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    from playwright.sync_api import expect

    size = page.locator("p.size")
    expect(size).not_to_have_attribute("data-size", "")  # the first count: every member
    page.get_by_label("Countries").fill("GB")
    expected = api(
        console_url,
        '{ segmentSize(input: {rule: {countries: ["GB"]}}) { members } }',
        {},
    )["segmentSize"]["members"]
    expect(size).to_have_attribute("data-size", str(expected))
    assert size.inner_text() == str(expected)
    page.get_by_label("Age at least").fill("50")
    page.get_by_label("Age at most").fill("20")
    page.locator("form.segment-editor [aria-invalid=true]").first.wait_for()
    expect(size).to_have_text("—")
    shot(page, "segments.png")

    page.get_by_role("link", name="Stores").click()
    page.wait_for_selector("tr[data-store]")
    shot(page, "stores.png")
    page.get_by_role("link", name="Promotions").click()
    page.wait_for_selector("tr[data-promotion]")
    shot(page, "promotions.png")

    # The dashboard shows each recent drop's sell-through, as the API counts it.
    drops = api(console_url, "{ drops { code totalQuantity remainingQuantity } }", {})["drops"]
    page.get_by_role("link", name="Dashboard").click()
    for drop in drops:
        row = page.locator(f"tr[data-drop='{drop['code']}']")
        claimed = drop["totalQuantity"] - drop["remainingQuantity"]
        expect(row.locator("td.num").first).to_have_text(f"{claimed} / {drop['totalQuantity']}")
    assert page.locator("tr[data-drop]").count() == len(drops)

    # A reward's name in another language, entered on the Translations page.
    page.get_by_role("link", name="Translations").click()
    first = page.locator("tr[data-item]").first
    code = first.get_attribute("data-item")
    first.get_by_role("link").click()
    page.get_by_role("button", name="+ Add a language").click()
    added = page.locator("form fieldset.locale").last
    added.get_by_label("Locale").fill("zz-ZZ")
    added.get_by_label("Name").fill("Café offert")
    page.get_by_role("button", name="Save translations").click()
    locale = added.get_by_label("Locale")
    expect(locale).to_have_attribute("aria-invalid", "true")
    shot(page, "translations.png")
    locale.fill("fr")
    page.get_by_role("button", name="Save translations").click()
    expect(page.locator(f"tr[data-item='{code}'] .pill")).to_contain_text(["fr"])
    rewards = api(
        console_url,
        "{ rewards(includeInactive: true) { code translations { locale name } } }",
        {},
    )["rewards"]
    [saved] = [r for r in rewards if r["code"] == code]
    assert {"locale": "fr", "name": "Café offert"} in saved["translations"]
