"""Tables shared by every domain: account-wide settings and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from crm_app.core.timeutil import utcnow


class AppSetting(SQLModel, table=True):
    """One account-wide setting, stored as JSON under a key."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=80)
    value: Any = Field(default=None, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: old and new values, for contacts and for settings."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
    field: str = Field(default="", max_length=80)
    old: Any = Field(default=None, sa_column=Column(JSON))
    new: Any = Field(default=None, sa_column=Column(JSON))
