"""Rule sets: what is in force and every threshold with its source (comparing versions: evaluations)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.auth.deps import ActorDep
from backend.core.openapi import error_responses
from backend.rulesets import service as ruleset_service
from backend.rulesets.schemas import RuleSetDetail, RuleSetSummary

router = APIRouter(prefix="/api/rules", tags=["rules"])


@router.get("", response_model=list[RuleSetSummary], responses=error_responses(401))
async def list_rulesets(actor: ActorDep) -> list[RuleSetSummary]:
    """Every program and version, with its effective dates and number of provisional params."""
    return ruleset_service.list_rulesets()


@router.get("/{program}/{version}", response_model=RuleSetDetail, responses=error_responses(401, 404))
async def read_ruleset(program: str, version: str, actor: ActorDep) -> RuleSetDetail:
    """One rule set: params (value, source, confirmed or provisional) and its criteria tree."""
    return ruleset_service.ruleset_detail(program, version)
