"""What members read when a referral code is refused, in their language (`domain.messages`)."""

from __future__ import annotations

from domain.messages import Catalogue

CATALOGUE = Catalogue(
    {
        "en": {
            "not_a_code": "this is not a referral code",
            "unknown_code": "no member has this referral code",
            "own_code": "members cannot apply their own referral code",
            "already_applied": "a referral code was already applied",
            "after_first_purchase": "referral codes apply before the first purchase",
            "referred_you": "this member joined with your code",
        },
        "es": {
            "not_a_code": "esto no es un código de invitación",
            "unknown_code": "ningún miembro tiene este código de invitación",
            "own_code": "no puedes usar tu propio código de invitación",
            "already_applied": "ya has usado un código de invitación",
            "after_first_purchase": "los códigos de invitación se usan antes de la primera compra",
            "referred_you": "este miembro se unió con tu código",
        },
    }
)
