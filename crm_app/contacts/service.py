"""Contact file services: read, create, update, archive, restore, delete and history of one contact.

Input is checked by ``validation`` first; each change is audited; callers get DTOs, never ORM rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, exists, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.events import ContactDeleting
from crm_app.contacts.forms import SCALAR_FIELDS
from crm_app.contacts.hidden_builtins import keep_hidden_builtins
from crm_app.contacts.models import (
    CONFLICT_KEY,
    AcquisitionChannel,
    Address,
    Contact,
    ContactTag,
    Counter,
    Email,
    Phone,
    Tag,
)
from crm_app.contacts.schemas import (
    AddressRead,
    ContactIn,
    ContactRead,
    EmailRead,
    HistoryEntry,
    PhoneRead,
    TagRead,
)
from crm_app.contacts.search.documents import index_archived, reindex_contacts
from crm_app.contacts.texts import (
    MAP_SEARCH_URL,
    NAME_LIMITS,
    address_one_line,
    display_name_for,
    format_discount,
    phone_type_label,
    readable_address,
    readable_email,
    readable_phone,
    sort_key,
    split_full_name,
)
from crm_app.contacts.validation import ContactFile, ValidatedPhone, validate_contact
from crm_app.core import audit, events
from crm_app.core.app_settings import AccountSettings, get_settings
from crm_app.core.emails import email_key
from crm_app.core.errors import ConflictError, NotFoundError, ValidationError
from crm_app.core.memo import memoized
from crm_app.core.models import AuditEntry
from crm_app.core.phones import (
    format_phone,
    phone_links,
)
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.db import scalar_defaults
from crm_app.fields.schemas import KINDS
from crm_app.fields.values import (
    custom_changes,
    split_custom_values,
)

REFERENCE_COUNTER = "contact_reference"
SYSTEM_TAGS = {CONFLICT_KEY: ("Conflict", "red")}
# The editable fields an update compares as they are (the discount is compared as a number, apart).
COMPARED_AS_IS = tuple(name for name in SCALAR_FIELDS if name != "discount_percent")
CONFLICT_MESSAGE = "This contact was changed by someone else meanwhile. Reload it to see the changes, then try again."


# ---------------------------------------------------------------- tags shared with tags.py


def tags_by_key(session: Session) -> dict[str, Tag]:
    """Every tag keyed by its case-folded name (the tag table is small)."""
    return memoized(
        session, "tags_by_key", lambda: {tag.name.casefold(): tag for tag in session.exec(select(Tag)).all()}
    )


def get_or_create_tags(session: Session, names: list[str]) -> list[Tag]:
    """The tags with these names (case-insensitive), creating the missing ones."""
    existing = tags_by_key(session)
    result: list[Tag] = []
    for name in names:
        tag = existing.get(name.casefold())
        if tag is None:
            try:
                with session.begin_nested():
                    tag = Tag(name=name)
                    session.add(tag)
            except IntegrityError:
                tag = session.exec(select(Tag).where(Tag.name == name)).one()
            existing[name.casefold()] = tag
        result.append(tag)
    return result


def ensure_system_tags(session: Session) -> dict[str, Tag]:
    """Create the system tags (Conflict) when missing; returns them by system key."""
    found = {tag.system_key: tag for tag in session.exec(select(Tag).where(Tag.system_key.is_not(None))).all()}
    by_name = None
    for key, (name, color) in SYSTEM_TAGS.items():
        if key in found:
            continue
        by_name = by_name if by_name is not None else tags_by_key(session)
        tag = by_name.get(name.casefold())
        if tag is None:
            tag = Tag(name=name, color=color, system_key=key)
        else:
            tag.system_key, tag.color = key, color
        session.add(tag)
        found[key] = tag
    session.flush()
    return found


# ---------------------------------------------------------------- reading


def _load_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("This contact does not exist (it may have been deleted).")
    return contact


def _load_existing(session: Session, contact: Contact) -> ContactFile:
    cid = contact.id
    return ContactFile(
        contact=contact,
        phones=list(session.exec(select(Phone).where(Phone.contact_id == cid).order_by(Phone.position, Phone.id))),
        emails=list(session.exec(select(Email).where(Email.contact_id == cid).order_by(Email.position, Email.id))),
        addresses=list(
            session.exec(select(Address).where(Address.contact_id == cid).order_by(Address.position, Address.id))
        ),
        tags=list(
            session.exec(
                select(Tag).join(ContactTag, ContactTag.tag_id == Tag.id).where(ContactTag.contact_id == cid)
            ).all()
        ),
    )


def _user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.name, User.email).where(User.id.in_(wanted))).all()
    return {uid: (name or email) for uid, name, email in rows}


def phone_read(phone: Phone, settings: AccountSettings) -> PhoneRead:
    """A stored phone as a DTO, displayed in the account's style."""
    links = phone_links(phone.e164, phone.whatsapp, phone.viber, phone.sms)
    return PhoneRead(
        id=phone.id,
        raw=phone.raw,
        e164=phone.e164,
        display=format_phone(phone.e164, settings.phone_display, settings.default_region),
        type=phone.type,
        type_label=phone_type_label(phone.type),
        whatsapp=phone.whatsapp,
        viber=phone.viber,
        sms=phone.sms,
        tel_link=links["tel"],
        whatsapp_link=links["whatsapp"],
        viber_link=links["viber"],
        sms_link=links["sms"],
    )


def address_read(address: Address) -> AddressRead:
    """A stored address as a DTO with its one-line form and an OpenStreetMap search link."""
    one_line = address_one_line(address)
    return AddressRead(
        id=address.id,
        label=address.label,
        line1=address.line1,
        line2=address.line2,
        postcode=address.postcode,
        city=address.city,
        region=address.region,
        country=address.country,
        is_main=address.is_main,
        one_line=one_line,
        map_url=MAP_SEARCH_URL + quote(one_line, safe=""),
    )


def _tag_read(tag: Tag) -> TagRead:
    return TagRead(id=tag.id, name=tag.name, color=tag.color, system_key=tag.system_key)


def _read(session: Session, contact: Contact) -> ContactRead:
    session.flush()
    session.refresh(contact)
    old = _load_existing(session, contact)
    settings = get_settings(session)
    names = _user_names(session, {contact.assigned_user_id, contact.created_by_id, contact.updated_by_id})
    channel = (
        session.get(AcquisitionChannel, contact.acquisition_channel_id) if contact.acquisition_channel_id else None
    )
    tags = sorted(old.tags, key=lambda tag: (tag.system_key is None, tag.name.casefold()))
    custom, hidden_custom = split_custom_values(session, kind=contact.kind, custom=contact.custom)
    return ContactRead(
        id=contact.id,
        kind=contact.kind,
        first_name=contact.first_name,
        last_name=contact.last_name,
        company_name=contact.company_name,
        display_name=contact.display_name,
        reference=contact.reference,
        registration_no=contact.registration_no,
        is_supplier=contact.is_supplier,
        is_conflict=any(tag.system_key == CONFLICT_KEY for tag in tags),
        assigned_user_id=contact.assigned_user_id,
        assigned_user_name=names.get(contact.assigned_user_id, ""),
        acquisition_channel_id=contact.acquisition_channel_id,
        acquisition_channel_name=channel.name if channel else "",
        discount_percent=format_discount(contact.discount_percent),
        memo=contact.memo,
        archived=contact.archived_at is not None,
        archived_at=as_utc(contact.archived_at),
        created_at=as_utc(contact.created_at),
        created_by_name=names.get(contact.created_by_id, ""),
        updated_at=as_utc(contact.updated_at),
        updated_by_name=names.get(contact.updated_by_id, ""),
        version=contact.version,
        phones=[phone_read(phone, settings) for phone in old.phones],
        emails=[EmailRead(id=email.id, address=email.address, email_ok=email.email_ok) for email in old.emails],
        addresses=[address_read(address) for address in old.addresses],
        tags=[_tag_read(tag) for tag in tags],
        custom=custom,
        hidden_custom=hidden_custom,
    )


def get_contact(session: Session, *, contact_id: int) -> ContactRead:
    """The whole contact file; NotFoundError when it does not exist."""
    return _read(session, _load_contact(session, contact_id))


def contact_version(session: Session, *, contact_id: int) -> int | None:
    """The contact's current version (one indexed read), or None when it no longer exists."""
    return session.exec(select(Contact.version).where(Contact.id == contact_id)).first()


# ---------------------------------------------------------------- writing helpers


def _next_reference_number(session: Session) -> int:
    table = Counter.__table__
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        stmt = (
            dialect_insert(table)
            .values(name=REFERENCE_COUNTER, value=1)
            .on_conflict_do_update(index_elements=[table.c.name], set_={"value": table.c.value + 1})
            .returning(table.c.value)
        )
        return int(session.exec(stmt).scalar_one())
    current = session.exec(
        select(table.c.value).where(table.c.name == REFERENCE_COUNTER).with_for_update()
    ).scalar_one_or_none()
    if current is None:
        session.exec(insert(table).values(name=REFERENCE_COUNTER, value=1))
        return 1
    session.exec(update(table).where(table.c.name == REFERENCE_COUNTER).values(value=current + 1))
    return int(current) + 1


def next_reference(session: Session, settings: AccountSettings | None = None) -> str:
    """Take the next contact reference ("C-000123"); numbers are never handed out twice."""
    settings = settings or get_settings(session)
    while True:
        number = _next_reference_number(session)
        reference = f"{settings.reference_prefix}{number:0{settings.reference_digits}d}"
        if not session.exec(select(exists().where(Contact.reference == reference))).one():
            return reference


def _claim_version(
    session: Session, contact: Contact, *, actor_id: int | None, version: int, values: dict[str, Any]
) -> None:
    """``UPDATE contact ... WHERE id = :id AND version = :v``; ConflictError when someone else got there first."""
    stmt = (
        update(Contact)
        .where(Contact.id == contact.id, Contact.version == version)
        .values(**values, version=version + 1, updated_at=utcnow(), updated_by_id=actor_id)
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount != 1:
        raise ConflictError(CONFLICT_MESSAGE)
    session.expire(contact)


def _check_version(contact: Contact, expected_version: int | None) -> int:
    if expected_version is not None and expected_version != contact.version:
        raise ConflictError(CONFLICT_MESSAGE)
    return contact.version


def _record(session: Session, contact_id: int, actor_id: int | None, kind: str, **kwargs: Any) -> None:
    entity = kwargs.pop("entity", "contact")
    entity_id = kwargs.pop("entity_id", contact_id)
    audit.record(
        session,
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        contact_id=contact_id,
        kind=kind,
        **kwargs,
    )


def _channel_name(session: Session, channel_id: int | None) -> str | None:
    if channel_id is None:
        return None
    channel = session.get(AcquisitionChannel, channel_id)
    return channel.name if channel else str(channel_id)


def _scalar_audit_value(session: Session, name: str, value: Any) -> Any:
    if name == "assigned_user_id":
        return _user_names(session, {value}).get(value) if value is not None else None
    if name == "acquisition_channel_id":
        return _channel_name(session, value)
    return value


# ---------------------------------------------------------------- create / update


def create_contact(session: Session, *, data: ContactIn, actor_id: int | None, locale: str = "en") -> ContactRead:
    """Validate a new contact completely, then store it with a fresh reference and audit its creation."""
    settings = get_settings(session)
    plan = validate_contact(session, data, ContactFile(), settings, locale)
    contact = Contact(
        **plan.scalars,
        custom=plan.custom,
        reference=next_reference(session, settings),
        created_by_id=actor_id,
        updated_by_id=actor_id,
    )
    session.add(contact)
    session.flush()
    for item in plan.phones:
        session.add(Phone(contact_id=contact.id, **phone_row_values(item)))
    for item in plan.emails:
        session.add(
            Email(
                contact_id=contact.id,
                address=item.address,
                address_key=email_key(item.address),
                position=item.position,
                email_ok=item.email_ok,
            )
        )
    for item in plan.addresses:
        session.add(Address(contact_id=contact.id, **item.values))
    for tag in get_or_create_tags(session, plan.tag_names):
        session.add(ContactTag(contact_id=contact.id, tag_id=tag.id))
    _record(session, contact.id, actor_id, "created", new=f"{contact.display_name} ({contact.reference})")
    reindex_contacts(session, contact_ids=[contact.id])
    return _read(session, contact)


def phone_row_values(item: ValidatedPhone) -> dict[str, Any]:
    """The columns of the phone row ``item`` writes (all but its contact)."""
    return {
        "raw": item.raw,
        "e164": item.e164,
        "national_digits": item.national_digits,
        "type": item.type,
        "position": item.position,
        "whatsapp": item.whatsapp,
        "viber": item.viber,
        "sms": item.sms,
    }


@dataclass
class _ChildChanges:
    """Row writes and audit lines to apply once the version is claimed."""

    writes: list[Any] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.writes


def _draft(model: type, values: dict[str, Any]) -> SimpleNamespace:
    """A row's values with the model's defaults, for its readable form (an ORM instance costs ten times more)."""
    return SimpleNamespace(**{**scalar_defaults(model.__table__), **values})


def _diff_rows(
    model: type,
    entity: str,
    old_rows: list[Any],
    plans: list[tuple[int | None, dict[str, Any]]],
    readable: Any,
    changes: _ChildChanges,
) -> None:
    old_by_id = {row.id: row for row in old_rows}
    kept: set[int] = set()
    for row_id, values in plans:
        row = old_by_id.get(row_id)
        if row is None:
            changes.writes.append(("add", model, values))
            changes.audits.append({"kind": f"{entity}_added", "entity": entity, "new": readable(_draft(model, values))})
            continue
        kept.add(row.id)
        if any(getattr(row, key) != value for key, value in values.items()):
            before = readable(row)
            after = readable(_draft(model, values))
            changes.writes.append(("set", row, values))
            if before != after:
                changes.audits.append(
                    {"kind": f"{entity}_changed", "entity": entity, "entity_id": row.id, "old": before, "new": after}
                )
    for row in old_rows:
        if row.id not in kept:
            changes.writes.append(("delete", row, None))
            changes.audits.append(
                {"kind": f"{entity}_removed", "entity": entity, "entity_id": row.id, "old": readable(row)}
            )


@dataclass
class UpdatePlan:
    """What saving new input on a contact changes: scalar values, child rows, tags and audit lines."""

    contact: Contact
    version: int
    scalar_values: dict[str, Any] = field(default_factory=dict)
    audits: list[dict[str, Any]] = field(default_factory=list)
    children: _ChildChanges = field(default_factory=_ChildChanges)
    tags_to_add: list[str] = field(default_factory=list)
    tags_to_remove: list[Tag] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing would change."""
        return not self.scalar_values and self.children.empty and not self.tags_to_add and not self.tags_to_remove


def plan_update(
    session: Session,
    *,
    contact: Contact,
    old: ContactFile,
    data: ContactIn,
    settings: AccountSettings,
    version: int,
    locale: str = "en",
) -> UpdatePlan:
    """Validate new input for an existing contact and work out every change; nothing is written."""
    plan = validate_contact(session, data, old, settings, locale)
    changes = UpdatePlan(contact=contact, version=version)
    scalar_values, audits = changes.scalar_values, changes.audits
    for name in COMPARED_AS_IS:
        before, after = getattr(contact, name), plan.scalars[name]
        if before != after:
            scalar_values[name] = after
            audits.append(
                {
                    "kind": "field_changed",
                    "field": name,
                    "old": _scalar_audit_value(session, name, before),
                    "new": _scalar_audit_value(session, name, after),
                }
            )
    if Decimal(contact.discount_percent) != plan.scalars["discount_percent"]:
        scalar_values["discount_percent"] = plan.scalars["discount_percent"]
        audits.append(
            {
                "kind": "discount_changed",
                "field": "discount_percent",
                "old": format_discount(contact.discount_percent),
                "new": format_discount(plan.scalars["discount_percent"]),
            }
        )
    for name in ("display_name", "sort_name"):
        if getattr(contact, name) != plan.scalars[name]:
            scalar_values[name] = plan.scalars[name]
    old_custom = dict(contact.custom or {})
    custom_audits = custom_changes(session, kind=plan.scalars["kind"], old=old_custom, new=plan.custom, locale=locale)
    if custom_audits:
        scalar_values["custom"] = plan.custom
    for key, before, after in custom_audits:
        audits.append({"kind": "field_changed", "field": f"custom.{key}", "old": before, "new": after})

    region = settings.default_region
    _diff_rows(
        Phone,
        "phone",
        old.phones,
        [(item.id, phone_row_values(item)) for item in plan.phones],
        lambda phone: readable_phone(phone, region),
        changes.children,
    )
    _diff_rows(
        Email,
        "email",
        old.emails,
        [
            (
                item.id,
                {
                    "address": item.address,
                    "address_key": email_key(item.address),
                    "position": item.position,
                    "email_ok": item.email_ok,
                },
            )
            for item in plan.emails
        ],
        readable_email,
        changes.children,
    )
    _diff_rows(
        Address,
        "address",
        old.addresses,
        [(item.id, item.values) for item in plan.addresses],
        readable_address,
        changes.children,
    )
    old_tag_keys = {tag.name.casefold(): tag for tag in old.tags}
    new_tag_keys = {name.casefold() for name in plan.tag_names}
    changes.tags_to_add = [name for name in plan.tag_names if name.casefold() not in old_tag_keys]
    changes.tags_to_remove = [tag for key, tag in old_tag_keys.items() if key not in new_tag_keys]
    return changes


def apply_update(session: Session, changes: UpdatePlan, *, actor_id: int | None) -> list[Any]:
    """Write a planned update (version claimed first: ConflictError when it moved on); returns the added rows."""
    contact = changes.contact
    _claim_version(session, contact, actor_id=actor_id, version=changes.version, values=changes.scalar_values)
    added: list[Any] = []
    for action, target, values in changes.children.writes:
        if action == "add":
            row = target(contact_id=contact.id, **values)
            session.add(row)
            added.append(row)
        elif action == "set":
            for key, value in values.items():
                setattr(target, key, value)
            session.add(target)
        else:
            session.delete(target)
    audits = list(changes.audits)
    for tag in changes.tags_to_remove:
        session.exec(delete(ContactTag).where(ContactTag.contact_id == contact.id, ContactTag.tag_id == tag.id))
        audits.append({"kind": "tag_removed", "entity": "tag", "entity_id": tag.id, "old": tag.name})
    for tag in get_or_create_tags(session, changes.tags_to_add) if changes.tags_to_add else []:
        session.add(ContactTag(contact_id=contact.id, tag_id=tag.id))
        added.append(tag)
        audits.append({"kind": "tag_added", "entity": "tag", "entity_id": tag.id, "new": tag.name})
    for entry in [*audits, *changes.children.audits]:
        _record(session, contact.id, actor_id, **entry)
    return added


def update_contact(
    session: Session,
    *,
    contact_id: int,
    data: ContactIn,
    actor_id: int | None,
    expected_version: int | None = None,
    locale: str = "en",
) -> ContactRead:
    """Replace the editable fields and child lists; ConflictError when the version moved on."""
    contact = _load_contact(session, contact_id)
    version = _check_version(contact, expected_version)
    old = _load_existing(session, contact)
    settings = get_settings(session)
    data = keep_hidden_builtins(
        session, data=data, contact=contact, phones=old.phones, emails=old.emails, addresses=old.addresses
    )
    changes = plan_update(
        session, contact=contact, old=old, data=data, settings=settings, version=version, locale=locale
    )
    if changes.empty:
        return _read(session, contact)
    apply_update(session, changes, actor_id=actor_id)
    reindex_contacts(session, contact_ids=[contact.id])
    return _read(session, contact)


# ---------------------------------------------------------------- lifecycle


def archive_contact(
    session: Session, *, contact_id: int, actor_id: int | None, expected_version: int | None = None
) -> ContactRead:
    """Hide a contact from the default list (kept, restorable); no change when already archived."""
    contact = _load_contact(session, contact_id)
    version = _check_version(contact, expected_version)
    if contact.archived_at is None:
        _claim_version(session, contact, actor_id=actor_id, version=version, values={"archived_at": utcnow()})
        _record(session, contact.id, actor_id, "archived")
        index_archived(session, contact_ids=[contact.id], archived=True)
    return _read(session, contact)


def restore_contact(
    session: Session, *, contact_id: int, actor_id: int | None, expected_version: int | None = None
) -> ContactRead:
    """Bring an archived contact back; no change when it is not archived."""
    contact = _load_contact(session, contact_id)
    version = _check_version(contact, expected_version)
    if contact.archived_at is not None:
        _claim_version(session, contact, actor_id=actor_id, version=version, values={"archived_at": None})
        _record(session, contact.id, actor_id, "restored")
        index_archived(session, contact_ids=[contact.id], archived=False)
    return _read(session, contact)


def delete_contact(
    session: Session, *, contact_id: int, actor_id: int | None, expected_version: int | None = None
) -> None:
    """Delete a contact, its rows and (once committed) its files; one audit line not tied to it remembers it."""
    contact = _load_contact(session, contact_id)
    _check_version(contact, expected_version)
    label = f"{contact.display_name} ({contact.reference})"
    session.flush()
    events.publish(session, ContactDeleting(contact_ids=(contact_id,)))
    for model in (Phone, Email, Address, ContactTag):
        session.exec(delete(model).where(model.contact_id == contact_id).execution_options(synchronize_session=False))
    session.exec(
        delete(AuditEntry).where(AuditEntry.contact_id == contact_id).execution_options(synchronize_session=False)
    )
    session.delete(contact)
    session.flush()
    audit.record(
        session, actor_id=actor_id, entity="contact", entity_id=contact_id, contact_id=None, kind="deleted", old=label
    )
    session.flush()
    reindex_contacts(session, contact_ids=[contact_id])


def convert_kind(
    session: Session, *, contact_id: int, to_kind: str, actor_id: int | None, expected_version: int | None = None
) -> ContactRead:
    """Turn a person into an organisation or back; names stay in their columns, so nothing is lost."""
    if to_kind not in KINDS:
        raise ValidationError("Choose person or organization.", field="kind")
    contact = _load_contact(session, contact_id)
    version = _check_version(contact, expected_version)
    if contact.kind == to_kind:
        return _read(session, contact)
    values: dict[str, Any] = {"kind": to_kind}
    if to_kind == "organization" and not contact.company_name:
        person = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        values["company_name"] = person[: NAME_LIMITS["company_name"]]
    if to_kind == "person" and not (contact.first_name or contact.last_name):
        values["first_name"], values["last_name"] = split_full_name(contact.company_name)
    merged = {name: values.get(name, getattr(contact, name)) for name in ("first_name", "last_name", "company_name")}
    display = display_name_for(to_kind, merged["first_name"], merged["last_name"], merged["company_name"])
    values["display_name"] = display
    values["sort_name"] = sort_key(display)
    before = {name: getattr(contact, name) for name in values}
    _claim_version(session, contact, actor_id=actor_id, version=version, values=values)
    _record(session, contact_id, actor_id, "kind_converted", field="kind", old=before["kind"], new=to_kind)
    for name in ("first_name", "last_name", "company_name"):
        if name in values and values[name] != before[name]:
            _record(session, contact_id, actor_id, "field_changed", field=name, old=before[name], new=values[name])
    reindex_contacts(session, contact_ids=[contact_id])
    return _read(session, contact)


def flag_conflict(session: Session, *, contact_id: int, conflict: bool, actor_id: int | None) -> ContactRead:
    """Put or take off the system "Conflict" tag (audited as tag_added / tag_removed)."""
    contact = _load_contact(session, contact_id)
    tag = ensure_system_tags(session)[CONFLICT_KEY]
    link = session.get(ContactTag, (contact_id, tag.id))
    if conflict == (link is not None):
        return _read(session, contact)
    _claim_version(session, contact, actor_id=actor_id, version=contact.version, values={})
    if conflict:
        session.add(ContactTag(contact_id=contact_id, tag_id=tag.id))
        _record(session, contact_id, actor_id, "tag_added", entity="tag", entity_id=tag.id, new=tag.name)
    else:
        session.delete(link)
        _record(session, contact_id, actor_id, "tag_removed", entity="tag", entity_id=tag.id, old=tag.name)
    reindex_contacts(session, contact_ids=[contact_id])
    return _read(session, contact)


# ---------------------------------------------------------------- history


def _history_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_history_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def contact_history(session: Session, *, contact_id: int, limit: int = 200) -> list[HistoryEntry]:
    """The contact's audit lines, newest first, with the actor's name."""
    _load_contact(session, contact_id)
    limit = max(1, min(int(limit), 1000))
    rows = session.exec(
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.contact_id == contact_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryEntry(
            id=entry.id,
            at=as_utc(entry.at),
            actor_name=(name or email or ""),
            kind=entry.kind,
            field=entry.field,
            old=_history_text(entry.old),
            new=_history_text(entry.new),
        )
        for entry, name, email in rows
    ]
