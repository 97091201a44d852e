"""A firm's dossier: its identity with what the domains above firms hold about it."""

from __future__ import annotations

from pydantic import BaseModel

from backend.certificates.schemas import CertificateRead
from backend.filings.schemas import FilingRead
from backend.firms.schemas import FirmRead
from backend.tiers.schemas import TierStatusRead


class FirmDetail(BaseModel):
    firm: FirmRead
    filings: list[FilingRead] | None  # None when the role may not read filings (finance)
    certificates: list[CertificateRead]
    tiers: list[TierStatusRead]
