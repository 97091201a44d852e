"""Who may export which list, and what it needs: every rule read from the lists' specs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from backend.core.security import Actor
from backend.lists.errors import ExportForbidden, ExportInvalid
from backend.lists.params import ListParams, parse_kind, scoped
from vocabulary.lists import LISTS, LISTS_BY_KIND, Filter, ListKind, ListSpec
from vocabulary.states import Role

CITY = Actor(user_id=None, label="city", role=Role.city)
FINANCE = Actor(user_id=None, label="finance", role=Role.finance)
BUREAU = Actor(user_id=None, label="bureau", role=Role.bureau, bureau_code="jinghai")
ENTERPRISE = Actor(user_id=None, label="firm", role=Role.enterprise)
EVERYTHING = ListParams(year=2031, batch=1, program="seedling", tier="seedling", days=30)


@pytest.mark.parametrize("spec", LISTS, ids=lambda spec: spec.code)
def test_a_list_is_refused_without_the_filters_its_spec_needs(spec: ListSpec) -> None:
    for name in spec.needs:
        without: dict[str, Any] = {name.value: None}
        missing = replace(EVERYTHING, **without)
        with pytest.raises(ExportInvalid, match=f"导出{spec.title}须指定{spec.filter_label(name)}"):
            scoped(CITY, spec, missing)


@pytest.mark.parametrize("spec", LISTS, ids=lambda spec: spec.code)
def test_a_list_keeps_only_the_filters_its_spec_reads(spec: ListSpec) -> None:
    kept = scoped(CITY, spec, EVERYTHING)
    for name in Filter:
        if name is Filter.days:
            continue  # always a number; only the lists that read it put it in their key
        assert (kept.value(name) is not None) == (name in spec.accepts and EVERYTHING.value(name) is not None)
    assert ("days=30" in kept.scope_key(spec)) == (Filter.days in spec.accepts)


@pytest.mark.parametrize("spec", LISTS, ids=lambda spec: spec.code)
def test_each_role_exports_the_lists_its_spec_names(spec: ListSpec) -> None:
    for actor in (CITY, FINANCE, BUREAU, ENTERPRISE):
        if actor.role in spec.roles:
            scoped(actor, spec, EVERYTHING)
        else:
            with pytest.raises(ExportForbidden):
                scoped(actor, spec, EVERYTHING)
    if Role.bureau in spec.roles:
        assert scoped(BUREAU, spec, EVERYTHING).bureau == "jinghai"


def test_finance_is_told_which_lists_are_its_own() -> None:
    with pytest.raises(ExportForbidden, match="财务用户只能导出拨付清单，不能导出评价结果"):
        scoped(FINANCE, LISTS_BY_KIND[ListKind.eligibility], EVERYTHING)
    with pytest.raises(ExportForbidden, match="企业用户不能导出清单"):
        scoped(ENTERPRISE, LISTS_BY_KIND[ListKind.targets], EVERYTHING)
    with pytest.raises(ExportForbidden, match="区科技局只能导出本审查单位的清单"):
        scoped(BUREAU, LISTS_BY_KIND[ListKind.targets], ListParams(year=2031, bureau="heping"))


def test_only_a_list_whose_spec_allows_it_is_final_and_only_for_its_roles() -> None:
    final = ListParams(year=2031, batch=1, final=True)
    for spec in LISTS:
        if not spec.can_be_final:
            with pytest.raises(ExportInvalid, match="只有拨付清单可以导出正式版"):
                scoped(CITY, spec, final)
    disbursement = LISTS_BY_KIND[ListKind.disbursement]
    assert scoped(FINANCE, disbursement, final).final
    with pytest.raises(ExportForbidden, match="正式拨付清单只能由市科技局、财务或管理员导出"):
        scoped(BUREAU, disbursement, final)


def test_an_unknown_list_names_every_declared_one() -> None:
    with pytest.raises(ExportInvalid) as refused:
        parse_kind("nonsense")
    assert all(spec.code in str(refused.value.detail) for spec in LISTS)
