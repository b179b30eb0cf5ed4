"""My tasks as a day planner: buckets by due date, the count, the done list, due presets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_app.feed import agenda
from crm_app.feed import service as feed_service
from crm_app.feed.schemas import TaskRow
from tests.feed.factories import make_contact, make_user

NOW = datetime(2026, 12, 9, 14, 30, tzinfo=UTC)  # a Wednesday


def _row(title: str, due: datetime | None) -> TaskRow:
    return TaskRow(id=1, title=title, due_at=due, contact_id=1, contact_name="Ann")


def test_tasks_fall_in_overdue_today_tomorrow_later_and_undated_in_that_order() -> None:
    rows = [
        _row("someday", None),
        _row("late", NOW - timedelta(minutes=1)),
        _row("tonight", NOW.replace(hour=23, minute=59)),
        _row("tomorrow", NOW + timedelta(days=1)),
        _row("soon", NOW + timedelta(days=2)),
    ]
    groups = agenda.group_by_due(rows, NOW)
    assert [(bucket, [r.title for r in items]) for bucket, items in groups] == [
        ("overdue", ["late"]),
        ("today", ["tonight"]),
        ("tomorrow", ["tomorrow"]),
        ("later", ["soon"]),
        ("undated", ["someday"]),
    ]
    assert agenda.group_by_due([], NOW) == []


def test_due_presets_are_later_today_tomorrow_morning_and_next_monday() -> None:
    assert agenda.due_preset("later_today", NOW) == datetime(2026, 12, 9, 17, 0, tzinfo=UTC)
    assert agenda.due_preset("tomorrow_morning", NOW) == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    assert agenda.due_preset("next_monday", NOW) == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    evening = NOW.replace(hour=20)
    assert agenda.due_preset("later_today", evening) == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    monday = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
    assert agenda.due_preset("next_monday", monday) == datetime(2026, 12, 21, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        agenda.due_preset("whenever", NOW)


def test_the_count_and_the_done_list_follow_ticks_and_undos(session) -> None:
    me, other = make_user(session, name="Me"), make_user(session, name="Other")
    contact = make_contact(session)
    first = feed_service.create_task(session, contact_id=contact.id, title="First", assignee_id=me.id, actor_id=None)
    feed_service.create_task(session, contact_id=contact.id, title="Second", assignee_id=me.id, actor_id=None)
    feed_service.create_task(session, contact_id=contact.id, title="Theirs", assignee_id=other.id, actor_id=None)
    assert agenda.open_task_count(session, user_id=me.id) == 2
    feed_service.complete_task(session, task_id=first.id, actor_id=me.id)
    assert agenda.open_task_count(session, user_id=me.id) == 1
    assert [(r.title, r.contact_name) for r in agenda.done_tasks(session, user_id=me.id)] == [("First", "Ann Smith")]
    feed_service.reopen_task(session, task_id=first.id, actor_id=me.id)
    assert agenda.done_tasks(session, user_id=me.id) == []
