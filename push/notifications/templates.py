"""The texts of notifications, per language, as data.

Each template has a category, a deep link pattern and, per language, a title and a body with
`{placeholders}`: the `[notifications.<key>]` tables of the locale files
(`domain/locales/*.toml`). `render` picks the member's language ("es-MX" -> "es", unknown ->
English), formats numbers and dates the way that language writes them and fills the
placeholders, all through `domain.messages`, the mechanism every text a member reads goes
through. Adding a language is adding its locale file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.messages import CATALOGUE, DEFAULT_LANGUAGE, format_value, language
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


#: Each template's category and deep link; its texts are the `[notifications.<key>]` title
#: and body of each locale file.
KINDS: dict[str, tuple[NotificationCategory, str | None]] = {
    "badge_earned": (NotificationCategory.BADGE, "fidelio://badges/{badge_id}"),
    "badge_earned_points": (NotificationCategory.BADGE, "fidelio://badges/{badge_id}"),
    "challenge_completed": (NotificationCategory.CHALLENGE, "fidelio://challenges/{challenge_id}"),
    "leaderboard_prize": (NotificationCategory.CHALLENGE, "fidelio://leaderboards/{board_code}"),
    "tier_upgraded": (NotificationCategory.TIER, "fidelio://tiers"),
    "tier_downgraded": (NotificationCategory.TIER, "fidelio://tiers"),
    "drop_early_access": (NotificationCategory.DROP, "fidelio://drops/{drop_id}"),
    "drop_opened": (NotificationCategory.DROP, "fidelio://drops/{drop_id}"),
    "points_expiring": (NotificationCategory.REMINDER, "fidelio://points"),
    "referral_referrer": (NotificationCategory.REFERRAL, "fidelio://referrals"),
    "referral_referee": (NotificationCategory.REFERRAL, "fidelio://points"),
    "birthday": (NotificationCategory.POINTS, "fidelio://points"),
    "birthday_no_points": (NotificationCategory.POINTS, None),
    "anniversary": (NotificationCategory.POINTS, None),
    "anniversary_points": (NotificationCategory.POINTS, "fidelio://points"),
    "anniversary_coupon": (NotificationCategory.POINTS, "fidelio://rewards"),
    "anniversary_points_coupon": (NotificationCategory.POINTS, "fidelio://rewards"),
    "win_back": (NotificationCategory.REMINDER, "fidelio://rewards"),
    "win_back_points": (NotificationCategory.REMINDER, "fidelio://rewards"),
}

TEXTS = CATALOGUE.area("notifications")

TEMPLATES: dict[str, Template] = {
    key: Template(
        category,
        deep_link,
        {
            lang: (TEXTS.template(lang, f"{key}.title"), TEXTS.template(lang, f"{key}.body"))
            for lang in TEXTS.texts
        },
    )
    for key, (category, deep_link) in KINDS.items()
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
