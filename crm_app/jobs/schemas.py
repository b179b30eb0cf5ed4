"""What callers read of a job: its state, progress, result and error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from crm_app.jobs.models import DONE, FAILED


class JobRead(BaseModel):
    """A job as its callers see it (``progress`` and ``result`` are whatever its handler reports)."""

    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    progress: dict[str, Any]
    result: dict[str, Any] | None
    error: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def ended(self) -> bool:
        """Done or failed for good."""
        return self.status in (DONE, FAILED)
