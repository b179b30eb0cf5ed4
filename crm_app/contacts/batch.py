"""Many contacts at once (imports): the same validation as the contact form, set-based writes.

``load_files`` reads stored contacts with their rows (``ContactFile``), ``validate_new`` and ``plan_update``
check input exactly as a save from the profile would, and ``insert_contacts`` writes thousands of new contacts
with a few multi-row statements instead of one ORM round trip each.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.contacts import events as changes
from crm_app.contacts.models import Address, Contact, ContactTag, Counter, Email, Phone, Tag
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from crm_app.contacts.search.documents import index_new_contacts, reindex_contacts
from crm_app.contacts.service import (
    CONFLICT_MESSAGE,
    REFERENCE_COUNTER,
    UpdatePlan,
    get_or_create_tags,
    phone_row_values,
)
from crm_app.contacts.texts import format_discount
from crm_app.contacts.validation import (
    ContactFile,
    ValidatedAddress,
    ValidatedContact,
    ValidatedEmail,
    ValidatedPhone,
    validate_contact,
)
from crm_app.core.app_settings import AccountSettings
from crm_app.core.audit import json_safe
from crm_app.core.emails import email_key
from crm_app.core.errors import ConflictError
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import utcnow
from crm_app.db import insert_rows


@dataclass
class NewContact:
    """A validated new contact and what the caller adds: its reference (or none yet) and whether it is archived."""

    plan: ValidatedContact
    reference: str = ""
    archived: bool = False
    note: str = ""


def validate_new(
    session: Session, *, data: ContactIn, settings: AccountSettings, locale: str = "en"
) -> ValidatedContact:
    """Check a new contact exactly as the contact form's save does; ValidationError lists every problem."""
    return validate_contact(session, data, ContactFile(), settings, locale)


# The shape of a validated new contact: plans kept in another form are only read back while it is unchanged.
VALIDATED_SHAPE = tuple(
    (cls.__name__, tuple(f.name for f in dataclasses.fields(cls)))
    for cls in (ValidatedContact, ValidatedPhone, ValidatedEmail, ValidatedAddress)
)


_PRIMITIVE = (str, bool, int, float, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, _PRIMITIVE):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [item if isinstance(item, _PRIMITIVE) else _plain(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"$dict": {key: item if isinstance(item, _PRIMITIVE) else _plain(item) for key, item in value.items()}}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _unplain(value: Any) -> Any:
    if isinstance(value, list):
        return [_unplain(item) if isinstance(item, list | dict) else item for item in value]
    if not isinstance(value, dict):
        return value
    if "$dict" in value:
        return {key: _unplain(item) if isinstance(item, list | dict) else item for key, item in value["$dict"].items()}
    if "$decimal" in value:
        return Decimal(value["$decimal"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    return date.fromisoformat(value["$date"])


_PHONE_FIELDS = tuple(f.name for f in dataclasses.fields(ValidatedPhone))
_EMAIL_FIELDS = tuple(f.name for f in dataclasses.fields(ValidatedEmail))


def _plain_values(values: dict[str, Any]) -> dict[str, Any]:
    if not all(isinstance(key, str) for key in values):
        raise TypeError("keys must be text")
    return {key: value if isinstance(value, _PRIMITIVE) else _plain(value) for key, value in values.items()}


def _primitive(items: list[Any]) -> list[Any]:
    if not all(isinstance(item, _PRIMITIVE) for item in items):
        raise TypeError("values must be plain")
    return items


def validated_json(plan: ValidatedContact) -> Any:
    """A validated new contact in JSON form (``validated_from_json`` reads it back); None when a value has none."""
    try:
        return [
            _plain_values(plan.scalars),
            [_primitive([getattr(p, name) for name in _PHONE_FIELDS]) for p in plan.phones],
            [_primitive([getattr(e, name) for name in _EMAIL_FIELDS]) for e in plan.emails],
            [[a.id, _plain_values(a.values)] for a in plan.addresses],
            _primitive(list(plan.tag_names)),
            _plain_values(plan.custom),
        ]
    except TypeError:
        return None


def _values_back(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _unplain(value) if isinstance(value, list | dict) else value for key, value in values.items()}


def validated_from_json(data: Any) -> ValidatedContact:
    """The validated new contact ``validated_json`` described."""
    scalars, phones, emails, addresses, tag_names, custom = data
    return ValidatedContact(
        scalars=_values_back(scalars),
        phones=[ValidatedPhone(*values) for values in phones],
        emails=[ValidatedEmail(*values) for values in emails],
        addresses=[ValidatedAddress(id=row_id, values=_values_back(values)) for row_id, values in addresses],
        tag_names=tag_names,
        custom=_values_back(custom),
    )


def load_files(session: Session, contact_ids: Sequence[int]) -> dict[int, ContactFile]:
    """The stored contacts with these ids and their phones, e-mails, addresses and tags (5 queries)."""
    ids = sorted({int(i) for i in contact_ids})
    if not ids:
        return {}
    files = {
        c.id: ContactFile(contact=c) for c in session.execute(select(Contact).where(Contact.id.in_(ids))).scalars()
    }
    for phone in session.execute(
        select(Phone).where(Phone.contact_id.in_(ids)).order_by(Phone.contact_id, Phone.position, Phone.id)
    ).scalars():
        files[phone.contact_id].phones.append(phone)
    for email in session.execute(
        select(Email).where(Email.contact_id.in_(ids)).order_by(Email.contact_id, Email.position, Email.id)
    ).scalars():
        files[email.contact_id].emails.append(email)
    for address in session.execute(
        select(Address).where(Address.contact_id.in_(ids)).order_by(Address.contact_id, Address.position, Address.id)
    ).scalars():
        files[address.contact_id].addresses.append(address)
    for contact_id, tag in session.execute(
        select(ContactTag.contact_id, Tag).join(Tag, Tag.id == ContactTag.tag_id).where(ContactTag.contact_id.in_(ids))
    ).all():
        files[contact_id].tags.append(tag)
    return files


def input_from_file(file: ContactFile) -> ContactIn:
    """The stored contact as form input (child rows keep their ids), to merge new values into."""
    contact = file.contact
    return ContactIn(
        kind=contact.kind,
        first_name=contact.first_name,
        last_name=contact.last_name,
        company_name=contact.company_name,
        registration_no=contact.registration_no,
        is_supplier=contact.is_supplier,
        assigned_user_id=contact.assigned_user_id,
        acquisition_channel_id=contact.acquisition_channel_id,
        discount_percent=format_discount(contact.discount_percent),
        memo=contact.memo,
        phones=[
            PhoneIn(id=p.id, number=p.raw, type=p.type, whatsapp=p.whatsapp, viber=p.viber, sms=p.sms)
            for p in file.phones
        ],
        emails=[EmailIn.model_validate(e, from_attributes=True) for e in file.emails],
        addresses=[AddressIn.model_validate(a, from_attributes=True) for a in file.addresses],
        tags=[tag.name for tag in file.tags],
        custom=dict(contact.custom or {}),
    )


def _taken_references(session: Session, candidates: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(candidates), 900):
        chunk = list(candidates[start : start + 900])
        taken.update(session.execute(select(Contact.reference).where(Contact.reference.in_(chunk))).scalars())
    return taken


def reserve_references(session: Session, count: int, settings: AccountSettings) -> list[str]:
    """``count`` fresh references in one counter update (never handed out twice, existing ones skipped)."""
    result: list[str] = []
    while len(result) < count:
        wanted = count - len(result)
        table = Counter.__table__
        current = session.execute(select(table.c.value).where(table.c.name == REFERENCE_COUNTER)).scalar_one_or_none()
        if current is None:
            session.execute(insert(table).values(name=REFERENCE_COUNTER, value=wanted))
            first = 1
        else:
            session.execute(update(table).where(table.c.name == REFERENCE_COUNTER).values(value=table.c.value + wanted))
            first = int(current) + 1
        candidates = [
            f"{settings.reference_prefix}{number:0{settings.reference_digits}d}"
            for number in range(first, first + wanted)
        ]
        taken = _taken_references(session, candidates)
        result.extend(ref for ref in candidates if ref not in taken)
    return result


def free_references(session: Session, references: Sequence[str]) -> set[str]:
    """Which of these references no contact uses yet."""
    return set(references) - _taken_references(session, list(references))


def insert_contacts(
    session: Session, items: Sequence[NewContact], *, actor_id: int | None, settings: AccountSettings
) -> list[int]:
    """Write validated new contacts with their rows, tags, "created" history and search rows; returns their ids.

    Items without a reference get fresh ones. Open lists are told once the transaction commits.
    """
    if not items:
        return []
    missing = [item for item in items if not item.reference]
    for item, reference in zip(missing, reserve_references(session, len(missing), settings), strict=True):
        item.reference = reference
    now = utcnow()
    contact_rows = [
        {
            **item.plan.scalars,
            "custom": item.plan.custom,
            "reference": item.reference,
            "archived_at": now if item.archived else None,
            "created_at": now,
            "updated_at": now,
            "created_by_id": actor_id,
            "updated_by_id": actor_id,
            "version": 1,
        }
        for item in items
    ]
    table = Contact.__table__
    # A plain executemany (no RETURNING: that makes the driver layer build multi-row statements), then the new
    # ids read back by their unique references in one indexed query.
    insert_rows(session, table, contact_rows)
    by_reference: dict[str, int] = {}
    references = [item.reference for item in items]
    for start in range(0, len(references), 900):
        chunk = references[start : start + 900]
        by_reference.update(
            {
                ref: cid
                for cid, ref in session.execute(
                    select(table.c.id, table.c.reference).where(table.c.reference.in_(chunk))
                )
            }
        )
    ids = [by_reference[reference] for reference in references]
    phones, emails, addresses, links, audits = [], [], [], [], []
    tag_names = list(dict.fromkeys(name for item in items for name in item.plan.tag_names))
    tag_rows = {tag.name.casefold(): tag for tag in get_or_create_tags(session, tag_names)}
    tags = {key: tag.id for key, tag in tag_rows.items()}
    for contact_id, item in zip(ids, items, strict=True):
        phones += [{"contact_id": contact_id, **phone_row_values(p)} for p in item.plan.phones]
        emails += [
            {
                "contact_id": contact_id,
                "address": e.address,
                "address_key": email_key(e.address),
                "position": e.position,
                "email_ok": e.email_ok,
            }
            for e in item.plan.emails
        ]
        addresses += [{"contact_id": contact_id, **a.values} for a in item.plan.addresses]
        links += [
            {"contact_id": contact_id, "tag_id": tag_id}
            for tag_id in dict.fromkeys(tags[name.casefold()] for name in item.plan.tag_names)
        ]
        label = f"{item.plan.scalars['display_name']} ({item.reference})"
        audits.append(
            _audit_row(now, actor_id, contact_id, "created", new=f"{label} · {item.note}" if item.note else label)
        )
        if item.archived:
            audits.append(_audit_row(now, actor_id, contact_id, "archived"))
    for model, rows in ((Phone, phones), (Email, emails), (Address, addresses), (ContactTag, links)):
        insert_rows(session, model.__table__, rows)
    insert_audit_rows(session, audits)
    assigned = {item.plan.scalars["assigned_user_id"] for item in items} - {None}
    names = (
        dict(
            session.execute(
                select(User.id, func.coalesce(func.nullif(User.name, ""), User.email)).where(User.id.in_(assigned))
            ).all()
        )
        if assigned
        else {}
    )
    index_new_contacts(
        session,
        [
            {
                "id": contact_id,
                **item.plan.scalars,
                "reference": item.reference,
                "custom": item.plan.custom,
                "phones": [(p.e164, p.national_digits) for p in item.plan.phones],
                "emails": [e.address for e in item.plan.emails],
                "cities": [(bool(a.values.get("is_main")), a.values.get("city", "")) for a in item.plan.addresses],
                "tags": sorted({tag_rows[name.casefold()].name for name in item.plan.tag_names}),
                "tag_ids": [tags[name.casefold()] for name in item.plan.tag_names],
                "assigned": names.get(item.plan.scalars["assigned_user_id"], ""),
                "archived_at": now if item.archived else None,
                "created_at": now,
            }
            for contact_id, item in zip(ids, items, strict=True)
        ],
    )
    changes.mark_list_changed(session)
    return ids


def _audit_row(
    at: datetime, actor_id: int | None, contact_id: int, kind: str, *, field: str = "", old: Any = None, new: Any = None
) -> dict[str, Any]:
    return {
        "at": at,
        "actor_id": actor_id,
        "entity": "contact",
        "entity_id": contact_id,
        "contact_id": contact_id,
        "kind": kind,
        "field": field,
        "old": json_safe(old),
        "new": json_safe(new),
    }


def history_rows(
    contact_ids: Sequence[int], *, actor_id: int | None, kind: str, new: Any = None
) -> list[dict[str, Any]]:
    """One history line of ``kind`` per contact (imports and exports record themselves this way)."""
    now = utcnow()
    return [_audit_row(now, actor_id, int(cid), kind, new=new) for cid in contact_ids]


def insert_audit_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write history lines."""
    insert_rows(session, AuditEntry.__table__, rows)


_CHILD_ENTITIES = {Phone: "phone", Email: "email", Address: "address"}


def _claim_versions(session: Session, plans: Sequence[UpdatePlan], actor_id: int | None, now: datetime) -> None:
    """One ``UPDATE ... WHERE id = ? AND version = ?`` per set of changed columns, executed for many contacts."""
    table = Contact.__table__
    groups: dict[tuple[str, ...], list[UpdatePlan]] = defaultdict(list)
    for plan in plans:
        groups[tuple(sorted(plan.scalar_values))].append(plan)
    for columns, group in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(
                {
                    **{name: bindparam(f"b_{name}") for name in columns},
                    "version": bindparam("b_next"),
                    "updated_at": bindparam("b_at"),
                    "updated_by_id": bindparam("b_by"),
                }
            )
        )
        params = [
            {
                "b_id": plan.contact.id,
                "b_version": plan.version,
                "b_next": plan.version + 1,
                "b_at": now,
                "b_by": actor_id,
                **{f"b_{name}": plan.scalar_values[name] for name in columns},
            }
            for plan in group
        ]
        if session.execute(stmt, params).rowcount != len(group):
            raise ConflictError(CONFLICT_MESSAGE)


def apply_updates(
    session: Session, plans: Sequence[UpdatePlan], *, actor_id: int | None, note: str = ""
) -> list[list[tuple[str, int]]]:
    """Write many planned updates set-based: versions claimed (ConflictError if any moved on), child rows,
    tags and history (plus one "imported"-style line with ``note`` when given); returns per plan the
    (entity, id) of every row it added."""
    if not plans:
        return []
    now = utcnow()
    _claim_versions(session, plans, actor_id, now)
    added: list[list[tuple[str, int]]] = [[] for _ in plans]
    inserts: dict[type, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    audits: list[dict[str, Any]] = []
    tag_names = list(dict.fromkeys(name for plan in plans for name in plan.tags_to_add))
    tags = {tag.name.casefold(): tag for tag in get_or_create_tags(session, tag_names)} if tag_names else {}
    links: list[dict[str, Any]] = []
    for index, plan in enumerate(plans):
        contact_id = plan.contact.id
        for action, target, values in plan.children.writes:
            if action == "add":
                inserts[target].append((index, {"contact_id": contact_id, **values}))
            elif action == "set":
                session.execute(update(type(target).__table__).where(type(target).id == target.id).values(**values))
            else:
                session.execute(delete(type(target).__table__).where(type(target).id == target.id))
        entries = [*plan.audits, *plan.children.audits]
        for tag in plan.tags_to_remove:
            session.execute(
                delete(ContactTag.__table__).where(ContactTag.contact_id == contact_id, ContactTag.tag_id == tag.id)
            )
            entries.append({"kind": "tag_removed", "entity": "tag", "entity_id": tag.id, "old": tag.name})
        for name in plan.tags_to_add:
            tag = tags[name.casefold()]
            links.append({"contact_id": contact_id, "tag_id": tag.id})
            added[index].append(("tag", tag.id))
            entries.append({"kind": "tag_added", "entity": "tag", "entity_id": tag.id, "new": tag.name})
        for entry in entries:
            row = _audit_row(now, actor_id, contact_id, entry["kind"], field=entry.get("field", ""))
            row.update(
                entity=entry.get("entity", "contact"),
                entity_id=entry.get("entity_id", contact_id),
                old=json_safe(entry.get("old")),
                new=json_safe(entry.get("new")),
            )
            audits.append(row)
        if note:
            audits.append(_audit_row(now, actor_id, contact_id, "imported", new=note))
    for model, items in inserts.items():
        table = model.__table__
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), [values for _index, values in items]
        )
        for (index, _values), row_id in zip(items, result.scalars(), strict=True):
            added[index].append((_CHILD_ENTITIES[model], row_id))
    insert_rows(session, ContactTag.__table__, links)
    insert_audit_rows(session, audits)
    # The ids first: reading one from an expired contact would reload it (a query per contact).
    ids = [plan.contact.id for plan in plans]
    for plan in plans:
        session.expire(plan.contact)
    reindex_contacts(session, contact_ids=ids)
    changes.mark_changed(session, ids)
    return added
