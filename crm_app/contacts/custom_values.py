"""Custom values stored on contacts (``Contact.custom``), kept in step with their field definitions.

The fields package announces what a definition change asks of the stored values (``crm_app.fields.events``);
these in-transaction handlers count, read, convert and remove them with set-based SQL, in batches by
contact id, and rebuild the contacts' search rows. ``crm_app.models`` imports this module to wire them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, String, bindparam, cast, func, literal
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, select

from crm_app.contacts.models import Contact
from crm_app.contacts.search.documents import custom_value_holders, reindex_contacts, reindex_custom_field
from crm_app.core import events
from crm_app.fields.events import (
    FieldDeleting,
    FieldSearchChanged,
    FieldTypeChanging,
    FieldValuesCounting,
    FieldValuesScanning,
)

SCAN_BATCH = 500


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _json_path(key: str) -> str:
    return f'$."{key}"'


def _has_value(session: Session, key: str) -> Any:
    """SQL condition: the contact's custom JSON holds a non-null value under ``key``."""
    if _dialect(session) == "postgresql":
        return func.json_typeof(Contact.custom.op("->")(literal(key, String))) != "null"
    return func.json_type(Contact.custom, _json_path(key)) != "null"


def _value_batches(session: Session, key: str, kinds: Sequence[str]) -> Iterator[list[Any]]:
    """(contact id, value) pairs of every contact of ``kinds`` holding a value under ``key``, in batches by id."""
    condition = [Contact.kind.in_(kinds), _has_value(session, key)]
    last_id = 0
    while True:
        rows = session.exec(
            select(Contact.id, Contact.custom[key])
            .where(*condition, Contact.id > last_id)
            .order_by(Contact.id)
            .limit(SCAN_BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def _expire_contacts(session: Session) -> None:
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Contact):
            session.expire(obj)


def _set_value_statement(session: Session, key: str) -> Any:
    table = Contact.__table__
    value = bindparam("value", type_=String)
    if _dialect(session) == "postgresql":
        merged = cast(table.c.custom, JSONB).op("||")(func.jsonb_build_object(key, cast(value, JSONB)))
        new_custom = cast(merged, JSON)
    else:
        new_custom = func.json_set(table.c.custom, _json_path(key), func.json(value))
    return (
        sql_update(table)
        .where(table.c.id == bindparam("contact_id"))
        .values(custom=new_custom, version=table.c.version + 1)
    )


def _remove_key(session: Session, key: str, kinds: Sequence[str]) -> int:
    table = Contact.__table__
    if _dialect(session) == "postgresql":
        new_custom = cast(cast(table.c.custom, JSONB).op("-")(literal(key, String)), JSON)
        present = func.json_typeof(table.c.custom.op("->")(literal(key, String))).is_not(None)
    else:
        new_custom = func.json_remove(table.c.custom, _json_path(key))
        present = func.json_type(table.c.custom, _json_path(key)).is_not(None)
    stmt = (
        sql_update(table).where(table.c.kind.in_(kinds), present).values(custom=new_custom, version=table.c.version + 1)
    )
    count = session.exec(stmt).rowcount
    _expire_contacts(session)
    return int(count or 0)


def _count(session: Session, event: FieldValuesCounting) -> None:
    stmt = (
        select(func.count()).select_from(Contact).where(Contact.kind.in_(event.kinds), _has_value(session, event.key))
    )
    event.count = int(session.exec(stmt).one())


def _scan(session: Session, event: FieldValuesScanning) -> None:
    for batch in _value_batches(session, event.key, event.kinds):
        for _contact_id, value in batch:
            event.visit(value)


def _convert(session: Session, event: FieldTypeChanging) -> None:
    statement = _set_value_statement(session, event.key)
    for batch in _value_batches(session, event.key, event.kinds):
        params = []
        for contact_id, value in batch:
            new_value = event.convert(value)
            if new_value != value or type(new_value) is not type(value):
                params.append({"contact_id": contact_id, "value": json.dumps(new_value)})
        if params:
            session.exec(statement, params=params)
            event.converted += len(params)
    _expire_contacts(session)


def _remove(session: Session, event: FieldDeleting) -> None:
    indexed = custom_value_holders(session, key=event.key) if event.searchable else []
    event.removed = _remove_key(session, event.key, event.kinds)
    reindex_contacts(session, contact_ids=indexed)


def _reindex(session: Session, event: FieldSearchChanged) -> None:
    reindex_custom_field(session, key=event.key)


events.on(FieldValuesCounting, _count)
events.on(FieldValuesScanning, _scan)
events.on(FieldTypeChanging, _convert)
events.on(FieldDeleting, _remove)
events.on(FieldSearchChanged, _reindex)
