"""What members read when deleting their account is refused, in their language
(`domain.messages`): the `[privacy]` texts of the locale files."""

from __future__ import annotations

from domain import messages

CATALOGUE = messages.CATALOGUE.area("privacy")
