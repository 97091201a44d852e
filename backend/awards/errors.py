"""Award errors: a stable English code for programs, a Chinese detail for people.

Every refused move (a step out of order, twice, or a paid award corrected) is a ``MoveRefused``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backend.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from backend.core.machine import MoveRefused


def ids_text(ids: Iterable[int]) -> str:
    return "、".join(f"#{i}" for i in ids)


class AwardNotFound(NotFound):
    code = "award.not_found"

    def __init__(self, ids: list[int]) -> None:
        super().__init__(f"奖励 {ids_text(ids)} 不存在，或不在您的数据范围内", award_ids=ids)


class AwardForbidden(Forbidden):
    code = "award.forbidden"


class TransitionInvalid(MoveRefused):
    code = "award.transition_invalid"


class AlreadyApproved(MoveRefused):
    code = "award.already_approved"


class AlreadyPaid(MoveRefused):
    code = "award.already_paid"


class NotExported(MoveRefused):
    code = "award.not_exported"


class NotApproved(MoveRefused):
    code = "award.not_approved"


class ComputeRaced(Conflict):
    code = "award.compute_raced"

    def __init__(self) -> None:
        super().__init__("计算期间有奖励被审核或更正，本次计算未写入任何数据，请重新计算")


class PaidNotCorrectable(MoveRefused):
    code = "award.paid_not_correctable"


class ExclusionNotFound(NotFound):
    code = "award.exclusion_not_found"


class AwardInvalid(Unprocessable):
    code = "award.invalid"


class ReasonRequired(Unprocessable):
    code = "award.reason_required"

    def __init__(self, value: Any = None) -> None:
        super().__init__("reason", value, "请填写原因")


class PaymentIncomplete(Unprocessable):
    code = "award.payment_incomplete"
