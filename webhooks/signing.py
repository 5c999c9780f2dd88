"""How a delivery is signed and what it carries (Stripe's scheme).

`Fidelio-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, with a
second `v1=` made with the previous secret while a rotation's overlap lasts. The shop's side of
it is the recipe in the README ("Webhooks"), which a test runs as written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

EVENT_ID_HEADER = "Fidelio-Event-Id"
EVENT_TYPE_HEADER = "Fidelio-Event-Type"
SIGNATURE_HEADER = "Fidelio-Signature"
ATTEMPT_HEADER = "Fidelio-Delivery-Attempt"
USER_AGENT = "Fidelio-Webhooks/1"

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def new_event_id() -> str:
    """A unique event id, the key shops deduplicate on."""
    return "evt_" + secrets.token_hex(16)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets_in_force: Sequence[str], timestamp: int, body: bytes) -> str:
    """The `Fidelio-Signature` value: the time, then one `v1` per secret in force."""
    parts = [f"t={timestamp}"]
    parts.extend(f"v1={signature(secret, timestamp, body)}" for secret in secrets_in_force)
    return ",".join(parts)
