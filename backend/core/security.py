"""Passwords, bearer tokens and the acting user (``Actor``) that every service checks."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vocabulary.states import Role

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash("tidu-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who is acting, and what their role and binding let them see."""

    user_id: int | None
    label: str  # username, or cli:<os user> for commands
    role: Role
    firm_id: int | None = None
    bureau_code: str | None = None

    @classmethod
    def command_line(cls, os_user: str) -> Actor:
        """The operator running a CLI command on the server: full rights, audited by OS user."""
        return cls(user_id=None, label=f"cli:{os_user}", role=Role.admin)

    @classmethod
    def job(cls, name: str, bureau_code: str | None = None) -> Actor:
        """A scheduled job: a bureau's inbox acts with that bureau's rights only, others as the city."""
        if bureau_code is not None:
            return cls(
                user_id=None, label=f"job:{name}:{bureau_code}", role=Role.bureau, bureau_code=bureau_code
            )
        return cls(user_id=None, label=f"job:{name}", role=Role.city)

    @property
    def sees_every_firm(self) -> bool:
        return self.role in (Role.admin, Role.city, Role.finance)

    def sees_firm(self, firm_id: int, bureau_code: str) -> bool:
        if self.sees_every_firm:
            return True
        if self.role is Role.bureau:
            return bureau_code == self.bureau_code
        return firm_id == self.firm_id

    @property
    def reads_filings(self) -> bool:
        # Finance works from award lists; firms' private figures are not theirs to browse.
        return self.role is not Role.finance

    @property
    def edits_firms(self) -> bool:
        return self.role in (Role.admin, Role.city, Role.bureau)

    @property
    def edits_filings(self) -> bool:
        # A firm files its own figures; bureaus correct them; the city can too.
        return self.role in (Role.admin, Role.city, Role.bureau, Role.enterprise)
