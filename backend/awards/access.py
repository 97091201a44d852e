"""Who may do what with awards, and which awards each role sees."""

from __future__ import annotations

from backend.awards.errors import AwardForbidden
from backend.awards.repository import Scope
from backend.core.security import Actor
from vocabulary.states import Role

CITY = frozenset({Role.admin, Role.city})
MONEY = CITY | {Role.finance}  # compute, approve, correct, budgets
REVIEWERS = CITY | {Role.bureau}
REJECTERS = MONEY | {Role.bureau}
PAYERS = frozenset({Role.admin, Role.finance})


def require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise AwardForbidden(f"当前角色无权{what}")


def scope_of(actor: Actor) -> Scope:
    """Finance and the city see every award; a bureau its own bureau's; a firm its own."""
    if actor.role in MONEY:
        return Scope()
    if actor.role is Role.bureau:
        return Scope(bureau_code=actor.bureau_code or "-")
    return Scope(firm_id=actor.firm_id if actor.firm_id is not None else -1)
