"""Admins' use cases on webhook endpoints: register, change, rotate the secret, delete."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.errors import DomainError, InvalidInput, NotFound, ValidationErrors
from webhooks.catalogue import BY_NAME
from webhooks.models import WebhookEndpoint
from webhooks.signing import new_secret

URL_MAX = 2000
DESCRIPTION_MAX = 200
SECRET_MIN, SECRET_MAX = 16, 256
T = TypeVar("T")
#: How long a rotated-out secret may keep signing beside the new one, at most (a week).
OVERLAP_MAX_HOURS = 168


@dataclass(frozen=True)
class EndpointInput:
    """What `create_endpoint` takes; `secret` None draws one."""

    url: str
    event_types: list[str]
    enabled: bool = True
    description: str = ""
    secret: str | None = None


@dataclass(frozen=True)
class EndpointChanges:
    """What `update_endpoint` takes: only the fields given change."""

    url: str | None = None
    event_types: list[str] | None = None
    enabled: bool | None = None
    description: str | None = None


def check_url(url: str, field: list[str], *, require_https: bool) -> str:
    """An absolute http(s) URL with a host, no credentials and no fragment; https only when
    `require_https` (production). Raises `InvalidInput` on `field`."""
    text = url.strip()
    if not text or len(text) > URL_MAX:
        raise InvalidInput(f"a URL of 1-{URL_MAX} characters is needed", field)
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not one
    except ValueError as exc:
        raise InvalidInput("not a URL", field) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("only http and https URLs can receive webhooks", field)
    if require_https and parts.scheme != "https":
        raise InvalidInput("webhooks need an https URL in production", field)
    if not parts.hostname or any(c.isspace() for c in text):
        raise InvalidInput("the URL needs a host and no spaces", field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("put no credentials in the URL: deliveries are signed", field)
    if parts.fragment:
        raise InvalidInput("a URL with a #fragment cannot receive webhooks", field)
    if port == 0:
        raise InvalidInput("port 0 cannot receive webhooks", field)
    if require_https and _is_loopback(parts.hostname):
        raise InvalidInput("a loopback address cannot receive webhooks in production", field)
    return text


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_event_types(names: list[str], field: list[str]) -> list[str]:
    """Known type names, at least one, each once (in the catalogue's order)."""
    if not names:
        raise InvalidInput("subscribe to at least one event type", field)
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise InvalidInput(
            f"unknown event types: {', '.join(sorted(set(unknown)))}; known: {', '.join(BY_NAME)}",
            field,
        )
    wanted = set(names)
    return [name for name in BY_NAME if name in wanted]


def check_secret(secret: str, field: list[str]) -> str:
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or not secret.isascii():
        raise InvalidInput(
            f"a secret is {SECRET_MIN}-{SECRET_MAX} ASCII characters (omit it to get one)", field
        )
    if not secret.isprintable() or any(c.isspace() for c in secret):
        raise InvalidInput("a secret has no spaces or control characters", field)
    return secret


def check_description(description: str, field: list[str]) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"a description is at most {DESCRIPTION_MAX} characters", field)
    return description


class _Checks:
    """Runs checks and reports every failure together."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def run(self, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except DomainError as exc:
            self.errors.append(exc)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, object]:
    """The endpoint as the audit log records it: never its signing secrets."""
    return row_snapshot(endpoint, exclude={"secret"})


async def create_endpoint(
    data: EndpointInput, now: datetime, *, require_https: bool, actor: Actor = SYSTEM
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret (drawn when none was given: the only
    time it is shown, with rotations). Audited as `webhook_endpoint.create` by `actor` (the
    secret never is). Raises `ValidationErrors` of `InvalidInput` under `input`, every problem
    at once."""
    checks = _Checks()
    url = checks.run(lambda: check_url(data.url, ["input", "url"], require_https=require_https))
    types = checks.run(lambda: check_event_types(data.event_types, ["input", "eventTypes"]))
    description = checks.run(lambda: check_description(data.description, ["input", "description"]))
    given = data.secret
    secret = (
        checks.run(lambda: check_secret(given, ["input", "secret"]))
        if given is not None
        else new_secret()
    )
    checks.raise_any()
    async with in_transaction():
        endpoint = await WebhookEndpoint.create(
            url=url,
            description=description,
            secret=secret,
            event_types=types,
            enabled=data.enabled,
            created_at=now,
            updated_at=now,
        )
        await record_change(
            actor, "webhook_endpoint.create", "webhook_endpoint", endpoint.id, None,
            _snapshot(endpoint), now,
        )  # fmt: skip
    return endpoint, str(secret)


async def update_endpoint(
    endpoint_id: int,
    changes: EndpointChanges,
    now: datetime,
    *,
    require_https: bool,
    actor: Actor = SYSTEM,
) -> WebhookEndpoint:
    """Change an endpoint's URL, event types, description or enabled flag (a disabled endpoint
    gets nothing; what waited for it goes on once it is enabled again, within the retry
    window). Raises `NotFound` on `["input", "id"]` and `ValidationErrors` under `input`."""
    checks = _Checks()
    values: dict[str, object] = {}
    if changes.url is not None:
        values["url"] = checks.run(
            lambda: check_url(str(changes.url), ["input", "url"], require_https=require_https)
        )
    if changes.event_types is not None:
        values["event_types"] = checks.run(
            lambda: check_event_types(list(changes.event_types or []), ["input", "eventTypes"])
        )
    if changes.description is not None:
        values["description"] = checks.run(
            lambda: check_description(str(changes.description), ["input", "description"])
        )
    if changes.enabled is not None:
        values["enabled"] = changes.enabled
    checks.raise_any()
    async with in_transaction():
        endpoint = await _locked(endpoint_id)
        before = _snapshot(endpoint)
        if values:
            values["updated_at"] = now
            await WebhookEndpoint.filter(id=endpoint_id).update(**values)
            for name, value in values.items():
                setattr(endpoint, name, value)
        await record_change(
            actor, "webhook_endpoint.update", "webhook_endpoint", endpoint_id, before,
            _snapshot(endpoint), now,
        )  # fmt: skip
    return endpoint


async def rotate_secret(
    endpoint_id: int,
    now: datetime,
    *,
    secret: str | None = None,
    keep_previous_hours: int = 0,
    actor: Actor = SYSTEM,
) -> tuple[WebhookEndpoint, str]:
    """Replace the endpoint's secret (drawn when none is given); for `keep_previous_hours`
    deliveries are also signed with the old one, so the shop can switch without refusing
    any. Raises `InvalidInput` under `input` and `NotFound` on `["input", "id"]`."""
    checks = _Checks()
    if secret is not None:
        checks.run(lambda: check_secret(str(secret), ["input", "secret"]))
    if not 0 <= keep_previous_hours <= OVERLAP_MAX_HOURS:
        checks.errors.append(
            InvalidInput(
                f"keep the previous secret 0-{OVERLAP_MAX_HOURS} hours",
                ["input", "keepPreviousForHours"],
            )
        )
    checks.raise_any()
    new = secret if secret is not None else new_secret()
    async with in_transaction():
        endpoint = await _locked(endpoint_id)
        keep = keep_previous_hours > 0
        values: dict[str, object] = {
            "secret": new,
            "previous_secret": endpoint.secret if keep else None,
            "previous_secret_expires_at": now + timedelta(hours=keep_previous_hours)
            if keep
            else None,
            "secret_rotated_at": now,
            "updated_at": now,
        }
        before = _snapshot(endpoint)
        await WebhookEndpoint.filter(id=endpoint_id).update(**values)
        for name, value in values.items():
            setattr(endpoint, name, value)
        await record_change(
            actor, "webhook_endpoint.rotate_secret", "webhook_endpoint", endpoint_id, before,
            _snapshot(endpoint), now,
        )  # fmt: skip
    return endpoint, new


async def delete_endpoint(
    endpoint_id: int, now: datetime | None = None, actor: Actor = SYSTEM
) -> None:
    """Remove an endpoint with its delivery log. Audited as `webhook_endpoint.delete` by
    `actor`. Raises `NotFound` on `["input", "id"]`."""
    async with in_transaction():
        endpoint = await WebhookEndpoint.filter(id=endpoint_id).first()
        if endpoint is None or await WebhookEndpoint.filter(id=endpoint_id).delete() == 0:
            raise _not_found(endpoint_id)
        await record_change(
            actor, "webhook_endpoint.delete", "webhook_endpoint", endpoint_id,
            _snapshot(endpoint), None, now or datetime.now(UTC),
        )  # fmt: skip


async def get_endpoint(endpoint_id: int, field: list[str]) -> WebhookEndpoint:
    """The endpoint, or `NotFound` on `field`."""
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if endpoint is None:
        raise _not_found(endpoint_id, field)
    return endpoint


async def list_endpoints() -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return await WebhookEndpoint.all().order_by("id")


async def _locked(endpoint_id: int) -> WebhookEndpoint:
    endpoint = await WebhookEndpoint.filter(id=endpoint_id).select_for_update().first()
    if endpoint is None:
        raise _not_found(endpoint_id)
    return endpoint


def _not_found(endpoint_id: int, field: list[str] | None = None) -> NotFound:
    return NotFound(f"no webhook endpoint with id {endpoint_id}", field or ["input", "id"])
