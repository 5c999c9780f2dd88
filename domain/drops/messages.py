"""What members read about a drop, in their language (`domain.messages`: English otherwise).

Times are written in UTC in ISO form with the zone spelled out, so that the app can reformat
them and nobody misreads a local time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain import messages

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "min_tier": "Reserved for members at tier level {level} or above.",
        "badge": "Requires the badge “{badge}”.",
        "segment": "Reserved for members of the segment “{segment}”.",
        "erased": "This account has been deleted.",
        "not_open": "This drop opens for you at {at}.",
        "closed": "This drop closed at {at}.",
        "out_of_stock": "This drop is sold out.",
        "already_claimed": "You already claimed this drop.",
        "already_claimed_limit": "You already claimed the {limit} units allowed per member.",
        "already_entered": "You already entered this raffle.",
        "insufficient_points": "This drop costs {price} points and you have {balance}.",
        "not_eligible": "You cannot claim this drop: {reasons}",
    },
    "es": {
        "min_tier": "Reservado para miembros de nivel {level} o superior.",
        "badge": "Necesitas la insignia «{badge}».",
        "segment": "Reservado para miembros del segmento «{segment}».",
        "erased": "Esta cuenta ha sido eliminada.",
        "not_open": "Este lanzamiento se abre para ti el {at}.",
        "closed": "Este lanzamiento cerró el {at}.",
        "out_of_stock": "Este lanzamiento está agotado.",
        "already_claimed": "Ya has reservado este lanzamiento.",
        "already_claimed_limit": "Ya has reservado las {limit} unidades permitidas por miembro.",
        "already_entered": "Ya participas en este sorteo.",
        "insufficient_points": "Este lanzamiento cuesta {price} puntos y tienes {balance}.",
        "not_eligible": "No puedes reservar este lanzamiento: {reasons}",
    },
}


CATALOGUE = messages.Catalogue(MESSAGES)

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
