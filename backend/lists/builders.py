"""Every list's builder, registered once under its spec's ``builder`` key, and the dispatch.

Nothing in the lists package below the service imports this module, so builders never import
each other through it.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists import kinds_money, kinds_targets_reminders, kinds_tiers
from backend.lists.built import Builder, BuiltList
from backend.lists.params import ListParams
from vocabulary.lists import ListSpec

BUILDERS: dict[str, Builder] = {
    "certification": kinds_tiers.certification,
    "public_notice": kinds_tiers.public_notice,
    "reminders": kinds_targets_reminders.reminders,
    "eligibility": kinds_money.eligibility,
    "targets": kinds_targets_reminders.targets,
    "disbursement": kinds_money.disbursement,
}


async def build_list(session: AsyncSession, spec: ListSpec, params: ListParams) -> BuiltList:
    return await BUILDERS[spec.builder](session, params)
