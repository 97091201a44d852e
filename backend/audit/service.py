"""Write the audit log. Every service that changes data calls ``record`` exactly once per change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.models import AuditLog


def snapshot(
    entity: BaseModel | dict[str, Any] | None, *, exclude: set[str] | None = None
) -> dict[str, Any] | None:
    """A JSON-ready copy of an entity's fields (secrets and bookkeeping excluded by the caller)."""
    if entity is None:
        return None
    data = entity.model_dump(exclude=exclude) if isinstance(entity, BaseModel) else dict(entity)
    result: dict[str, Any] = to_jsonable_python(data)
    return result


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(row)
    return row
