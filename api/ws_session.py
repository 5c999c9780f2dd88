"""A websocket connection lives as long as its credentials (graphql-transport-ws).

The token sent in `connection_init` is accepted until its `exp` plus the leeway, exactly as
over HTTP. When that moment passes, or when the member behind a member token is erased
(deleteMyAccount), the server closes the socket with 4403 Forbidden, the code the protocol
uses for a refused `connection_init`: the client reconnects with a valid token.

To keep a socket open past the token's expiry the client sends a fresh token of the same
role and subject in a `ping` payload: `{"type": "ping", "payload": {"Authorization":
"Bearer <fresh token>"}}` (or `{"token": "<fresh token>"}`). The server verifies it, moves the
deadline and answers `pong`; a refused token, or one for another subject, closes with 4403.

Erasure reaches every process through Redis pub/sub: the outbox delivers `MemberErased` to
`api.live.session_handlers`, which publishes on the member's session channel that each connection of
that member listens to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import PingMessage

from api.auth import Role, Unauthenticated, token_from_header
from api.context import Context
from api.live import session_channel
from api.request_body import RequestRefused
from api.trusted_documents import resolve_query

log = logging.getLogger("fidelio.api")

#: graphql-transport-ws: Forbidden (what a refused connection_init gets too).
CLOSE_FORBIDDEN = 4403
#: graphql-transport-ws: a message the server cannot accept.
CLOSE_BAD_REQUEST = 4400


def credentials(payload: Any) -> str | None:
    """The `Authorization` value a connection_init or ping payload carries, if any."""
    if not isinstance(payload, dict):
        return None
    header = payload.get("Authorization") or payload.get("authorization")
    if not header and isinstance(payload.get("token"), str) and payload["token"]:
        header = f"Bearer {payload['token']}"
    return header if header else None


class TokenBoundTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose connection is closed when its token lapses (see module)."""

    _watch: asyncio.Task[None] | None = None

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            await self.handle_invalid_message("A message must be a JSON object")
            return
        await super().handle_message(message)  # type: ignore[arg-type]  # an object: strawberry checks its fields

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._watch is None:
            self._watch = asyncio.create_task(self._watch_session())

    async def handle_ping(self, message: PingMessage) -> None:
        header = credentials(message.get("payload"))
        if header is not None and self.connection_acknowledged:
            if not self._refresh(header):
                await self.websocket.close(CLOSE_FORBIDDEN, "Forbidden: the new token is refused")
                return
        await super().handle_ping(message)

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload")
        if isinstance(payload, dict) and self.connection_acknowledged:
            try:
                payload["query"] = resolve_query(
                    payload.get("query"),
                    payload.get("extensions"),
                    self.context.principal,
                    self.context.runtime.settings.trusted_documents,
                )
            except RequestRefused as error:
                await self.websocket.close(CLOSE_BAD_REQUEST, error.reason[:120])
                return
        await super().handle_subscribe(message)

    def _refresh(self, header: str) -> bool:
        view: Any = self.view
        try:
            token = token_from_header(header)
            if token is None:
                return False
            principal, valid_until = view.verifier.verify_until(token)
        except Unauthenticated:
            return False
        if principal != self.context.principal:
            return False
        self.context.token_valid_until = max(self.context.token_valid_until or 0, valid_until)
        return True

    async def shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
        await super().shutdown()

    async def _watch_session(self) -> None:
        try:
            reason = await self._session_end()
            await self.websocket.close(CLOSE_FORBIDDEN, f"Forbidden: {reason}")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watching a websocket session failed")

    async def _session_end(self) -> str:
        """Waits until the session must end, and says why."""
        context = self.context
        principal = context.principal
        if principal is None or principal.role != Role.MEMBER:
            return await self._expiry()
        member = await context.member()
        runtime = context.runtime
        assert runtime.fanout is not None
        channel = session_channel(runtime.settings.redis_prefix, member.id)
        async with runtime.fanout.listen(channel) as messages:
            erased = asyncio.ensure_future(messages.get())
            expired = asyncio.ensure_future(self._expiry())
            try:
                done, _ = await asyncio.wait({erased, expired}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (erased, expired):
                    task.cancel()
            return "the member was erased" if erased in done else expired.result()

    async def _expiry(self) -> str:
        while True:
            remaining = (self.context.token_valid_until or 0) - time.time()
            if remaining <= 0:
                return "the token has expired"
            await asyncio.sleep(remaining)
