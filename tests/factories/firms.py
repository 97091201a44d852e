"""Firms with valid credit codes, through the same service the API uses."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.firms import service as firm_service
from backend.firms.schemas import FirmCreate
from backend.models import Firm
from importers.uscc import check_char
from vocabulary.states import Role

_numbers = itertools.count(1)
OPERATOR = Actor(user_id=None, label="test", role=Role.admin)
DISTRICT_OF = {
    "jinghai": "120118",
    "heping": "120101",
    "teda": "120116",
    "binhai": "120116",
    "hightech": "120116",
}


def new_uscc(district_code: str = "120118") -> str:
    first17 = f"91{district_code}{next(_numbers):09d}"
    return first17 + check_char(first17)


async def make_firm(session: AsyncSession, bureau_code: str = "jinghai", **overrides: Any) -> Firm:
    n = next(_numbers)
    values: dict[str, Any] = {
        "uscc": new_uscc(DISTRICT_OF.get(bureau_code, "120118")),
        "name": f"天津测试科技有限公司{n}",
        "bureau_code": bureau_code,
        "registered_on": date(2019, 3, 5),
    } | overrides
    firm = await firm_service.register_firm(session, OPERATOR, FirmCreate(**values))
    await session.flush()
    return firm
