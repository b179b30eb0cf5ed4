"""Imports: upload → mapping → dry run → batched, resumable run → error report → undo.

Every row gets an account (created, updated, unchanged, skipped or rejected with its column and reason).
The run commits in batches; each batch writes its contacts, its ``import_row`` lines and the job's progress in
one transaction, so a crash or a cancel leaves whole batches and the run resumes after the last one. Rows
are matched to existing contacts (and to earlier rows of the same file) by reference, e-mail or phone, so
running the same file again creates nobody twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import logging
import os
import socket
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from babel import Locale
from phonenumbers import SUPPORTED_REGIONS
from sqlalchemy import Engine, create_engine, delete, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.contacts import batch
from crm_app.contacts import events as changes
from crm_app.contacts.bulk import bulk_delete
from crm_app.contacts.emails import email_key
from crm_app.contacts.models import AcquisitionChannel, Address, Contact, ContactTag, Email, Phone, PhoneType
from crm_app.contacts.phones import dialling_region
from crm_app.contacts.schemas import BUILTIN_PHONE_TYPES, ContactIn, EmailIn, PhoneIn
from crm_app.contacts.search.documents import reindex_contacts
from crm_app.contacts.service import BUILTIN_PHONE_LABELS, text_problem
from crm_app.core.app_settings import get_settings
from crm_app.core.audit import json_safe
from crm_app.core.collector import after_batch, collector_paused
from crm_app.core.errors import ConflictError, NotFoundError, ValidationError
from crm_app.core.memo import forget, reading_config_once
from crm_app.core.text import fold
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.db import get_engine, insert_rows, normalise_url, session_scope
from crm_app.exchange.columns import (
    ColumnPlan,
    CustomColumn,
    all_targets,
    check_mapping,
    propose_mapping,
)
from crm_app.exchange.files import (
    StoredFile,
    cell_text,
    cells_back,
    cells_json,
    header_and_rows,
    is_blank,
    open_sheet,
    stored_path,
)
from crm_app.exchange.models import ImportJob, ImportRow
from crm_app.exchange.parse import (
    ParseContext,
    Problem,
    RowInput,
    address_inputs,
    context_fingerprint,
    country_lookup,
    read_row,
    row_data,
    row_from_data,
    value_key,
)
from crm_app.exchange.reading import Item, rows_read_apart
from crm_app.exchange.schemas import (
    MATCH_KEYS,
    DryRun,
    ImportOptions,
    ImportRead,
    PreviewRead,
    Reason,
    UnknownValue,
)
from crm_app.fields.models import FieldDefinition
from crm_app.fields.types import choices_from_options, is_empty
from crm_app.i18n import LOCALES, normalise_locale, translate
from crm_app.settings import settings

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=90)
PREVIEW_ROWS = 10
# Rows read at upload to see which columns hold values (a column empty in all of them is not proposed for a name).
SAMPLE_ROWS = 20
MAX_REASONS = 100
MAX_REASON_ROWS = 8
MAX_UNKNOWN_VALUES = 30
# How far back the value choices of an earlier import of the same layout are looked for.
REMEMBER_FROM_LAST = 200
# Keys of validation errors that name required data: a row whose name or type is unusable is rejected.
REQUIRED_KEYS = frozenset({"kind", "first_name", "last_name", "company_name", "display_name", ""})
RUNNING = "running"
DONE = "done"
CANCELLED = "cancelled"
FAILED = "failed"
UNDONE = "undone"
UNDOING = "undoing"
CHECKING = "checking"
CHECKED = "checked"
UPLOADED = "uploaded"
RESUMABLE = frozenset({CANCELLED, FAILED, RUNNING})
REFERENCE_LIMIT = 40
T = TypeVar("T")
# A row checker's verdict on a row as a new contact: ("plan", ContactPlan) or ("invalid", message, errors).
Verdict = tuple[Any, ...]


# ---------------------------------------------------------------- reading an import


def _job(session: Session, import_id: Any) -> ImportJob:
    try:
        job = session.get(ImportJob, int(import_id))
    except (TypeError, ValueError):
        job = None
    if job is None:
        raise NotFoundError("This import does not exist.")
    return job


def _options(job: ImportJob) -> ImportOptions:
    try:
        return ImportOptions.model_validate(job.options or {})
    except ValueError:
        return ImportOptions()


def _is_stale(job: ImportJob, now: datetime | None = None) -> bool:
    if job.status not in (RUNNING, CHECKING, UNDOING) or job.heartbeat_at is None:
        return False
    return (now or utcnow()) - as_utc(job.heartbeat_at) > STALE_AFTER


def import_read(session: Session, job: ImportJob) -> ImportRead:
    """The import as a DTO."""
    creator = session.get(User, job.created_by_id) if job.created_by_id else None
    dry = DryRun.model_validate(job.dry_run) if job.dry_run else DryRun()
    seconds = job.run_seconds or 0.0
    return ImportRead(
        id=job.id,
        created_at=as_utc(job.created_at),
        created_by_name=(creator.name or creator.email) if creator else "",
        file_name=job.file_name,
        file_format=job.file_format,
        file_size=job.file_size,
        sheet_name=job.sheet_name,
        headers=[str(h) for h in job.headers],
        mapping=list(job.mapping),
        options=_options(job),
        status=job.status,
        dry_run=dry,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        created_count=job.created_count,
        updated_count=job.updated_count,
        skipped_count=job.skipped_count,
        rejected_count=job.rejected_count,
        started_at=as_utc(job.started_at),
        finished_at=as_utc(job.finished_at),
        run_seconds=round(seconds, 2),
        rows_per_second=round(job.processed_rows / seconds, 1) if seconds > 0 else 0.0,
        cancel_requested=job.cancel_requested,
        stale=_is_stale(job),
        error=job.error,
        undone_at=as_utc(job.undone_at),
        undo_report=dict(job.undo_report or {}),
    )


def get_import(session: Session, *, import_id: Any) -> ImportRead:
    """One import; NotFoundError when unknown."""
    return import_read(session, _job(session, import_id))


def list_imports(session: Session, *, limit: int = 50) -> list[ImportRead]:
    """The latest imports, newest first."""
    jobs = session.execute(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)).scalars().all()
    return [import_read(session, job) for job in jobs]


# ---------------------------------------------------------------- configuration for reading rows


def custom_columns(session: Session) -> list[CustomColumn]:
    """The active custom fields of both forms as columns (a key shared by both forms is one column)."""
    rows = session.execute(
        select(FieldDefinition)
        .where(FieldDefinition.builtin.is_(False), FieldDefinition.active.is_(True))
        .order_by(FieldDefinition.kind.desc(), FieldDefinition.position, FieldDefinition.id)
    ).scalars()
    columns: dict[str, CustomColumn] = {}
    for row in rows:
        labels = tuple(c.label for c in choices_from_options(row.options) if c.active)
        if row.key in columns:
            known = columns[row.key]
            columns[row.key] = CustomColumn(known.key, known.label, known.type, (*known.kinds, row.kind), known.choices)
        else:
            columns[row.key] = CustomColumn(row.key, row.label, row.type, (row.kind,), labels)
    return list(columns.values())


def phone_type_lookup(session: Session) -> dict[str, str]:
    """Folded phone type names (built-in labels in every language, custom types) -> stored type."""
    lookup: dict[str, str] = {}
    for key in BUILTIN_PHONE_TYPES:
        lookup[key] = key
        for locale in LOCALES:
            lookup[fold(translate(locale, BUILTIN_PHONE_LABELS[key]))] = key
    for name in session.execute(select(PhoneType.name)).scalars():
        lookup.setdefault(fold(name), name)
    return lookup


def _user_lookup(session: Session) -> dict[str, int]:
    lookup: dict[str, int] = {}
    names = Tally()
    users = session.execute(select(User.id, User.email, User.name).where(User.active.is_(True))).all()
    for _uid, _email, name in users:
        if name:
            names[fold(name.strip())] += 1
    for uid, email, name in users:
        lookup[fold(email)] = uid
        if name and names[fold(name.strip())] == 1:
            lookup.setdefault(fold(name.strip()), uid)
    return lookup


def _channel_lookup(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AcquisitionChannel.id, AcquisitionChannel.name).where(AcquisitionChannel.active.is_(True))
    ).all()
    return {fold(name.strip()): cid for cid, name in rows}


def _plans(job: ImportJob) -> list[ColumnPlan]:
    plans = [ColumnPlan.from_dict(item) for item in job.mapping]
    width = len(job.headers)
    return (plans + [ColumnPlan() for _ in range(width - len(plans))])[:width]


def parse_context(session: Session, job: ImportJob) -> ParseContext:
    """Everything reading this import's rows needs, loaded once."""
    options = _options(job)
    return ParseContext(
        headers=[str(h) for h in job.headers],
        plans=_plans(job),
        region=dialling_region(options.phone_region, get_settings(session).default_region),
        locale=normalise_locale(options.locale),
        phone_types=phone_type_lookup(session),
        users=_user_lookup(session),
        channels=_channel_lookup(session),
        custom={column.key: column for column in custom_columns(session)},
        countries=_COUNTRIES,
        value_map=options.value_map,
    )


_COUNTRIES = country_lookup()


# ---------------------------------------------------------------- upload, preview, mapping


def _clean_file_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/")).replace("\x00", "")
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "import"
    return base[-200:]


def create_import(
    session: Session, *, stored: StoredFile, file_name: str, actor_id: int | None, locale: str = "en"
) -> ImportRead:
    """Register an uploaded file: read its headers, propose a mapping; ValidationError when unreadable."""
    try:
        with open_sheet(stored.path, stored.file_format) as sheet:
            header_row, headers, rows = header_and_rows(sheet, max_rows=SAMPLE_ROWS)
            sample = [cells for _number, cells in itertools.islice(rows, SAMPLE_ROWS)]
            sheet_name = sheet.name
            estimate = max(0, (sheet.estimated_rows or 0) - header_row) or None
    except ValidationError:
        stored.path.unlink(missing_ok=True)
        raise
    account = get_settings(session)
    plans = propose_mapping(
        headers,
        custom=custom_columns(session),
        phone_type_names=[name for name in session.execute(select(PhoneType.name)).scalars()],
        channel_defaults=account.channel_defaults,
        empty_columns=frozenset(
            i for i in range(len(headers)) if sample and all(is_blank(cells[i]) for cells in sample)
        ),
    )
    options = ImportOptions(
        locale=normalise_locale(locale),
        phone_region=account.default_region,
        value_map=remembered_value_map(session, headers=headers),
    )
    mapped = {plan.target for plan in plans}
    options.match_on = [key for key in MATCH_KEYS if key != "reference" or "reference" in mapped]
    job = ImportJob(
        created_by_id=actor_id,
        file_name=_clean_file_name(file_name),
        stored_name=stored.stored_name,
        file_format=stored.file_format,
        file_size=stored.size,
        file_sha256=stored.sha256,
        sheet_name=sheet_name[:100],
        header_row=header_row,
        headers=headers,
        mapping=[plan.as_dict() for plan in plans],
        options=options.model_dump(),
        status=UPLOADED,
        total_rows=estimate,
    )
    session.add(job)
    session.flush()
    return import_read(session, job)


def preview(session: Session, *, import_id: Any, rows: int = PREVIEW_ROWS) -> PreviewRead:
    """The header and the first data rows of the file, as text."""
    job = _job(session, import_id)
    sample: list[list[str]] = []
    with open_sheet(stored_path(job.stored_name), job.file_format) as sheet:
        header_row, headers, data = header_and_rows(sheet)
        for _number, cells in data:
            sample.append([cell_text(v)[:200] for v in cells])
            if len(sample) >= rows:
                break
    return PreviewRead(headers=headers, rows=sample, header_row=header_row)


def phone_region_choices(*, locale: str = "en") -> list[tuple[str, str]]:
    """(ISO code, country name in ``locale``) of every country phone numbers can belong to, by name."""
    names = Locale.parse(normalise_locale(locale)).territories
    return sorted(((code, names.get(code, code)) for code in SUPPORTED_REGIONS), key=lambda item: fold(item[1]))


def remembered_value_map(session: Session, *, headers: list[str]) -> dict[str, dict[str, str]]:
    """The choices made for values outside closed lists by the last import of a file with these headers."""
    rows = session.execute(
        select(ImportJob.headers, ImportJob.options).order_by(ImportJob.id.desc()).limit(REMEMBER_FROM_LAST)
    ).all()
    for stored, options in rows:
        if [str(h) for h in stored] == headers and (options or {}).get("value_map"):
            return dict(options["value_map"])
    return {}


def mapping_targets(session: Session, *, locale: str = "en") -> list[dict[str, str]]:
    """Every field a column can be mapped to: value, label, group."""
    return [t.__dict__ for t in all_targets(custom_columns(session), locale)]


def _fingerprint(job: ImportJob) -> str:
    payload = json.dumps({"mapping": job.mapping, "options": job.options, "file": job.file_sha256}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _editable(job: ImportJob) -> None:
    if job.status not in (UPLOADED, CHECKED):
        raise ValidationError("This import has started: its mapping and options can no longer change.")


def changeable_import(session: Session, *, import_id: Any) -> tuple[ImportJob, ImportOptions, list[ColumnPlan]]:
    """An import whose mapping and options may still change, with them (NotFoundError, ValidationError else)."""
    job = _job(session, import_id)
    _editable(job)
    return job, _options(job), _plans(job)


def update_mapping(session: Session, *, import_id: Any, mapping: Any, options: Any, actor_id: int | None) -> ImportRead:
    """Change the column mapping and the duplicate options (a new dry run is then needed)."""
    job = _job(session, import_id)
    _editable(job)
    if not isinstance(mapping, list) or len(mapping) != len(job.headers):
        raise ValidationError("The mapping must have one entry per column of the file.", field="mapping")
    plans = [ColumnPlan.from_dict(item) for item in mapping]
    targets = {t.value for t in all_targets(custom_columns(session))}
    types = set(phone_type_lookup(session).values())
    problems = check_mapping(plans, valid_targets=targets)
    for index, plan in enumerate(plans):
        if plan.target == "phones" and plan.phone_type not in types:
            problems.setdefault(index, "Choose Mobile, Work, Home or a phone type from the settings.")
    if problems:
        raise ValidationError(
            "Some columns need your attention.", errors={f"mapping.{i}": msg for i, msg in problems.items()}
        )
    given = {key: value for key, value in (options if isinstance(options, dict) else {}).items() if key != "value_map"}
    try:
        parsed = ImportOptions.model_validate({**(job.options or {}), **given})
    except ValueError as exc:
        raise ValidationError("Choose what to do with rows that match an existing contact.", field="options") from exc
    parsed.match_on = [key for key in MATCH_KEYS if key in set(parsed.match_on)]
    parsed.locale = normalise_locale(parsed.locale)
    parsed.phone_region = parsed.phone_region.upper()
    if parsed.phone_region and dialling_region(parsed.phone_region, "") != parsed.phone_region:
        raise ValidationError("Choose the country of numbers written without a country code.", field="options")
    job.mapping = [plan.as_dict() for plan in plans]
    job.options = parsed.model_dump()
    if job.status == CHECKED:
        job.status = UPLOADED
    session.add(job)
    session.flush()
    return import_read(session, job)


# ---------------------------------------------------------------- deciding what each row does


@dataclass
class Outcome:
    """What happened (or would happen) to one row."""

    row: RowInput
    action: str
    contact_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    reason: str = ""
    before: dict[str, Any] | None = None
    version_after: int | None = None
    keys: list[str] = field(default_factory=list)
    dropped: list[Problem] = field(default_factory=list)
    duplicate: bool = False

    def report(self) -> list[dict[str, str]]:
        """Everything the report says about the row, each item with its kind: ``rejected``, ``skipped``,
        ``unchanged`` (why), ``dropped`` (a value left out), ``flagged`` (to check)."""
        items = [(self.action, p) for p in self.problems]
        if not items and self.reason:
            items.append((self.action, Problem(column="", message=self.reason)))
        if self.action in ("created", "updated"):
            items += [("dropped", p) for p in self.dropped] + [("flagged", p) for p in self.row.notices]
        return [{**p.as_dict(), "kind": kind} for kind, p in items]

    @property
    def reported(self) -> bool:
        """Whether the row goes into the reports: rejected, a repeat of an earlier row, or with values left out
        or to check."""
        return self.action == "rejected" or self.duplicate or any(k["kind"] in REPORTED for k in self.report())


REPORTED = frozenset({"dropped", "flagged"})
_DUPLICATE_MESSAGES = {
    "reference": "Skipped as a duplicate of row {row} (same reference).",
    "email": "Skipped as a duplicate of row {row} (same e-mail address).",
    "phone": "Skipped as a duplicate of row {row} (same phone number).",
}


def _column_of(row: RowInput, ctx: ParseContext, key: str) -> str:
    """The header of the column behind a validation error key ("phones.1.number", "custom.brand", "city")."""
    head = key.split(".")[0]
    index = None
    if head in ("phones", "emails") and key.count(".") >= 1:
        items = row.phones if head == "phones" else row.emails
        try:
            position = int(key.split(".")[1])
            index = items[position].column if position < len(items) else None
        except (ValueError, IndexError):
            index = None
    elif head == "custom":
        index = row.columns.get(key)
    elif head == "addresses":
        try:
            position = int(key.split(".")[1])
            groups = sorted(row.addresses)
            index = row.columns.get(f"address{groups[position]}") if position < len(groups) else None
        except (ValueError, IndexError):
            index = None
    else:
        aliases = {
            "assigned_user_id": "assigned",
            "acquisition_channel_id": "channel",
            "discount_percent": "discount",
        }
        index = row.columns.get(aliases.get(head, head))
        if index is None and head in ("first_name", "last_name", "company_name"):
            index = row.columns.get("name")
    if index is None or index >= len(ctx.headers):
        return ""
    return ctx.headers[index]


def _problems_from(error: ValidationError, row: RowInput, ctx: ParseContext) -> list[Problem]:
    if not error.errors:
        return [Problem(column="", message=error.message)]
    return [Problem(column=_column_of(row, ctx, key), message=message) for key, message in error.errors.items()]


def _new_phone(cell: Any) -> PhoneIn:
    defaults = cell.column_defaults
    return PhoneIn(
        number=cell.raw,
        type=cell.type or defaults["type"],
        region=cell.region,
        whatsapp=cell.consents.get("whatsapp", defaults["whatsapp"]),
        viber=cell.consents.get("viber", defaults["viber"]),
        sms=cell.consents.get("sms", defaults["sms"]),
    )


def _new_email(cell: Any) -> EmailIn:
    return EmailIn(address=cell.address, email_ok=cell.consent if cell.consent is not None else cell.column_default)


def new_contact_input(row: RowInput) -> ContactIn:
    """A new contact made of everything the row provides."""
    return ContactIn(
        kind=row.kind or "person",
        **row.scalars,
        phones=[_new_phone(p) for p in row.phones],
        emails=[_new_email(e) for e in row.emails],
        addresses=address_inputs(row),
        tags=list(row.tags),
        custom=dict(row.custom),
    )


def _is_blank_value(value: Any) -> bool:
    if value is None or value is False or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, str):
        with contextlib.suppress(InvalidOperation):
            return Decimal(value.replace(",", ".").rstrip("%").strip() or "0") == 0 and not value.strip("0.,% ")
    return False


def merged_input(file: batch.ContactFile, row: RowInput, *, overwrite: bool) -> ContactIn:
    """The stored contact with the row's values: only into empty fields, or over them with ``overwrite``.

    Nothing is ever removed: empty cells keep what is stored, numbers and e-mails are added, and a consent
    the row does not state stays as it is (with ``overwrite`` a stated consent replaces the stored one).
    """
    data = batch.input_from_file(file)
    for name, value in row.scalars.items():
        current = getattr(data, name)
        if name == "discount_percent":
            empty = Decimal(file.contact.discount_percent or 0) == 0
        else:
            empty = _is_blank_value(current)
        if overwrite or empty:
            setattr(data, name, value)
    for key, value in row.custom.items():
        if overwrite or is_empty(data.custom.get(key)) or data.custom.get(key) is False:
            data.custom[key] = value
    stored_phones = {p.e164: item for p, item in zip(file.phones, data.phones, strict=True)}
    for cell in row.phones:
        item = stored_phones.get(cell.e164)
        if item is None:
            data.phones.append(_new_phone(cell))
            continue
        if overwrite and cell.type:
            item.type = cell.type
        for channel, given in cell.consents.items():
            if overwrite or given:
                setattr(item, channel, given)
    stored_emails = {email_key(e.address): item for e, item in zip(file.emails, data.emails, strict=True)}
    for cell in row.emails:
        item = stored_emails.get(email_key(cell.address))
        if item is None:
            data.emails.append(_new_email(cell))
        elif cell.consent is not None and (overwrite or cell.consent):
            item.email_ok = cell.consent
    # Sheets list the main address first, then the others in their order (as exports write them).
    ordered = sorted(data.addresses, key=lambda a: not a.is_main)
    for position, new in enumerate(address_inputs(row)):
        if position >= len(ordered):
            new.is_main = not data.addresses
            data.addresses.append(new)
            ordered.append(new)
            continue
        target = ordered[position]
        for part in ("label", "line1", "line2", "postcode", "city", "region", "country"):
            value = getattr(new, part)
            if value and (overwrite or not getattr(target, part)):
                setattr(target, part, value)
    known = {name.casefold() for name in data.tags}
    data.tags += [name for name in row.tags if name.casefold() not in known]
    return data


def _drop_values(row: RowInput, error: ValidationError, ctx: ParseContext, *, positional: bool) -> bool:
    """Leave out of ``row`` the values ``error`` refuses, each listed in ``row.problems`` with its column; False
    (the row unchanged) when one is required data or cannot be told apart. ``positional`` keys (``phones.1``)
    count the row's own phones, e-mails, addresses and tags (true of a new contact, not of an update)."""
    lists: dict[str, list[Any]] = {"phones": row.phones, "emails": row.emails, "tags": row.tags}
    groups = sorted(row.addresses)
    scalars: set[str] = set()
    custom: set[str] = set()
    items: dict[str, set[int]] = {name: set() for name in lists}
    parts: set[tuple[int, str]] = set()
    for key in error.errors or {"": error.message}:
        head, _dot, rest = key.partition(".")
        index, _dot, part = rest.partition(".")
        if head in REQUIRED_KEYS:
            return False
        if head == "custom" and rest in row.custom:
            custom.add(rest)
        elif head in row.scalars and not rest:
            scalars.add(head)
        elif positional and head in lists and index.isdigit() and int(index) < len(lists[head]):
            items[head].add(int(index))
        elif positional and head == "addresses" and index.isdigit() and int(index) < len(groups):
            if part not in row.addresses[groups[int(index)]]:
                return False
            parts.add((groups[int(index)], part))
        else:
            return False
    row.problems += _problems_from(error, row, ctx)
    for name in scalars:
        del row.scalars[name]
    for key in custom:
        del row.custom[key]
    for name, positions in items.items():
        lists[name][:] = [item for position, item in enumerate(lists[name]) if position not in positions]
    for group, part in parts:
        del row.addresses[group][part]
        if not row.addresses[group]:
            del row.addresses[group]
    return True


class Planner:
    """Decides, batch by batch, what each row does; with ``write`` it also writes the batch."""

    def __init__(self, job: ImportJob, ctx: ParseContext, *, write: bool, actor_id: int | None):
        self.job = job
        self.ctx = ctx
        self.options = _options(job)
        self.write = write
        self.actor_id = actor_id
        self.match_on = [key for key in MATCH_KEYS if key in self.options.match_on]
        self.drop = self.options.on_bad_value == "drop"
        self.with_dropped = 0
        self.seen: dict[str, int] = {}
        self.touched: dict[int, int] = {}
        self.tally: Tally[str] = Tally()
        self.reasons: dict[tuple[str, str, str], list[int]] = {}
        self.reason_counts: Tally[tuple[str, str, str]] = Tally()
        # Values outside closed lists by column: folded value -> [as first written, rows].
        self.unknown: dict[int, dict[str, list[Any]]] = {}
        self.keyless = 0
        self.verdicts: dict[int, Verdict] | None = None
        self.note = f"{job.file_name} (import #{job.id})"
        # The fingerprint of reading rows under ``ctx`` (a digest of all of it: worth computing once).
        self.reading = context_fingerprint(ctx)

    # -- memory of earlier batches (a resumed run)

    def restore(self, session: Session) -> None:
        """Re-learn the keys and contacts of the rows earlier batches handled."""
        rows = session.execute(
            select(ImportRow.row_number, ImportRow.keys, ImportRow.contact_id, ImportRow.action).where(
                ImportRow.import_id == self.job.id
            )
        ).all()
        for number, keys, contact_id, action in rows:
            for key in (keys or "").split("\n"):
                if key:
                    self.seen.setdefault(key, number)
            if contact_id is not None and action in ("updated", "unchanged", "skipped"):
                self.touched.setdefault(contact_id, number)

    # -- the decisions

    def _keys(self, row: RowInput) -> list[str]:
        found = row.keys
        return [f"{kind}:{value}" for kind in self.match_on for value in found[kind]]

    def _matches(self, session: Session, rows: list[RowInput]) -> dict[str, set[int]]:
        wanted: dict[str, set[str]] = {kind: set() for kind in MATCH_KEYS}
        for row in rows:
            keys = row.keys
            for kind in self.match_on:
                wanted[kind].update(keys[kind])
        found: dict[str, set[int]] = {}

        def add(prefix: str, value: str, contact_id: int) -> None:
            found.setdefault(f"{prefix}:{value}", set()).add(contact_id)

        refs = sorted(wanted["reference"])
        for start in range(0, len(refs), 900):
            chunk = refs[start : start + 900]
            for cid, ref in session.execute(
                select(Contact.id, Contact.reference).where(Contact.reference.in_(chunk + [r.lower() for r in chunk]))
            ):
                add("reference", ref.upper(), cid)
        addresses = sorted(wanted["email"])
        for start in range(0, len(addresses), 900):
            chunk = addresses[start : start + 900]
            for cid, key in session.execute(
                select(Email.contact_id, Email.address_key).where(Email.address_key.in_(chunk))
            ):
                add("email", key, cid)
        numbers = sorted(wanted["phone"])
        for start in range(0, len(numbers), 900):
            chunk = numbers[start : start + 900]
            for cid, e164 in session.execute(select(Phone.contact_id, Phone.e164).where(Phone.e164.in_(chunk))):
                add("phone", e164, cid)
        return found

    def _count(self, outcome: Outcome) -> None:
        self.tally[outcome.action] += 1
        written: dict[tuple[int, str], str] = {}
        for index, text in outcome.row.unknown:
            written.setdefault((index, value_key(text)), text)
        for (index, key), text in written.items():
            self.unknown.setdefault(index, {}).setdefault(key, [text, 0])[1] += 1
        items = outcome.report()
        if any(item["kind"] == "dropped" for item in items):
            self.with_dropped += 1
        # Each reason once per row, however many times the row gives it.
        for key in dict.fromkeys((item["kind"], item["column"], item["message"]) for item in items):
            self.reason_counts[key] += 1
            rows = self.reasons.setdefault(key, [])
            if len(rows) < MAX_REASON_ROWS:
                rows.append(outcome.row.number)

    @staticmethod
    def _reject(row: RowInput, problems: list[Problem], keys: list[str] | None = None) -> Outcome:
        return Outcome(row=row, action="rejected", problems=list(dict.fromkeys(problems)), keys=list(keys or []))

    def _blocking(self, row: RowInput) -> list[Problem]:
        """What rejects the row whatever else it holds: unusable required data or reference, and with
        "reject the row" chosen any unusable value."""
        found = [p for p in row.problems if p.required or not self.drop]
        return [*found, *self._check_reference(row)]

    def _every_problem(self, session: Session, row: RowInput, known: Verdict | None) -> list[Problem]:
        """Every problem of a rejected row: its unusable values and what checking it as a contact finds."""
        problems = [*row.problems, *self._check_reference(row)]
        if row.is_empty():
            return problems
        try:
            self._validated(session, row, known)
        except ValidationError as error:
            problems += _problems_from(error, row, self.ctx)
        return problems

    def _checked_new(self, session: Session, row: RowInput, verdict: Verdict | None) -> batch.ContactPlan:
        """The row checked as a new contact; with "import without it" chosen, the values validation refuses
        are left out of the row (listed in ``row.problems``) as long as no required data is among them."""
        while True:
            try:
                return self._validated(session, row, verdict)
            except ValidationError as error:
                if not self.drop or not _drop_values(row, error, self.ctx, positional=True):
                    raise
                verdict = None

    def _check_reference(self, row: RowInput) -> list[Problem]:
        if not row.reference:
            return []
        column = self.ctx.headers[row.columns["reference"]] if "reference" in row.columns else ""
        if len(row.reference) > REFERENCE_LIMIT or text_problem(row.reference):
            return [Problem(column=column, message="This reference cannot be used (too long or invalid characters).")]
        return []

    def _validated(self, session: Session, row: RowInput, verdict: Verdict | None) -> batch.ContactPlan:
        """The row checked as a new contact (a verdict already given is taken as it is); with ``verdicts`` set,
        every verdict is also kept there by row number."""
        if verdict is None:
            try:
                plan = batch.validate_new(
                    session, data=new_contact_input(row), settings=get_settings(session), locale=self.ctx.locale
                )
            except ValidationError as error:
                verdict = ("invalid", error.message, error.errors)
            else:
                verdict = ("plan", plan)
        if self.verdicts is not None:
            self.verdicts[row.number] = verdict
        if verdict[0] == "invalid":
            raise ValidationError(verdict[1], errors=verdict[2])
        return verdict[1]

    def decide(self, session: Session, rows: list[RowInput], known: dict[int, Verdict] | None = None) -> list[Outcome]:
        """What each row of one batch does (and, with ``write``, do it); ``known`` holds verdicts on rows
        as new contacts that a ``RowChecker`` gave (by row number)."""
        outcomes: list[Outcome] = []
        pending: list[tuple[RowInput, list[str]]] = []
        known = known or {}
        for row in rows:
            if self._blocking(row):
                outcomes.append(self._reject(row, self._every_problem(session, row, known.get(row.number))))
                continue
            if row.is_empty() and not row.problems:
                outcomes.append(Outcome(row=row, action="skipped", reason="Nothing to import in this row."))
                continue
            keys = self._keys(row)
            earlier = next((k for k in keys if k in self.seen), None)
            for key in keys:
                self.seen.setdefault(key, row.number)
            if earlier is not None:
                message = _DUPLICATE_MESSAGES[earlier.split(":", 1)[0]].format(row=self.seen[earlier])
                outcomes.append(Outcome(row=row, action="skipped", reason=message, keys=keys, duplicate=True))
                continue
            if not keys:
                self.keyless += 1
            pending.append((row, keys))
        found = self._matches(session, [row for row, _keys in pending])
        creates: list[tuple[RowInput, list[str], batch.ContactPlan]] = []
        updates: list[tuple[RowInput, list[str], int]] = []
        references_in_batch: set[str] = set()
        for row, keys in pending:
            matched: set[int] = set()
            for key in keys:
                matched |= found.get(key, set())
            if len(matched) > 1:
                outcomes.append(
                    self._reject(
                        row,
                        [Problem(column="", message="This row matches several existing contacts: merge them first.")],
                    )
                )
                continue
            if matched:
                contact_id = next(iter(matched))
                if contact_id in self.touched:
                    message = f"Skipped as a duplicate of row {self.touched[contact_id]} (the same contact)."
                    outcomes.append(Outcome(row=row, action="skipped", reason=message, duplicate=True))
                    continue
                self.touched[contact_id] = row.number
                if self.options.on_match == "skip":
                    outcomes.append(
                        Outcome(
                            row=row,
                            action="skipped",
                            contact_id=contact_id,
                            reason="Matches an existing contact: left as it is (duplicate rule).",
                        )
                    )
                else:
                    updates.append((row, keys, contact_id))
                continue
            if row.reference:
                if row.reference.upper() in references_in_batch or (
                    "reference" not in self.match_on and f"reference:{row.reference.upper()}" in found
                ):
                    outcomes.append(
                        self._reject(
                            row,
                            [
                                Problem(
                                    column=self.ctx.headers[row.columns["reference"]],
                                    message="This reference is already used by another contact.",
                                )
                            ],
                        )
                    )
                    continue
                references_in_batch.add(row.reference.upper())
            try:
                plan = self._checked_new(session, row, known.get(row.number))
            except ValidationError as error:
                outcomes.append(self._reject(row, [*row.problems, *_problems_from(error, row, self.ctx)], keys))
                continue
            creates.append((row, keys, plan))
        if "reference" not in self.match_on:
            self._check_free_references(session, creates, outcomes)
        outcomes += self._creates(session, creates)
        outcomes += self._updates(session, updates)
        keys_of = {row.number: keys for row, keys in pending}
        outcomes.sort(key=_row_number)
        for outcome in outcomes:
            outcome.keys = outcome.keys or keys_of.get(outcome.row.number, [])
            if outcome.action in ("created", "updated"):
                outcome.dropped = list(outcome.row.problems)
            self._count(outcome)
        return outcomes

    def _check_free_references(self, session: Session, creates: list, outcomes: list[Outcome]) -> None:
        wanted = [row.reference for row, _keys, _plan in creates if row.reference]
        if not wanted:
            return
        free = batch.free_references(session, wanted)
        kept = []
        for item in creates:
            row = item[0]
            if row.reference and row.reference not in free:
                column = self.ctx.headers[row.columns["reference"]]
                outcomes.append(
                    self._reject(
                        row, [Problem(column=column, message="This reference is already used by another contact.")]
                    )
                )
            else:
                kept.append(item)
        creates[:] = kept

    def _creates(self, session: Session, creates: list[tuple[RowInput, list[str], Any]]) -> list[Outcome]:
        if not creates:
            return []
        if not self.write:
            return [Outcome(row=row, action="created") for row, _keys, _plan in creates]
        items = [
            batch.NewContact(plan=plan, reference=row.reference, archived=bool(row.archived), note=self.note)
            for row, _keys, plan in creates
        ]
        ids = batch.insert_contacts(session, items, actor_id=self.actor_id, settings=get_settings(session))
        return [
            Outcome(row=row, action="created", contact_id=cid, version_after=1)
            for (row, _keys, _plan), cid in zip(creates, ids, strict=True)
        ]

    def _updates(self, session: Session, updates: list[tuple[RowInput, list[str], int]]) -> list[Outcome]:
        if not updates:
            return []
        files = batch.load_files(session, [cid for _row, _keys, cid in updates])
        account = get_settings(session)
        overwrite = self.options.on_match == "overwrite"
        outcomes: list[Outcome] = []
        planned: list[tuple[RowInput, int, Any, dict]] = []
        for row, _keys, contact_id in updates:
            file = files.get(contact_id)
            if file is None:
                outcomes.append(self._reject(row, [Problem(column="", message="The matching contact was deleted.")]))
                continue
            try:
                plan = self._checked_update(session, file, row, overwrite=overwrite, account=account)
            except ValidationError as error:
                outcomes.append(self._reject(row, [*row.problems, *_problems_from(error, row, self.ctx)]))
                continue
            if plan.empty:
                outcomes.append(
                    Outcome(row=row, action="unchanged", contact_id=contact_id, reason="Already up to date.")
                )
                continue
            if not self.write:
                outcomes.append(Outcome(row=row, action="updated", contact_id=contact_id))
                continue
            planned.append((row, contact_id, plan, _before(file.contact, plan)))
        if planned:
            outcomes += self._write_updates(session, planned)
        return outcomes

    def _checked_update(
        self, session: Session, file: batch.ContactFile, row: RowInput, *, overwrite: bool, account: Any
    ) -> batch.UpdatePlan:
        """The update the row makes to a stored contact; with "import without it" chosen, the row's own values
        validation refuses (fields and custom fields) are left out, as for a new contact."""
        while True:
            try:
                return batch.plan_update(
                    session,
                    contact=file.contact,
                    old=file,
                    data=merged_input(file, row, overwrite=overwrite),
                    settings=account,
                    version=file.contact.version,
                    locale=self.ctx.locale,
                )
            except ValidationError as error:
                if not self.drop or not _drop_values(row, error, self.ctx, positional=False):
                    raise

    def _write_updates(self, session: Session, planned: list[tuple[RowInput, int, Any, dict]]) -> list[Outcome]:
        """All updates of a batch set-based; if a contact moved on meanwhile (another worker), one by one."""
        try:
            with session.begin_nested():
                added = batch.apply_updates(
                    session, [plan for _r, _c, plan, _b in planned], actor_id=self.actor_id, note=self.note
                )
        except ConflictError:
            added = None
            forget(session, "tags_by_key")
        outcomes: list[Outcome] = []
        for index, (row, contact_id, plan, before) in enumerate(planned):
            if added is None:
                try:
                    with session.begin_nested():
                        rows_added = batch.apply_updates(session, [plan], actor_id=self.actor_id, note=self.note)[0]
                except ConflictError:
                    forget(session, "tags_by_key")
                    message = "Someone changed this contact during the import: import again."
                    outcomes.append(self._reject(row, [Problem(column="", message=message)]))
                    continue
            else:
                rows_added = added[index]
            before["added"] = [list(item) for item in rows_added]
            outcomes.append(
                Outcome(row=row, action="updated", contact_id=contact_id, before=before, version_after=plan.version + 1)
            )
        return outcomes

    def _unknown_values(self) -> list[UnknownValue]:
        found = []
        for index in sorted(self.unknown):
            values = sorted(self.unknown[index].values(), key=lambda item: (-item[1], item[0]))[:MAX_UNKNOWN_VALUES]
            target = self.ctx.plans[index].target if index < len(self.ctx.plans) else ""
            header = self.ctx.headers[index] if index < len(self.ctx.headers) else ""
            found += [
                UnknownValue(column=index, header=header, target=target, value=text, count=count)
                for text, count in values
            ]
        return found

    def summary(self, rows: int, seconds: float) -> DryRun:
        """The counts and the reasons so far, most frequent first (and how many more groups exist when the list
        is cut)."""
        reasons = [
            Reason(
                action=action, column=column, message=message, count=count, rows=self.reasons[(action, column, message)]
            )
            for (action, column, message), count in self.reason_counts.most_common(MAX_REASONS)
        ]
        return DryRun(
            rows=rows,
            create=self.tally["created"],
            update=self.tally["updated"],
            unchanged=self.tally["unchanged"],
            skip=self.tally["skipped"],
            reject=self.tally["rejected"],
            with_dropped=self.with_dropped,
            reasons=reasons,
            more_reasons=max(0, len(self.reason_counts) - len(reasons)),
            unknown_values=self._unknown_values(),
            seconds=round(seconds, 2),
        )


def _entity(obj: Any) -> str:
    return {Phone: "phone", Email: "email", Address: "address"}.get(type(obj), "tag")


def _before(contact: Contact, plan: batch.UpdatePlan) -> dict[str, Any]:
    """What an update overwrites, for undo: old scalar values and the old values of changed child rows."""
    old_sets = []
    for action, target, values in plan.children.writes:
        if action == "set":
            old_sets.append([_entity(target), target.id, {key: json_safe(getattr(target, key)) for key in values}])
    return {
        "version_before": plan.version,
        "scalars": {name: json_safe(getattr(contact, name)) for name in plan.scalar_values},
        "set": old_sets,
    }


# ---------------------------------------------------------------- dry run


def _iter_batches(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextlib.contextmanager
def _read_ahead(batches: Iterator[T]) -> Iterator[Iterator[T]]:
    """``batches`` with the next one made in a thread while the caller works on the current one.

    Making a batch is pure Python (reading kept lines back); writing one spends much of its time in SQLite,
    which lets go of the interpreter meanwhile, so the two overlap. ``batches`` is only ever advanced by the
    thread, one step at a time; leaving the block waits for a step under way, then the caller may close it.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead") as pool:

        def ahead() -> Iterator[T]:
            step = pool.submit(next, batches, None)
            while (batch := step.result()) is not None:
                step = pool.submit(next, batches, None)
                yield batch

        yield ahead()


# Next to a stored upload, between its dry run and its run:
#   <stored>.rows    its data rows as JSON lines [number, cells], written by the first read (reading them back is
#                    much faster than parsing the workbook again);
#   <stored>.parsed  what the last dry run read in each row: a header line with the fingerprint of everything
#                    reading depended on, then [number, row_data] lines. The run reuses a row from there while
#                    that fingerprint is unchanged (else it reads the row again from its cells); what depends on
#                    the database beyond it (matches, free references, validation) is always decided again.
READ_APART_FROM_BYTES = 512 * 1024
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _cache_path(job: ImportJob) -> Path:
    return stored_path(f"{job.stored_name}.rows")


def _parsed_path(job: ImportJob) -> Path:
    return stored_path(f"{job.stored_name}.parsed")


def _dry_path(job: ImportJob) -> Path:
    return stored_path(f"{job.stored_name}.dry")


def _partial(path: Path) -> Path:
    return path.with_name(f"{path.name}.part")


def _teed(rows: Iterator[tuple[int, tuple[Any, ...]]], out: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in rows:
        out.write(json.dumps([number, cells_json(cells)], ensure_ascii=False) + "\n")
        yield number, cells


def _helper_database(engine: Engine) -> str | None:
    """The URL a row checker in another process reaches this database with (None for an in-memory one)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _read_only_engine(url: str) -> Engine:
    """An engine for a row checker: reads only, and on SQLite without taking the write lock (the app's sessions
    begin IMMEDIATE; a reader in WAL mode waits for nobody and makes nobody wait)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": 10}, poolclass=NullPool)
    return create_engine(url, poolclass=NullPool)


@contextlib.contextmanager
def _read_and_kept(job: ImportJob, partial: Path, engine: Engine, fingerprint: str) -> Iterator[Iterator[Item]]:
    """The file's data rows, written to ``partial`` as they are read: by a child process for a file big enough to
    be worth it (a workbook's XML is then parsed on another core, and the child checks rows when this side falls
    behind), else here."""
    path = stored_path(job.stored_name)
    with contextlib.ExitStack() as stack:
        rows = None
        if job.file_size >= READ_APART_FROM_BYTES:
            config = {
                "path": str(path),
                "file_format": job.file_format,
                "cache": str(partial),
                "max_rows": settings.max_import_rows,
                "batch": max(1, settings.import_batch_size),
                "database": _helper_database(engine),
                "import_id": job.id,
                "stored_name": job.stored_name,
            }
            try:
                rows = stack.enter_context(rows_read_apart(config, context=fingerprint))
            except OSError:
                log.warning("could not start a reader process for import %s; reading here", job.id, exc_info=True)
        if rows is None:
            sheet = stack.enter_context(open_sheet(path, job.file_format))
            _header_row, _headers, raw = header_and_rows(sheet)
            out = stack.enter_context(partial.open("w", encoding="utf-8"))
            rows = ((number, cells, None) for number, cells in _teed(raw, out))
        yield rows


@contextlib.contextmanager
def _data_rows(job: ImportJob) -> Iterator[Iterator[tuple[int, tuple[Any, ...]]]]:
    """The data rows of the import's file: from the row cache a first read left, else from the file itself."""
    cache = _cache_path(job)
    if cache.exists():
        with cache.open(encoding="utf-8") as fh:
            yield (
                (int(number), tuple(cells_back(cells)))
                for number, cells in (json.loads(line) for line in fh if line.strip())
            )
        return
    with open_sheet(stored_path(job.stored_name), job.file_format) as sheet:
        yield header_and_rows(sheet)[2]


@contextlib.contextmanager
def _rows_to_check(job: ImportJob, engine: Engine, fingerprint: str) -> Iterator[Iterator[Item]]:
    """The rows a dry run checks: from the row cache, else from the file, writing the cache as it goes (kept
    only once every row was read)."""
    cache = _cache_path(job)
    if cache.exists():
        with _data_rows(job) as rows:
            yield ((number, cells, None) for number, cells in rows)
        return
    partial = _partial(cache)
    finished = False

    def to_the_end(rows: Iterator[Item]) -> Iterator[Item]:
        nonlocal finished
        yield from rows
        finished = True

    try:
        with _read_and_kept(job, partial, engine, fingerprint) as rows:
            yield to_the_end(rows)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if finished:
        os.replace(partial, cache)
    else:
        partial.unlink(missing_ok=True)


def _verdict_json(verdict: Verdict | None) -> Any:
    if verdict is None:
        return None
    if verdict[0] == "invalid":
        return list(verdict)
    plan = batch.plan_json(verdict[1])
    return None if plan is None else ["plan", plan]


def _verdict_back(data: Any) -> Verdict | None:
    if not data:
        return None
    if data[0] == "invalid":
        return ("invalid", data[1], dict(data[2]))
    return ("plan", batch.plan_from_json(data[1]))


def checks_fingerprint(session: Session, reading: str) -> str:
    """A digest of what validating rows as new contacts reads from the database, with ``reading`` (the
    fingerprint of reading them): the account settings, the forms' fields, phone types, staff and channels.
    A verdict given under another one is not reused."""
    definitions = [dict(row._mapping) for row in session.execute(select(FieldDefinition.__table__))]
    payload = [
        reading,
        batch.PLAN_SHAPE,
        dataclasses.asdict(get_settings(session)),
        sorted(definitions, key=lambda row: row["id"]),
        sorted(session.execute(select(PhoneType.name)).scalars()),
        sorted(tuple(row) for row in session.execute(select(User.id, User.active))),
        sorted(tuple(row) for row in session.execute(select(AcquisitionChannel.id, AcquisitionChannel.active))),
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def kept_line(row: RowInput, verdict: Verdict | None) -> str:
    """The line of ``<stored>.parsed`` that keeps what was read in a row and the verdict on it."""
    return _encode([row.number, row_data(row), _verdict_json(verdict)]) + "\n"


# A verdict on a row as a new contact that a row checker gave in its kept line: the dry run only counts it
# (the plan itself stays in the line, for the run).
_VALID = ("plan", None)


def _from_kept_line(number: int, cells: tuple[Any, ...], line: str) -> tuple[RowInput, Verdict | None]:
    """A row and the verdict on it from the line a row checker made of it (``kept_line``)."""
    _number, data, verdict = json.loads(line)
    if verdict is None:
        return row_from_data(number, cells, data), None
    if verdict[0] == "invalid":
        return row_from_data(number, cells, data), ("invalid", verdict[1], dict(verdict[2]))
    return row_from_data(number, cells, data), _VALID


@contextlib.contextmanager
def _keeping_parsed(
    job: ImportJob, fingerprint: str, checks: str, still: Callable[[], bool]
) -> Iterator[Callable[[list[RowInput], dict[int, Verdict], dict[int, str]], None]]:
    """A function that keeps what was read in rows and the verdicts on them, for the run (or the line a row
    checker already made of a row); the file is kept once the block ends normally, if what validation reads
    is ``still`` as it was (not changed meanwhile)."""
    path = _parsed_path(job)
    path.unlink(missing_ok=True)
    partial = _partial(path)
    try:
        with partial.open("w", encoding="utf-8") as out:
            out.write(_encode({"context": fingerprint, "checks": checks}) + "\n")

            def keep(rows: list[RowInput], verdicts: dict[int, Verdict], lines: dict[int, str]) -> None:
                out.write("".join(lines.get(row.number) or kept_line(row, verdicts.get(row.number)) for row in rows))

            yield keep
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if still():
        os.replace(partial, path)
    else:
        partial.unlink(missing_ok=True)


@dataclass
class _Kept:
    """The lines the dry run kept, and the checks fingerprint its verdicts were given under."""

    lines: Iterator[list[Any]]
    checks: str


@contextlib.contextmanager
def _parsed_rows(job: ImportJob, fingerprint: str) -> Iterator[_Kept | None]:
    """The [number, row_data, verdict] lines the dry run kept, or None when none were read under ``fingerprint``."""
    try:
        fh = _parsed_path(job).open(encoding="utf-8")
    except OSError:
        yield None
        return
    with fh:
        try:
            header = json.loads(fh.readline() or "null")
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("context") != fingerprint:
            yield None
            return
        yield _Kept(lines=(json.loads(line) for line in fh), checks=str(header.get("checks") or ""))


def _rows_to_import(
    ctx: ParseContext,
    rows: Iterator[tuple[int, tuple[Any, ...]]],
    kept: _Kept | None,
    next_row: int,
) -> Iterator[tuple[RowInput, Any]]:
    """The rows from ``next_row`` on, as the dry run read them where it kept them (else read again), each with
    the verdict the dry run kept on it (or None)."""
    parsed = kept.lines if kept is not None else None
    for number, cells in rows:
        line = None
        if parsed is not None:
            line = next(parsed, None)
            if line is None or line[0] != number:
                parsed = line = None
        if number < next_row:
            continue
        if line is None:
            yield read_row(ctx, number, cells), None
        else:
            yield row_from_data(number, cells, line[1]), _verdict_back(line[2]) if len(line) > 2 else None


@contextlib.contextmanager
def _rows_to_run(job: ImportJob, planner: Planner, next_row: int) -> Iterator[tuple[Iterator[Any], str]]:
    """The rows a run imports from ``next_row`` on with the dry run's verdicts, and the checks fingerprint those
    verdicts were given under."""
    ctx = planner.ctx
    with _data_rows(job) as rows, _parsed_rows(job, planner.reading) as kept:
        yield _rows_to_import(ctx, rows, kept, next_row), (kept.checks if kept is not None else "")


class RowChecker:
    """What a helper process does to an import's rows (see ``reading``): read them through the column plan and
    check them as new contacts, on a read-only connection of its own. Everything else is decided by the
    process that writes."""

    def __init__(self, database: str, import_id: int, stored_name: str):
        self.engine = _read_only_engine(database)
        with Session(self.engine, expire_on_commit=False) as s:
            job = s.get(ImportJob, import_id)
            if job is None or job.stored_name != stored_name:
                raise LookupError(f"import {import_id} is not in this database")
            self.ctx = parse_context(s, job)
            s.expunge(job)
        self.job = job
        self.fingerprint = context_fingerprint(self.ctx)

    def read_and_check(self, chunk: list[tuple[int, tuple[Any, ...]]]) -> list[tuple[int, tuple[Any, ...], str]]:
        """Data rows read and checked: (number, cells, the line the dry run keeps of the row)."""
        checked = self.check([read_row(self.ctx, number, cells) for number, cells in chunk])
        return [(row.number, row.cells, kept_line(row, verdict)) for row, verdict in checked]

    def check(self, rows: list[RowInput]) -> list[tuple[RowInput, Verdict | None]]:
        """Each row with its verdict as a new contact (None for a row the writer rejects or skips anyway)."""
        out: list[tuple[RowInput, Verdict | None]] = []
        drop = _options(self.job).on_bad_value == "drop"
        with Session(self.engine, expire_on_commit=False) as s, reading_config_once(s):
            account = get_settings(s)
            for row in rows:
                verdict: Verdict | None = None
                if not any(p.required or not drop for p in row.problems) and not row.is_empty():
                    try:
                        plan = batch.validate_new(
                            s, data=new_contact_input(row), settings=account, locale=self.ctx.locale
                        )
                        verdict = ("plan", plan)
                    except ValidationError as error:
                        verdict = ("invalid", error.message, error.errors)
                out.append((row, verdict))
            s.rollback()
        return out


def _drop_cache(job: ImportJob) -> None:
    for path in (_cache_path(job), _parsed_path(job), _dry_path(job)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _warnings(session: Session, job: ImportJob, planner: Planner) -> list[str]:
    warnings = []
    earlier = session.execute(
        select(ImportJob.id, ImportJob.finished_at)
        .where(
            ImportJob.file_sha256 == job.file_sha256,
            ImportJob.id != job.id,
            ImportJob.status == DONE,
        )
        .order_by(ImportJob.id.desc())
        .limit(1)
    ).first()
    if earlier is not None:
        warnings.append(
            f"This file was already imported (import #{earlier[0]}). Rows matching existing contacts follow your "
            "duplicate rule; no contact is created twice when it has a reference, e-mail or phone."
        )
    if planner.keyless:
        warnings.append(
            f"{planner.keyless} rows have no reference, e-mail or phone to match on: importing this file twice "
            "would create them twice."
        )
    targets = {plan.target for plan in _plans(job)}
    if not targets & {"first_name", "last_name", "company_name", "name"}:
        warnings.append("No column is mapped to a name: rows without a name will be rejected.")
    return warnings


def _row_number(outcome: Outcome) -> int:
    return outcome.row.number


def _report_line(outcome: Outcome) -> str:
    """A line of the dry run's report file: [number, action, cells, problems]."""
    return _encode([outcome.row.number, outcome.action, cells_json(outcome.row.cells), outcome.report()]) + "\n"


def _set_dry_state(engine: Engine, import_id: int, values: dict[str, Any]) -> None:
    with session_scope(engine) as s:
        s.execute(update(ImportJob).where(ImportJob.id == import_id).values(**values))


def dry_run(
    *, import_id: int, engine: Engine | None = None, on_progress: Callable[[int], None] | None = None
) -> DryRun:
    """Read the whole file and decide every row without writing a contact; the result is kept on the import."""
    engine = engine or get_engine()
    started = time.monotonic()
    with session_scope(engine) as s:
        job = _job(s, import_id)
        _editable(job)
        ctx = parse_context(s, job)
        s.expunge(job)
    _set_dry_state(engine, job.id, {"status": CHECKING, "heartbeat_at": utcnow()})
    planner = Planner(job, ctx, write=False, actor_id=None)
    total = 0
    try:
        fingerprint = planner.reading

        def checks_now() -> str:
            with Session(engine) as s, reading_config_once(s):
                return checks_fingerprint(s, fingerprint)

        checks = checks_now()
        _dry_path(job).unlink(missing_ok=True)
        with (
            collector_paused(),
            _rows_to_check(job, engine, fingerprint) as items,
            _keeping_parsed(job, fingerprint, checks, still=lambda: checks_now() == checks) as keep,
            _partial(_dry_path(job)).open("w", encoding="utf-8") as report,
        ):
            for chunk in _iter_batches(items, settings.import_batch_size):
                parsed: list[RowInput] = []
                known: dict[int, Verdict] = {}
                lines: dict[int, str] = {}
                for number, cells, line in chunk:
                    if line is None:
                        parsed.append(read_row(ctx, number, cells))
                        continue
                    row, verdict = _from_kept_line(number, cells, line)
                    parsed.append(row)
                    lines[number] = line
                    if verdict is not None:
                        known[number] = verdict
                planner.verdicts = {}
                with Session(engine, expire_on_commit=False) as s, reading_config_once(s):
                    outcomes = planner.decide(s, parsed, known)
                    s.rollback()
                keep(parsed, planner.verdicts, lines)
                report.write("".join(_report_line(o) for o in sorted(outcomes, key=_row_number) if o.reported))
                total += len(chunk)
                after_batch()
                if on_progress is not None:
                    on_progress(total)
                _set_dry_state(
                    engine, job.id, {"heartbeat_at": utcnow(), "dry_run": {"state": "running", "rows": total}}
                )
    except ValidationError as error:
        _partial(_dry_path(job)).unlink(missing_ok=True)
        _set_dry_state(engine, job.id, {"status": UPLOADED, "dry_run": {"state": "failed", "error": error.message}})
        raise
    except Exception:
        log.exception("dry run of import %s failed", import_id)
        _partial(_dry_path(job)).unlink(missing_ok=True)
        _set_dry_state(engine, job.id, {"status": UPLOADED, "dry_run": {"state": "failed"}})
        raise
    os.replace(_partial(_dry_path(job)), _dry_path(job))
    result = planner.summary(total, time.monotonic() - started)
    result.state = "done"
    with session_scope(engine) as s:
        fresh = _job(s, import_id)
        result.warnings = _warnings(s, fresh, planner)
        result.fingerprint = _fingerprint(fresh)
        fresh.dry_run = result.model_dump()
        fresh.total_rows = total
        fresh.status = CHECKED
        s.add(fresh)
    return result


# ---------------------------------------------------------------- the run


def worker_name() -> str:
    """Who runs a job: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def start_import(session: Session, *, import_id: Any, actor_id: int | None, worker: str) -> ImportRead:
    """Claim a checked (or cancelled, failed, interrupted) import for this worker; the caller then runs it."""
    job = _job(session, import_id)
    if job.status == CHECKED:
        if (job.dry_run or {}).get("fingerprint") != _fingerprint(job):
            raise ValidationError("The mapping or the options changed since the dry run: check the file again.")
    elif job.status in RESUMABLE:
        if job.status == RUNNING and not _is_stale(job):
            raise ValidationError("This import is already running.")
    elif job.status == DONE:
        raise ValidationError("This import is finished.")
    else:
        raise ValidationError("Check the file first (dry run), then import it.")
    same_beat = (
        ImportJob.heartbeat_at.is_(None) if job.heartbeat_at is None else ImportJob.heartbeat_at == job.heartbeat_at
    )
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == job.status, same_beat)
        .values(
            status=RUNNING,
            worker=worker,
            heartbeat_at=utcnow(),
            cancel_requested=False,
            error="",
            started_at=job.started_at or utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError("Another worker has just started this import.")
    session.refresh(job)
    return import_read(session, job)


def request_cancel(session: Session, *, import_id: Any) -> ImportRead:
    """Ask a running import to stop after its current batch (it can be resumed later)."""
    job = _job(session, import_id)
    if job.status != RUNNING:
        raise ValidationError("This import is not running.")
    job.cancel_requested = True
    session.add(job)
    session.flush()
    return import_read(session, job)


class _Lost(Exception):
    """The job is no longer ours (another worker resumed it after a stall)."""


def _write_rows(session: Session, import_id: int, outcomes: list[Outcome], planner: Planner) -> None:
    rows = []
    for outcome in outcomes:
        keys = "\n".join(outcome.keys)
        rows.append(
            {
                "import_id": import_id,
                "row_number": outcome.row.number,
                "action": outcome.action,
                "contact_id": outcome.contact_id,
                "keys": keys,
                "problems": outcome.report(),
                "cells": cells_json(outcome.row.cells) if outcome.reported else None,
                "before": outcome.before,
                "version_after": outcome.version_after,
                "undone": False,
            }
        )
    insert_rows(session, ImportRow.__table__, rows)


def _commit_batch(
    engine: Engine,
    job: ImportJob,
    planner: Planner,
    chunk: list[tuple[RowInput, Verdict | None]],
    worker: str,
    elapsed: float,
    checks: str,
) -> bool:
    """Write one batch and the job's progress in one transaction; False when a cancel was asked for.

    The dry run's verdicts on rows as new contacts are reused while what validating them reads is unchanged
    (``checks``); duplicates, matches and references are always decided again."""
    rows = [row for row, _verdict in chunk]
    with session_scope(engine) as s, reading_config_once(s):
        state = s.execute(
            select(ImportJob.status, ImportJob.worker, ImportJob.cancel_requested).where(ImportJob.id == job.id)
        ).one()
        if state.status != RUNNING or state.worker != worker:
            raise _Lost
        if state.cancel_requested:
            s.execute(
                update(ImportJob)
                .where(ImportJob.id == job.id)
                .values(status=CANCELLED, cancel_requested=False, heartbeat_at=utcnow(), run_seconds=elapsed)
            )
            return False
        known = None
        if checks and checks == checks_fingerprint(s, planner.reading):
            known = {row.number: verdict for row, verdict in chunk if verdict is not None}
        outcomes = planner.decide(s, rows, known)
        _write_rows(s, job.id, outcomes, planner)
        tally = Tally(o.action for o in outcomes)
        s.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id)
            .values(
                next_row=rows[-1].number + 1,
                processed_rows=ImportJob.processed_rows + len(rows),
                created_count=ImportJob.created_count + tally["created"],
                updated_count=ImportJob.updated_count + tally["updated"],
                skipped_count=ImportJob.skipped_count + tally["skipped"] + tally["unchanged"],
                rejected_count=ImportJob.rejected_count + tally["rejected"],
                heartbeat_at=utcnow(),
                run_seconds=elapsed,
            )
        )
    return True


def run_import(
    *,
    import_id: int,
    worker: str,
    engine: Engine | None = None,
    stop_after_batches: int | None = None,
) -> ImportRead:
    """Import the rows of a claimed job from where it stopped, batch by batch, until done or cancelled."""
    engine = engine or get_engine()
    with session_scope(engine) as s:
        job = _job(s, import_id)
        if job.status != RUNNING or job.worker != worker:
            raise ValidationError("Start the import before running it.")
        ctx = parse_context(s, job)
        planner = Planner(job, ctx, write=True, actor_id=job.created_by_id)
        planner.restore(s)
        base_seconds = job.run_seconds or 0.0
        next_row = job.next_row
        s.expunge(job)
    started = time.monotonic()
    batches = 0
    try:
        with (
            collector_paused(),
            _rows_to_run(job, planner, next_row) as (pending, checks),
            _read_ahead(_iter_batches(pending, settings.import_batch_size)) as ahead,
        ):
            for chunk in ahead:
                elapsed = base_seconds + time.monotonic() - started
                if not _commit_batch(engine, job, planner, chunk, worker, elapsed, checks):
                    break
                batches += 1
                after_batch()
                if stop_after_batches is not None and batches >= stop_after_batches:
                    break
            else:
                _finish(engine, job.id, worker, base_seconds + time.monotonic() - started)
                _drop_cache(job)
    except _Lost:
        log.warning("import %s was taken over by another worker", import_id)
    except ValidationError as error:
        _fail(engine, job.id, worker, error.message)
    except Exception as error:
        log.exception("import %s failed", import_id)
        _fail(engine, job.id, worker, f"The import stopped on an unexpected error ({type(error).__name__}).")
    with session_scope(engine) as s:
        return get_import(s, import_id=import_id)


def _finish(engine: Engine, import_id: int, worker: str, elapsed: float) -> None:
    with session_scope(engine) as s:
        s.execute(
            update(ImportJob)
            .where(ImportJob.id == import_id, ImportJob.worker == worker, ImportJob.status == RUNNING)
            .values(status=DONE, finished_at=utcnow(), heartbeat_at=utcnow(), run_seconds=elapsed)
        )
        changes.mark_list_changed(s)


def _fail(engine: Engine, import_id: int, worker: str, message: str) -> None:
    with session_scope(engine) as s:
        s.execute(
            update(ImportJob)
            .where(ImportJob.id == import_id, ImportJob.worker == worker)
            .values(status=FAILED, error=message[:2000], heartbeat_at=utcnow())
        )


# ---------------------------------------------------------------- error report


ReportedRow = tuple[int, str, list[Any], list[dict[str, str]]]


def reported_rows(session: Session, *, import_id: Any) -> Iterator[ReportedRow]:
    """(row number, action, original cells, problems) of every row the run reports: rejected, skipped as a
    repeat of an earlier row, imported without some values or with values to check; in file order."""
    job = _job(session, import_id)
    result = session.execute(
        select(ImportRow.row_number, ImportRow.action, ImportRow.cells, ImportRow.problems)
        .where(ImportRow.import_id == job.id)
        .order_by(ImportRow.row_number)
        .execution_options(yield_per=2000)
    )
    for number, action, cells, problems in result:
        if cells is not None:
            yield number, action, cells_back(cells), list(problems or [])


def dry_run_rows(session: Session, *, import_id: Any) -> Iterator[ReportedRow]:
    """The same for the import's last dry run (nothing when it has none); NotFoundError for an unknown import."""
    job = _job(session, import_id)
    try:
        fh = _dry_path(job).open(encoding="utf-8")
    except OSError:
        return
    with fh:
        for line in fh:
            number, action, cells, problems = json.loads(line)
            yield number, action, cells_back(cells), problems


# ---------------------------------------------------------------- undo


def _restore_values(session: Session, row: ImportRow) -> None:
    before = row.before or {}
    scalars = dict(before.get("scalars") or {})
    if "discount_percent" in scalars and scalars["discount_percent"] is not None:
        scalars["discount_percent"] = Decimal(str(scalars["discount_percent"]))
    models = {"phone": Phone, "email": Email, "address": Address}
    for entity, row_id in before.get("added") or []:
        if entity == "tag":
            session.execute(
                delete(ContactTag).where(ContactTag.contact_id == row.contact_id, ContactTag.tag_id == row_id)
            )
        elif entity in models:
            session.execute(delete(models[entity]).where(models[entity].id == row_id))
    for entity, row_id, values in before.get("set") or []:
        if entity in models:
            session.execute(update(models[entity]).where(models[entity].id == row_id).values(**values))
    claimed = session.execute(
        update(Contact)
        .where(Contact.id == row.contact_id, Contact.version == row.version_after)
        .values(**scalars, version=Contact.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ConflictError("changed")


def undo_import(
    *, import_id: int, actor_id: int | None, engine: Engine | None = None, batch_size: int = 500
) -> dict[str, Any]:
    """Remove the contacts an import created and put back the values it overwrote, except where a contact
    changed since the import (those are kept and listed). Batches commit as they go; the report is kept."""
    engine = engine or get_engine()
    with session_scope(engine) as s:
        job = _job(s, import_id)
        if job.status not in (DONE, CANCELLED, FAILED, UNDOING):
            raise ValidationError("Only a finished, cancelled or failed import can be undone.")
        s.execute(update(ImportJob).where(ImportJob.id == job.id).values(status=UNDOING, heartbeat_at=utcnow()))
        note = f"{job.file_name} (import #{job.id})"
    removed = restored = 0
    kept: list[dict[str, Any]] = []
    while True:
        with session_scope(engine) as s:
            rows = (
                s.execute(
                    select(ImportRow)
                    .where(
                        ImportRow.import_id == import_id,
                        ImportRow.undone.is_(False),
                        ImportRow.action.in_(("created", "updated")),
                    )
                    .order_by(ImportRow.row_number)
                    .limit(batch_size)
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            versions = dict(
                s.execute(
                    select(Contact.id, Contact.version).where(
                        Contact.id.in_([r.contact_id for r in rows if r.contact_id])
                    )
                ).all()
            )
            to_delete: list[int] = []
            history: list[dict[str, Any]] = []
            for row in rows:
                row.undone = True
                s.add(row)
                current = versions.get(row.contact_id)
                if current is None:
                    continue
                if current != row.version_after:
                    kept.append({"row": row.row_number, "contact_id": row.contact_id})
                    continue
                if row.action == "created":
                    to_delete.append(row.contact_id)
                    continue
                try:
                    with s.begin_nested():
                        _restore_values(s, row)
                except ConflictError:
                    kept.append({"row": row.row_number, "contact_id": row.contact_id})
                    continue
                restored += 1
                history += batch.history_rows([row.contact_id], actor_id=actor_id, kind="import_undone", new=note)
            if to_delete:
                removed += bulk_delete(s, ids=to_delete, actor_id=actor_id, batch_size=None).changed
            if history:
                batch.insert_audit_rows(s, history)
                reindex_contacts(s, contact_ids=[h["contact_id"] for h in history])
                changes.mark_changed(s, [h["contact_id"] for h in history])
            changes.mark_list_changed(s)
            s.execute(update(ImportJob).where(ImportJob.id == import_id).values(heartbeat_at=utcnow()))
    with session_scope(engine) as s:
        labels = dict(
            s.execute(
                select(Contact.id, Contact.display_name + " (" + Contact.reference + ")").where(
                    Contact.id.in_([k["contact_id"] for k in kept][:500])
                )
            ).all()
        )
        report = {
            "removed": removed,
            "restored": restored,
            "kept": [{**k, "label": labels.get(k["contact_id"], "")} for k in kept[:500]],
            "kept_count": len(kept),
        }
        job = _job(s, import_id)
        job.status = UNDONE
        job.undone_at = utcnow()
        job.undone_by_id = actor_id
        job.undo_report = report
        s.add(job)
    return report
