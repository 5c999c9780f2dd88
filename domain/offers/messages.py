"""Why a reward is recommended, in the member's language (`domain.messages`)."""

from __future__ import annotations

from domain.messages import Catalogue

CATALOGUE = Catalogue(
    {
        "en": {
            "CATEGORY": "Because you bought {item}",
            "CATEGORY_OFTEN": "Because you often buy {item}",
            "REWARD": "Because you redeemed {item}",
            "DROP": "Because you joined the {item} drop",
            "BADGE": "Because you earned the {item} badge",
            "POPULAR_GROUP": "Popular with members like you",
            "POPULAR": "Popular with our members",
        },
        "es": {
            "CATEGORY": "Porque compraste {item}",
            "CATEGORY_OFTEN": "Porque sueles comprar {item}",
            "REWARD": "Porque canjeaste {item}",
            "DROP": "Porque participaste en el lanzamiento {item}",
            "BADGE": "Porque conseguiste la insignia {item}",
            "POPULAR_GROUP": "Popular entre miembros como tú",
            "POPULAR": "Popular entre nuestros miembros",
        },
    }
)
