"""Console accounts: create, list, remove, change a password, and check a sign-in.

Emails are kept lower-cased. A password has 10 to 200 characters. Raises the domain's typed
errors (`InvalidInput`, `Duplicate`, `NotFound`) with the field at fault, so that the command
line and the sign-in page report them the same way.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.console.models import ConsoleAccount, ConsoleRole, ConsoleSession
from api.console.passwords import decoy_hash, hash_password, needs_rehash, verify_password
from domain.errors import Duplicate, InvalidInput, NotFound

MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_EMAIL = 254


def normalise_email(email: str) -> str:
    """The email as stored (trimmed, lower-cased); INVALID_INPUT on `email` when it is not
    one."""
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or "." not in domain or len(cleaned) > MAX_EMAIL or " " in cleaned:
        raise InvalidInput("Enter an email address, e.g. ana@shop.example.", ["email"])
    return cleaned


def check_password(password: str) -> None:
    """INVALID_INPUT on `password` unless it has 10 to 200 characters."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.", ["password"]
        )


async def add_account(
    email: str, password: str, role: ConsoleRole, now: datetime
) -> ConsoleAccount:
    """A new account. DUPLICATE on `email` when one exists with that email."""
    address = normalise_email(email)
    check_password(password)
    digest = await hash_password(password)
    try:
        return await ConsoleAccount.create(
            email=address, password_hash=digest, role=role, created_at=now
        )
    except IntegrityError as error:
        raise Duplicate(f"An account {address} exists already.", ["email"]) from error


async def list_accounts() -> list[ConsoleAccount]:
    """Every account, by email."""
    return await ConsoleAccount.all().order_by("email")


async def remove_account(email: str) -> None:
    """Delete the account and its sessions. NOT_FOUND on `email` when there is none."""
    deleted = await ConsoleAccount.filter(email=normalise_email(email)).delete()
    if not deleted:
        raise NotFound(f"No console account {email.strip().lower()}.", ["email"])


async def set_password(email: str, password: str, now: datetime) -> None:
    """Change the password and end every session of the account (a stolen session dies with
    the old password). NOT_FOUND on `email` when there is no such account."""
    address = normalise_email(email)
    check_password(password)
    digest = await hash_password(password)
    async with in_transaction():
        updated = await ConsoleAccount.filter(email=address).update(password_hash=digest)
        if not updated:
            raise NotFound(f"No console account {address}.", ["email"])
        await ConsoleSession.filter(account__email=address, revoked_at=None).update(revoked_at=now)


async def authenticate(email: str, password: str, now: datetime) -> ConsoleAccount | None:
    """The account whose email and password these are, or None.

    An unknown email costs the same argon2 verification as a wrong password (against a decoy
    hash), so that timing does not tell which emails have accounts.
    """
    address = email.strip().lower()
    account = await ConsoleAccount.get_or_none(email=address) if address else None
    if account is None:
        await verify_password(decoy_hash(), password)
        return None
    if not await verify_password(account.password_hash, password):
        return None
    account.last_sign_in_at = now
    update = ["last_sign_in_at"]
    if needs_rehash(account.password_hash):
        account.password_hash = await hash_password(password)
        update.append("password_hash")
    await account.save(update_fields=update)
    return account
