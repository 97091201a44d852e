"""Each list's spec drives everything users see of it: the lists page, the API, the CLI and the
file's header row; every declared list has exactly one builder."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from backend.cli import app
from backend.lists.builders import BUILDERS
from backend.models import DistrictTarget, TierBatch, TierStatus
from tests.backend.lists.helpers import YEAR, make_award
from tests.backend.pages_support import browse_as
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.lists import LISTS, Filter, ListSpec, lists_for
from vocabulary.states import Role


def test_every_declared_list_has_exactly_one_builder() -> None:
    keys = [spec.builder for spec in LISTS]
    assert len(keys) == len(set(keys)), "two lists name the same builder"
    assert set(BUILDERS) == set(keys), "a builder without a list, or a list without a builder"
    assert len(set(map(id, BUILDERS.values()))) == len(BUILDERS), "one function registered twice"


@pytest.mark.parametrize("spec", LISTS, ids=lambda spec: spec.code)
def test_a_spec_is_whole(spec: ListSpec) -> None:
    assert len(spec.run_kind) <= 24  # export_run.kind
    assert spec.needs <= spec.accepts
    assert spec.final_roles <= spec.roles
    assert spec.columns[0].header == "序号"
    assert spec.group_label is not None, "its sections go by one of its columns"
    if Role.bureau in spec.roles:  # a bureau's lists are always narrowed to its own bureau
        assert Filter.bureau in spec.accepts
    assert len({spec.code for spec in LISTS}) == len({spec.run_kind for spec in LISTS}) == len(LISTS)


async def test_the_lists_page_offers_each_list_its_spec_lets_a_role_export(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for role in (Role.city, Role.bureau, Role.finance):
        browse_as(
            client, await make_user(session, role, bureau_code="jinghai" if role is Role.bureau else None)
        )
        page = (await client.get("/lists")).text
        offered = lists_for(role)
        for spec in LISTS:
            shown = f'id="form-{spec.code}"' in page
            assert shown == (spec in offered), (role, spec.code)
            if spec in offered:
                assert f">{spec.title}</h2>" in page
                assert spec.hint in page
                assert f"下载{spec.title}</button>" in page or "暂无入库批次" in page
    browse_as(client, await make_user(session, Role.city))
    page = (await client.get("/lists")).text
    places = [page.index(f'id="form-{spec.code}"') for spec in LISTS]
    assert places == sorted(places)  # in the specs' order


async def test_a_list_form_names_its_filters_as_its_columns_do(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.city))
    page = (await client.get("/lists")).text
    for code, label in (("eligibility", "评价项目"), ("disbursement", "资助项目")):
        section = page[page.index(f'id="form-{code}"') :]
        section = section[: section.index("</section>")]
        assert f'<label for="{code}-program">{label}' in section
    reminders = page[page.index('id="form-reminders"') :]
    assert '<label for="reminders-days">证书到期提前天数' in reminders


def test_the_cli_offers_every_list_by_its_code_and_title() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert shown.exit_code == 0
    flat = " ".join(shown.output.replace("│", " ").split())
    for spec in LISTS:
        assert f"{spec.code}（{spec.title}）" in flat
    assert "入库名单、公示名单必填" in flat  # the batch is needed by the lists whose spec says so


async def test_the_api_takes_exactly_the_declared_codes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    parameters = schema["paths"]["/api/exports/{kind}"]["post"]["parameters"]
    kind = next(p for p in parameters if p["name"] == "kind")
    declared = kind["schema"].get("enum") or schema["components"]["schemas"]["ListKind"]["enum"]
    assert declared == [spec.code for spec in LISTS]


@pytest.fixture
async def small_registry(session: AsyncSession) -> dict[Filter, int]:
    """One firm of each kind of line: admitted in a batch, on notice, an approved award, a target."""
    batch = TierBatch(year=YEAR, seq=1, label=f"{YEAR}年第1批", state="admitted", notice_from=date(YEAR, 7, 1),
                      notice_to=date(YEAR, 7, 10), announced_on=date(YEAR, 7, 31))  # fmt: skip
    session.add(batch)
    await session.flush()
    assert batch.id is not None
    for state in ("admitted", "public_notice"):
        firm = await make_firm(session, "jinghai")
        assert firm.id is not None
        session.add(TierStatus(firm_id=firm.id, tier="seedling", year=YEAR, state=state, batch_id=batch.id,
                               batch_label=batch.label, admission_no=f"TJ-CY-{YEAR}-01-0001" if state == "admitted"
                               else None, valid_from=batch.announced_on if state == "admitted" else None))  # fmt: skip
    await make_award(session, await make_firm(session, "jinghai"), 50_000)
    session.add(DistrictTarget(bureau_code="jinghai", year=YEAR, metric="seedling_new", kind="flow", unit="count",
                               target=Decimal(3), responsible="区科技局"))  # fmt: skip
    await session.flush()
    return {Filter.year: YEAR, Filter.batch: batch.id}


@pytest.mark.parametrize("spec", LISTS, ids=lambda spec: spec.code)
async def test_each_lists_file_has_its_specs_header_row(
    client: httpx.AsyncClient, session: AsyncSession, small_registry: dict[Filter, int], spec: ListSpec
) -> None:
    city = await make_user(session, Role.city)
    needed = {name.value: value for name, value in small_registry.items() if name in spec.needs}
    headers = [column.header for column in spec.columns]
    book = await client.post(f"/api/exports/{spec.code}", params=needed, headers=city.headers)
    assert book.status_code == 200, book.text
    rows = list(openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0].iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "序号")  # below the title and notes
    assert list(header) == headers
    table = csv.reader(io.StringIO(
        (await client.post(f"/api/exports/{spec.code}", params=needed | {"format": "csv"}, headers=city.headers))
        .content.decode("utf-8-sig")
    ))  # fmt: skip
    assert next(table) == headers


async def test_a_filter_a_list_does_not_read_leaves_its_file_and_scope_alone(
    client: httpx.AsyncClient, session: AsyncSession, small_registry: dict[Filter, int]
) -> None:
    city = await make_user(session, Role.city)
    batch = small_registry[Filter.batch]
    plain = await client.post(f"/api/exports/certification?batch={batch}", headers=city.headers)
    odd = await client.post(
        f"/api/exports/certification?batch={batch}&year=1999&program=x", headers=city.headers
    )
    runs = [(await client.get(f"/api/exports/{r.headers['x-export-run-id']}", headers=city.headers)).json()
            for r in (plain, odd)]  # fmt: skip
    assert runs[0]["scope_key"] == runs[1]["scope_key"] == f"certification;batch={batch}"
    assert runs[1]["previous_id"] == runs[0]["id"]  # the same list, so compared with the one before
    assert "年度" not in runs[1]["manifest"]["filters"]
    assert runs[1]["manifest"]["filters"]["入库批次"] == f"{YEAR}年第1批"


async def test_the_manifest_names_filters_as_the_list_does(
    client: httpx.AsyncClient, session: AsyncSession, small_registry: dict[Filter, int]
) -> None:
    city = await make_user(session, Role.city)
    batch = small_registry[Filter.batch]
    asked: dict[str, tuple[dict[str, int | str], str, str]] = {
        "eligibility": ({"year": YEAR, "program": "seedling"}, "评价项目", "天津市雏鹰企业（seedling）"),
        "disbursement": (
            {"year": YEAR, "program": "rd_post_subsidy"},
            "资助项目",
            "企业研发投入后补助（rd_post_subsidy）",
        ),
        "certification": ({"batch": batch, "tier": "seedling"}, "梯度", "雏鹰企业"),
        "reminders": ({"days": 30}, "证书到期提前天数", "30"),
    }
    for code, (params, label, value) in asked.items():
        answer = await client.post(f"/api/exports/{code}", params=params, headers=city.headers)
        assert answer.status_code == 200, answer.text
        run = (
            await client.get(f"/api/exports/{answer.headers['x-export-run-id']}", headers=city.headers)
        ).json()
        assert run["manifest"]["filters"][label] == value, code
