"""Read a firm's certificates with their validity on a given day."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.certificates.repository import CertificateRepository
from backend.certificates.schemas import CertificateRead
from backend.core import clock
from backend.core.security import Actor
from backend.firms import service as firm_service
from backend.models import Certificate, CertificateStatus
from vocabulary.ladder import CERTIFICATE_LABELS, CertificateKind


def validity_on(certificate: Certificate, day: date) -> str:
    """valid | expired | not_yet_valid | revoked; ``expires_on`` is the last valid day."""
    if certificate.status == CertificateStatus.revoked:
        return "revoked"
    if day < certificate.issued_on:
        return "not_yet_valid"
    if certificate.expires_on is not None and day > certificate.expires_on:
        return "expired"
    return "valid"


def to_read(certificate: Certificate, as_of: date) -> CertificateRead:
    validity = validity_on(certificate, as_of)
    days_left = (
        (certificate.expires_on - as_of).days
        if validity == "valid" and certificate.expires_on is not None
        else None
    )
    return CertificateRead(
        kind=certificate.kind,
        kind_label=CERTIFICATE_LABELS.get(CertificateKind(certificate.kind), certificate.kind),
        number=certificate.number,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        status=certificate.status,
        validity=validity,
        as_of=as_of,
        days_left=days_left,
    )


async def firm_certificates(
    session: AsyncSession, actor: Actor, raw_uscc: str, *, as_of: date | None = None
) -> list[CertificateRead]:
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    day = as_of or clock.today()
    return [to_read(c, day) for c in await CertificateRepository(session).for_firm(firm.id)]
