"""Members through GraphQL: profile validation and devices."""

from __future__ import annotations

import pytest

from tests.api.conftest import GraphQLClient, data

UPDATE = """
mutation UpdateProfile($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    member { id displayName email locale timeZone country city birthDate }
    userErrors { code field message }
  }
}"""
REGISTER = """
mutation RegisterDevice($input: RegisterDeviceInput!) {
  registerDevice(input: $input) { device { id platform appVersion lastSeenAt } userErrors { code field message } }
}"""


async def test_a_valid_profile_is_saved(api: GraphQLClient) -> None:
    result = data(
        await api.member(
            "alice",
            UPDATE,
            {
                "input": {
                    "displayName": "Alice",
                    "email": "alice@example.com",
                    "locale": "es-ES",
                    "timeZone": "Europe/Madrid",
                    "country": "es",
                    "city": "Madrid",
                    "birthDate": "1990-05-01",
                }
            },
        )
    )
    payload = result["updateProfile"]
    assert payload["userErrors"] == []
    assert payload["member"]["country"] == "ES"
    assert payload["member"]["timeZone"] == "Europe/Madrid"


async def test_every_invalid_profile_field_is_named_and_nothing_is_saved(
    api: GraphQLClient,
) -> None:
    result = data(
        await api.member(
            "alice",
            UPDATE,
            {
                "input": {
                    "displayName": "Alice",
                    "email": "not-an-email",
                    "timeZone": "Mars/Olympus",
                    "country": "XX",
                    "birthDate": "2999-01-01",
                }
            },
        )
    )
    payload = result["updateProfile"]
    assert payload["member"] is None
    assert sorted((e["code"], tuple(e["field"])) for e in payload["userErrors"]) == [
        ("INVALID_INPUT", ("input", "birthDate")),
        ("INVALID_INPUT", ("input", "country")),
        ("INVALID_INPUT", ("input", "email")),
        ("INVALID_INPUT", ("input", "timeZone")),
    ]
    me = data(await api.member("alice", "{ me { displayName email } }"))["me"]
    assert me["displayName"] != "Alice" and me["email"] is None


async def test_a_device_token_moves_to_the_member_who_registers_it_again(
    api: GraphQLClient,
) -> None:
    variables = {"input": {"token": "tok-1", "platform": "IOS", "appVersion": "5.1"}}
    assert (
        data(await api.member("alice", REGISTER, variables))["registerDevice"]["userErrors"] == []
    )
    assert data(await api.member("bob", REGISTER, variables))["registerDevice"]["userErrors"] == []
    alice = data(await api.member("alice", "{ me { devices { id } } }"))["me"]["devices"]
    bob = data(await api.member("bob", "{ me { devices { platform appVersion } } }"))["me"][
        "devices"
    ]
    assert alice == []
    assert bob == [{"platform": "IOS", "appVersion": "5.1"}]


async def test_a_member_cannot_unregister_another_members_device(api: GraphQLClient) -> None:
    await api.member("alice", REGISTER, {"input": {"token": "tok-a", "platform": "ANDROID"}})
    result = data(
        await api.member(
            "bob",
            'mutation { unregisterDevice(input: {token: "tok-a"}) { removed userErrors { code } } }',
        )
    )
    assert result["unregisterDevice"]["removed"] is False
    assert len(data(await api.member("alice", "{ me { devices { id } } }"))["me"]["devices"]) == 1


async def test_the_shop_reads_a_member_by_customer_id(api: GraphQLClient) -> None:
    await api.member("alice", "{ me { id } }")
    found = data(await api.service('{ member(customerId: "alice") { customerId } }'))["member"]
    missing = data(await api.service('{ member(customerId: "nobody") { customerId } }'))["member"]
    assert found == {"customerId": "alice"} and missing is None


@pytest.mark.parametrize(
    "name",
    [
        "x\u202eevil",  # right-to-left override: shown "xlive"
        "Ana\u2066x\u2069",  # an isolate
        "A\u200bna",  # zero-width space
        "\ufeffAna",  # zero-width no-break space
        "Ana\u200d",  # a joiner joining nothing
    ],
)
async def test_a_name_with_invisible_formatting_characters_is_refused_and_not_saved(
    api: GraphQLClient, name: str
) -> None:
    before = data(await api.member("alice", "{ me { displayName } }"))["me"]
    result = data(await api.member("alice", UPDATE, {"input": {"displayName": name}}))
    payload = result["updateProfile"]
    assert payload["member"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "displayName"])
    ]
    assert data(await api.member("alice", "{ me { displayName } }"))["me"] == before


@pytest.mark.parametrize("name", ["👩\u200d💻 Ana", "علی\u200cرضا"])
async def test_a_name_may_join_an_emoji_sequence_or_a_word(api: GraphQLClient, name: str) -> None:
    result = data(await api.member("alice", UPDATE, {"input": {"displayName": name}}))
    assert result["updateProfile"]["userErrors"] == []
    assert result["updateProfile"]["member"]["displayName"] == name
