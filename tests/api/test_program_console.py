"""The console's Program pages through the API: earning rules with a rate per channel (applied
to purchases), tiers edited through the console's session, and the analyst refused a change."""

from __future__ import annotations

from domain.audit import AuditEntry
from domain.points.models import EarningRules
from tests.api.conftest import GraphQLClient, data
from tests.api.console_support import ADMIN, ANALYST, console_post, make_accounts, signed_in
from tests.api.test_points import CONFIGURE_RULES, CONFIGURE_TIERS, LADDER, RULES, purchase
from tests.api.test_points import RECORD_PURCHASE as RECORD

RULES_READ = (
    """{ earningRules { pointsPerCurrencyUnit channelMultipliers { channel multiplier } } }"""
)
SAVE_RULES = """mutation($input: EarningRulesInput!) { configureEarningRules(input: $input) {
  earningRules { channelMultipliers { channel multiplier } } userErrors { code field message } } }"""
PREVIEW = """query($input: RecordPurchaseInput!) { previewPurchase(input: $input) {
  preview { pointsEarned earning { channelMultiplier } } userErrors { code } } }"""


async def points_of(api: GraphQLClient, order_id: str, channel: str) -> int:
    result = data(await api.service(RECORD, purchase(order_id, "100.00", channel=channel)))
    assert result["recordPurchase"]["userErrors"] == []
    return int(result["recordPurchase"]["purchase"]["pointsEarned"])


async def test_a_channel_multiplier_shapes_the_points_of_that_channel_only(
    api: GraphQLClient,
) -> None:
    assert data(await api.admin(CONFIGURE_TIERS, {"input": LADDER}))["configureTiers"]
    rules = {**RULES, "channelMultipliers": [{"channel": "STORE", "multiplier": 2.5}]}
    saved = data(await api.admin(SAVE_RULES, {"input": rules}))["configureEarningRules"]
    assert saved == {
        "earningRules": {"channelMultipliers": [{"channel": "STORE", "multiplier": 2.5}]},
        "userErrors": [],
    }
    preview = data(await api.service(PREVIEW, purchase("P-1", "100.00", channel="STORE")))
    assert preview["previewPurchase"]["preview"] == {
        "pointsEarned": 250,
        "earning": {"channelMultiplier": 2.5},
    }
    assert await points_of(api, "A-1", "APP") == 100
    assert await points_of(api, "S-1", "STORE") == 250
    assert await points_of(api, "W-1", "WEB") == 100
    # Rules saved without the field keep the channels' multipliers; [] removes them.
    data(await api.admin(CONFIGURE_RULES, {"input": RULES}))
    assert data(await api.admin(RULES_READ))["earningRules"]["channelMultipliers"] == [
        {"channel": "STORE", "multiplier": 2.5}
    ]
    data(await api.admin(SAVE_RULES, {"input": {**RULES, "channelMultipliers": []}}))
    assert await points_of(api, "S-2", "STORE") == 100


async def test_bad_channel_multipliers_are_field_errors_and_change_nothing(
    api: GraphQLClient,
) -> None:
    good = {**RULES, "channelMultipliers": [{"channel": "WEB", "multiplier": 1.5}]}
    data(await api.admin(SAVE_RULES, {"input": good}))
    bad = {
        **RULES,
        "channelMultipliers": [
            {"channel": "APP", "multiplier": -1},
            {"channel": "WEB", "multiplier": 2},
            {"channel": "WEB", "multiplier": 3},
        ],
    }
    payload = data(await api.admin(SAVE_RULES, {"input": bad}))["configureEarningRules"]
    assert payload["earningRules"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "channelMultipliers", "0", "multiplier"]),
        ("INVALID_INPUT", ["input", "channelMultipliers", "2", "channel"]),
    ]
    stored = await EarningRules.get(id=1)
    assert stored.channel_multipliers == {"WEB": "1.5"}


async def test_the_console_admin_sets_channel_rates_audited_and_the_analyst_is_refused(
    api: GraphQLClient,
) -> None:
    await make_accounts(api)
    csrf = await signed_in(api, ADMIN)
    rules = {**RULES, "channelMultipliers": [{"channel": "APP", "multiplier": 1.2}]}
    response = await console_post(api, SAVE_RULES, {"input": rules}, csrf=csrf)
    assert response.json()["data"]["configureEarningRules"]["userErrors"] == []
    entry = await AuditEntry.filter(action="earning_rules.configure").order_by("-id").first()
    assert entry is not None and entry.actor == ADMIN
    assert entry.after["channel_multipliers"] == {"APP": "1.2"}

    await api.http.post("/console/api/sign-out", headers={"X-CSRF-Token": csrf})
    csrf = await signed_in(api, ANALYST)
    other = {**RULES, "channelMultipliers": [{"channel": "APP", "multiplier": 9}]}
    refused = (await console_post(api, SAVE_RULES, {"input": other}, csrf=csrf)).json()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    ladder = (await console_post(api, CONFIGURE_TIERS, {"input": LADDER}, csrf=csrf)).json()
    assert [e["extensions"]["code"] for e in ladder["errors"]] == ["FORBIDDEN"]
    assert (await EarningRules.get(id=1)).channel_multipliers == {"APP": "1.2"}
    # The analyst reads what the pages show.
    read = (await console_post(api, RULES_READ, csrf=csrf)).json()
    assert read["data"]["earningRules"]["channelMultipliers"] == [
        {"channel": "APP", "multiplier": 1.2}
    ]
