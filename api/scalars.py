"""The `DateTime` scalar, read only within the years the program can compute with.

strawberry's own `DateTime` accepts any moment `datetime` can hold, years 1 to 9999 with any
offset. At those edges a moment cannot even be put in UTC (`0001-01-01T00:00:00+14:00`), and
the program's arithmetic on it (a drop's early access before its opening, the period before a
KPI period, a purchase's expiry) overflows: an admin's typo then broke every member's drops
list and the announcement job. So a `DateTime` input must lie in [1900-01-01T00:00:00Z,
3000-01-01T00:00:00Z): anything outside is refused where it is read, as every malformed value
of a scalar is ("Value cannot represent a DateTime"), before any resolver runs. The name,
description and output of the scalar are strawberry's (the schema is unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The first moment a `DateTime` input may name."""
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""The first moment after the range a `DateTime` input may name."""


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 date and time between `EARLIEST` (included) and `LATEST` (excluded).

    Read as strawberry reads it (ISO 8601, with its errors for what is not); a value without
    an offset is compared as if in UTC (what the resolvers make of it is theirs to say).
    """
    assert DateTimeDefinition.parse_value is not None
    moment = DateTimeDefinition.parse_value(value)  # strawberry's reading and its errors
    assert isinstance(moment, datetime)
    try:
        in_utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise StrawberryInputCoercionError(
            f'Value cannot represent a DateTime: "{value}". It must lie between '
            f"{EARLIEST:%Y-%m-%d} and {LATEST.year - 1}-12-31 (UTC)."
        )
    return moment


DATETIME = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=DateTimeDefinition.specified_by_url,
    serialize=DateTimeDefinition.serialize,
    parse_value=parse_datetime,
    parse_literal=None,
    origin=datetime,
)
"""strawberry's `DateTime`, reading inputs with `parse_datetime` (`scalar_overrides`)."""

SCALAR_OVERRIDES: Mapping[object, ScalarDefinition] = {datetime: DATETIME}
