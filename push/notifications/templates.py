"""The texts of notifications, per language, as data.

Each template has a category, a deep link pattern and, per language, a title and a body with
`{placeholders}`. `render` picks the member's language ("es-MX" -> "es", unknown -> English),
formats numbers and dates the way that language writes them and fills the placeholders, all
through `domain.messages`, the mechanism every text a member reads goes through. Adding a
language is adding its texts here (and in `domain.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.messages import DEFAULT_LANGUAGE, format_value, language
from push.notifications.models import NotificationCategory


@dataclass(frozen=True)
class Template:
    category: NotificationCategory
    deep_link: str | None
    #: {language: (title, body)}
    texts: Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class RenderedNotification:
    category: NotificationCategory
    title: str
    body: str
    deep_link: str | None


TEMPLATES: dict[str, Template] = {
    "badge_earned": Template(
        NotificationCategory.BADGE,
        "fidelio://badges/{badge_id}",
        {
            "en": ("New badge: {badge}", "Well done, {name}! You earned the {badge} badge."),
            "es": (
                "Nueva insignia: {badge}",
                "¡Enhorabuena, {name}! Has conseguido la insignia {badge}.",
            ),
        },
    ),
    "badge_earned_points": Template(
        NotificationCategory.BADGE,
        "fidelio://badges/{badge_id}",
        {
            "en": (
                "New badge: {badge}",
                "Well done, {name}! You earned the {badge} badge and {points} points.",
            ),
            "es": (
                "Nueva insignia: {badge}",
                "¡Enhorabuena, {name}! Has conseguido la insignia {badge} y {points} puntos.",
            ),
        },
    ),
    "challenge_completed": Template(
        NotificationCategory.CHALLENGE,
        "fidelio://challenges/{challenge_id}",
        {
            "en": (
                "Challenge completed",
                "You completed “{challenge}”: {points} points are yours.",
            ),
            "es": ("Reto superado", "Has superado el reto «{challenge}»: {points} puntos para ti."),
        },
    ),
    "leaderboard_prize": Template(
        NotificationCategory.CHALLENGE,
        "fidelio://leaderboards/{board_code}",
        {
            "en": (
                "You placed #{rank}",
                "You finished #{rank} on {board} and won {points} points.",
            ),
            "es": (
                "Puesto n.º {rank}",
                "Has quedado en el puesto {rank} de {board} y ganas {points} puntos.",
            ),
        },
    ),
    "tier_upgraded": Template(
        NotificationCategory.TIER,
        "fidelio://tiers",
        {
            "en": ("Welcome to {tier}", "Congratulations, {name}: you reached the {tier} tier."),
            "es": ("Bienvenido a {tier}", "Enhorabuena, {name}: has alcanzado el nivel {tier}."),
        },
    ),
    "tier_downgraded": Template(
        NotificationCategory.TIER,
        "fidelio://tiers",
        {
            "en": ("Your tier is now {tier}", "Shop again to climb back up from {tier}."),
            "es": (
                "Tu nivel ahora es {tier}",
                "Vuelve a comprar para subir de nuevo desde {tier}.",
            ),
        },
    ),
    "drop_early_access": Template(
        NotificationCategory.DROP,
        "fidelio://drops/{drop_id}",
        {
            "en": ("Early access: {drop}", "{name}, {drop} is open for you before everyone else."),
            "es": (
                "Acceso anticipado: {drop}",
                "{name}, {drop} ya está disponible para ti antes que nadie.",
            ),
        },
    ),
    "drop_opened": Template(
        NotificationCategory.DROP,
        "fidelio://drops/{drop_id}",
        {
            "en": ("{drop} is live", "The {drop} drop is open now. Quantities are limited."),
            "es": (
                "{drop} ya está aquí",
                "El lanzamiento {drop} está abierto. Unidades limitadas.",
            ),
        },
    ),
    "points_expiring": Template(
        NotificationCategory.REMINDER,
        "fidelio://points",
        {
            "en": (
                "Points expiring soon",
                "{points} of your points expire on {date}. Use them before then.",
            ),
            "es": (
                "Tus puntos caducan pronto",
                "{points} de tus puntos caducan el {date}. Úsalos antes.",
            ),
        },
    ),
    "referral_referrer": Template(
        NotificationCategory.REFERRAL,
        "fidelio://referrals",
        {
            "en": (
                "Your friend joined",
                "Thanks for bringing a friend, {name}: {points} points are yours.",
            ),
            "es": (
                "Tu amigo se ha unido",
                "Gracias por invitar a un amigo, {name}: tienes {points} puntos.",
            ),
        },
    ),
    "referral_referee": Template(
        NotificationCategory.REFERRAL,
        "fidelio://points",
        {
            "en": ("Welcome gift", "Welcome, {name}! Here are {points} points to start with."),
            "es": (
                "Regalo de bienvenida",
                "¡Bienvenido, {name}! Aquí tienes {points} puntos para empezar.",
            ),
        },
    ),
    "birthday": Template(
        NotificationCategory.POINTS,
        "fidelio://points",
        {
            "en": ("Happy birthday, {name}!", "Here are {points} points to celebrate with us."),
            "es": ("¡Feliz cumpleaños, {name}!", "Te regalamos {points} puntos para celebrarlo."),
        },
    ),
    "birthday_no_points": Template(
        NotificationCategory.POINTS,
        None,
        {
            "en": ("Happy birthday, {name}!", "Everyone here wishes you a wonderful day."),
            "es": ("¡Feliz cumpleaños, {name}!", "Todo el equipo te desea un día estupendo."),
        },
    ),
    "anniversary": Template(
        NotificationCategory.POINTS,
        None,
        {
            "en": ("Happy anniversary, {name}!", "Thank you for shopping with us since {year}."),
            "es": ("¡Feliz aniversario, {name}!", "Gracias por comprar con nosotros desde {year}."),
        },
    ),
    "anniversary_points": Template(
        NotificationCategory.POINTS,
        "fidelio://points",
        {
            "en": (
                "Happy anniversary, {name}!",
                "You have shopped with us since {year}: here are {points} points to celebrate.",
            ),
            "es": (
                "¡Feliz aniversario, {name}!",
                "Compras con nosotros desde {year}: te regalamos {points} puntos para celebrarlo.",
            ),
        },
    ),
    "anniversary_coupon": Template(
        NotificationCategory.POINTS,
        "fidelio://rewards",
        {
            "en": (
                "Happy anniversary, {name}!",
                "You have shopped with us since {year}: a {reward} coupon is waiting for you.",
            ),
            "es": (
                "¡Feliz aniversario, {name}!",
                "Compras con nosotros desde {year}: tienes un cupón de {reward} esperándote.",
            ),
        },
    ),
    "anniversary_points_coupon": Template(
        NotificationCategory.POINTS,
        "fidelio://rewards",
        {
            "en": (
                "Happy anniversary, {name}!",
                "You have shopped with us since {year}: here are {points} points and a "
                "{reward} coupon to celebrate.",
            ),
            "es": (
                "¡Feliz aniversario, {name}!",
                "Compras con nosotros desde {year}: te regalamos {points} puntos y un cupón de "
                "{reward} para celebrarlo.",
            ),
        },
    ),
    "win_back": Template(
        NotificationCategory.REMINDER,
        "fidelio://rewards",
        {
            "en": ("We miss you, {name}", "It has been a while. Come and see what is new for you."),
            "es": (
                "Te echamos de menos, {name}",
                "Ha pasado un tiempo. Ven a ver las novedades que tenemos para ti.",
            ),
        },
    ),
    "win_back_points": Template(
        NotificationCategory.REMINDER,
        "fidelio://rewards",
        {
            "en": ("We miss you, {name}", "Here are {points} points to welcome you back."),
            "es": ("Te echamos de menos, {name}", "Te regalamos {points} puntos para que vuelvas."),
        },
    ),
}


def render(key: str, locale: str | None, params: Mapping[str, Any]) -> RenderedNotification:
    """Fill template `key` in the member's language. Ints are formatted as numbers, dates
    (and datetimes, already in the member's time zone) as dates. Raises KeyError for an unknown
    template or a placeholder without a value."""
    template = TEMPLATES[key]
    lang = language(locale)
    title, body = template.texts.get(lang) or template.texts[DEFAULT_LANGUAGE]
    values = {name: format_value(value, lang) for name, value in params.items()}
    raw = {name: str(value) for name, value in params.items()}  # ids are not numbers to format
    deep_link = template.deep_link.format_map(raw) if template.deep_link else None
    return RenderedNotification(
        category=template.category,
        title=title.format_map(values),
        body=body.format_map(values),
        deep_link=deep_link,
    )
