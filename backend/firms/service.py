"""Register, find, read and change firms, within the actor's scope.

Scoping rule (design §10): admin, city and finance see every firm; a bureau user sees the
firms its bureau reviews; an enterprise user sees its own firm. Anything else is reported as
not found, so a probe learns nothing about firms outside its scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Forbidden, Unprocessable
from backend.core.pagination import Page, PageParams
from backend.core.provenance import Origin, manual
from backend.core.provenance_schemas import ProvenanceRead
from backend.core.security import Actor
from backend.firms.errors import DuplicateFirm, FirmNotFound
from backend.firms.repository import FirmFilter, FirmRepository
from backend.firms.schemas import FirmCreate, FirmRead, FirmRevisionRead, FirmSummary, FirmUpdate
from backend.models import Bureau, Firm, FirmIdentity, FirmRevision
from backend.reference import service as reference
from importers import uscc as uscc_codes
from vocabulary.ladder import Tier
from vocabulary.states import Role

IDENTITY_FIELDS = tuple(FirmIdentity.model_fields)


def _code_from_path(raw: str) -> str:
    check = uscc_codes.validate(raw)
    if not check.accepted:
        raise Unprocessable("uscc", raw, f"统一社会信用代码“{check.code}”无效：" + "；".join(check.problems))
    return check.code


async def get_by_uscc(session: AsyncSession, raw_uscc: str) -> Firm:
    """A firm by credit code, without scope checks: for bindings made by an administrator."""
    code = _code_from_path(raw_uscc)
    firm = await FirmRepository(session).by_uscc(code)
    if firm is None:
        raise FirmNotFound(code)
    return firm


async def get_visible(
    session: AsyncSession, actor: Actor, raw_uscc: str, *, for_update: bool = False
) -> Firm:
    """The firm if the actor may see it; FirmNotFound otherwise (also when it exists elsewhere)."""
    code = _code_from_path(raw_uscc)
    firm = await FirmRepository(session).by_uscc(code, for_update=for_update)
    if firm is None or firm.id is None or not actor.sees_firm(firm.id, firm.bureau_code):
        raise FirmNotFound(code)
    return firm


def to_read(firm: Firm) -> FirmRead:
    read = FirmRead.model_validate(firm)
    check = uscc_codes.validate(firm.uscc)
    read.warnings = list(check.warnings)
    if not uscc_codes.is_enterprise(firm.uscc):
        read.warnings.append("该代码不是企业法人代码（91开头）：个体工商户、合作社不能参加梯度培育评价")
    return read


async def search(
    session: AsyncSession, actor: Actor, where: FirmFilter, paging: PageParams
) -> Page[FirmSummary]:
    """Firms in the actor's scope matching every given filter, ordered by name."""
    if where.bureau_code:
        await reference.require_bureau(session, where.bureau_code, field="bureau")
    if where.uscc_prefix:
        where = replace(where, uscc_prefix=uscc_codes.normalize(where.uscc_prefix))
    if where.text is not None:
        where = replace(where, text=where.text.strip() or None)
    repo = FirmRepository(session)
    firms, total = await repo.search(actor, where, offset=paging.offset, limit=paging.size)
    return Page(items=await _summaries(repo, firms), total=total, page=paging.page, size=paging.size)


async def _summaries(repo: FirmRepository, firms: Sequence[Firm]) -> list[FirmSummary]:
    held = await repo.held_tiers([f.id for f in firms if f.id is not None])
    return [
        FirmSummary(
            uscc=f.uscc,
            name=f.name,
            bureau_code=f.bureau_code,
            district_code=f.district_code,
            functional_zone=f.functional_zone,
            registered_on=f.registered_on,
            tiers=sorted((Tier(t) for t in held.get(f.id or 0, [])), key=list(Tier).index),
        )
        for f in firms
    ]


async def register_firm(
    session: AsyncSession, actor: Actor, data: FirmCreate, *, origin: Origin | None = None
) -> Firm:
    """Create a firm and its first revision. The credit code is unique across the registry."""
    if not actor.edits_firms:
        raise Forbidden("当前角色无权登记企业")
    bureau = await reference.require_bureau(session, data.bureau_code)
    _require_own_bureau(actor, bureau)
    identity = {name: getattr(data, name) for name in IDENTITY_FIELDS}
    identity["district_code"] = data.district_code or bureau.district_code
    await _check_identity(session, identity, bureau)
    repo = FirmRepository(session)
    if await repo.by_uscc(data.uscc) is not None:
        raise DuplicateFirm(data.uscc)
    status = uscc_codes.validate(data.uscc).status.value
    firm = Firm.model_validate({**identity, "uscc": data.uscc, "uscc_status": status, "revision_no": 1})
    repo.add(firm)
    await session.flush()
    await _append_revision(session, actor, firm, origin or manual())
    await audit.record(session, actor, "firm.create", "firm", firm.uscc, after=audit.snapshot(firm))
    return firm


async def update_firm(session: AsyncSession, actor: Actor, raw_uscc: str, data: FirmUpdate) -> Firm:
    """Change a firm's identity; a real change appends a revision, an empty one changes nothing."""
    firm = await get_visible(session, actor, raw_uscc, for_update=True)
    if not actor.edits_firms:
        raise Forbidden("当前角色无权修改企业信息")
    changes = data.model_dump(exclude_unset=True, exclude={"note"})
    identity = {name: getattr(firm, name) for name in IDENTITY_FIELDS} | changes
    if "bureau_code" in changes and changes["bureau_code"] != firm.bureau_code and actor.role is Role.bureau:
        raise Forbidden("企业移交其他审查单位须由市科技局办理")
    bureau = await reference.require_bureau(session, identity["bureau_code"])
    if "bureau_code" in changes and "district_code" not in changes:
        identity["district_code"] = bureau.district_code
    await _check_identity(session, identity, bureau)
    if all(identity[name] == getattr(firm, name) for name in IDENTITY_FIELDS):
        return firm
    before = audit.snapshot(firm)
    for name in IDENTITY_FIELDS:
        setattr(firm, name, identity[name])
    firm.revision_no += 1
    firm.updated_at = clock.utc_now()
    session.add(firm)
    await _append_revision(session, actor, firm, manual(data.note))
    await audit.record(
        session, actor, "firm.update", "firm", firm.uscc, before=before, after=audit.snapshot(firm)
    )
    return firm


async def history(session: AsyncSession, actor: Actor, raw_uscc: str) -> list[FirmRevisionRead]:
    """Every identity revision of the firm, oldest first, with who made it and from where."""
    firm = await get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    rows = await FirmRepository(session).revisions(firm.id)
    return [
        FirmRevisionRead(
            **{name: getattr(revision, name) for name in IDENTITY_FIELDS},
            revision_no=revision.revision_no,
            provenance=ProvenanceRead.of(revision, username, file_name),
        )
        for revision, username, file_name in rows
    ]


def _require_own_bureau(actor: Actor, bureau: Bureau) -> None:
    if actor.role is Role.bureau and bureau.code != actor.bureau_code:
        raise Forbidden("区科技局只能登记本审查单位的企业")


async def _check_identity(session: AsyncSession, identity: dict[str, object], bureau: Bureau) -> None:
    if identity["district_code"] != bureau.district_code:
        raise Unprocessable(
            "district_code",
            identity["district_code"],
            f"所属区应与审查单位一致：{bureau.name}对应 {bureau.district_code}",
        )
    zone = identity.get("functional_zone")
    if isinstance(zone, str):
        await reference.require_zone_of(session, zone, bureau)
    registered_on = identity["registered_on"]
    if registered_on is not None and registered_on > clock.today():  # type: ignore[operator]
        raise Unprocessable("registered_on", str(registered_on), "注册日期不能晚于今天")


async def _append_revision(session: AsyncSession, actor: Actor, firm: Firm, origin: Origin) -> None:
    revision = FirmRevision.model_validate(
        {
            **{name: getattr(firm, name) for name in IDENTITY_FIELDS},
            "firm_id": firm.id,
            "revision_no": firm.revision_no,
            **origin.columns(actor),
        }
    )
    FirmRepository(session).add(revision)
