"""Segments through GraphQL: upsert, list, validation and who may call."""

from __future__ import annotations

from tests.api.conftest import GraphQLClient, data, error_codes

UPSERT = """
mutation UpsertSegment($input: SegmentInput!) {
  upsertSegment(input: $input) {
    segment { id code name memberCount }
    userErrors { code field message }
  }
}"""
SEGMENTS = "query Segments { segments { id code name memberCount } }"
PROFILE = (
    "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { userErrors { code } } }"
)


async def spanish_and_french_members(api: GraphQLClient) -> None:
    for sub, country, birth in (
        ("ana", "ES", "1990-01-01"),
        ("bea", "ES", "2010-01-01"),
        ("chloe", "FR", "1985-06-01"),
    ):
        await api.member(sub, PROFILE, {"input": {"country": country, "birthDate": birth}})


async def test_an_admin_defines_a_segment_and_sees_its_size(api: GraphQLClient) -> None:
    await spanish_and_french_members(api)
    rule = {"countries": ["es"], "minAge": 18, "channels": []}

    payload = data(
        await api.admin(
            UPSERT, {"input": {"code": "adults-es", "name": "Adults in Spain", "rule": rule}}
        )
    )["upsertSegment"]

    assert payload["userErrors"] == []
    assert payload["segment"]["code"] == "adults-es"
    assert payload["segment"]["memberCount"] == 1
    listed = data(await api.admin(SEGMENTS))["segments"]
    assert listed == [payload["segment"]]
    stored = data(await api.admin("{ segments { countedAt rule { countries minAge channels } } }"))
    assert stored["segments"][0]["rule"] == {"countries": ["ES"], "minAge": 18, "channels": None}


async def test_upserting_again_by_code_replaces_the_rule(api: GraphQLClient) -> None:
    await spanish_and_french_members(api)
    first = {"code": "target", "name": "Target", "rule": {"countries": ["ES"]}}
    second = {"code": "target", "name": "Target", "rule": {"countries": ["ES", "FR"]}}
    one = data(await api.admin(UPSERT, {"input": first}))["upsertSegment"]["segment"]
    two = data(await api.admin(UPSERT, {"input": second}))["upsertSegment"]["segment"]
    assert (two["id"], one["memberCount"], two["memberCount"]) == (one["id"], 2, 3)
    assert len(data(await api.admin(SEGMENTS))["segments"]) == 1


async def test_an_invalid_rule_names_each_field_and_saves_nothing(api: GraphQLClient) -> None:
    rule = {
        "minAge": 40,
        "maxAge": 30,
        "countries": ["Spain"],
        "purchasedWithinDays": 0,
        "minLifetimeSpend": "-5",
        "hasBadgeCode": "ghost",
    }
    payload = data(
        await api.admin(UPSERT, {"input": {"code": "bad", "name": "Bad", "rule": rule}})
    )["upsertSegment"]

    assert payload["segment"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "rule", "purchasedWithinDays"]),
        ("INVALID_INPUT", ["input", "rule", "minAge"]),
        ("INVALID_INPUT", ["input", "rule", "minLifetimeSpend"]),
        ("INVALID_INPUT", ["input", "rule", "countries"]),
        ("NOT_FOUND", ["input", "rule", "hasBadgeCode"]),
    ]
    assert data(await api.admin(SEGMENTS))["segments"] == []


async def test_only_admins_see_and_define_segments(api: GraphQLClient) -> None:
    variables = {"input": {"code": "x", "name": "X", "rule": {}}}
    assert error_codes(await api.member("ana", UPSERT, variables)) == ["FORBIDDEN"]
    assert error_codes(await api.service(SEGMENTS)) == ["FORBIDDEN"]
    assert error_codes(await api.post(SEGMENTS)) == ["UNAUTHENTICATED"]
    assert data(await api.admin(SEGMENTS))["segments"] == []
