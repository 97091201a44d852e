"""Pydantic validation errors in Chinese, each naming the field, the value and what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FIELD_LABELS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "bureau_code": "审查单位",
    "district_code": "所属区",
    "functional_zone": "功能区",
    "registered_on": "注册日期",
    "fiscal_year": "会计年度",
    "revenue_yuan": "营业收入（元）",
    "employees": "职工总数",
    "tech_staff": "科技人员数",
    "username": "用户名",
    "password": "密码",
    "page": "页码",
    "size": "每页条数",
}

_MESSAGES = {
    "missing": "必填",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数（金额以元为单位，不带小数）",
    "float_parsing": "应为数字",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "格式不正确",
    "dict_type": "应为对象",
}


def field_name(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our own validators already speak Chinese
    template = _MESSAGES.get(kind)
    if template is None:
        return f"格式不正确（{error.get('msg', kind)}）"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def describe_validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """One ``{field, label, value, message}`` per error, ``value`` being what the client sent."""
    described = []
    for error in errors:
        name = field_name(error.get("loc", ()))
        leaf = name.rsplit(".", 1)[-1]
        value = error.get("input") if error.get("type") != "missing" else None
        described.append(
            {
                "field": name,
                "label": FIELD_LABELS.get(leaf, leaf),
                "value": value if isinstance(value, str | int | float | bool | type(None)) else str(value),
                "message": _message(error),
            }
        )
    return described
