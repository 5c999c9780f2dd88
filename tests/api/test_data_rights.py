"""Data rights through GraphQL: a member exports their data and deletes their account."""

from __future__ import annotations

import asyncio
import json

from domain.audit import AuditEntry
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from push.notifications.delivery import deliver_until_idle
from push.notifications.models import NotificationCategory, PushDelivery
from push.notifications.services import Draft, notify_members
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.integration.database_search import where_text_occurs

EXPORT = """
mutation ExportMyData {
  exportMyData { json userErrors { ...ErrorParts } }
}
fragment ErrorParts on UserError { code field message }"""
DELETE = """
mutation DeleteMyAccount($input: DeleteMyAccountInput!) {
  deleteMyAccount(input: $input) { deleted userErrors { ...ErrorParts } }
}
fragment ErrorParts on UserError { code field message }"""
PROFILE = """
mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { userErrors { code } } }"""
DEVICE = """
mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { userErrors { code } } }"""
ME = "{ me { id displayName email city devices { platform } } }"
UNREGISTER = """
mutation($input: UnregisterDeviceInput!) {
  unregisterDevice(input: $input) { removed userErrors { code } }
}"""


async def alice_with_a_device(api: GraphQLClient) -> None:
    profile = {"displayName": "Alice Wonder", "email": "alice@example.org", "city": "Oxford"}
    await api.member("alice", PROFILE, {"input": profile})
    await api.member("alice", DEVICE, {"input": {"token": "alice-tok", "platform": "IOS"}})


async def test_a_member_exports_everything_stored_about_them(api: GraphQLClient) -> None:
    await alice_with_a_device(api)
    await api.member("bob", PROFILE, {"input": {"displayName": "Bob"}})

    payload = data(await api.member("alice", EXPORT))["exportMyData"]

    assert payload["userErrors"] == []
    document = json.loads(payload["json"])
    assert document["profile"]["displayName"] == "Alice Wonder"
    assert document["profile"]["customerId"] == "alice"
    assert [d["token"] for d in document["devices"]] == ["alice-tok"]
    for section in ("pointsLedger", "purchases", "refunds", "engagements", "badges"):
        assert document[section] == [], section
    assert document["notifications"] == document["storePromotions"] == []
    assert document["notificationPreferences"] is None
    assert "Bob" not in payload["json"]


async def test_without_confirm_the_account_stays_as_it_was(api: GraphQLClient) -> None:
    await alice_with_a_device(api)
    before = data(await api.member("alice", ME))["me"]

    payload = data(await api.member("alice", DELETE, {"input": {"confirm": False}}))

    assert payload["deleteMyAccount"]["deleted"] is False
    assert [(e["code"], e["field"]) for e in payload["deleteMyAccount"]["userErrors"]] == [
        ("INVALID_INPUT", ["input", "confirm"])
    ]
    assert data(await api.member("alice", ME))["me"] == before
    assert await OutboxEvent.filter(kind="MemberErased").count() == 0


async def test_after_deleting_the_account_the_same_subject_is_a_new_empty_member(
    api: GraphQLClient,
) -> None:
    await alice_with_a_device(api)
    before = data(await api.member("alice", ME))["me"]

    payload = data(await api.member("alice", DELETE, {"input": {"confirm": True}}))

    assert payload["deleteMyAccount"] == {"deleted": True, "userErrors": []}
    after = data(await api.member("alice", ME))["me"]
    assert after["id"] != before["id"]
    assert (after["email"], after["city"], after["devices"]) == (None, None, [])
    old = await Member.get(id=int(before["id"]))
    assert (old.customer_id, old.email, old.display_name) == (None, None, "Former member")


async def stored_rows() -> tuple[int, int, int]:
    """Members, outbox events and audit entries: what a deletion may write."""
    return (
        await Member.all().count(),
        await OutboxEvent.all().count(),
        await AuditEntry.all().count(),
    )


async def test_a_retried_deletion_answers_deleted_again_and_writes_nothing(
    api: GraphQLClient,
) -> None:
    await alice_with_a_device(api)
    first = data(await api.member("alice", DELETE, {"input": {"confirm": True}}))
    assert first["deleteMyAccount"] == {"deleted": True, "userErrors": []}
    before = await stored_rows()

    # The app retries after a timeout: the first call went through.
    retry = data(await api.member("alice", DELETE, {"input": {"confirm": True}}))

    assert retry["deleteMyAccount"] == {"deleted": True, "userErrors": []}
    assert await stored_rows() == before
    assert not await Member.filter(customer_id="alice").exists()
    assert await OutboxEvent.filter(kind="MemberErased").count() == 1


async def test_deleting_an_account_never_created_answers_deleted_and_writes_nothing(
    api: GraphQLClient,
) -> None:
    before = await stored_rows()

    payload = data(await api.member("carol", DELETE, {"input": {"confirm": True}}))

    assert payload["deleteMyAccount"] == {"deleted": True, "userErrors": []}
    assert await stored_rows() == before


async def test_forgetting_the_device_after_the_deletion_removes_nothing_and_writes_nothing(
    api: GraphQLClient,
) -> None:
    """An app signs out after deleting the account: unregistering its token must not bring a
    member back (nor tell the shop's webhooks about a new one)."""
    await alice_with_a_device(api)
    data(await api.member("alice", DELETE, {"input": {"confirm": True}}))
    before = await stored_rows()

    payload = data(await api.member("alice", UNREGISTER, {"input": {"token": "alice-tok"}}))

    assert payload["unregisterDevice"] == {"removed": False, "userErrors": []}
    assert await stored_rows() == before
    assert not await Member.filter(customer_id="alice").exists()


async def test_two_deletions_at_once_erase_the_member_once_and_both_answer_deleted(
    api: GraphQLClient,
) -> None:
    await alice_with_a_device(api)

    answers = await asyncio.gather(
        *(api.member("alice", DELETE, {"input": {"confirm": True}}) for _ in range(2))
    )

    assert [data(a)["deleteMyAccount"] for a in answers] == [
        {"deleted": True, "userErrors": []}
    ] * 2
    assert await Member.all().count() == 1
    assert await OutboxEvent.filter(kind="MemberCreated").count() == 1
    assert await OutboxEvent.filter(kind="MemberErased").count() == 1


async def test_only_a_member_can_export_or_delete_their_account(api: GraphQLClient) -> None:
    assert error_codes(await api.admin(EXPORT)) == ["FORBIDDEN"]
    assert error_codes(await api.service(DELETE, {"input": {"confirm": True}})) == ["FORBIDDEN"]
    assert error_codes(await api.post(EXPORT)) == ["UNAUTHENTICATED"]


async def test_after_deletion_no_trace_of_the_member_is_left_anywhere_once_events_ran(
    api: GraphQLClient,
) -> None:
    await alice_with_a_device(api)
    alice = await Member.get(customer_id="alice")
    await notify_members(
        [alice.id],
        lambda r: Draft(NotificationCategory.PROMOTION, f"Hi {r.name}!", "A gift for you."),
        "welcome",
        api.clock.now(),
    )
    await deliver_until_idle(api.runtime.gateway, api.clock.now())
    assert await PushDelivery.filter(token="alice-tok").exists()
    exported = json.loads(data(await api.member("alice", EXPORT))["exportMyData"]["json"])
    assert [n["title"] for n in exported["notifications"]] == ["Hi Alice Wonder!"]
    needles = ["Alice Wonder", "alice@example.org", "alice-tok", "Oxford"]
    for needle in needles:
        assert await where_text_occurs(needle), needle

    await api.member("alice", DELETE, {"input": {"confirm": True}})
    await api.deliver_events()

    for needle in needles:
        assert await where_text_occurs(needle) == [], needle
