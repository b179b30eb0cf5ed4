"""My tasks as a day planner: open tasks grouped by when they are due, the count, the ones done lately, due presets.

Days are counted in UTC, like every time the app stores and shows.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.contacts.models import Contact
from crm_app.core.timeutil import as_utc
from crm_app.feed.models import Task
from crm_app.feed.schemas import TaskRow

BUCKETS: tuple[str, ...] = ("overdue", "today", "tomorrow", "later", "undated")
PRESETS: tuple[str, ...] = ("later_today", "tomorrow_morning", "next_monday")
MORNING = time(9, 0)
LATER_TODAY_HOURS = 3
LAST_HOUR_TODAY = 21


def due_bucket(due_at: datetime | None, now: datetime) -> str:
    """Where a task due at ``due_at`` belongs on ``now``: overdue, today, tomorrow, later or undated."""
    if due_at is None:
        return "undated"
    due = as_utc(due_at)
    if due < now:
        return "overdue"
    days = (due.date() - now.date()).days
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else "later"


def group_by_due(rows: list[TaskRow], now: datetime) -> list[tuple[str, list[TaskRow]]]:
    """The rows in their buckets, in the order of ``BUCKETS``, empty buckets left out (rows keep their order)."""
    groups: dict[str, list[TaskRow]] = {bucket: [] for bucket in BUCKETS}
    for row in rows:
        groups[due_bucket(row.due_at, now)].append(row)
    return [(bucket, groups[bucket]) for bucket in BUCKETS if groups[bucket]]


def open_task_count(session: Session, *, user_id: int) -> int:
    """How many open tasks are assigned to the user (one indexed count)."""
    stmt = select(func.count()).select_from(Task).where(Task.assignee_id == int(user_id), Task.done_at.is_(None))
    return int(session.exec(stmt).one())


def done_tasks(session: Session, *, user_id: int, limit: int = 50) -> list[TaskRow]:
    """The user's tasks done most recently first, with their contact's name."""
    limit = max(1, min(int(limit), 500))
    rows = session.exec(
        select(Task, Contact.display_name)
        .join(Contact, Contact.id == Task.contact_id)
        .where(Task.assignee_id == int(user_id), Task.done_at.is_not(None))
        .order_by(Task.done_at.desc(), Task.id.desc())
        .limit(limit)
    ).all()
    return [
        TaskRow(
            id=task.id,
            title=task.title,
            due_at=as_utc(task.due_at),
            contact_id=task.contact_id,
            contact_name=name,
        )
        for task, name in rows
    ]


def due_preset(name: str, now: datetime) -> datetime:
    """A due time offered with one tap: later today (in 3 hours, on the hour), tomorrow 9:00, next Monday 9:00.

    Late in the evening "later today" becomes tomorrow morning.
    """
    morning_tomorrow = datetime.combine(now.date() + timedelta(days=1), MORNING, tzinfo=now.tzinfo)
    if name == "later_today":
        later = (now + timedelta(hours=LATER_TODAY_HOURS)).replace(minute=0, second=0, microsecond=0)
        return later if later.date() == now.date() and later.hour <= LAST_HOUR_TODAY else morning_tomorrow
    if name == "tomorrow_morning":
        return morning_tomorrow
    if name == "next_monday":
        days = 7 - now.weekday()
        return datetime.combine(now.date() + timedelta(days=days), MORNING, tzinfo=now.tzinfo)
    raise ValueError(f"unknown due preset {name!r}")
