"""Validation errors in Chinese, each naming the field, the value and what was expected.

What an error body echoes back is made safe here, once, for every error: a field whose name says
it is a secret (密码, 令牌 …) is never echoed, long text is cut, long lists are summarised, a
number JSON cannot carry (NaN, ∞) becomes text, and past ``MAX_ERRORS`` errors are counted
rather than listed, so a 100,000-item body cannot come back as a megabyte of error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from vocabulary.figures import FILING_FIGURES, FIRM_ATTRIBUTES, label_of

# Request fields that are not figures or firm attributes (those are named by the vocabulary).
FIELD_LABELS = {
    "bureau_code": label_of("bureau"),
    "district_code": label_of("district"),
    "functional_zone": label_of("zone"),
    "year": "年度",
    "from_year": "起始年度",
    "to_year": "截止年度",
    "username": "用户名",
    "password": "密码",
    "page": "页码",
    "size": "每页条数",
    "q": "查询内容",
    "tier": "梯度",
    "state": "状态",
    "program": "项目",
    "programs": "项目",
    "version": "版本",
    "old_version": "原版本",
    "new_version": "新版本",
    "kind": "类型",
    "job": "任务",
    "idle": "是否包括空闲运行",
    "note": "备注",
    "reason": "原因",
    "reject_reason": "驳回原因",
    "amount_yuan": "金额（元）",
    "award_ids": "奖励编号",
    "award_id": "奖励编号",
    "exclusion_id": "排除记录编号",
    "run_id": "运行记录编号",
    "batch_id": "批次编号",
    "batch": "批次编号",
    "status_id": "梯度记录编号",
    "status_ids": "梯度记录编号",
    "objection_id": "异议编号",
    "paid_on": "拨付日期",
    "payment_ref": "支付凭证号",
    "decision": "审核结论",
    "site_check": "现场调查情况",
    "notice_from": "公示开始日期",
    "notice_to": "公示结束日期",
    "announced_on": "公告入库日期",
    "received_on": "收到日期",
    "submitted_by": "异议人",
    "content": "异议内容",
    "outcome": "处理结果",
    "resolution": "处理意见",
    "filings": "申报数据",
    "inputs": "申请材料",
    "facts": "事实文件",
    "limit": "列出企业数",
    "days": "天数",
    "final": "是否正式清单",
    "format": "文件格式",
    "detail": "内容详略",
    "file": "文件",
    "sheet": "工作表",
    "dry_run": "是否仅预览",
    "body": "请求内容",
} | {figure.name: figure.label for figure in (*FIRM_ATTRIBUTES, *FILING_FIGURES)}

_MESSAGES = {
    "missing": "必填",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "too_short": "至少应有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为有效的 UTF-8 文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_parsing_size": "数值过大",
    "int_from_float": "应为整数（金额以元为单位，不带小数）",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字（不接受 NaN 或无穷大）",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "datetime_parsing": "应为日期时间",
    "datetime_type": "应为日期时间",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "请求体不是有效的 JSON",
    "json_type": "请求体不是有效的 JSON",
    "model_attributes_type": "应为对象",
    "model_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "tuple_type": "应为数组",
    "set_type": "应为数组",
    "none_required": "应为空",
    "bytes_type": "应为文件",
    "value_error": "格式不正确",
}

# Control characters other than tab and line breaks, DEL, and lone UTF-16 surrogates: text a
# person cannot see, PostgreSQL cannot store (NUL) or UTF-8 cannot encode (surrogates).
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_ERRORS = 20  # listed in an error body; the rest are counted
MAX_TEXT = 200  # characters of a value echoed back
MAX_ITEMS = 10  # items of a list or keys of an object echoed back
HIDDEN = "（已隐藏）"
# Field names that say their value is a secret: never echoed, whatever the error.
_SECRET = re.compile(
    r"pass(word|wd|phrase)?|secret|token|credential|api[_-]?key|authorization", re.IGNORECASE
)


def is_secret(name: object) -> bool:
    return isinstance(name, str) and _SECRET.search(name) is not None


def field_name(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or "body"


def field_label(name: str) -> str:
    """A dotted field name as a person reads it: ``filings.2025.revenue_yuan`` → 营业收入.

    A name this API does not know is the client's own (an unexpected field): quoted, and cut.
    """
    words = [part for part in name.split(".") if not part.lstrip("-").isdigit()]
    if words and words[-1] == "[key]":  # a mapping's key, e.g. the fiscal year of what-if filings
        return f"{field_label('.'.join(words[:-1]))}的键" if len(words) > 1 else "字段名"
    leaf = words[-1] if words else "body"
    return FIELD_LABELS.get(leaf) or f"字段“{INVISIBLE.sub('?', leaf[:40])}”"


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our own validators already speak Chinese
    template = _MESSAGES.get(kind, "格式不正确")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template


def describe_validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """One ``{field, label, value, message}`` per error, ``value`` being (safely) what the client sent."""
    described = []
    for error in errors:
        name = field_name(error.get("loc", ()))
        # A missing field has nothing to echo; a malformed whole body is the client's own payload.
        sent = error.get("type") != "missing" and name != "body"
        described.append(
            {
                "field": name,
                "label": field_label(name),
                "value": echo_value(name, error.get("input")) if sent else None,
                "message": _message(error),
            }
        )
    return described


def summary(errors: Sequence[Mapping[str, Any]]) -> str:
    """The detail line: the first errors by label, then how many more there are."""
    shown = "；".join(f"{e.get('label') or field_label(str(e.get('field', '')))}：{e['message']}"
                     for e in errors[:MAX_ERRORS])  # fmt: skip
    rest = len(errors) - MAX_ERRORS
    return f"{shown}；另有 {rest} 处错误" if rest > 0 else shown


def echo_value(field: str, value: Any) -> Any:
    """What an error may say the client sent for ``field``: never a secret, never bulk."""
    if any(is_secret(part) for part in field.split(".")):
        return HIDDEN
    return safe_echo(value)


def safe_echo(value: Any, depth: int = 0) -> Any:
    """``value`` made small and JSON-safe: cut text, summarised lists, secrets in objects hidden."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 128 else "（位数过多的整数）"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # nan, inf: JSON has no such number
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, bytes | bytearray):
        return f"（二进制内容，{len(value)} 字节）"
    if isinstance(value, Mapping):
        return _echo_mapping(value, depth)
    if isinstance(value, list | tuple | set | frozenset):
        return _echo_items(list(value), depth)
    return _cut(str(value))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}…（共 {len(text)} 个字符）"


def _echo_items(items: list[Any], depth: int) -> Any:
    if len(items) <= MAX_ITEMS and depth < 3:
        return [safe_echo(item, depth + 1) for item in items]
    head = "、".join(_brief(item) for item in items[:5])
    return f"共 {len(items)} 项：{head}{'…' if len(items) > 5 else ''}"


def _brief(item: Any) -> str:
    """One item of a summarised list, in at most 40 characters; nested containers not opened."""
    if isinstance(item, Mapping):
        return "{…}"
    if isinstance(item, list | tuple | set | frozenset):
        return "[…]"
    return str(safe_echo(item))[:40]


def _echo_mapping(value: Mapping[Any, Any], depth: int) -> Any:
    if depth >= 3:
        return f"（对象，{len(value)} 个字段）"
    echoed: dict[str, Any] = {}
    for key, item in list(value.items())[:MAX_ITEMS]:
        name = _cut(str(key))
        echoed[name] = HIDDEN if is_secret(key) else safe_echo(item, depth + 1)
    if len(value) > MAX_ITEMS:
        echoed["…"] = f"另有 {len(value) - MAX_ITEMS} 个字段"
    return echoed


def safe_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """An error's context as a body may carry it: each listed error's value echoed safely, at most
    ``MAX_ERRORS`` of them (with ``errors_total``), and every other entry made small."""
    safe: dict[str, Any] = {}
    for key, value in context.items():
        if key == "errors" and isinstance(value, list):
            safe["errors"] = [_safe_error(error) for error in value[:MAX_ERRORS]]
            if len(value) > MAX_ERRORS:
                safe["errors_total"] = len(value)
        else:
            safe[str(key)] = HIDDEN if is_secret(key) else safe_echo(value)
    return safe


def _safe_error(error: Any) -> Any:
    if not isinstance(error, Mapping):
        return safe_echo(error)
    field = str(error.get("field", ""))
    return {
        str(key): echo_value(field, value) if key == "value" else safe_echo(value)
        for key, value in error.items()
    }
