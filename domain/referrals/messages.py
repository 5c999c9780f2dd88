"""What members read when a referral code is refused, in their language (`domain.messages`):
the `[referrals]` texts of the locale files."""

from __future__ import annotations

from domain import messages

CATALOGUE = messages.CATALOGUE.area("referrals")
#: What members read when a share, review or survey is refused: the `[engagement]` texts.
ENGAGEMENT = messages.CATALOGUE.area("engagement")
