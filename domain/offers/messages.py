"""Why a reward is recommended, in the member's language (`domain.messages`):
the `[offers]` texts of the locale files."""

from __future__ import annotations

from domain import messages

CATALOGUE = messages.CATALOGUE.area("offers")
