"""What members read when a redemption is refused, in their language (`domain.messages`):
the `[rewards]` texts of the locale files."""

from __future__ import annotations

from domain import messages

CATALOGUE = messages.CATALOGUE.area("rewards")
