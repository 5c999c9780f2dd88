"""GraphQL of the members area: the signed-in member, profiles, devices.

The model for every area: resolvers parse input, call one domain service, and map the result
and the domain errors (via `user_errors`) to the payload. They decide nothing themselves.
"""

from __future__ import annotations

from datetime import date

import strawberry

from api.auth import Role
from api.context import Info
from api.member_parts import member_with_parts, wanted_parts
from api.types.common import UserError, user_errors
from api.types.member import Device, Member, Platform, work_out_known
from domain.errors import DomainError
from domain.members import services
from domain.members.models import Platform as PlatformModel


@strawberry.input(description="Profile fields to change; omitted fields stay as they are.")
class UpdateProfileInput:
    display_name: str | None = strawberry.field(default=None, description="1-80 characters.")
    email: str | None = strawberry.field(default=None, description="An email address.")
    locale: str | None = strawberry.field(default=None, description="e.g. 'es' or 'es-ES'.")
    time_zone: str | None = strawberry.field(default=None, description="IANA time zone name.")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code.")
    city: str | None = strawberry.field(default=None, description="1-80 characters.")
    birth_date: date | None = strawberry.field(default=None, description="Not in the future.")


@strawberry.type(description="The result of updateProfile.")
class UpdateProfilePayload:
    member: Member | None = strawberry.field(description="The member as saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="A push token of the app to register for the signed-in member.")
class RegisterDeviceInput:
    token: str = strawberry.field(description="The FCM registration token.")
    platform: Platform = strawberry.field(description="iOS, Android or web.")
    app_version: str | None = strawberry.field(default=None, description="The app's version.")


@strawberry.type(description="The result of registerDevice.")
class RegisterDevicePayload:
    device: Device | None = strawberry.field(description="The registered device.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not registered.")


@strawberry.input(description="A push token to forget.")
class UnregisterDeviceInput:
    token: str = strawberry.field(description="The FCM registration token.")


@strawberry.type(description="The result of unregisterDevice.")
class UnregisterDevicePayload:
    removed: bool = strawberry.field(description="Whether the member had this token.")
    user_errors: list[UserError] = strawberry.field(description="Always empty today.")


@strawberry.type
class Query:
    @strawberry.field(
        description="The signed-in member. Created from the token's subject on first call."
    )
    async def me(self, info: Info) -> Member:
        parts = wanted_parts(info)
        if parts:  # the member and their parts in one statement
            member = Member.from_model(await member_with_parts(info, parts))
            member.parts = parts
            await work_out_known(info, member)  # the fields then answer from that read
        else:
            member = Member.from_model(await info.context.member())
        return member

    @strawberry.field(description="Admin or shop backend: one member by the shop's customer id.")
    async def member(self, info: Info, customer_id: str) -> Member | None:
        info.context.require(Role.ADMIN, Role.SERVICE)
        found = await services.get_member(customer_id)
        return Member.from_model(found) if found else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Change the signed-in member's profile.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> UpdateProfilePayload:
        member = await info.context.member()
        changes = services.ProfileChanges(
            display_name=input.display_name,
            email=input.email,
            locale=input.locale,
            time_zone=input.time_zone,
            country=input.country,
            city=input.city,
            birth_date=input.birth_date,
        )
        try:
            saved = await services.update_profile(member, changes, info.context.now)
        except DomainError as error:
            return UpdateProfilePayload(member=None, user_errors=user_errors(error))
        return UpdateProfilePayload(member=Member.from_model(saved), user_errors=[])

    @strawberry.mutation(
        description="Register a push token; a token another member had moves here."
    )
    async def register_device(
        self, info: Info, input: RegisterDeviceInput
    ) -> RegisterDevicePayload:
        member = await info.context.member()
        try:
            device = await services.register_device(
                member,
                input.token,
                PlatformModel(input.platform.value),
                input.app_version,
                info.context.now,
            )
        except DomainError as error:
            return RegisterDevicePayload(device=None, user_errors=user_errors(error))
        return RegisterDevicePayload(device=Device.from_model(device), user_errors=[])

    @strawberry.mutation(description="Forget one of the signed-in member's push tokens.")
    async def unregister_device(
        self, info: Info, input: UnregisterDeviceInput
    ) -> UnregisterDevicePayload:
        # By customer id, without creating the member on first sight: apps forget their
        # token on sign-out, and after the account was deleted too.
        principal = info.context.require(Role.MEMBER)
        removed = await services.unregister_device_of(principal.subject, input.token)
        return UnregisterDevicePayload(removed=removed, user_errors=[])
