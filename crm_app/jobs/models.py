"""The job table: one row per piece of background work, from enqueued to done or failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from crm_app.core.timeutil import utcnow

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"


class Job(SQLModel, table=True):
    """Work to run once outside a request: its kind and payload, who holds it, how far it got, how it ended.

    A running job whose lease (``locked_until``) has passed lost its worker (a crash) and is claimed again.
    ``dedupe_key`` is unique while the job is queued or running (cleared when it ends), so the same work is
    never queued twice.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=80)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=QUEUED, max_length=12)
    attempts: int = 0
    max_attempts: int = 3
    run_after: datetime = Field(default_factory=utcnow)
    locked_by: str = Field(default="", max_length=120)
    locked_until: datetime | None = None
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str = Field(default="")
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
