"""One word for one thing on every page, in every exported list and in every API ``*_label`` field.

The demo registry is walked as each demo user: the pages of the role's menu (and a firm's status
page and a batch's members), every list the city may export, and the API's lists. Every
``x``/``x_label`` pair must name each code with the vocabulary's one word, and no word that
once named the same thing differently (合格 for 符合, 已审批 for 已批准 …) may appear anywhere.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.demo import service as demo_service
from backend.demo.service import DEMO_USERS
from backend.models import Firm, TierBatch
from backend.web.render import nav_for
from backend.web.session import SESSION_COOKIE
from tests.factories.firms import OPERATOR
from vocabulary import figures, imports, ladder, states
from vocabulary.lists import LISTS, Filter
from vocabulary.states import Role

# Words that named a concept before it had one: each has its one word now.
RETIRED = {
    "合格": "符合",
    "不合格": "不符合",
    "已审批": "已批准",
    "已导出": "已列入拨付清单",
    "已更正": "已被更正",
    "待审": "候选",
    "区级审查通过": "区审查通过",
}
TAGS = re.compile(r"<[^>]+>")


def vocabulary_words() -> set[str]:
    words = {figure.label for figure in (*figures.FILING_FIGURES, *figures.FIRM_ATTRIBUTES)}
    for module in (ladder, states, imports):
        for name in dir(module):
            if name.endswith("_LABELS"):
                words |= set(getattr(module, name).values())
    return words | {program.title for program in ladder.PROGRAMS}


def label_pairs(document: Any) -> Iterator[tuple[str, str, str]]:
    """(field, code, label) for every ``field`` and ``field_label`` side by side, at any depth."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key.endswith("_label") and isinstance(value, str) and isinstance(document.get(key[:-6]), str):
                yield key[:-6], document[key[:-6]], value
            yield from label_pairs(value)
    elif isinstance(document, list):
        for item in document:
            yield from label_pairs(item)


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    client.cookies.set(SESSION_COOKIE, token)
    return {"Authorization": f"Bearer {token}"}


def page_words(html: str) -> list[str]:
    """The text of each element: labels stand alone in a cell, a badge or an option."""
    return [text.strip() for text in TAGS.split(html) if text.strip()]


def sheet_cells(content: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell
    ]


async def test_every_page_list_and_label_says_one_word_per_concept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await demo_service.load_demo(session, OPERATOR, firms=120, seed=7)
    await session.commit()
    year = clock.today().year
    batch = (await session.exec(select(TierBatch).where(TierBatch.year == year))).first()
    assert batch is not None
    jinghai_firm = (await session.exec(select(Firm.uscc).where(Firm.bureau_code == "jinghai"))).first()

    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    texts: list[tuple[str, list[str]]] = []
    for username, password, role, _name, _binding in DEMO_USERS:
        headers = await log_in(client, username, password)
        api = ["/api/imports", "/api/jobs", "/api/tiers/batches", f"/api/tiers/batches/{batch.id}/members",
               "/api/awards", "/api/exports"]  # fmt: skip
        pages = [link.href for link in nav_for(role)] + [f"/batches/{batch.id}"]
        if role in (Role.bureau, Role.city, Role.enterprise) and jinghai_firm:
            firm = (
                jinghai_firm
                if role is not Role.enterprise
                else (await client.get("/api/auth/me", headers=headers)).json()["firm_uscc"]
            )
            api += [f"/api/firms/{firm}", f"/api/firms/{firm}/status", f"/api/firms/{firm}/certificates",
                    f"/api/firms/{firm}/tiers"]  # fmt: skip
            pages.append(f"/firms/{firm}")
        for path in api:
            answer = await client.get(path, headers=headers)
            if answer.status_code == 200:
                for field, code, label in label_pairs(answer.json()):
                    seen[(field, code)].add(label)
        for path in pages:
            answer = await client.get(path, follow_redirects=True)
            if answer.status_code == 200:
                texts.append((f"{username} {path}", page_words(answer.text)))

    headers = await log_in(client, "city", "tidu-city")
    for spec in LISTS:
        query = {Filter.year: str(year), Filter.batch: str(batch.id)}
        params = {str(name): value for name, value in query.items() if name in spec.needs | spec.accepts}
        answer = await client.post(f"/api/exports/{spec.code}", params=params, headers=headers)
        assert answer.status_code == 200, (spec.code, answer.text)
        texts.append((f"list {spec.code}", sheet_cells(answer.content)))

    several = {key: words for key, words in seen.items() if len(words) > 1}
    assert several == {}, "one code, several words"
    words = vocabulary_words()
    stateful = {
        key: next(iter(w))
        for key, w in seen.items()
        if key[0] in ("state", "status", "outcome", "tier", "kind")
    }
    assert {key: word for key, word in stateful.items() if word not in words} == {}
    # The walk reached the labelled lists: members' tiers and states, decisions and criteria.
    assert {
        ("tier", "seedling"),
        ("state", "candidate"),
        ("outcome", "eligible"),
        ("outcome", "fail"),
    } <= set(seen)
    retired = [(where, old) for where, words in texts for old in RETIRED if old in words]
    assert retired == []
    assert len(texts) > 20
