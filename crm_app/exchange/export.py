"""Export contacts to .xlsx or .csv in the layout imports read back: every built-in and custom field,
phones, e-mails and tags joined in one cell each (phone types and consents noted beside each number).

Rows are streamed a thousand at a time (openpyxl write-only); exporting then importing the file with
"overwrite" changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.contacts import batch
from crm_app.contacts.forms import SCALAR_FIELDS
from crm_app.contacts.models import AcquisitionChannel, Address, Contact, ContactTag, Email, Phone, Tag
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.query import count_contacts, matching_ids_after
from crm_app.contacts.texts import BUILTIN_PHONE_LABELS, format_discount
from crm_app.core.collector import after_batch, collector_paused
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.db import get_engine, session_scope
from crm_app.exchange.columns import (
    ADDRESS_PARTS,
    CUSTOM_PREFIX,
    EMAILS,
    MAX_ADDRESS_GROUPS,
    PHONES,
    TAGS,
    CustomColumn,
    address_target,
    header_for,
    split_address_target,
)
from crm_app.exchange.files import CSV, FORMATS, XLSX, exchange_dir, stored_path
from crm_app.exchange.imports.context import custom_columns
from crm_app.exchange.models import ExportJob
from crm_app.exchange.schemas import ExportRead
from crm_app.exchange.sheets import CsvWriter, XlsxWriter
from crm_app.fields.models import FieldDefinition
from crm_app.fields.types import choices_from_options
from crm_app.i18n import normalise_locale, translate

CHUNK = 1000
EXPORTED_TARGETS = (
    "kind",
    "reference",
    "first_name",
    "last_name",
    "company_name",
    "registration_no",
    "is_supplier",
    "assigned",
    "channel",
    "discount",
    PHONES,
    EMAILS,
    TAGS,
    "memo",
    "archived",
)
_SEPARATORS = re.compile(r"[;,()\n]")


@dataclass
class Scope:
    """Which contacts an export covers: chosen ids, a list filter, or everything."""

    ids: tuple[int, ...] | None = None
    filter: ContactFilter | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form, kept with the export."""
        if self.ids is not None:
            return {"ids": len(self.ids)}
        if self.filter is not None:
            return {"filter": self.filter.model_dump(mode="json")}
        return {"all": True}


def _everything() -> ContactFilter:
    return ContactFilter(archived="include")


def _ids(session: Session, scope: Scope) -> Iterator[list[int]]:
    if scope.ids is not None:
        wanted = sorted(set(scope.ids))
        for start in range(0, len(wanted), CHUNK):
            yield wanted[start : start + CHUNK]
        return
    flt = scope.filter or _everything()
    last = 0
    while True:
        chunk = matching_ids_after(session, filter=flt, after_id=last, limit=CHUNK)
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def _max_addresses(session: Session) -> int:
    """How many address column groups the sheet needs (the most addresses one contact has, at most 5)."""
    most = session.execute(
        select(func.count()).select_from(Address).group_by(Address.contact_id).order_by(func.count().desc()).limit(1)
    ).scalar()
    return max(1, min(int(most or 1), MAX_ADDRESS_GROUPS))


def layout(session: Session, locale: str) -> tuple[list[str], list[str], dict[str, CustomColumn]]:
    """(targets, headers, custom columns) of an exported sheet in ``locale``."""
    custom = {c.key: c for c in custom_columns(session)}
    targets = list(EXPORTED_TARGETS)
    for group in range(1, _max_addresses(session) + 1):
        targets += [address_target(group, part) for part in ADDRESS_PARTS]
    targets += [CUSTOM_PREFIX + key for key in custom]
    headers = [header_for(t, locale, custom) for t in targets]
    headers += [translate(locale, "Created at"), translate(locale, "Updated at")]
    return targets, headers, custom


class _Formatter:
    """Turns stored contacts into sheet rows."""

    def __init__(self, session: Session, locale: str, targets: list[str], custom: dict[str, CustomColumn]):
        self.locale = locale
        self.targets = targets
        self.users = {uid: email for uid, email in session.execute(select(User.id, User.email))}
        self.channels = dict(session.execute(select(AcquisitionChannel.id, AcquisitionChannel.name)).all())
        self.choices: dict[str, dict[str, str]] = {}
        for row in session.execute(select(FieldDefinition).where(FieldDefinition.builtin.is_(False))).scalars():
            labels = self.choices.setdefault(row.key, {})
            labels.update({c.id: c.label for c in choices_from_options(row.options)})
        self.custom = custom
        self.yes, self.no = translate(locale, "Yes"), translate(locale, "No")
        self.kinds = {"person": translate(locale, "Person"), "organization": translate(locale, "Organisation")}
        self.consent = translate(locale, "consent")
        self.phone_labels = {key: translate(locale, label) for key, label in BUILTIN_PHONE_LABELS.items()}
        self.extractors = [self._extractor(target) for target in targets]

    def flag(self, value: bool) -> str:
        return self.yes if value else self.no

    def phone_type(self, type_: str) -> str:
        return self.phone_labels.get(type_, type_)

    def phones(self, file: SimpleNamespace) -> str:
        items = []
        for phone in file.phones:
            number = phone.raw if phone.raw and not _SEPARATORS.search(phone.raw) else phone.e164
            notes = [self.phone_type(phone.type)]
            notes += [
                name for name, on in (("WhatsApp", phone.whatsapp), ("Viber", phone.viber), ("SMS", phone.sms)) if on
            ]
            items.append(f"{number} ({', '.join(notes)})")
        return "; ".join(items)

    def emails(self, file: SimpleNamespace) -> str:
        return "; ".join(f"{e.address} ({self.consent})" if e.email_ok else e.address for e in file.emails)

    def custom_value(self, key: str, value: Any) -> Any:
        column = self.custom.get(key)
        if value is None or column is None:
            return None
        labels = self.choices.get(key, {})
        if column.type == "select":
            return labels.get(value, value)
        if column.type == "multi_select":
            return "; ".join(labels.get(item, item) for item in (value if isinstance(value, list) else [value]))
        if column.type == "checkbox":
            return self.flag(bool(value))
        if column.type == "date":
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                return str(value)
        if column.type == "decimal":
            try:
                return Decimal(str(value))
            except ArithmeticError:
                return str(value)
        return value

    def _extractor(self, target: str) -> Callable[[SimpleNamespace, list[Any]], Any]:
        """How one column's value is taken from a record (and its addresses, main first)."""
        if target == "kind":
            return lambda f, _a: self.kinds.get(f.contact.kind, f.contact.kind)
        if target in ("reference", "first_name", "last_name", "company_name", "registration_no", "memo"):
            return lambda f, _a: getattr(f.contact, target) or None
        if target == "is_supplier":
            return lambda f, _a: self.flag(f.contact.is_supplier)
        if target == "assigned":
            return lambda f, _a: self.users.get(f.contact.assigned_user_id)
        if target == "channel":
            return lambda f, _a: self.channels.get(f.contact.acquisition_channel_id)
        if target == "discount":
            return lambda f, _a: Decimal(format_discount(Decimal(f.contact.discount_percent or 0)))
        if target == PHONES:
            return lambda f, _a: self.phones(f) or None
        if target == EMAILS:
            return lambda f, _a: self.emails(f) or None
        if target == TAGS:
            return lambda f, _a: "; ".join(sorted((t.name for t in f.tags), key=str.casefold)) or None
        if target == "archived":
            return lambda f, _a: self.flag(f.contact.archived_at is not None)
        if target.startswith(CUSTOM_PREFIX):
            key = target[len(CUSTOM_PREFIX) :]
            return lambda f, _a: self.custom_value(key, (f.contact.custom or {}).get(key))
        group, part = split_address_target(target) or (1, "line1")
        index = group - 1
        return lambda _f, a: (getattr(a[index], part) or None) if index < len(a) else None

    def row(self, file: SimpleNamespace) -> list[Any]:
        """The sheet row of one contact."""
        addresses = sorted(file.addresses, key=lambda a: (not a.is_main, a.position, a.id))
        values = [extract(file, addresses) for extract in self.extractors]
        values += [_naive(file.contact.created_at), _naive(file.contact.updated_at)]
        return values


def _naive(moment: datetime) -> datetime:
    """A UTC time without its zone, to the second (spreadsheets know no time zones)."""
    return as_utc(moment).replace(tzinfo=None, microsecond=0)


# The contact's editable fields (``ContactForm``) and what an export adds to them.
_CONTACT_COLUMNS = ("id", "reference", *SCALAR_FIELDS, "custom", "archived_at", "created_at", "updated_at")


def load_records(session: Session, ids: Sequence[int]) -> dict[int, SimpleNamespace]:
    """Contacts with their phones, e-mails, addresses and tags as plain records (five queries, no ORM objects:
    building ORM objects cost more than writing the sheet)."""
    if not ids:
        return {}
    table = Contact.__table__
    records = {
        row.id: SimpleNamespace(contact=row, phones=[], emails=[], addresses=[], tags=[])
        for row in session.execute(select(*(table.c[name] for name in _CONTACT_COLUMNS)).where(table.c.id.in_(ids)))
    }
    phone = Phone.__table__.c
    for row in session.execute(
        select(phone.contact_id, phone.raw, phone.e164, phone.type, phone.whatsapp, phone.viber, phone.sms)
        .where(phone.contact_id.in_(ids))
        .order_by(phone.contact_id, phone.position, phone.id)
    ):
        records[row.contact_id].phones.append(row)
    email = Email.__table__.c
    for row in session.execute(
        select(email.contact_id, email.address, email.email_ok)
        .where(email.contact_id.in_(ids))
        .order_by(email.contact_id, email.position, email.id)
    ):
        records[row.contact_id].emails.append(row)
    address = Address.__table__.c
    for row in session.execute(
        select(address).where(address.contact_id.in_(ids)).order_by(address.contact_id, address.position, address.id)
    ):
        records[row.contact_id].addresses.append(row)
    for contact_id, name in session.execute(
        select(ContactTag.contact_id, Tag.name)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(ids))
    ):
        records[contact_id].tags.append(SimpleNamespace(name=name))
    return records


def export_read(job: ExportJob) -> ExportRead:
    """The export as a DTO."""
    return ExportRead(
        id=job.id,
        status=job.status,
        file_format=job.file_format,
        total_rows=job.total_rows,
        written_rows=job.written_rows,
        file_name=job.file_name,
        error=job.error,
    )


def count_scope(session: Session, scope: Scope) -> int:
    """How many contacts an export of ``scope`` will write, for its progress bar (estimated for big filters;
    the finished export records what it wrote)."""
    if scope.ids is not None:
        return len(set(scope.ids))
    return count_contacts(session, filter=scope.filter or _everything())[0]


def create_export(session: Session, *, scope: Scope, file_format: str, actor_id: int | None) -> ExportRead:
    """Register an export (the file is written by ``run_export``)."""
    if file_format not in FORMATS:
        raise ValidationError("Choose Excel (.xlsx) or CSV.", field="format")
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    job = ExportJob(
        created_by_id=actor_id,
        file_format=file_format,
        scope=scope.as_dict(),
        status="running",
        file_name=f"contacts-{stamp}.{file_format}",
    )
    session.add(job)
    session.flush()
    return export_read(job)


def run_export(
    *,
    export_id: int,
    scope: Scope,
    locale: str = "en",
    engine: Engine | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExportRead:
    """Write the file of an export, a thousand contacts at a time, recording it in each contact's history."""
    engine = engine or get_engine()
    locale = normalise_locale(locale)
    with session_scope(engine) as s:
        job = s.get(ExportJob, export_id)
        if job is None:
            raise NotFoundError("This export does not exist.")
        actor_id, file_format, file_name = job.created_by_id, job.file_format, job.file_name
        total = count_scope(s, scope)
        job.total_rows = total
        targets, headers, custom = layout(s, locale)
        formatter = _Formatter(s, locale, targets, custom)
    stored = f"{export_id}-{int(time.time())}.{file_format}"
    path = exchange_dir("exports") / stored
    writer = (
        XlsxWriter(path, translate(locale, "Contacts"), headers) if file_format == XLSX else CsvWriter(path, headers)
    )
    written = 0
    note = f"{file_name} ({file_format.upper()})"
    try:
        with collector_paused(), Session(engine, expire_on_commit=False) as reader:
            for chunk in _ids(reader, scope):
                files = load_records(reader, chunk)
                for contact_id in chunk:
                    if contact_id in files:
                        writer.append(formatter.row(files[contact_id]))
                reader.expunge_all()
                reader.rollback()
                with session_scope(engine) as s:
                    batch.insert_audit_rows(
                        s, batch.history_rows(list(files), actor_id=actor_id, kind="exported", new=note)
                    )
                    written += len(files)
                    s.execute(update(ExportJob).where(ExportJob.id == export_id).values(written_rows=written))
                after_batch()
                if on_progress is not None:
                    on_progress(written, total)
        writer.close()
    except Exception as error:
        path.unlink(missing_ok=True)
        with session_scope(engine) as s:
            s.execute(
                update(ExportJob)
                .where(ExportJob.id == export_id)
                .values(status="failed", error=f"The export stopped on an error ({type(error).__name__}).")
            )
        raise
    with session_scope(engine) as s:
        job = s.get(ExportJob, export_id)
        job.status = "done"
        job.stored_name = stored
        job.written_rows = written
        job.total_rows = written
        job.finished_at = utcnow()
        s.add(job)
        return export_read(job)


def export_file(session: Session, *, export_id: Any, user_id: int, is_admin: bool = False) -> tuple[Any, str, str]:
    """(path, file name, media type) of a finished export its creator (or an admin) downloads."""
    try:
        job = session.get(ExportJob, int(export_id))
    except (TypeError, ValueError):
        job = None
    if job is None or (job.created_by_id != user_id and not is_admin) or job.status != "done":
        raise NotFoundError("This export does not exist (or is not ready).")
    path = stored_path(job.stored_name, "exports")
    if not path.exists():
        raise NotFoundError("This export's file is no longer available: export again.")
    media = (
        "text/csv; charset=utf-8"
        if job.file_format == CSV
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return path, job.file_name, media


def scope_from(ids: Sequence[int] | None, filter: ContactFilter | None) -> Scope:
    """A scope from a selection (ids), a filter, or neither (everything)."""
    if ids is not None:
        return Scope(ids=tuple(int(i) for i in ids))
    return Scope(filter=filter)
