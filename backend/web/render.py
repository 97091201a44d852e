"""One Jinja2 environment for every page: autoescaped, with the layout's navigation and filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from backend.web.flash import clear_flash, pending_flash
from vocabulary.ladder import TIER_LABELS
from vocabulary.states import BATCH_STATE_LABELS, ROLE_LABELS, TIER_STATE_LABELS, VALIDITY_LABELS, Role

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Autoescape everything (HTML and the inline SVG charts alike): a firm called
# "<script>…" is text on every page, never markup.
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    hint: str  # one line on the home page: what the task is for


_FIRMS = NavLink("/firms", "企业查询", "按名称或统一社会信用代码查找企业，查看状态与申报。")
_JOBS = NavLink("/jobs", "任务记录", "定时导入、评价、导出与到期提醒的每次运行。")
_AWARDS = NavLink("/awards", "奖励资金", "按状态查看奖励，审核通过，导出拨付清单，标记已拨付。")
_EXPORTS = NavLink("/exports", "导出记录", "每份导出名单的清单说明（manifest）与相对上次的变化。")
_LISTS = NavLink("/lists", "名单下载", "各梯度名单、公示名单、评价结果、目标进度与到期提醒。")

# Each role's menu, main task first: the home page shows the same links as task cards.
_NAV: dict[Role, tuple[NavLink, ...]] = {
    Role.enterprise: (
        NavLink("/firm", "本企业梯度状态", "所处梯度、每项条件是否达标、晋级还差什么，并可试算。"),
    ),
    Role.bureau: (
        NavLink(
            "/imports", "申报表导入", "上传本区申报汇总表：先预检查看问题，下载标注文件，修改后确认导入。"
        ),
        NavLink("/candidates", "候选企业审核", "本区入库候选企业：逐家通过或退回并说明理由。"),
        _FIRMS,
        NavLink("/lists", "名单下载", "本区各梯度名单、证书到期与年报提醒名单。"),
        _EXPORTS,
        _JOBS,
    ),
    Role.city: (
        NavLink("/dashboard", "数据看板", "各区梯度企业数与目标、历年趋势、各类奖励金额。"),
        NavLink("/batches", "入库批次", "提名候选、公示、处理异议、入库。"),
        NavLink("/evaluations", "年度评价", "按年度对全部企业运行评价。"),
        NavLink("/rules", "规则版本", "各项认定条件的版本与参数，新版本对结果的影响对比。"),
        _FIRMS,
        _AWARDS,
        _LISTS,
        _EXPORTS,
        _JOBS,
    ),
    Role.finance: (_AWARDS, _EXPORTS, _JOBS),
}
_NAV[Role.admin] = _NAV[Role.city]


def nav_for(role: Role) -> tuple[NavLink, ...]:
    return _NAV[role]


def yuan(value: int | float | Decimal | None) -> str:
    """An amount in 元 as 万元 with two decimals (how the policy and finance staff write them)."""
    if value is None:
        return "—"
    return f"{Decimal(value) / Decimal(10000):,.2f} 万元"


def local_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    return value.isoformat() if value is not None else "—"


def number(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


environment.filters.update(yuan=yuan, local_time=local_time, day=day, number=number)
environment.globals.update(
    TIER_LABELS=TIER_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    TIER_STATE_LABELS=TIER_STATE_LABELS,
    BATCH_STATE_LABELS=BATCH_STATE_LABELS,
    VALIDITY_LABELS=VALIDITY_LABELS,
)


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` with the request, the viewer (if logged in) and any pending flash
    message (shown once, then cleared) available to the layout."""
    viewer = getattr(request.state, "viewer", None)
    body = environment.get_template(template).render(
        {
            **context,
            "request": request,
            "viewer": viewer,
            "nav": nav_for(viewer.actor.role) if viewer is not None else (),
            "messages": [*pending_flash(request), *context.get("messages", [])],
        }
    )
    response = HTMLResponse(body, status_code=status_code)
    clear_flash(request, response)
    return response
