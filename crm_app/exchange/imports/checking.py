"""Checking a row as a new contact: the verdict (a validated contact or the validation errors), the row's
values validation refuses left out when the import says so, and the helper that checks rows in the reading
child process (``crm_app.exchange.reading``) on a read-only connection of its own."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.contacts import batch
from crm_app.contacts.models import AcquisitionChannel, PhoneType
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import ValidationError
from crm_app.core.memo import reading_config_once
from crm_app.db import normalise_url
from crm_app.exchange.files import compact_json
from crm_app.exchange.imports.context import parse_context
from crm_app.exchange.imports.inputs import new_contact_input
from crm_app.exchange.imports.lifecycle import job_options
from crm_app.exchange.models import ImportJob
from crm_app.exchange.parse import ParseContext, Problem, RowInput, context_fingerprint, read_row, row_data
from crm_app.fields.models import FieldDefinition

# Keys of validation errors that name required data: a row whose name or type is unusable is rejected.
REQUIRED_KEYS = frozenset({"kind", "first_name", "last_name", "company_name", "display_name", ""})


# A row checker's verdict on a row as a new contact: ("plan", ValidatedContact) or ("invalid", message, errors).
Verdict = tuple[Any, ...]


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


def problems_from(error: ValidationError, row: RowInput, ctx: ParseContext) -> list[Problem]:
    """The problems ``error`` finds in ``row``, each with the header of its column."""
    if not error.errors:
        return [Problem(column="", message=error.message)]
    return [Problem(column=_column_of(row, ctx, key), message=message) for key, message in error.errors.items()]


def drop_values(row: RowInput, error: ValidationError, ctx: ParseContext, *, positional: bool) -> bool:
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
    row.problems += problems_from(error, row, ctx)
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


def _read_only_engine(url: str) -> Engine:
    """An engine for a row checker: reads only, and on SQLite without taking the write lock (the app's sessions
    begin IMMEDIATE; a reader in WAL mode waits for nobody and makes nobody wait)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": 10}, poolclass=NullPool)
    return create_engine(url, poolclass=NullPool)


def _verdict_json(verdict: Verdict | None) -> Any:
    if verdict is None:
        return None
    if verdict[0] == "invalid":
        return list(verdict)
    plan = batch.validated_json(verdict[1])
    return None if plan is None else ["plan", plan]


def verdict_back(data: Any) -> Verdict | None:
    """A verdict from its JSON form in a kept line (None for none)."""
    if not data:
        return None
    if data[0] == "invalid":
        return ("invalid", data[1], dict(data[2]))
    return ("plan", batch.validated_from_json(data[1]))


def checks_fingerprint(session: Session, reading: str) -> str:
    """A digest of what validating rows as new contacts reads from the database, with ``reading`` (the
    fingerprint of reading them): the account settings, the forms' fields, phone types, staff and channels.
    A verdict given under another one is not reused."""
    definitions = [dict(row._mapping) for row in session.execute(select(FieldDefinition.__table__))]
    payload = [
        reading,
        batch.VALIDATED_SHAPE,
        dataclasses.asdict(get_settings(session)),
        sorted(definitions, key=lambda row: row["id"]),
        sorted(session.execute(select(PhoneType.name)).scalars()),
        sorted(tuple(row) for row in session.execute(select(User.id, User.active))),
        sorted(tuple(row) for row in session.execute(select(AcquisitionChannel.id, AcquisitionChannel.active))),
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def kept_line(row: RowInput, verdict: Verdict | None) -> str:
    """The line of ``<stored>.parsed`` that keeps what was read in a row and the verdict on it."""
    return compact_json([row.number, row_data(row), _verdict_json(verdict)]) + "\n"


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
        drop = job_options(self.job).on_bad_value == "drop"
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
