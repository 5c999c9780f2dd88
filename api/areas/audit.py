"""GraphQL of the audit log: every admin change, read by admins; the kinds of change it
records (`auditKinds`, from the code's list of audited actions) for the console's filter."""

from __future__ import annotations

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.audit import (
    AuditEntry,
    AuditEntryConnection,
    AuditEntryEdge,
    AuditKind,
    AuditLogFilter,
)
from api.types.common import decode_cursor, encode_cursor, page_info_of, page_size
from domain.audit import AuditFilter, audit_kinds, audit_page
from domain.errors import DomainError

AUDIT_CURSOR = "audit"


@strawberry.type
class Query:
    @strawberry.field(
        description="Admin (and analysts): the kinds of target the audit log records changes "
        "of, by name, each with its actions: what `auditLog`'s filter takes as `targetKind` "
        "and `action`."
    )
    def audit_kinds(self, info: Info) -> list[AuditKind]:
        info.context.require(Role.ADMIN)
        return [
            AuditKind(kind=kind, actions=list(actions)) for kind, actions in audit_kinds().items()
        ]

    @strawberry.field(
        description="Admin: the program's changes, newest first (who, what, when, before and "
        "after). INVALID_INPUT for a bad cursor, page size, time without offset or an empty "
        "period."
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> AuditEntryConnection:
        info.context.require(Role.ADMIN)
        given = filter or AuditLogFilter()
        wanted = AuditFilter(
            actor=given.actor,
            action=given.action,
            target_kind=given.target_kind,
            target_id=given.target_id,
            since=given.from_,
            until=given.to,
        )
        try:
            size = page_size(first, ["first"])
            before_id = decode_cursor(AUDIT_CURSOR, after, ["after"])
            page = await audit_page(wanted, first=size, before_id=before_id)
        except DomainError as error:
            raise to_client_error(error) from error
        edges = [
            AuditEntryEdge(cursor=encode_cursor(AUDIT_CURSOR, e.id), node=AuditEntry.from_model(e))
            for e in page.entries
        ]
        return AuditEntryConnection(
            edges=edges,
            page_info=page_info_of(edges, page.has_next_page),
        )
