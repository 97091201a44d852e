"""Decisions: immutable evaluation records, the rule-set versions and inputs they were made from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Index, Integer
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field


class RulesetVersion(SQLModel, table=True):
    """Every rule-set content ever used, by its hash: a past decision names exactly these rules."""

    __tablename__ = "ruleset_version"

    content_hash: str = Field(primary_key=True, max_length=64)
    program: str = Field(max_length=40)
    version: str = Field(max_length=20)
    document: dict[str, Any] = Field(sa_type=JSONB)
    first_used_at: datetime = created_at_field()


class FactSnapshot(SQLModel, table=True):
    """The facts one firm was evaluated on (as read by the rules), stored once per distinct content."""

    __tablename__ = "fact_snapshot"

    snapshot_hash: str = Field(primary_key=True, max_length=64)
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger, index=True)
    year: int
    facts: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = created_at_field()


class Evaluation(SQLModel, table=True):
    """One firm × one program × one rule version × one year. Never updated: a new run adds rows."""

    __tablename__ = "evaluation"
    __table_args__ = (Index("ix_evaluation_firm_program_year", "firm_id", "program", "year"),)

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger)
    program: str = Field(max_length=40)
    version: str = Field(max_length=20)
    ruleset_hash: str = Field(foreign_key="ruleset_version.content_hash", max_length=64)
    year: int  # application (evaluation) year
    as_of: date  # the date facts were measured at
    evaluated_on: date
    outcome: str = Field(max_length=12)  # eligible | ineligible | unknown
    failing: int = 0  # criteria failed
    amount_yuan: int | None = Field(default=None, sa_type=BigInteger)  # awards
    score: float | None = None  # indices
    criteria: dict[str, str] = Field(sa_type=JSONB)  # criterion id -> pass | fail | unknown
    missing: list[str] = Field(default_factory=list, sa_type=JSONB)  # facts that made it unknown
    provisional: bool = False  # a provisional threshold or amount was used
    inputs_hash: str = Field(max_length=64)  # the facts this program read
    snapshot_hash: str = Field(foreign_key="fact_snapshot.snapshot_hash", max_length=64)
    run_id: str = Field(max_length=36)  # one `tidu evaluate` (or job) run
    created_at: datetime = created_at_field()


class EvaluationLatest(SQLModel, table=True):
    """The latest decision per firm, program and year: what "unchanged" is compared with.

    Kept beside the append-only ``evaluation`` so a run reads one row per decision instead of
    sorting the whole history; a run updates it in the same transaction as its inserts.
    """

    __tablename__ = "evaluation_latest"

    firm_id: int = Field(primary_key=True, foreign_key="firm.id", sa_type=BigInteger)
    program: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", sa_type=BigInteger)
    ruleset_hash: str = Field(max_length=64)
    inputs_hash: str = Field(max_length=64)
    outcome: str = Field(max_length=12)


class ScoreDistribution(SQLModel, table=True):
    """Where the latest stored index scores of a year stand within each peer group (bureau, tech field).

    Rebuilt by the evaluation run that changes them (or after a firm's identity changed), so a firm's
    percentile is one indexed read and a bisect, whatever the registry's size. A group's distinct scores,
    ascending, each with how many peers score at or below it, are cut into rows of at most
    ``SCORES_PER_ROW`` scores; a row is found by its highest score.
    """

    __tablename__ = "score_distribution"

    program: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    peer_kind: str = Field(primary_key=True, max_length=16)  # bureau | tech_field
    peer_value: str = Field(primary_key=True, max_length=40)  # the bureau's code, the tech field
    top_score: float = Field(primary_key=True)  # the highest score in this row
    peers: int  # firms of the group with a stored score
    below: int  # of them, scoring below this row's first score
    scores: list[float] = Field(sa_type=ARRAY(Float))
    at_or_below: list[int] = Field(sa_type=ARRAY(Integer))
    firm_revision_id: int = Field(sa_type=BigInteger)  # the newest firm revision when it was built
