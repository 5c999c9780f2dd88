"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile).

Hashing costs tens of milliseconds of CPU on purpose: it runs in a worker thread so that the
event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()


async def hash_password(password: str) -> str:
    """The argon2id PHC string of `password`, with a fresh salt."""
    return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (an unreadable hash matches nothing)."""
    try:
        return await asyncio.to_thread(HASHER.verify, password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def decoy_hash() -> str:
    """A hash of nothing anyone knows, verified when the email names no account, so that an
    unknown email costs the same time as a wrong password."""
    return HASHER.hash("decoy password of no console account")
