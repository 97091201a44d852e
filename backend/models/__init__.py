"""SQLModel table classes. Importing this package registers every table on the metadata."""

from backend.models.audit import AuditLog
from backend.models.award import (
    Award,
    AwardBudget,
    AwardEvent,
    AwardExclusion,
)
from backend.models.certificate import Certificate, CertificateStatus
from backend.models.evaluation import (
    Evaluation,
    EvaluationLatest,
    FactSnapshot,
    RulesetVersion,
    ScoreDistribution,
)
from backend.models.export_run import ExportRun
from backend.models.filing import Filing, FilingFigures, FilingRevision
from backend.models.firm import Firm, FirmIdentity, FirmRevision
from backend.models.history import StateHistory
from backend.models.import_run import BusinessRecord, ImportFile, ImportIssue, ImportRun, IpRecord
from backend.models.job_run import JobRun
from backend.models.provenance import Provenance, Source
from backend.models.reference import Bureau, District, FunctionalZone
from backend.models.target import DistrictTarget
from backend.models.tier import (
    Objection,
    TierBatch,
    TierStatus,
    TierTransition,
)
from backend.models.user import AuthToken, LoginFailure, User

__all__ = [
    "AuditLog",
    "AuthToken",
    "Award",
    "AwardBudget",
    "AwardEvent",
    "AwardExclusion",
    "Bureau",
    "BusinessRecord",
    "Certificate",
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
    "RulesetVersion",
    "ScoreDistribution",
    "Source",
    "StateHistory",
    "TierBatch",
    "TierStatus",
    "TierTransition",
    "User",
]
