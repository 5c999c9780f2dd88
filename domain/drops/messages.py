"""What members read about a drop, in their language (`domain.messages`: English otherwise):
the `[drops]` texts of the locale files.

Times are written in UTC in ISO form with the zone spelled out, so that the app can reformat
them and nobody misreads a local time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain import messages

CATALOGUE = messages.CATALOGUE.area("drops")

#: The language a locale reads (kept here for the drops area's callers).
language = messages.language


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def message(locale: str | None, key: str, **values: object) -> str:
    return CATALOGUE.text(
        locale,
        key,
        **{k: format_time(v) if isinstance(v, datetime) else v for k, v in values.items()},
    )
