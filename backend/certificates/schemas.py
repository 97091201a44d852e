"""Certificate shapes."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class CertificateRead(BaseModel):
    kind: str  # hte | hte_municipal | tech_sme | software_enterprise | software_product
    kind_label: str
    number: str
    issued_on: date
    expires_on: date | None
    status: str  # active | revoked (as recorded)
    validity: str  # valid | expired | not_yet_valid | revoked (on ``as_of``)
    as_of: date
    days_left: int | None  # until expiry, when valid and dated
