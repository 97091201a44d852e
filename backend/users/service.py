"""Create user accounts, each bound as its role requires (an enterprise to a firm, a bureau to a bureau).

Above auth (who is acting) and the firms and bureaus an account is bound to: auth itself stays
below every domain, so any of them can ask who is acting.
"""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.auth.repository import UserRepository
from backend.core.errors import Unprocessable
from backend.core.security import Actor, hash_password
from backend.firms import service as firm_service
from backend.models import User
from backend.reference import service as reference_service
from backend.users.errors import DuplicateUser
from backend.users.schemas import NewUser
from vocabulary.states import Role


async def create_user(session: AsyncSession, actor: Actor, data: NewUser) -> User:
    """Create a user bound as its role requires (enterprise → a firm, bureau → a bureau)."""
    repo = UserRepository(session)
    if await repo.by_username(data.username) is not None:
        raise DuplicateUser(data.username)
    firm_id = await _firm_binding(session, data)
    bureau_code = await _bureau_binding(session, data)
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=await asyncio.to_thread(hash_password, data.password),
        role=data.role,
        firm_id=firm_id,
        bureau_code=bureau_code,
    )
    repo.add(user)
    await session.flush()
    await audit.record(
        session, actor, "user.create", "user", user.id, after=audit.snapshot(user, exclude={"password_hash"})
    )
    return user


async def _firm_binding(session: AsyncSession, data: NewUser) -> int | None:
    if data.role is not Role.enterprise:
        return None
    if not data.firm_uscc:
        raise Unprocessable("firm_uscc", None, "企业用户必须绑定一家企业（统一社会信用代码）")
    firm = await firm_service.get_by_uscc(session, data.firm_uscc)
    assert firm.id is not None
    return firm.id


async def _bureau_binding(session: AsyncSession, data: NewUser) -> str | None:
    if data.role is not Role.bureau:
        return None
    if not data.bureau_code:
        raise Unprocessable("bureau_code", None, "区科技局用户必须绑定一个审查单位")
    bureau = await reference_service.require_bureau(session, data.bureau_code)
    return bureau.code
