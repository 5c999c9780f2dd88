"""Domain events and how they enter the outbox.

An event is a frozen dataclass. `record_event` appends it to the outbox inside the caller's
transaction, so it exists if and only if the change that raised it was committed. Areas define
their own events next to their services; `EVENT_TYPES` maps names back to classes for delivery.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Self

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.outbox.models import OutboxEvent

EVENT_TYPES: dict[str, type[DomainEvent]] = {}


#: Values JSON takes as they are (exact types: an enum deriving from str or int is not one).
_PLAIN = frozenset({str, int, bool, float, type(None)})


def _to_json(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | frozenset | set):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Something that happened to a member or the program, for other parts to react to."""

    kind: ClassVar[str] = ""
    #: The fields' names, set on each class by its first `to_payload`.
    _field_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = cls.__name__
        EVENT_TYPES[cls.kind] = cls

    def to_payload(self) -> dict[str, Any]:
        cls = type(self)
        names = cls.__dict__.get("_field_names")
        if names is None:
            # Once per class (the dataclass decorator runs after __init_subclass__).
            names = cls._field_names = tuple(f.name for f in dataclasses.fields(self))
        return {name: _to_json(getattr(self, name)) for name in names}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        values: dict[str, Any] = {}
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
        for name, kind in hints.items():
            if name not in payload:
                continue
            raw = payload[name]
            text = str(kind)
            if raw is not None and "datetime" in text:
                raw = datetime.fromisoformat(raw)
            elif raw is not None and "Decimal" in text:
                raw = Decimal(raw)
            elif raw is not None and text.startswith(("date", "date |")):
                raw = date.fromisoformat(raw)
            elif isinstance(raw, list) and "tuple" in text:
                raw = tuple(raw)
            values[name] = raw
        return cls(**values)


def decode_event(kind: str, payload: dict[str, Any]) -> DomainEvent | None:
    event_type = EVENT_TYPES.get(kind)
    return event_type.from_payload(payload) if event_type else None


async def record_event(
    event: DomainEvent,
    now: datetime,
    connection: BaseDBAsyncClient | None = None,
    available_at: datetime | None = None,
) -> OutboxEvent:
    """Append `event` to the outbox in the current transaction (pass its connection)."""
    return await OutboxEvent.create(
        kind=event.kind,
        payload=event.to_payload(),
        created_at=now,
        available_at=available_at or now,
        using_db=connection,
    )


async def record_events(events: list[DomainEvent], now: datetime) -> None:
    """Append several events to the outbox in the current transaction, in one INSERT."""
    if events:
        await OutboxEvent.bulk_create(
            [
                OutboxEvent(kind=e.kind, payload=e.to_payload(), created_at=now, available_at=now)
                for e in events
            ]
        )
