"""Each kind of import is offered and allowed as its spec (vocabulary.imports) says."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from backend.cli import app
from backend.core.errors import Forbidden
from backend.core.security import Actor
from backend.imports.runs import may_import
from tests.backend.pages_support import browse_as
from tests.factories.users import make_user
from vocabulary.imports import IMPORTS
from vocabulary.states import Role


@pytest.mark.parametrize("role", [Role.city, Role.bureau, Role.finance])
def test_who_may_import_is_the_specs_roles(role: Role) -> None:
    actor = Actor(user_id=None, label="t", role=role, bureau_code="jinghai" if role is Role.bureau else None)
    for spec in IMPORTS:
        if role in spec.roles:
            assert may_import(actor, spec.kind) is spec
        else:
            with pytest.raises(Forbidden, match=f"{spec.label}只能由"):
                may_import(actor, spec.kind)


async def test_the_imports_page_offers_each_role_its_kinds(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for role in (Role.city, Role.bureau):
        browse_as(
            client, await make_user(session, role, bureau_code="jinghai" if role is Role.bureau else None)
        )
        page = (await client.get("/imports")).text
        for spec in IMPORTS:
            assert (spec.label in page) == (role in spec.roles), (role, spec.kind)


def test_the_cli_offers_every_kind_by_its_label() -> None:
    shown = CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    flat = " ".join(shown.output.replace("│", " ").split())
    for spec in IMPORTS:
        assert f"{spec.kind.value}（{spec.label}）" in flat
