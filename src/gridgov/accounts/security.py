"""Password hashing (argon2id) and signed bearer tokens."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum argon2id profile: about 20 ms a hash on this class of machine.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the username is unknown keeps both answers equally slow, so
# timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def burn_verification_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def issue_token(user_id: int, secret: str, minutes: int) -> str:
    # Real time, not the platform clock: PyJWT checks iat and exp against the real clock, and
    # a simulated clock must not mint tokens from the future.
    issued = datetime.now(UTC)
    payload = {"sub": str(user_id), "iat": issued, "exp": issued + timedelta(minutes=minutes)}
    return jwt.encode(payload, secret, algorithm=_ALGORITHM)


def read_token(token: str, secret: str) -> int | None:
    """The user id of a token signed with ``secret``, issued and not yet expired, else None."""
    claims = _signed_claims(token, secret)
    moment = time.time()
    # As PyJWT decides, with no leeway: issued at or before now, expiring after now.
    if claims is None or claims.issued_at > moment or claims.expires_at <= moment:
        return None
    return claims.user_id


@dataclass(frozen=True)
class _Claims:
    user_id: int
    issued_at: float
    expires_at: float


# A client sends the same token with every request: its signature is checked once per process
# and its times on every use (above). Bounded, so a flood of forged tokens only evicts.
@functools.lru_cache(maxsize=4096)
def _signed_claims(token: str, secret: str) -> _Claims | None:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
        )
        return _Claims(
            user_id=int(payload["sub"]),
            issued_at=float(payload.get("iat", float("-inf"))),
            expires_at=float(payload["exp"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
