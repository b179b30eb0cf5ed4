"""What the import and export services hand out: plain pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

MATCH_KEYS = ("reference", "email", "phone")
ON_MATCH = ("skip", "fill", "overwrite")
OnMatch = Literal["skip", "fill", "overwrite"]
ON_BAD_VALUE = ("drop", "reject")
OnBadValue = Literal["drop", "reject"]


class ImportOptions(BaseModel):
    """How rows are read and meet existing contacts: which keys match, what a match does, what an unusable
    value does (the contact is imported without it, or the row is rejected), and the country of numbers
    written without their country code when the row does not say ("" for the account's region)."""

    match_on: list[str] = Field(default_factory=lambda: ["reference", "email", "phone"])
    on_match: OnMatch = "skip"
    on_bad_value: OnBadValue = "drop"
    phone_region: str = ""
    locale: str = "en"
    # Values outside a closed list, by target: folded value -> the value to read instead ("" = leave empty).
    value_map: dict[str, dict[str, str]] = Field(default_factory=dict)


class Reason(BaseModel):
    """Why rows were rejected or skipped, or which values were left out (``dropped``) or are to check
    (``flagged``), with how many rows and the first row numbers."""

    action: str
    column: str
    message: str
    count: int
    rows: list[int]


class UnknownValue(BaseModel):
    """A value of a closed list (type, channel, staff, phone type, yes/no, choice) that the file uses and the
    app does not know, with how many rows use it."""

    column: int
    header: str
    target: str
    value: str
    count: int


class UnknownValueRead(BaseModel):
    """An unknown value as the wizard offers it: what it may become (value, label), what was chosen (None: not
    yet; "": left empty) and whether it may be added to its list."""

    column: int
    header: str
    value: str
    count: int
    choice: str | None
    choices: list[tuple[str, str]]
    can_create: bool


class DryRun(BaseModel):
    """What an import would do (or did): counts per action, reasons and warnings."""

    state: str = ""
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    skip: int = 0
    reject: int = 0
    with_dropped: int = 0
    reasons: list[Reason] = Field(default_factory=list)
    more_reasons: int = 0
    unknown_values: list[UnknownValue] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    fingerprint: str = ""
    seconds: float = 0.0


class ImportRead(BaseModel):
    """An import as its page shows it."""

    id: int
    created_at: datetime
    created_by_name: str
    file_name: str
    file_format: str
    file_size: int
    sheet_name: str
    headers: list[str]
    mapping: list[dict[str, Any]]
    options: ImportOptions
    status: str
    dry_run: DryRun
    total_rows: int | None
    processed_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    rejected_count: int
    started_at: datetime | None
    finished_at: datetime | None
    run_seconds: float
    rows_per_second: float
    cancel_requested: bool
    stale: bool
    error: str
    undone_at: datetime | None
    undo_report: dict[str, Any]


class PreviewRead(BaseModel):
    """The first rows of a file, as text, under its headers."""

    headers: list[str]
    rows: list[list[str]]
    header_row: int


class ExportRead(BaseModel):
    """An export as the list shows it."""

    id: int
    status: str
    file_format: str
    total_rows: int
    written_rows: int
    file_name: str
    error: str
