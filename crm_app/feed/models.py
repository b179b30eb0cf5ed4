"""Feed tables: comments, logged activities, tasks and attachments of a contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from crm_app.core.timeutil import utcnow

ACTIVITY_KINDS: tuple[str, ...] = ("call_in", "call_out", "sms_in", "email_in", "visit")


class Comment(SQLModel, table=True):
    """A plain-text note a staff member wrote on a contact."""

    __tablename__ = "comment"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    body: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    deleted_at: datetime | None = None


class Activity(SQLModel, table=True):
    """A call, message or visit that happened with the contact."""

    __tablename__ = "activity"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow)
    duration_minutes: int | None = None
    summary: str = Field(default="")
    staff_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class Task(SQLModel, table=True):
    """Something to do about a contact, by someone, maybe by a date."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_assignee_open_due", "assignee_id", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=300)
    due_at: datetime | None = None
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    done_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class Attachment(SQLModel, table=True):
    """A file or image attached to a contact; the bytes live under a generated name outside any public folder."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    stored_name: str = Field(max_length=64, unique=True)
    original_name: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int = Field(default=0)
    width: int | None = None
    height: int | None = None
    has_thumbnail: bool = Field(default=False)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
