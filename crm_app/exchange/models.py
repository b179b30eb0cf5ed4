"""Tables of the imports and exports: one row per import or export, one per imported file row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from crm_app.core.timeutil import utcnow


class ImportJob(SQLModel, table=True):
    """An uploaded file on its way in: mapping, options, dry run, progress, counts and undo."""

    __tablename__ = "import_job"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    file_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=80)
    file_format: str = Field(max_length=8)
    file_size: int = 0
    file_sha256: str = Field(default="", max_length=64, index=True)
    sheet_name: str = Field(default="", max_length=100)
    header_row: int = 1
    headers: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mapping: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="uploaded", max_length=20, index=True)
    dry_run: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    total_rows: int | None = None
    next_row: int = 0
    processed_rows: int = 0
    created_count: int = 0
    updated_count: int = 0
    skipped_count: int = 0
    rejected_count: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    run_seconds: float = 0.0
    cancel_requested: bool = False
    worker: str = Field(default="", max_length=120)
    error: str = Field(default="")
    undone_at: datetime | None = None
    undone_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    undo_report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ImportRow(SQLModel, table=True):
    """What an import did with one row of its file (rows it created, updated, skipped or rejected)."""

    __tablename__ = "import_row"
    __table_args__ = (Index("ix_import_row_contact", "contact_id"),)

    import_id: int = Field(foreign_key="import_job.id", primary_key=True, ondelete="CASCADE")
    row_number: int = Field(primary_key=True)
    action: str = Field(max_length=12)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    keys: str = Field(default="")
    problems: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cells: list[Any] | None = Field(default=None, sa_column=Column(JSON))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    version_after: int | None = None
    undone: bool = False


class ExportJob(SQLModel, table=True):
    """A file of contacts written for someone: what was asked, how far it got, where the file is."""

    __tablename__ = "export_job"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    file_format: str = Field(max_length=8)
    scope: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="running", max_length=20)
    total_rows: int = 0
    written_rows: int = 0
    stored_name: str = Field(default="", max_length=80)
    file_name: str = Field(default="", max_length=255)
    finished_at: datetime | None = None
    error: str = Field(default="")
