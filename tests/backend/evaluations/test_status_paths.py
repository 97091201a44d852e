"""The fast status says, on a real registry, exactly what the registry's path said before it.

A demo registry (firms with three fiscal years, certificates, tiers, awards, the linked registers,
a stored year evaluation) is asked for firms' statuses twice: decided in plain Python (the
default) and by the registry's vectorised path on a one-row frame (TIDU_STATUS_ENGINE=frames, the
load benchmark's baseline). The whole answer must be equal: every decision, trace, advice,
percentile, and whether each stored decision read the same facts, before and after a filing
changes. The what-if answers the same way too.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import get_settings
from backend.demo import service as demo_service
from backend.filings import service as filing_service
from backend.filings.schemas import FilingUpdate
from backend.models import Filing, Firm
from tests.factories.firms import OPERATOR
from tests.factories.users import make_user
from vocabulary.states import Role


async def both_ways(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, path: str, headers: dict[str, str], **kw: Any
) -> tuple[Any, Any]:
    answers = []
    for engine in ("scalar", "frames"):
        monkeypatch.setattr(get_settings(), "status_engine", engine)
        answer = await client.request("POST" if "json" in kw else "GET", path, headers=headers, **kw)
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    return answers[0], answers[1]


async def test_status_and_what_if_are_the_same_both_ways(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await demo_service.load_demo(session, OPERATOR, firms=60, seed=11)
    city = await make_user(session, Role.city)
    firms = sorted((await session.exec(select(Firm))).all(), key=lambda f: f.uscc)
    same_inputs_seen = set()
    for firm in firms[::4]:  # 15 firms of every kind the demo makes
        fast, framed = await both_ways(client, monkeypatch, f"/api/firms/{firm.uscc}/status", city.headers)
        assert fast == framed, firm.uscc
        same_inputs_seen |= {d["stored"]["same_inputs"] for d in fast["decisions"] if d["stored"]}
    assert same_inputs_seen == {True}  # nothing changed since the demo's evaluation

    firm = firms[0]
    filings = (await session.exec(select(Filing).where(Filing.firm_id == firm.id))).all()
    filing = max(filings, key=lambda f: f.fiscal_year, default=None)
    assert filing is not None
    await filing_service.revise_filing(
        session, OPERATOR, firm.uscc, filing.fiscal_year, FilingUpdate(revenue_yuan=987_654_321)
    )
    fast, framed = await both_ways(client, monkeypatch, f"/api/firms/{firm.uscc}/status", city.headers)
    assert fast == framed
    changed = {d["program"] for d in fast["decisions"] if d["stored"] and not d["stored"]["same_inputs"]}
    assert "gazelle" in changed  # a program reading revenue no longer rests on the stored facts

    request = {
        "uscc": firm.uscc,
        "year": fast["year"],
        "filings": {str(filing.fiscal_year): {"employees": 3}},
    }
    fast, framed = await both_ways(client, monkeypatch, "/api/what-if", city.headers, json=request)
    assert fast == framed
