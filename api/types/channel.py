"""The purchase channel enum, shared by purchases, segments and leaderboards."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where a purchase was made.")
class Channel(Enum):
    APP = strawberry.enum_value("APP", description="In the shop's mobile app.")
    WEB = strawberry.enum_value("WEB", description="On the shop's website.")
    STORE = strawberry.enum_value("STORE", description="In a physical store.")
