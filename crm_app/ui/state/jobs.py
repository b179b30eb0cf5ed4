"""Following a queued job from a background task: its progress read from the job row until it ends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx

from crm_app.db import session_scope
from crm_app.jobs import queue, worker
from crm_app.jobs.schemas import JobRead

POLL_SECONDS = 0.25


def read_job(job_id: int) -> JobRead:
    """A job's state, read in a short transaction."""
    with session_scope() as db:
        return queue.get_job(db, job_id=job_id)


async def follow_job(job_id: int, on_progress: Callable[[dict[str, Any]], Awaitable[None]]) -> JobRead:
    """Wait for a job to end (done or failed), handing each new progress to ``on_progress``; returns it."""
    shown: dict[str, Any] | None = None
    while True:
        job = await rx.run_in_thread(lambda: read_job(job_id))
        if job.ended:
            return job
        if job.progress and job.progress != shown:
            shown = job.progress
            await on_progress(job.progress)
        await asyncio.sleep(POLL_SECONDS)


def refusal(job: JobRead) -> str | None:
    """The reason a failed job was refused (a domain error's message, to translate), None when it broke."""
    if not job.error or job.error.startswith(worker.UNEXPECTED) or job.error == queue.CRASHED:
        return None
    return job.error
