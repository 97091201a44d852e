"""State machines: the moves a kind of record may make, declared once and made one way.

``Moves`` declares, over one of the state enums of ``vocabulary.states``, which state may move to
which (``None``: the record is new). A ``Machine`` is moves with a history table: ``move`` is the
only way to change a state. It checks the move, sets the state and returns the history row
(from, to, who, why, when). A move not declared raises the machine's ``MoveRefused``, naming the
current and the wanted state, before anything changed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from backend.core import clock
from backend.core.errors import Conflict
from backend.core.security import Actor
from backend.models import StateHistory

S = TypeVar("S", bound=StrEnum)
H = TypeVar("H", bound=StateHistory)


class MoveRefused(Conflict):
    """A move its machine does not declare; nothing was changed.

    Each domain subclasses it for its code (and, where its words differ, its ``wording``).
    """

    code = "state.move_refused"
    wording: ClassVar[str] = "{subject}当前状态为“{current}”，不能变更为“{wanted}”"


class Stateful(Protocol):
    """A record with a state and, once stored, an id (a tier status, an award, a batch)."""

    id: int | None
    state: str


@dataclass(frozen=True)
class Moves(Generic[S]):
    """Which state may move to which, the words for them, and the error a wrong move raises."""

    allowed: Mapping[S | None, frozenset[S]]
    labels: Mapping[str, str]
    refusal: type[MoveRefused]

    def allows(self, current: str | None, wanted: S) -> bool:
        # A state read from the database is a plain string; it equals its enum member.
        return any(state == current and wanted in targets for state, targets in self.allowed.items())

    def sources(self, wanted: S) -> tuple[S, ...]:
        """The states ``wanted`` can be reached from, in the order they were declared."""
        return tuple(
            state for state, targets in self.allowed.items() if state is not None and wanted in targets
        )

    def label(self, state: str | None) -> str:
        return "（无）" if state is None else self.labels.get(state, state)

    def check(
        self,
        current: str | None,
        wanted: S,
        *,
        subject: str,
        only_from: Collection[S] | None = None,
        **context: Any,
    ) -> None:
        """Raise unless the move is declared (and, for a step that starts only there, from ``only_from``).

        ``subject`` names the record in the refusal (梯度记录 #7（…公司）); ``context`` goes with it.
        """
        if self.allows(current, wanted) and (only_from is None or current in only_from):
            return
        detail = self.refusal.wording.format(
            subject=subject, current=self.label(current), wanted=self.label(wanted)
        )
        raise self.refusal(detail, **context, from_state=current, to_state=wanted)


@dataclass(frozen=True)
class Machine(Moves[S], Generic[S, H]):
    """Moves whose every step leaves a row in ``history``; ``owner`` is its column naming the record."""

    history: type[H]
    owner: str

    def move(
        self,
        record: Stateful,
        wanted: S,
        *,
        actor: Actor,
        reason: str | None,
        subject: str,
        at: datetime | None = None,
        only_from: Collection[S] | None = None,
        **context: Any,
    ) -> H:
        """Check the move, set ``record``'s state and return its history row (for the caller to add)."""
        self.check(record.state, wanted, subject=subject, only_from=only_from, **context)
        row = self._row(record, record.state, wanted, actor, reason, at)
        record.state = wanted
        return row

    def start(self, record: Stateful, *, actor: Actor, reason: str | None, at: datetime | None = None) -> H:
        """The history row of a new record: from nothing to the first state it was given."""
        first = self.allowed[None]
        assert record.state in first, f"{record.state} is not a first state of {self.history.__name__}"
        return self._row(record, None, record.state, actor, reason, at)

    def _row(
        self, record: Stateful, from_state: str | None, to_state: str, actor: Actor, reason: str | None,
        at: datetime | None,
    ) -> H:  # fmt: skip
        assert record.id is not None, "a record gets its history row once it has an id (flush it first)"
        return self.history(
            **{self.owner: record.id}, from_state=from_state, to_state=to_state, actor_id=actor.user_id,
            actor_label=actor.label, reason=reason, at=at or clock.utc_now(),
        )  # fmt: skip
