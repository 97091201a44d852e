"""Time in one place: UTC instants for records, Asia/Shanghai calendar days for business dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Tianjin, which is what fiscal years and deadlines are counted in."""
    return datetime.now(SHANGHAI).date()
