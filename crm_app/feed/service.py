"""The contact feed: comments, logged activities and tasks, merged with the audit trail, newest first."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.auth.permissions import ADMIN, MANAGER
from crm_app.contacts.models import Contact
from crm_app.core import audit
from crm_app.core.errors import NotFoundError, PermissionDenied, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.feed.models import ACTIVITY_KINDS, Activity, Attachment, Comment, Task
from crm_app.feed.schemas import (
    FEED_KINDS,
    ActivityRead,
    CommentRead,
    CommentVersion,
    FeedItem,
    FeedPage,
    TaskRead,
    TaskRow,
)

MAX_COMMENT_CHARS = 10_000
MAX_SUMMARY_CHARS = 10_000
MAX_TASK_TITLE_CHARS = 300
MAX_CALL_MINUTES = 24 * 60
MAX_PAGE = 200
MAX_TIES = 1000
FEED_ENTITIES = ("comment", "activity", "task", "attachment")
CALL_KINDS = ("call_in", "call_out")
ACTIVITY_LABELS: dict[str, str] = {
    "call_in": "Incoming call",
    "call_out": "Outgoing call",
    "sms_in": "SMS received",
    "email_in": "E-mail received",
    "visit": "Visit",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSET: Any = object()


# ---------------------------------------------------------------- helpers


def _load_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, int(contact_id))
    if contact is None:
        raise NotFoundError("This contact does not exist.")
    return contact


def _check_user(session: Session, user_id: int | None, field: str) -> int | None:
    if user_id is None:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active:
        raise ValidationError("Choose an active staff member.", field=field)
    return user.id


def clean_text(value: Any, *, field: str, max_chars: int, required: bool, what: str) -> str:
    """Plain text as stored: line breaks kept (as \\n), NUL and other control characters removed, length capped."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"The {what} must be text.", field=field)
    if len(value) > max_chars * 2:
        raise ValidationError(f"The {what} is limited to {max_chars:,} characters.", field=field)
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if required and not text:
        raise ValidationError(f"The {what} is empty.", field=field)
    if len(text) > max_chars:
        raise ValidationError(
            f"The {what} is limited to {max_chars:,} characters (this one has {len(text):,}).", field=field
        )
    return text


def _aware(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError("Enter a valid date and time.", field=field)
    return as_utc(value)


def _overdue(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and done_at is None and as_utc(due_at) < now


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _comment_read(comment: Comment) -> CommentRead:
    return CommentRead(
        id=comment.id,
        contact_id=comment.contact_id,
        author_id=comment.author_id,
        body=comment.body,
        created_at=as_utc(comment.created_at),
        edited_at=as_utc(comment.edited_at),
    )


def _task_read(task: Task) -> TaskRead:
    return TaskRead(
        id=task.id,
        contact_id=task.contact_id,
        title=task.title,
        due_at=as_utc(task.due_at),
        assignee_id=task.assignee_id,
        done_at=as_utc(task.done_at),
        overdue=_overdue(task.due_at, task.done_at, utcnow()),
    )


# ---------------------------------------------------------------- comments


def add_comment(session: Session, *, contact_id: int, body: Any, actor_id: int | None) -> CommentRead:
    """Add a plain-text comment (at most 10,000 characters) to a contact."""
    _load_contact(session, contact_id)
    text = clean_text(body, field="body", max_chars=MAX_COMMENT_CHARS, required=True, what="comment")
    comment = Comment(contact_id=int(contact_id), author_id=actor_id, body=text)
    session.add(comment)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        entity="comment",
        entity_id=comment.id,
        contact_id=comment.contact_id,
        kind="comment_added",
        new=text,
    )
    return _comment_read(comment)


def _live_comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, int(comment_id))
    if comment is None or comment.deleted_at is not None:
        raise NotFoundError("This comment does not exist any more.")
    return comment


def edit_comment(session: Session, *, comment_id: int, body: Any, actor_id: int, actor_role: str) -> CommentRead:
    """Change one's own comment; the original text stays in the audit trail."""
    comment = _live_comment(session, comment_id)
    if actor_id is None or comment.author_id != actor_id:
        raise PermissionDenied("You can only edit your own comments.")
    text = clean_text(body, field="body", max_chars=MAX_COMMENT_CHARS, required=True, what="comment")
    if text == comment.body:
        return _comment_read(comment)
    audit.record(
        session,
        actor_id=actor_id,
        entity="comment",
        entity_id=comment.id,
        contact_id=comment.contact_id,
        kind="comment_edited",
        field="body",
        old=comment.body,
        new=text,
    )
    comment.body = text
    comment.edited_at = utcnow()
    session.add(comment)
    session.flush()
    return _comment_read(comment)


def delete_comment(session: Session, *, comment_id: int, actor_id: int, actor_role: str) -> None:
    """Remove a comment from the feed: one's own, or anyone's for a manager; the text stays in the audit trail."""
    comment = _live_comment(session, comment_id)
    own = actor_id is not None and comment.author_id == actor_id
    if not own and actor_role not in (ADMIN, MANAGER):
        raise PermissionDenied("You can only delete your own comments.")
    comment.deleted_at = utcnow()
    session.add(comment)
    audit.record(
        session,
        actor_id=actor_id,
        entity="comment",
        entity_id=comment.id,
        contact_id=comment.contact_id,
        kind="comment_deleted",
        old=comment.body,
    )
    session.flush()


# ---------------------------------------------------------------- activities


def log_activity(
    session: Session,
    *,
    contact_id: int,
    kind: str,
    summary: Any = "",
    at: datetime | None = None,
    duration_minutes: int | None = None,
    staff_id: int | None = None,
    actor_id: int | None,
) -> ActivityRead:
    """Record a call, SMS, e-mail or visit (default: now, by the actor); a duration only for calls."""
    _load_contact(session, contact_id)
    if kind not in ACTIVITY_KINDS:
        raise ValidationError("Choose what happened: call, SMS, e-mail or visit.", field="kind")
    when = _aware(at, "at") or utcnow()
    minutes: int | None = None
    if kind in CALL_KINDS and duration_minutes not in (None, ""):
        try:
            minutes = int(duration_minutes)
        except (TypeError, ValueError):
            raise ValidationError("Enter the call's duration in minutes.", field="duration_minutes") from None
        if not 0 <= minutes <= MAX_CALL_MINUTES:
            raise ValidationError("The duration must be between 0 and 1,440 minutes.", field="duration_minutes")
    text = clean_text(summary, field="summary", max_chars=MAX_SUMMARY_CHARS, required=False, what="summary")
    staff = _check_user(session, staff_id if staff_id is not None else actor_id, "staff_id")
    activity = Activity(
        contact_id=int(contact_id),
        kind=kind,
        at=when,
        duration_minutes=minutes,
        summary=text,
        staff_id=staff,
        created_by_id=actor_id,
    )
    session.add(activity)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        entity="activity",
        entity_id=activity.id,
        contact_id=activity.contact_id,
        kind="activity_logged",
        field=kind,
        new=ACTIVITY_LABELS[kind],
    )
    return ActivityRead(
        id=activity.id,
        contact_id=activity.contact_id,
        kind=kind,
        at=as_utc(when),
        duration_minutes=minutes,
        summary=text,
        staff_id=staff,
    )


# ---------------------------------------------------------------- tasks


def _task_title(value: Any) -> str:
    title = clean_text(value, field="title", max_chars=MAX_TASK_TITLE_CHARS, required=True, what="task title")
    return " ".join(title.split())


def _task_audit(session: Session, task: Task, actor_id: int | None, kind: str, **values: Any) -> None:
    audit.record(
        session, actor_id=actor_id, entity="task", entity_id=task.id, contact_id=task.contact_id, kind=kind, **values
    )


def create_task(
    session: Session,
    *,
    contact_id: int,
    title: Any,
    due_at: datetime | None = None,
    assignee_id: int | None = None,
    actor_id: int | None,
) -> TaskRead:
    """Create a task about a contact, optionally due at a time and assigned to a staff member."""
    _load_contact(session, contact_id)
    task = Task(
        contact_id=int(contact_id),
        title=_task_title(title),
        due_at=_aware(due_at, "due_at"),
        assignee_id=_check_user(session, assignee_id, "assignee_id"),
        created_by_id=actor_id,
    )
    session.add(task)
    session.flush()
    _task_audit(session, task, actor_id, "task_created", new=task.title)
    return _task_read(task)


def _load_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, int(task_id))
    if task is None:
        raise NotFoundError("This task does not exist.")
    return task


def complete_task(session: Session, *, task_id: int, actor_id: int | None) -> TaskRead:
    """Tick a task as done (nothing happens if it already is)."""
    task = _load_task(session, task_id)
    if task.done_at is None:
        task.done_at = utcnow()
        session.add(task)
        _task_audit(session, task, actor_id, "task_completed", new=task.title)
        session.flush()
    return _task_read(task)


def reopen_task(session: Session, *, task_id: int, actor_id: int | None) -> TaskRead:
    """Untick a done task (nothing happens if it is open)."""
    task = _load_task(session, task_id)
    if task.done_at is not None:
        task.done_at = None
        session.add(task)
        _task_audit(session, task, actor_id, "task_reopened", new=task.title)
        session.flush()
    return _task_read(task)


def update_task(
    session: Session,
    *,
    task_id: int,
    actor_id: int | None,
    title: Any = _UNSET,
    due_at: datetime | None = _UNSET,
    assignee_id: int | None = _UNSET,
) -> TaskRead:
    """Change a task's title, due time or assignee (only the arguments given); each change is audited."""
    task = _load_task(session, task_id)
    changes: dict[str, Any] = {}
    if title is not _UNSET:
        changes["title"] = _task_title(title)
    if due_at is not _UNSET:
        changes["due_at"] = _aware(due_at, "due_at")
    if assignee_id is not _UNSET:
        changes["assignee_id"] = _check_user(session, assignee_id, "assignee_id")
    for field, new in changes.items():
        old = getattr(task, field)
        if field == "due_at":
            old = as_utc(old)
        if old == new:
            continue
        setattr(task, field, new)
        _task_audit(session, task, actor_id, "task_updated", field=field, old=old, new=new)
    session.add(task)
    session.flush()
    return _task_read(task)


def my_tasks(session: Session, *, user_id: int, limit: int = 200) -> list[TaskRow]:
    """The user's open tasks across contacts, soonest due first (no due date last), with the contact's name."""
    limit = max(1, min(int(limit), 1000))
    rows = session.exec(
        select(Task, Contact.display_name)
        .join(Contact, Contact.id == Task.contact_id)
        .where(Task.assignee_id == int(user_id), Task.done_at.is_(None))
        .order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
        .limit(limit)
    ).all()
    now = utcnow()
    return [
        TaskRow(
            id=task.id,
            title=task.title,
            due_at=as_utc(task.due_at),
            overdue=_overdue(task.due_at, task.done_at, now),
            contact_id=task.contact_id,
            contact_name=name,
        )
        for task, name in rows
    ]


# ---------------------------------------------------------------- feed


def _actor(name: str | None, email: str | None) -> str:
    return name or email or ""


def _window(column: Any, before: datetime | None, exactly: datetime | None) -> list[Any]:
    if exactly is not None:
        return [column == exactly]
    return [column < before] if before is not None else []


def _changes(session: Session, contact_id: int, before: Any, exactly: Any, limit: int) -> list[FeedItem]:
    rows = session.exec(
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.contact_id == contact_id, AuditEntry.entity.not_in(FEED_ENTITIES))
        .where(*_window(AuditEntry.at, before, exactly))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        FeedItem(
            id=f"change-{entry.id}",
            kind="changes",
            event=entry.kind,
            at=as_utc(entry.at),
            actor_id=entry.actor_id,
            actor_name=_actor(name, email),
            title=entry.field or entry.kind,
            field=entry.field,
            old=_text(entry.old),
            new=_text(entry.new),
        )
        for entry, name, email in rows
    ]


def _earlier_versions(session: Session, comments: list[Comment]) -> dict[int, list[CommentVersion]]:
    """For each edited comment, its earlier texts oldest first, each with the time it was written."""
    edited = {c.id: c for c in comments if c.edited_at is not None}
    if not edited:
        return {}
    edits = session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.entity == "comment",
            AuditEntry.kind == "comment_edited",
            AuditEntry.entity_id.in_(list(edited)),
        )
        .order_by(AuditEntry.entity_id, AuditEntry.at, AuditEntry.id)
    ).all()
    versions: dict[int, list[CommentVersion]] = {}
    last_edit: dict[int, datetime] = {}
    for entry in edits:
        written = last_edit.get(entry.entity_id) or as_utc(edited[entry.entity_id].created_at)
        versions.setdefault(entry.entity_id, []).append(CommentVersion(at=written, body=_text(entry.old)))
        last_edit[entry.entity_id] = as_utc(entry.at)
    return versions


def _comments(session: Session, contact_id: int, before: Any, exactly: Any, limit: int) -> list[FeedItem]:
    rows = session.exec(
        select(Comment, User.name, User.email)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.contact_id == contact_id, Comment.deleted_at.is_(None))
        .where(*_window(Comment.created_at, before, exactly))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    ).all()
    versions = _earlier_versions(session, [comment for comment, _, _ in rows])
    return [
        FeedItem(
            id=f"comment-{comment.id}",
            kind="comments",
            event="comment_added",
            at=as_utc(comment.created_at),
            actor_id=comment.author_id,
            actor_name=_actor(name, email),
            body=comment.body,
            edited=comment.edited_at is not None,
            edited_at=as_utc(comment.edited_at),
            versions=versions.get(comment.id, []),
            comment_id=comment.id,
        )
        for comment, name, email in rows
    ]


def _activities(session: Session, contact_id: int, before: Any, exactly: Any, limit: int) -> list[FeedItem]:
    rows = session.exec(
        select(Activity, User.name, User.email)
        .outerjoin(User, User.id == Activity.staff_id)
        .where(Activity.contact_id == contact_id)
        .where(*_window(Activity.at, before, exactly))
        .order_by(Activity.at.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    return [
        FeedItem(
            id=f"activity-{activity.id}",
            kind="activities",
            event=activity.kind,
            at=as_utc(activity.at),
            actor_id=activity.staff_id,
            actor_name=_actor(name, email),
            title=ACTIVITY_LABELS.get(activity.kind, activity.kind),
            body=activity.summary,
            activity_kind=activity.kind,
            duration_minutes=activity.duration_minutes,
        )
        for activity, name, email in rows
    ]


def _tasks(session: Session, contact_id: int, before: Any, exactly: Any, limit: int) -> list[FeedItem]:
    assignee = aliased(User)
    rows = session.exec(
        select(AuditEntry, Task, User.name, User.email, assignee.name, assignee.email)
        .outerjoin(Task, Task.id == AuditEntry.entity_id)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .outerjoin(assignee, assignee.id == Task.assignee_id)
        .where(AuditEntry.contact_id == contact_id, AuditEntry.entity == "task")
        .where(*_window(AuditEntry.at, before, exactly))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    now = utcnow()
    return [
        FeedItem(
            id=f"task-{entry.id}",
            kind="tasks",
            event=entry.kind,
            at=as_utc(entry.at),
            actor_id=entry.actor_id,
            actor_name=_actor(name, email),
            title=task.title if task is not None else _text(entry.new),
            field=entry.field,
            old=_text(entry.old) if entry.field else "",
            new=_text(entry.new) if entry.field else "",
            task_id=entry.entity_id,
            due_at=as_utc(task.due_at) if task is not None else None,
            assignee_id=task.assignee_id if task is not None else None,
            assignee_name=_actor(assignee_name, assignee_email),
            done=task is not None and task.done_at is not None,
            overdue=task is not None and _overdue(task.due_at, task.done_at, now),
            deleted=task is None,
        )
        for entry, task, name, email, assignee_name, assignee_email in rows
    ]


def _files(session: Session, contact_id: int, before: Any, exactly: Any, limit: int) -> list[FeedItem]:
    rows = session.exec(
        select(AuditEntry, Attachment, User.name, User.email)
        .outerjoin(Attachment, Attachment.id == AuditEntry.entity_id)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.contact_id == contact_id, AuditEntry.entity == "attachment")
        .where(*_window(AuditEntry.at, before, exactly))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    items = []
    for entry, file, name, email in rows:
        gone = file is None or file.deleted_at is not None
        items.append(
            FeedItem(
                id=f"file-{entry.id}",
                kind="files",
                event=entry.kind,
                at=as_utc(entry.at),
                actor_id=entry.actor_id,
                actor_name=_actor(name, email),
                title=file.original_name if file is not None else _text(entry.old or entry.new),
                file_id=None if gone else file.id,
                has_thumbnail=not gone and file.has_thumbnail,
                size=file.size if file is not None else None,
                content_type=file.content_type if file is not None else "",
                deleted=gone,
            )
        )
    return items


_SOURCES: dict[str, Callable[..., list[FeedItem]]] = {
    "changes": _changes,
    "comments": _comments,
    "activities": _activities,
    "tasks": _tasks,
    "files": _files,
}


def _order(item: FeedItem) -> tuple[datetime, str, int]:
    kind, _, number = item.id.rpartition("-")
    return (item.at, kind, int(number))


def feed(
    session: Session,
    *,
    contact_id: int,
    kinds: set[str] | None = None,
    before: datetime | None = None,
    limit: int = 30,
) -> FeedPage:
    """One page of the contact's feed, newest first, optionally only some kinds, older than ``before``.

    One query per source per page; when several items share the time at the page's edge, the page grows to hold
    them all so that ``next_before`` (strictly older) never skips one.
    """
    contact = _load_contact(session, contact_id)
    limit = max(1, min(int(limit), MAX_PAGE))
    wanted = [k for k in FEED_KINDS if kinds is None or k in kinds]
    unknown = set(kinds or ()) - set(FEED_KINDS)
    if unknown:
        raise ValidationError(f"Unknown feed filter: {', '.join(sorted(unknown))}.", field="kinds")
    before = _aware(before, "before")
    items: list[FeedItem] = []
    for kind in wanted:
        items.extend(_SOURCES[kind](session, contact.id, before, None, limit + 1))
    items.sort(key=_order, reverse=True)
    next_before = None
    if len(items) > limit:
        page = items[:limit]
        edge = page[-1].at
        if items[limit].at == edge:
            ties: list[FeedItem] = []
            for kind in wanted:
                ties.extend(_SOURCES[kind](session, contact.id, None, edge, MAX_TIES))
            page = [item for item in page if item.at > edge] + sorted(ties, key=_order, reverse=True)
        items, next_before = page, edge
    return FeedPage(items=items, next_before=next_before, memo=contact.memo or "")


def feed_kinds() -> tuple[str, ...]:
    """The filters the feed understands."""
    return FEED_KINDS
