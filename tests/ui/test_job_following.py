"""A background task follows a queued job from its row: each new progress, then the ended job."""

from __future__ import annotations

import asyncio
import threading

import crm_app.models  # noqa: F401  (registers every job handler)
from crm_app.db import session_scope
from crm_app.jobs import queue, registry, worker
from crm_app.ui.state.jobs import follow_job, refusal

release = threading.Event()


@registry.handler("test.follow")
def _two_steps(job: registry.JobContext) -> dict:
    job.progress(1, 2)
    release.wait(10)
    return {"ok": True}


def test_following_a_job_shows_its_progress_and_returns_it_once_ended(app_db) -> None:
    with session_scope() as db:
        job_id = queue.enqueue(db, "test.follow")
    runner = threading.Thread(target=worker.run_next, kwargs={"kinds": ("test.follow",)})
    runner.start()
    seen: list[dict] = []

    async def on_progress(progress: dict) -> None:
        seen.append(progress)
        release.set()

    job = asyncio.run(follow_job(job_id, on_progress))
    runner.join(10)
    assert seen == [{"done": 1, "total": 2}]
    assert (job.status, job.result, refusal(job)) == ("done", {"ok": True}, None)
