"""Shapes of job runs as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from backend.jobs.tasks import JOB_LABELS
from backend.models import JobRun
from vocabulary.states import JOB_STATUS_LABELS


class JobRunRead(BaseModel):
    id: int
    job_id: str
    label: str
    fire_time: datetime
    status: str
    status_label: str
    worker: str
    counts: dict[str, Any]
    error: str | None
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, run: JobRun) -> JobRunRead:
        assert run.id is not None
        return cls(
            id=run.id, job_id=run.job_id, label=JOB_LABELS.get(run.job_id, run.job_id), fire_time=run.fire_time,
            status=run.status, status_label=JOB_STATUS_LABELS.get(run.status, run.status), worker=run.worker,
            counts=run.counts, error=run.error, started_at=run.started_at, finished_at=run.finished_at,
        )  # fmt: skip
