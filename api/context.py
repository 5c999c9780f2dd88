"""The per-request context every resolver receives (typed: `Info`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias, TypeVar, cast

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from api.auth import Forbidden, Principal, Role, Unauthenticated
from api.fragments import FragmentStore
from api.runtime import Runtime
from domain.audit import Actor
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.versions import Versions

T = TypeVar("T")
#: `versions()`'s name among the request's reads (`started(VERSIONS)`: asked already).
VERSIONS = "versions"


@dataclass
class Context:
    request: Request | WebSocket | None
    runtime: Runtime
    principal: Principal | None
    request_id: str
    #: Set when the credentials sent were bad: raised by the first resolver that needs them.
    auth_error: Exception | None = None
    #: Per-request DataLoaders, created lazily by `loader()`; never shared across requests.
    loaders: dict[str, Any] = field(default_factory=dict)
    #: Websockets: the connection_init payload (strawberry fills it in).
    connection_params: dict[str, Any] | None = None
    #: Websockets: until when (epoch seconds) the connection's token is accepted (api.ws_session).
    token_valid_until: float | None = None
    #: True: fields hinted for the fragment cache are executed anew (and kept), not served.
    fresh_fragments: bool = False
    #: True while the operation executed is a mutation (set by the executor, api.fragments): a read-only
    #: principal is refused by `require` then.
    in_mutation: bool = False
    #: Set by the executor once the operation runs (api.fragments): errors without it are
    #: request errors (parse, validation, variable coercion) in GraphQL over HTTP's terms.
    operation_started: bool = False
    _member: asyncio.Future[Member] | None = None

    @property
    def fragments(self) -> FragmentStore:
        """The process's fragment cache (api.fragments)."""
        return self.runtime.fragments

    @property
    def now(self) -> datetime:
        return self.runtime.clock.now()

    def require(self, *roles: Role) -> Principal:
        """The caller, if it holds one of `roles`; UNAUTHENTICATED or FORBIDDEN otherwise."""
        if self.auth_error is not None:
            raise self.auth_error
        if self.principal is None:
            raise Unauthenticated()
        if roles and self.principal.role not in roles:
            wanted = " or ".join(r.value for r in roles)
            raise Forbidden(
                f"This needs {_article(wanted)} {wanted} token, "
                f"not {_article(self.principal.role.value)} {self.principal.role.value} token."
            )
        if self.in_mutation and self.principal.read_only:
            # The one place that keeps analysts from changing anything: every mutation
            # checks its caller here.
            raise Forbidden("An analyst account reads the program; it changes nothing.")
        return self.principal

    def admin(self) -> Actor:
        """The admin making a change, as the audit log names them: the principal's subject
        (whatever signed them in) and this request's id. FORBIDDEN for other callers."""
        principal = self.require(Role.ADMIN)
        return Actor(subject=principal.subject, request_id=self.request_id)

    async def member(self) -> Member:
        """The signed-in member (member tokens only), created on first sight."""
        principal = self.require(Role.MEMBER)
        if self._member is None:
            # One lookup per request, shared by resolvers that ask at the same time.
            self._member = asyncio.get_running_loop().create_future()
            return await shared_read(self._member, lambda: self._first_sight(principal.subject))
        return await _outcome(self._member)

    async def _first_sight(self, customer_id: str) -> Member:
        member = await get_or_create_member(
            customer_id, self.now, time_zone=self.runtime.settings.program_timezone
        )
        self.runtime.member_ids.remember(customer_id, member.id)
        return member

    def member_seen(self) -> bool:
        """Whether the signed-in member (member tokens only) is known to exist: read in this
        request or, by this process, before (`Runtime.member_ids`; a member erased since
        counts until a read by customer id says otherwise). A resolver that may not need the
        member at all can then leave `member()` (and creation on first sight) until it
        does."""
        principal = self.require(Role.MEMBER)
        return (
            self._member is not None or self.runtime.member_ids.get(principal.subject) is not None
        )

    async def member_with(
        self,
        name: str,
        read: Callable[[str], Awaitable[tuple[Member, T] | None]],
        alone: Callable[[Member], Awaitable[T]],
    ) -> tuple[Member, T]:
        """The signed-in member (as `member()`) and `once(name, ...)`'s value for them, read
        together by `read(customer_id)` (one statement) when the request has asked for
        neither yet; `read` answers None when there is no such member yet. Otherwise (the
        member asked for already, or not there yet: first sight, or erased and come back)
        `member()`, then `alone(member)` as `name`'s value."""
        principal = self.require(Role.MEMBER)
        if self._member is None and name not in self.loaders:
            self._member = asyncio.get_running_loop().create_future()
            member = await shared_read(
                self._member, lambda: self._member_with(principal.subject, name, read)
            )
        else:
            member = await self.member()
        return member, await self.once(name, lambda: alone(member))

    async def _member_with(
        self, customer_id: str, name: str, read: Callable[[str], Awaitable[tuple[Member, T] | None]]
    ) -> Member:
        found = await read(customer_id)
        if found is None:
            return await self._first_sight(customer_id)
        member, value = found
        self.runtime.member_ids.remember(customer_id, member.id)
        # Before the member is handed out: whoever reads `name` needs the member first.
        self.settle(name, value)
        return member

    @property
    def member_requested(self) -> bool:
        """Whether the signed-in member was (or is being) read for this request."""
        return self._member is not None

    async def member_or_none(self) -> Member | None:
        """The signed-in member for member tokens; None for other callers."""
        if self.principal is None or self.principal.role != Role.MEMBER:
            return None
        return await self.member()

    async def once(self, name: str, read: Callable[[], Awaitable[T]]) -> T:
        """`read()` once per request under `name`, shared by the resolvers that ask at the
        same time (`shared_read`)."""
        future = self.loaders.get(name)
        if future is None:
            future = self.loaders[name] = asyncio.get_running_loop().create_future()
            return await shared_read(future, read)
        return cast(T, await _outcome(future))

    def started(self, name: str) -> bool:
        """Whether `once(name, ...)` was asked (or answered by `settle`) in this request."""
        return name in self.loaders

    def settle(self, name: str, value: object) -> None:
        """`value` as `once(name, ...)`'s answer for the rest of the request: a read that got
        it along with something else spares the resolvers that ask later their own read."""
        if name not in self.loaders:
            done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            done.set_result(value)
            self.loaders[name] = done

    async def versions(self) -> Versions:
        """The configuration versions, read once per request (shared with the process's
        concurrent requests that asked after this one began: `VersionReader`), unless a
        statement of the request read them already (`settle_versions`)."""
        return await self.once(VERSIONS, self.runtime.versions.read)

    def settle_versions(self, versions: Versions) -> None:
        """`versions`, read by a statement this request sent (with the member: `WithMember`
        with `versions`), as `versions()`'s answer when it was not asked yet: that statement
        began after the request did, as the one `versions()` would share."""
        self.settle(VERSIONS, versions)

    def loader(self, name: str, factory: Callable[[], T]) -> T:
        if name not in self.loaders:
            self.loaders[name] = factory()
        found: T = self.loaders[name]
        return found


Info: TypeAlias = strawberry.Info[Context, None]


def later(awaitable: Awaitable[T]) -> T:
    """What a resolver that is not async returns when it must wait after all: graphql-core
    awaits a resolver's value that is awaitable (strawberry passes it on as it is). A field
    whose answer is usually known when it resolves (worked out with its parent's read) is
    then no coroutine, which graphql-core would gather with its siblings' in tasks."""
    return cast(T, awaitable)


async def shared_read(future: asyncio.Future[T], read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, awaited by its first asker itself, its outcome set on `future` for those who
    ask while it runs (`_outcome`). Not a task per read: a task costs a turn of the event loop
    to start and another to hand its result on, and a screen shares several reads.

    A task went on when its first asker was cancelled (graphql-core cancels the siblings of a
    field whose error nulls their parent); here the read stops with its asker, so for whoever
    waits it is read again, in a task of its own."""
    try:
        value = await read()
    except asyncio.CancelledError:
        if not future.done():
            again = asyncio.ensure_future(read())
            again.add_done_callback(lambda done: _settle(future, done))
        raise
    except BaseException as error:
        if not future.done():
            future.set_exception(error)
            future.exception()  # retrieved: raised here, and to whoever waits
        raise
    if not future.done():
        future.set_result(value)
    return value


def _settle(future: asyncio.Future[T], done: asyncio.Future[T]) -> None:
    """`done`'s outcome on `future` (a read again for those who wait, `shared_read`)."""
    if future.done():
        return
    if done.cancelled():
        future.cancel()
    elif (error := done.exception()) is not None:
        future.set_exception(error)
        future.exception()
    else:
        future.set_result(done.result())


async def _outcome(future: asyncio.Future[T]) -> T:
    """What `future` answers: at once when settled; otherwise awaited through `shield`, so
    that a waiter cancelled does not cancel the read for the others."""
    if future.done():
        return future.result()
    return await asyncio.shield(future)


def _article(word: str) -> str:
    """'an' before the roles' names that start with a vowel (admin), 'a' otherwise."""
    return "an" if word[:1] in "aeiou" else "a"
