"""GraphQL of webhooks (admin tokens only): endpoints, their secrets, the delivery log and
replays. The delivery itself is the worker's (webhooks.sender)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.ids import id_value, parse_id
from api.types.common import (
    UserError,
    decode_cursor,
    encode_cursor,
    page_info_of,
    page_size,
    user_errors,
)
from api.types.webhooks import (
    DELIVERY_CURSOR,
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEventTypeInfo,
)
from domain.errors import DomainError
from webhooks import deliveries, endpoints
from webhooks.catalogue import EVENT_TYPES
from webhooks.models import DeliveryStatus


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="An http(s) URL (https in production) with no credentials or #fragment."
    )
    event_types: list[str] = strawberry.field(
        description="The event types to receive, by name (see `webhookEventTypes`), e.g. "
        '["points.earned", "tier.changed"]; at least one.'
    )
    enabled: bool = strawberry.field(default=True, description="False: it receives nothing yet.")
    description: str = strawberry.field(default="", description="A note, up to 200 characters.")
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, 16-256 ASCII characters without spaces; omitted: one "
        "is drawn and returned in the payload.",
    )


@strawberry.input(description="Changes to an endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    event_types: list[str] | None = strawberry.field(
        default=None, description="The event types to receive from now on (replaces the list)."
    )
    enabled: bool | None = strawberry.field(
        default=None,
        description="False: it receives nothing (what waits for it resumes once enabled, "
        "within the retry window).",
    )
    description: str | None = strawberry.field(default=None, description="A new note.")


@strawberry.input(description="A new signing secret for an endpoint.")
class RotateWebhookSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(
        default=None, description="The new secret; omitted: one is drawn and returned."
    )
    keep_previous_for_hours: int = strawberry.field(
        default=0,
        description="0-168: for this long deliveries carry a second signature made with the "
        "previous secret, so the shop can switch without refusing any.",
    )


@strawberry.input(description="The endpoint to delete.")
class DeleteWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint (its delivery log goes too).")


@strawberry.input(description="A delivery to send again.")
class ReplayWebhookDeliveryInput:
    id: strawberry.ID = strawberry.field(description="The delivery, from `webhookDeliveries`.")


@strawberry.input(description="The failed deliveries of an endpoint to send again.")
class ReplayWebhookDeliveriesInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    since: datetime = strawberry.field(
        description="Only deliveries queued at or after this moment."
    )


@strawberry.type(description="The result of createWebhookEndpoint and updateWebhookEndpoint.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(
        description="The endpoint as saved; null on errors."
    )
    secret: str | None = strawberry.field(
        description="The signing secret, shown only here at creation (never again: rotate it "
        "to get a new one); null on updates and errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.type(description="The result of rotateWebhookSecret.")
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint; null on errors.")
    secret: str | None = strawberry.field(
        description="The new signing secret (shown only here); null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of deleteWebhookEndpoint.")
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="The id of the endpoint deleted; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The result of replayWebhookDelivery.")
class ReplayWebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        description="The delivery, due again now with the same event id; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was not replayed.")


@strawberry.type(description="The result of replayWebhookDeliveries.")
class ReplayWebhookDeliveriesPayload:
    replayed: int = strawberry.field(description="How many failed deliveries are due again now.")
    user_errors: list[UserError] = strawberry.field(description="Why none was replayed.")


def _endpoint_id(raw: strawberry.ID, field: list[str]) -> int:
    return parse_id(raw, field, "webhook endpoint")


def _require_https(info: Info) -> bool:
    return info.context.runtime.settings.is_production


def _retry_for(info: Info) -> timedelta:
    webhooks = info.context.runtime.webhooks
    assert webhooks is not None
    return webhooks.retry_for


@strawberry.type
class Query:
    @strawberry.field(description="Admin: the event types an endpoint can subscribe to.")
    def webhook_event_types(self, info: Info) -> list[WebhookEventTypeInfo]:
        info.context.require(Role.ADMIN)
        return [WebhookEventTypeInfo.from_type(t) for t in EVENT_TYPES]

    @strawberry.field(description="Admin: every webhook endpoint, oldest first.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        info.context.require(Role.ADMIN)
        return [WebhookEndpoint.from_model(e) for e in await endpoints.list_endpoints()]

    @strawberry.field(description="Admin: one webhook endpoint; null when there is none.")
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint | None:
        info.context.require(Role.ADMIN)
        endpoint_id = id_value(id)
        if endpoint_id is None:
            return None
        try:
            return WebhookEndpoint.from_model(await endpoints.get_endpoint(endpoint_id, ["id"]))
        except DomainError:
            return None

    @strawberry.field(
        description="Admin: an endpoint's delivery log, newest first (status, attempts, the "
        "last answer's code and error), optionally of one status."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID,
        first: int | None = 20,
        after: str | None = None,
        status: WebhookDeliveryStatus | None = None,
    ) -> WebhookDeliveryConnection:
        info.context.require(Role.ADMIN)
        try:
            size = page_size(first, ["first"])
            before_id = decode_cursor(DELIVERY_CURSOR, after, ["after"])
            page = await deliveries.delivery_log(
                _endpoint_id(endpoint_id, ["endpointId"]),
                size,
                before_id=before_id,
                status=DeliveryStatus(status.value) if status is not None else None,
            )
        except DomainError as error:
            raise to_client_error(error) from error
        edges = [
            WebhookDeliveryEdge(
                cursor=encode_cursor(DELIVERY_CURSOR, e.id), node=WebhookDelivery.from_entry(e)
            )
            for e in page.entries
        ]
        return WebhookDeliveryConnection(
            edges=edges,
            page_info=page_info_of(edges, page.has_next_page),
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: register a URL of the shop's to receive events, signed with its "
        "secret (drawn when not given, and returned once)."
    )
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        actor = info.context.admin()
        data = endpoints.EndpointInput(
            url=input.url,
            event_types=list(input.event_types),
            enabled=input.enabled,
            description=input.description,
            secret=input.secret,
        )
        try:
            saved, secret = await endpoints.create_endpoint(
                data, info.context.now, require_https=_require_https(info), actor=actor
            )
        except DomainError as error:
            return WebhookEndpointPayload(
                endpoint=None, secret=None, user_errors=user_errors(error)
            )
        return WebhookEndpointPayload(
            endpoint=WebhookEndpoint.from_model(saved), secret=secret, user_errors=[]
        )

    @strawberry.mutation(
        description="Admin: change an endpoint's URL, event types, note, or enable or disable it."
    )
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        actor = info.context.admin()
        changes = endpoints.EndpointChanges(
            url=input.url,
            event_types=list(input.event_types) if input.event_types is not None else None,
            enabled=input.enabled,
            description=input.description,
        )
        try:
            saved = await endpoints.update_endpoint(
                _endpoint_id(input.id, ["input", "id"]),
                changes,
                info.context.now,
                require_https=_require_https(info),
                actor=actor,
            )
        except DomainError as error:
            return WebhookEndpointPayload(
                endpoint=None, secret=None, user_errors=user_errors(error)
            )
        return WebhookEndpointPayload(
            endpoint=WebhookEndpoint.from_model(saved), secret=None, user_errors=[]
        )

    @strawberry.mutation(description="Admin: replace an endpoint's signing secret.")
    async def rotate_webhook_secret(
        self, info: Info, input: RotateWebhookSecretInput
    ) -> RotateWebhookSecretPayload:
        actor = info.context.admin()
        try:
            saved, secret = await endpoints.rotate_secret(
                _endpoint_id(input.id, ["input", "id"]),
                info.context.now,
                secret=input.secret,
                keep_previous_hours=input.keep_previous_for_hours,
                actor=actor,
            )
        except DomainError as error:
            return RotateWebhookSecretPayload(
                endpoint=None, secret=None, user_errors=user_errors(error)
            )
        return RotateWebhookSecretPayload(
            endpoint=WebhookEndpoint.from_model(saved), secret=secret, user_errors=[]
        )

    @strawberry.mutation(description="Admin: delete an endpoint and its delivery log.")
    async def delete_webhook_endpoint(
        self, info: Info, input: DeleteWebhookEndpointInput
    ) -> DeleteWebhookEndpointPayload:
        actor = info.context.admin()
        try:
            endpoint_id = _endpoint_id(input.id, ["input", "id"])
            await endpoints.delete_endpoint(endpoint_id, info.context.now, actor)
        except DomainError as error:
            return DeleteWebhookEndpointPayload(deleted_id=None, user_errors=user_errors(error))
        return DeleteWebhookEndpointPayload(
            deleted_id=strawberry.ID(str(endpoint_id)), user_errors=[]
        )

    @strawberry.mutation(
        description="Admin: send a delivery again now, with the same event id and body."
    )
    async def replay_webhook_delivery(
        self, info: Info, input: ReplayWebhookDeliveryInput
    ) -> ReplayWebhookDeliveryPayload:
        info.context.require(Role.ADMIN)
        try:
            entry = await deliveries.replay_delivery(
                parse_id(input.id, ["input", "id"], "webhook delivery"),
                info.context.now,
                _retry_for(info),
            )
        except DomainError as error:
            return ReplayWebhookDeliveryPayload(delivery=None, user_errors=user_errors(error))
        return ReplayWebhookDeliveryPayload(
            delivery=WebhookDelivery.from_entry(entry), user_errors=[]
        )

    @strawberry.mutation(
        description="Admin: send again the failed deliveries of an endpoint queued since a "
        "moment (each with its own event id, unchanged)."
    )
    async def replay_webhook_deliveries(
        self, info: Info, input: ReplayWebhookDeliveriesInput
    ) -> ReplayWebhookDeliveriesPayload:
        info.context.require(Role.ADMIN)
        try:
            replayed = await deliveries.replay_failed(
                _endpoint_id(input.endpoint_id, ["input", "endpointId"]),
                input.since if input.since.tzinfo else input.since.replace(tzinfo=UTC),
                info.context.now,
                _retry_for(info),
            )
        except DomainError as error:
            return ReplayWebhookDeliveriesPayload(replayed=0, user_errors=user_errors(error))
        return ReplayWebhookDeliveriesPayload(replayed=replayed, user_errors=[])
