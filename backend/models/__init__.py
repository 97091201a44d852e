"""SQLModel table classes. Importing this package registers every table on the metadata."""

from backend.models.audit import AuditLog
from backend.models.award import (
    AWARD_STATE_LABELS,
    Award,
    AwardBudget,
    AwardEvent,
    AwardExclusion,
    AwardState,
)
from backend.models.certificate import Certificate, CertificateKind, CertificateStatus
from backend.models.evaluation import Evaluation, EvaluationLatest, FactSnapshot, RulesetVersion
from backend.models.export_run import ExportRun
from backend.models.filing import Filing, FilingFigures, FilingRevision
from backend.models.firm import Firm, FirmIdentity, FirmRevision
from backend.models.history import StateHistory
from backend.models.import_run import BusinessRecord, ImportFile, ImportIssue, ImportRun, IpRecord
from backend.models.job_run import JobRun
from backend.models.provenance import Provenance, Source
from backend.models.reference import Bureau, District, FunctionalZone
from backend.models.target import TARGET_KIND_LABELS, TARGET_METRIC_LABELS, DistrictTarget
from backend.models.tier import (
    TIER_LABELS,
    TIER_PREFIXES,
    TIER_STATE_LABELS,
    BatchState,
    Objection,
    Tier,
    TierBatch,
    TierState,
    TierStatus,
    TierTransition,
)
from backend.models.user import ROLE_LABELS, AuthToken, LoginFailure, Role, User

__all__ = [
    "AWARD_STATE_LABELS",
    "ROLE_LABELS",
    "TARGET_KIND_LABELS",
    "TARGET_METRIC_LABELS",
    "TIER_LABELS",
    "TIER_PREFIXES",
    "TIER_STATE_LABELS",
    "AuditLog",
    "AuthToken",
    "Award",
    "AwardBudget",
    "AwardEvent",
    "AwardExclusion",
    "AwardState",
    "BatchState",
    "Bureau",
    "BusinessRecord",
    "Certificate",
    "CertificateKind",
    "CertificateStatus",
    "District",
    "DistrictTarget",
    "Evaluation",
    "EvaluationLatest",
    "ExportRun",
    "FactSnapshot",
    "Filing",
    "FilingFigures",
    "FilingRevision",
    "Firm",
    "FirmIdentity",
    "FirmRevision",
    "FunctionalZone",
    "ImportFile",
    "ImportIssue",
    "ImportRun",
    "IpRecord",
    "JobRun",
    "LoginFailure",
    "Objection",
    "Provenance",
    "Role",
    "RulesetVersion",
    "Source",
    "StateHistory",
    "Tier",
    "TierBatch",
    "TierState",
    "TierStatus",
    "TierTransition",
    "User",
]
