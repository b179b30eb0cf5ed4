"""The feed merges changes, comments, activities, tasks and files, newest first, in keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from crm_app.core.errors import NotFoundError, PermissionDenied, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.feed import service as feed_service
from crm_app.feed.models import Comment, Task
from tests.feed.factories import make_contact, make_user

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def alice(session):
    return make_user(session, name="Alice Martin")


@pytest.fixture
def bob(session):
    return make_user(session, name="Bob Stone")


@pytest.fixture
def contact(session, alice):
    return make_contact(session, actor_id=alice.id)


def _ids(page) -> list[str]:
    return [item.id for item in page.items]


def test_feed_shows_every_kind_of_entry_newest_first(session, alice, contact):
    feed_service.add_comment(session, contact_id=contact.id, body="First call went well", actor_id=alice.id)
    feed_service.log_activity(
        session, contact_id=contact.id, kind="call_out", duration_minutes=12, summary="Quote", actor_id=alice.id
    )
    task = feed_service.create_task(session, contact_id=contact.id, title="Send quote", actor_id=alice.id)
    feed_service.complete_task(session, task_id=task.id, actor_id=alice.id)
    page = feed_service.feed(session, contact_id=contact.id)
    kinds = [item.kind for item in page.items]
    assert kinds == ["tasks", "tasks", "activities", "comments", "changes"]
    assert [item.at for item in page.items] == sorted((item.at for item in page.items), reverse=True)
    assert page.next_before is None
    done, created, call, comment, change = page.items
    assert (done.event, done.title, done.done) == ("task_completed", "Send quote", True)
    assert created.event == "task_created"
    assert (call.title, call.duration_minutes, call.body, call.actor_name) == (
        "Outgoing call",
        12,
        "Quote",
        "Alice Martin",
    )
    assert comment.body == "First call went well" and comment.id.startswith("comment-")
    assert change.event == "created" and change.actor_name == "Alice Martin"
    assert len({item.id for item in page.items}) == len(page.items)


def test_feed_filters_by_kind_and_exposes_the_memo(session, alice, contact):
    feed_service.add_comment(session, contact_id=contact.id, body="hello", actor_id=alice.id)
    feed_service.log_activity(session, contact_id=contact.id, kind="visit", actor_id=alice.id)
    page = feed_service.feed(session, contact_id=contact.id, kinds={"comments"})
    assert [item.kind for item in page.items] == ["comments"]
    page = feed_service.feed(session, contact_id=contact.id, kinds={"activities", "changes"})
    assert [item.kind for item in page.items] == ["activities", "changes"]
    assert feed_service.feed(session, contact_id=contact.id, kinds=set()).items == []
    with pytest.raises(ValidationError):
        feed_service.feed(session, contact_id=contact.id, kinds={"secrets"})


def test_feed_returns_the_memo_pinned(session, alice, contact):
    from crm_app.contacts.models import Contact

    row = session.get(Contact, contact.id)
    row.memo = "Key under the mat"
    session.add(row)
    session.flush()
    assert feed_service.feed(session, contact_id=contact.id).memo == "Key under the mat"


def test_feed_pages_by_time_without_gaps_or_repeats(session, alice, contact):
    for minute in range(7):
        feed_service.log_activity(
            session, contact_id=contact.id, kind="visit", at=T0 + timedelta(minutes=minute), actor_id=alice.id
        )
    for minute in range(5):
        comment = feed_service.add_comment(session, contact_id=contact.id, body=f"c{minute}", actor_id=alice.id)
        row = session.get(Comment, comment.id)
        row.created_at = T0 + timedelta(minutes=minute, seconds=30)
        session.add(row)
    session.flush()
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        page = feed_service.feed(
            session, contact_id=contact.id, kinds={"comments", "activities"}, before=before, limit=3
        )
        pages += 1
        seen.extend(_ids(page))
        assert len(page.items) <= 3
        if page.next_before is None:
            break
        before = page.next_before
    assert pages == 4
    assert len(seen) == len(set(seen)) == 12


def test_feed_page_holds_every_entry_sharing_the_edge_time(session, alice, contact):
    for n in range(4):
        comment = feed_service.add_comment(session, contact_id=contact.id, body=f"same {n}", actor_id=alice.id)
        row = session.get(Comment, comment.id)
        row.created_at = T0
        session.add(row)
    session.flush()
    first = feed_service.feed(session, contact_id=contact.id, kinds={"comments"}, limit=2)
    assert len(first.items) == 4 and first.next_before == T0
    rest = feed_service.feed(session, contact_id=contact.id, kinds={"comments"}, before=first.next_before, limit=2)
    assert rest.items == [] and rest.next_before is None


def test_feed_runs_one_query_per_source_whatever_the_page_size(session, alice, contact, engine):
    from sqlalchemy import event

    for n in range(20):
        feed_service.add_comment(session, contact_id=contact.id, body=f"c{n}", actor_id=alice.id)
        feed_service.create_task(session, contact_id=contact.id, title=f"t{n}", actor_id=alice.id)
    session.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    page = feed_service.feed(session, contact_id=contact.id, limit=30)
    assert len(page.items) == 30
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6  # the contact + five sources


def test_feed_of_an_unknown_contact_is_not_found(session):
    with pytest.raises(NotFoundError):
        feed_service.feed(session, contact_id=999)


# ---------------------------------------------------------------- comments


def test_comments_keep_line_breaks_and_store_script_tags_as_text(session, alice, contact):
    body = "Line one\r\nLine two\n<script>alert(1)</script>\x00"
    comment = feed_service.add_comment(session, contact_id=contact.id, body=body, actor_id=alice.id)
    assert comment.body == "Line one\nLine two\n<script>alert(1)</script>"
    item = feed_service.feed(session, contact_id=contact.id, kinds={"comments"}).items[0]
    assert item.body == comment.body


def test_a_one_megabyte_comment_is_refused_with_a_clear_message(session, alice, contact):
    with pytest.raises(ValidationError, match="limited to 10,000 characters"):
        feed_service.add_comment(session, contact_id=contact.id, body="x" * 1_000_000, actor_id=alice.id)
    with pytest.raises(ValidationError, match="10,000 characters \\(this one has 10,001\\)"):
        feed_service.add_comment(session, contact_id=contact.id, body="x" * 10_001, actor_id=alice.id)
    feed_service.add_comment(session, contact_id=contact.id, body="x" * 10_000, actor_id=alice.id)


def test_an_empty_or_non_text_comment_is_refused(session, alice, contact):
    with pytest.raises(ValidationError, match="empty"):
        feed_service.add_comment(session, contact_id=contact.id, body="  \n ", actor_id=alice.id)
    with pytest.raises(ValidationError, match="text"):
        feed_service.add_comment(session, contact_id=contact.id, body={"a": 1}, actor_id=alice.id)


def test_editing_a_comment_keeps_the_original_in_history(session, alice, contact):
    comment = feed_service.add_comment(session, contact_id=contact.id, body="Original", actor_id=alice.id)
    edited = feed_service.edit_comment(
        session, comment_id=comment.id, body="Corrected", actor_id=alice.id, actor_role="staff"
    )
    assert edited.body == "Corrected" and edited.edited_at is not None
    entry = session.exec(select(AuditEntry).where(AuditEntry.kind == "comment_edited")).one()
    assert (entry.old, entry.new, entry.contact_id, entry.entity) == ("Original", "Corrected", contact.id, "comment")
    item = feed_service.feed(session, contact_id=contact.id, kinds={"comments"}).items[0]
    assert item.edited and item.body == "Corrected"


def test_the_feed_shows_every_earlier_text_of_an_edited_comment_oldest_first(session, alice, contact):
    comment = feed_service.add_comment(session, contact_id=contact.id, body="First", actor_id=alice.id)
    for body in ("Second", "Third"):
        feed_service.edit_comment(session, comment_id=comment.id, body=body, actor_id=alice.id, actor_role="staff")
    other = feed_service.add_comment(session, contact_id=contact.id, body="Never edited", actor_id=alice.id)
    items = {item.comment_id: item for item in feed_service.feed(session, contact_id=contact.id).items}
    edited = items[comment.id]
    assert edited.body == "Third" and edited.edited_at is not None
    assert [v.body for v in edited.versions] == ["First", "Second"]
    assert edited.versions[0].at == comment.created_at
    assert edited.versions[0].at <= edited.versions[1].at <= edited.edited_at
    assert items[other.id].versions == [] and not items[other.id].edited


def test_only_the_author_may_edit_a_comment_even_a_manager_may_not(session, alice, bob, contact):
    comment = feed_service.add_comment(session, contact_id=contact.id, body="Mine", actor_id=alice.id)
    for role in ("staff", "manager", "admin"):
        with pytest.raises(PermissionDenied):
            feed_service.edit_comment(session, comment_id=comment.id, body="Hacked", actor_id=bob.id, actor_role=role)


def test_a_staff_member_may_delete_only_their_own_comments_and_a_manager_any(session, alice, bob, contact):
    mine = feed_service.add_comment(session, contact_id=contact.id, body="Mine", actor_id=alice.id)
    with pytest.raises(PermissionDenied):
        feed_service.delete_comment(session, comment_id=mine.id, actor_id=bob.id, actor_role="staff")
    feed_service.delete_comment(session, comment_id=mine.id, actor_id=bob.id, actor_role="manager")
    assert feed_service.feed(session, contact_id=contact.id, kinds={"comments"}).items == []
    with pytest.raises(NotFoundError):
        feed_service.delete_comment(session, comment_id=mine.id, actor_id=alice.id, actor_role="staff")
    other = feed_service.add_comment(session, contact_id=contact.id, body="Again", actor_id=alice.id)
    feed_service.delete_comment(session, comment_id=other.id, actor_id=alice.id, actor_role="staff")
    kinds = session.exec(select(AuditEntry.kind).where(AuditEntry.entity == "comment")).all()
    assert kinds.count("comment_deleted") == 2


# ---------------------------------------------------------------- activities


def test_log_activity_defaults_to_now_and_the_actor(session, alice, contact):
    activity = feed_service.log_activity(session, contact_id=contact.id, kind="sms_in", actor_id=alice.id)
    assert activity.staff_id == alice.id
    assert abs((activity.at - datetime.now(UTC)).total_seconds()) < 60
    assert activity.duration_minutes is None


def test_log_activity_keeps_a_duration_only_for_calls_and_checks_it(session, alice, bob, contact):
    visit = feed_service.log_activity(
        session, contact_id=contact.id, kind="visit", duration_minutes=30, staff_id=bob.id, actor_id=alice.id
    )
    assert visit.duration_minutes is None and visit.staff_id == bob.id
    with pytest.raises(ValidationError):
        feed_service.log_activity(
            session, contact_id=contact.id, kind="call_in", duration_minutes=-1, actor_id=alice.id
        )
    with pytest.raises(ValidationError):
        feed_service.log_activity(session, contact_id=contact.id, kind="fax", actor_id=alice.id)
    with pytest.raises(ValidationError):
        feed_service.log_activity(session, contact_id=contact.id, kind="visit", staff_id=99999, actor_id=alice.id)
    logged = session.exec(select(AuditEntry).where(AuditEntry.entity == "activity")).all()
    assert [entry.kind for entry in logged] == ["activity_logged"]


# ---------------------------------------------------------------- tasks


def test_task_changes_appear_in_the_feed_and_the_history(session, alice, bob, contact):
    task = feed_service.create_task(
        session, contact_id=contact.id, title="Call back", due_at=T0, assignee_id=bob.id, actor_id=alice.id
    )
    feed_service.update_task(session, task_id=task.id, title="Call back about the quote", actor_id=alice.id)
    feed_service.complete_task(session, task_id=task.id, actor_id=bob.id)
    feed_service.complete_task(session, task_id=task.id, actor_id=bob.id)
    reopened = feed_service.reopen_task(session, task_id=task.id, actor_id=bob.id)
    assert reopened.done_at is None and reopened.overdue
    events = [item.event for item in feed_service.feed(session, contact_id=contact.id, kinds={"tasks"}).items]
    assert events == ["task_reopened", "task_completed", "task_updated", "task_created"]
    update = session.exec(select(AuditEntry).where(AuditEntry.kind == "task_updated")).one()
    assert (update.field, update.old, update.new) == ("title", "Call back", "Call back about the quote")


def test_task_entries_show_the_current_assignee(session, alice, bob, contact):
    task = feed_service.create_task(
        session, contact_id=contact.id, title="Visit", assignee_id=bob.id, actor_id=alice.id
    )
    (created,) = feed_service.feed(session, contact_id=contact.id, kinds={"tasks"}).items
    assert (created.assignee_id, created.assignee_name, created.actor_name) == (bob.id, "Bob Stone", "Alice Martin")
    feed_service.update_task(session, task_id=task.id, assignee_id=None, actor_id=alice.id)
    items = feed_service.feed(session, contact_id=contact.id, kinds={"tasks"}).items
    assert [(i.assignee_id, i.assignee_name) for i in items] == [(None, ""), (None, "")]


def test_a_task_needs_a_title(session, alice, contact):
    with pytest.raises(ValidationError, match="empty"):
        feed_service.create_task(session, contact_id=contact.id, title="  ", actor_id=alice.id)


def test_my_tasks_lists_open_tasks_soonest_first_with_contact_names_and_overdue(session, alice, bob, contact):
    other = make_contact(session, first_name="Zoe", last_name="Brown")
    soon = datetime.now(UTC) + timedelta(days=1)
    late = datetime.now(UTC) - timedelta(days=1)
    feed_service.create_task(session, contact_id=contact.id, title="no date", assignee_id=alice.id, actor_id=alice.id)
    feed_service.create_task(
        session, contact_id=other.id, title="later", due_at=soon, assignee_id=alice.id, actor_id=None
    )
    feed_service.create_task(
        session, contact_id=contact.id, title="late", due_at=late, assignee_id=alice.id, actor_id=None
    )
    done = feed_service.create_task(session, contact_id=contact.id, title="done", assignee_id=alice.id, actor_id=None)
    feed_service.complete_task(session, task_id=done.id, actor_id=alice.id)
    feed_service.create_task(session, contact_id=contact.id, title="bob's", assignee_id=bob.id, actor_id=None)
    rows = feed_service.my_tasks(session, user_id=alice.id)
    assert [row.title for row in rows] == ["late", "later", "no date"]
    assert [row.overdue for row in rows] == [True, False, False]
    assert rows[1].contact_name == "Zoe Brown" and rows[1].contact_id == other.id
    assert session.get(Task, rows[0].id).assignee_id == alice.id


def test_feed_and_my_tasks_behave_alike_on_both_engines(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        user = make_user(session)
        contact = make_contact(session, actor_id=user.id)
        feed_service.create_task(session, contact_id=contact.id, title="b", assignee_id=user.id, actor_id=user.id)
        feed_service.create_task(
            session, contact_id=contact.id, title="a", due_at=T0, assignee_id=user.id, actor_id=user.id
        )
        feed_service.add_comment(session, contact_id=contact.id, body="hi", actor_id=user.id)
        session.commit()
        assert [row.title for row in feed_service.my_tasks(session, user_id=user.id)] == ["a", "b"]
        page = feed_service.feed(session, contact_id=contact.id, limit=2)
        rest = feed_service.feed(session, contact_id=contact.id, before=page.next_before, limit=10)
        assert len(page.items) == 2 and len(rest.items) == 2
        assert not {i.id for i in page.items} & {i.id for i in rest.items}
