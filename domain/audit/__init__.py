"""The audit log: every admin change of the program, who made it, when, before and after.

Each admin use case records its change with `record_change` inside its own transaction, so a
change and its entry commit or roll back together. Who acts is passed in explicitly as an
`Actor` (the admin principal's subject and the request id), as the ledger's `actor` is.
"""

from domain.audit.actions import AUDITED_ACTIONS, AuditedAction, audit_kinds
from domain.audit.log import AuditFilter, AuditPage, audit_page
from domain.audit.models import AuditEntry
from domain.audit.recording import (
    SYSTEM,
    Actor,
    Snapshot,
    changes,
    plain,
    record_change,
    row_snapshot,
)

__all__ = [
    "AUDITED_ACTIONS",
    "SYSTEM",
    "Actor",
    "AuditEntry",
    "AuditFilter",
    "AuditPage",
    "AuditedAction",
    "Snapshot",
    "audit_kinds",
    "audit_page",
    "changes",
    "plain",
    "record_change",
    "row_snapshot",
]
