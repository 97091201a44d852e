"""The demo registry looks like the real one and loads completely."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.core import clock
from backend.core.security import Actor
from backend.demo import service as demo_service
from backend.demo.generator import BUREAU_WEIGHTS, DemoGenerator, DemoHistory, allocate
from importers.uscc import UsccStatus, validate
from vocabulary.states import Role

TODAY = date(2026, 11, 22)


def test_allocation_is_exact_and_proportional() -> None:
    counts = allocate(5000, BUREAU_WEIGHTS)
    assert sum(counts.values()) == 5000
    assert counts["hightech"] > counts["heping"] * 6  # 859 vs 120 in the 2022 bulletin
    assert min(counts.values()) >= 60


def test_same_seed_same_registry_and_every_code_valid() -> None:
    first = DemoGenerator(5, 2023, 2025).firms(800)
    second = DemoGenerator(5, 2023, 2025).firms(800)
    assert [f.uscc for f in first] == [f.uscc for f in second]
    assert len({f.uscc for f in first}) == 800
    assert all(validate(f.uscc).status is UsccStatus.valid and f.uscc.startswith("91") for f in first)
    assert set(Counter(f.bureau_code for f in first)) == set(BUREAU_WEIGHTS)
    # Old 滨海 registrations keep the authority code of 塘沽/汉沽/大港; the district is still 滨海.
    old = [f for f in first if f.uscc[2:8] in ("120107", "120108", "120109")]
    assert all(f.district_code == "120116" for f in old)


def test_histories_are_plausible() -> None:
    generator = DemoGenerator(9, 2023, 2025)
    firms = generator.firms(1500)
    history = DemoHistory(generator.rng, generator.years, TODAY)
    for firm in firms:
        history.populate(firm)
    revenues = sorted(
        f.filings[2025]["revenue_yuan"] for f in firms if f.filings.get(2025, {}).get("revenue_yuan")
    )
    median, p95 = revenues[len(revenues) // 2], revenues[int(len(revenues) * 0.95)]
    assert p95 > 10 * median  # log-normal: a long right tail
    for firm in firms:
        assert firm.registered_on <= TODAY
        for year, figures in firm.filings.items():
            assert year >= firm.registered_on.year
            if figures["tech_staff"] is not None and figures["employees"] is not None:
                assert figures["tech_staff"] <= figures["employees"]
        for cert in firm.certificates:
            assert cert["issued_on"] <= TODAY
            if cert["kind"] == "hte":
                assert cert["expires_on"] == cert["issued_on"].replace(
                    year=cert["issued_on"].year + 3
                ) - timedelta(days=1)
        for tier in firm.tiers:
            steps = [after for _before, after, _day, _reason in tier["transitions"]]
            assert steps[0] == "candidate"
            assert all(day <= TODAY for _b, _a, day, _r in tier["transitions"])
            assert (tier["admission_no"] is not None) == (tier["state"] == "admitted")


async def test_load_demo_fills_an_empty_registry(session: AsyncSession) -> None:
    operator = Actor.command_line("tester")
    result = await demo_service.load_demo(session, operator, firms=300, seed=3)
    assert result.counts["firms"] == 300
    assert result.counts["filings"] > 600
    assert result.counts["users"] == 5
    connection = await session.connection()
    years = (
        (await connection.execute(text("SELECT DISTINCT fiscal_year FROM filing ORDER BY 1"))).scalars().all()
    )
    last = clock.today().year - 1
    assert years == [last - 2, last - 1, last]
    bureaus = (await connection.execute(text("SELECT count(DISTINCT bureau_code) FROM firm"))).scalar_one()
    assert bureaus == 19
    corrected = (
        await connection.execute(
            text("SELECT count(*) FROM filing_revision WHERE revision_no = 2 AND note IS NOT NULL")
        )
    ).scalar_one()
    current = (
        await connection.execute(text("SELECT count(*) FROM filing WHERE current_revision_no = 2"))
    ).scalar_one()
    assert corrected == current  # every second revision kept its note
    targets = (await connection.execute(text("SELECT count(*) FROM district_target"))).scalar_one()
    assert targets > 19
    # The current application year is open: decided, its first batch nominated, its awards computed.
    assert result.year.year == clock.today().year
    assert result.year.batch_label == f"{clock.today().year}年第1批"
    stored = (
        await connection.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE outcome = 'eligible') FROM evaluation WHERE year = :y"
            ),
            {"y": result.year.year},
        )
    ).one()
    assert stored[0] == result.year.decisions > 0
    candidates = (
        await connection.execute(
            text(
                "SELECT count(*) FROM tier_status WHERE year = :y AND state = 'candidate' AND batch_id IS NOT NULL"
            ),
            {"y": result.year.year},
        )
    ).scalar_one()
    assert candidates == result.year.candidates > 0
    computed = (
        await connection.execute(
            text("SELECT count(*) FROM award WHERE year = :y AND state = 'computed'"), {"y": result.year.year}
        )
    ).scalar_one()
    assert computed == result.year.awards
    # Each demo user logs in with the printed password and gets the right binding.
    for username, password, _label in result.users:
        issued = await auth_service.login(session, username, password, ttl=timedelta(minutes=5))
        assert issued.user.username == username
        if issued.user.role is Role.enterprise:
            assert issued.user.firm_uscc is not None
        if issued.user.role is Role.bureau:
            assert issued.user.bureau_code == "jinghai"


async def test_demo_refuses_a_registry_that_has_firms(session: AsyncSession) -> None:
    from tests.factories.firms import make_firm

    await make_firm(session)
    with pytest.raises(demo_service.RegistryNotEmpty):
        await demo_service.load_demo(session, Actor.command_line("tester"), firms=10, seed=1)
