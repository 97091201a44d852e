"""Users with bearer tokens, made directly (login itself is tested on its own)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.security import new_token, token_digest
from backend.models import AuthToken, Firm, User
from vocabulary.states import Role

_numbers = itertools.count(1)
# A real argon2 hash of "correct horse battery staple", made once: hashing per user is slow.
PASSWORD = "correct horse battery staple"
_HASH: list[str] = []


def password_hash() -> str:
    if not _HASH:
        from backend.core.security import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass(frozen=True)
class LoggedIn:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    session: AsyncSession, role: Role, *, firm: Firm | None = None, bureau_code: str | None = None
) -> LoggedIn:
    n = next(_numbers)
    user = User(
        username=f"{role.value}{n}",
        display_name=f"测试用户{n}",
        password_hash=password_hash(),
        role=role,
        firm_id=firm.id if firm else None,
        bureau_code=bureau_code,
    )
    session.add(user)
    await session.flush()
    assert user.id is not None
    token = new_token()
    session.add(
        AuthToken(
            token_hash=token_digest(token), user_id=user.id, expires_at=clock.utc_now() + timedelta(hours=1)
        )
    )
    await session.flush()
    return LoggedIn(user=user, token=token)
