"""What members read when a redemption is refused, in their language (`domain.messages`)."""

from __future__ import annotations

from domain.messages import Catalogue

CATALOGUE = Catalogue(
    {
        "en": {
            "not_on_offer": "no such reward on offer",
            "min_tier": "this reward needs tier level {level}",
            "out_of_stock": "this reward is out of stock",
            "per_member_limit": "at most {limit} coupons of this reward per member",
            "insufficient_points": "{price} points needed, {balance} available",
        },
        "es": {
            "not_on_offer": "esta recompensa no está disponible",
            "min_tier": "esta recompensa requiere el nivel {level}",
            "out_of_stock": "esta recompensa está agotada",
            "per_member_limit": "como máximo {limit} cupones de esta recompensa por miembro",
            "insufficient_points": "necesitas {price} puntos y tienes {balance}",
        },
    }
)
