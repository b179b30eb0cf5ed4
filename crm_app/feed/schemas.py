"""What goes into and comes out of the feed services: plain pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

FEED_KINDS: tuple[str, ...] = ("changes", "comments", "activities", "tasks", "files")


class CommentVersion(BaseModel):
    """An earlier text of an edited comment and when it was written."""

    at: datetime
    body: str


class FeedItem(BaseModel):
    """One line of a contact's feed, whatever its source; ``id`` is unique across sources."""

    id: str
    kind: str
    event: str = ""
    at: datetime
    actor_id: int | None = None
    actor_name: str = ""
    title: str = ""
    body: str = ""
    field: str = ""
    old: str = ""
    new: str = ""
    edited: bool = False
    edited_at: datetime | None = None
    versions: list[CommentVersion] = []
    comment_id: int | None = None
    activity_kind: str = ""
    duration_minutes: int | None = None
    task_id: int | None = None
    due_at: datetime | None = None
    assignee_id: int | None = None
    assignee_name: str = ""
    done: bool = False
    overdue: bool = False
    file_id: int | None = None
    has_thumbnail: bool = False
    size: int | None = None
    content_type: str = ""
    deleted: bool = False


class FeedPage(BaseModel):
    """One page of feed items, newest first; pass ``next_before`` back for the next page (None at the end)."""

    items: list[FeedItem]
    next_before: datetime | None = None
    memo: str = ""


class CommentRead(BaseModel):
    """A comment as shown."""

    id: int
    contact_id: int
    author_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None = None


class ActivityRead(BaseModel):
    """A logged activity as shown."""

    id: int
    contact_id: int
    kind: str
    at: datetime
    duration_minutes: int | None = None
    summary: str
    staff_id: int | None = None


class TaskRead(BaseModel):
    """A task as shown."""

    id: int
    contact_id: int
    title: str
    due_at: datetime | None = None
    assignee_id: int | None = None
    done_at: datetime | None = None
    overdue: bool = False


class TaskRow(BaseModel):
    """One line of "My tasks": an open task with its contact's name."""

    id: int
    title: str
    due_at: datetime | None = None
    overdue: bool = False
    contact_id: int
    contact_name: str


class AttachmentRead(BaseModel):
    """A stored file as shown (never the stored name on disk)."""

    id: int
    contact_id: int
    original_name: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    has_thumbnail: bool = False
    created_at: datetime
