"""A firm named like a formula or a script is plain text in every list that can carry its name."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.evaluations import service as evaluation_service
from backend.lists.params import ListParams
from backend.models import Certificate, TierBatch, TierStatus, TierTransition
from tests.backend.lists.helpers import FINANCE, YEAR, Written, export, make_award
from tests.factories.evaluations import seedling_firm
from tests.factories.firms import OPERATOR

FORMULA = '=HYPERLINK("http://evil.example","点击领取补贴")'
SCRIPT = "<script>alert('tidu')</script>科技有限公司"


def _cells(written: Written) -> list[object]:
    """Every cell of every sheet, as openpyxl reads it; formulas would come back as data_type 'f'."""
    found = []
    for sheet in written.workbook().worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} 是公式：{cell.value}"
                found.append(cell.value)
    return found


async def test_formula_and_script_names_are_inert_text_in_every_firm_list(
    session: AsyncSession, tmp_path: Path
) -> None:
    formula = await seedling_firm(session, name=FORMULA)
    script = await seedling_firm(session, name=SCRIPT)
    today = clock.today()
    await evaluation_service.evaluate_year(session, OPERATOR, year=today.year, programs=["seedling"])
    batch = TierBatch(year=YEAR, seq=1, label=f"{YEAR}年第1批", state="public_notice",
                      notice_from=date(YEAR, 7, 1), notice_to=date(YEAR, 7, 10))  # fmt: skip
    session.add(batch)
    await session.flush()
    for firm, state in ((formula, "public_notice"), (script, "public_notice")):
        assert firm.id is not None
        assert batch.id is not None
        status = TierStatus(firm_id=firm.id, tier="seedling", year=YEAR, state=state, batch_id=batch.id,
                            batch_label=batch.label)  # fmt: skip
        session.add(status)
        await session.flush()
        session.add(TierTransition(tier_status_id=status.id or 0, from_state="city_approved", to_state=state,
                                   actor_label="test"))  # fmt: skip
        session.add(Certificate(firm_id=firm.id, kind="hte", number=f"GR{firm.id:010d}", issued_on=date(2024, 1, 1),
                                expires_on=today + timedelta(days=20), source="test"))  # fmt: skip
        await make_award(session, firm, 100_000)
    await session.flush()

    lists = {
        "eligibility": await export(
            session, tmp_path, "eligibility", ListParams(year=today.year, program="seedling")
        ),
        "public-notice": await export(session, tmp_path, "public-notice", ListParams(batch=batch.id)),
        "reminders": await export(session, tmp_path, "reminders", ListParams(bureau="jinghai", days=90)),
        "disbursement": await export(session, tmp_path, "disbursement", ListParams(year=YEAR), actor=FINANCE),
    }
    for kind, written in lists.items():
        cells = _cells(written)
        assert "'" + FORMULA in cells, f"{kind}: the formula-like name is not shown as text"
        assert SCRIPT in cells, f"{kind}: the script-like name is not shown verbatim"
    csv = await export(
        session, tmp_path, "eligibility", ListParams(year=today.year, program="seedling"), fmt="csv"
    )
    names = set(csv.frame()["企业名称"])
    assert "'" + FORMULA in names
    assert SCRIPT in names
