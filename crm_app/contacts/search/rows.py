"""The rows of a list page: the columns each contact shows (main phone, e-mail, city, tags, staff, custom
columns), in seven queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.models import CONFLICT_KEY, Address, Contact, ContactTag, Email, Phone, Tag
from crm_app.contacts.schemas import ContactRow
from crm_app.contacts.search.custom_fields import MAX_LIST_FIELDS, CustomField, active_custom_fields
from crm_app.contacts.search.documents import tag_key
from crm_app.core.app_settings import AccountSettings
from crm_app.core.errors import DomainError
from crm_app.core.phones import format_phone, phone_links
from crm_app.core.timeutil import as_utc
from crm_app.fields.models import FieldDefinition
from crm_app.fields.types import get_type


@lru_cache(maxsize=65_536)
def _phone_display(e164: str, style: str, region: str) -> tuple[str, str]:
    return format_phone(e164, style, region), phone_links(e164, False, False, False)["tel"]


def _column_values(
    kind: str, custom: Any, columns: Mapping[str, Mapping[str, CustomField]], locale: str, region: str
) -> dict[str, str]:
    """The list-column values of one contact, formatted for people (every column key, "" when empty)."""
    values = custom if isinstance(custom, Mapping) else {}
    shown: dict[str, str] = {}
    for key, by_kind in columns.items():
        item = by_kind.get(kind) or next(iter(by_kind.values()))
        value = values.get(key)
        try:
            text = (
                "" if value is None else get_type(item.type).format(value, locale, region=region, choices=item.choices)
            )
        except (DomainError, TypeError, ValueError, ArithmeticError):
            text = str(value)
        shown[key] = text
    return shown


def page_rows(session: Session, ids: Sequence[int], settings: AccountSettings, locale: str = "en") -> list[ContactRow]:
    """The list rows of these contacts in this order, like the contact service builds them, in seven queries.

    Reads only the columns a row shows and memoises phone formatting (the list's main cost in Python); custom
    values of the fields shown as list columns are formatted in ``locale``.
    """
    if not ids:
        return []
    wanted = list(ids)
    columns: dict[str, dict[str, CustomField]] = {}
    for item in active_custom_fields(session, FieldDefinition.show_in_list.is_(True)):
        if item.key in columns or len(columns) < MAX_LIST_FIELDS:
            columns.setdefault(item.key, {})[item.kind] = item
    extra = (Contact.custom,) if columns else ()
    contacts = {
        row[0]: row
        for row in session.connection()
        .execute(
            select(
                Contact.id,
                Contact.kind,
                Contact.display_name,
                Contact.reference,
                Contact.is_supplier,
                Contact.archived_at,
                Contact.assigned_user_id,
                Contact.updated_at,
                *extra,
            ).where(Contact.id.in_(wanted))
        )
        .all()
    }
    phones: dict[int, str] = {}
    for contact_id, e164 in session.connection().execute(
        select(Phone.contact_id, Phone.e164)
        .where(Phone.contact_id.in_(wanted))
        .order_by(Phone.contact_id, Phone.position, Phone.id)
    ):
        phones.setdefault(contact_id, e164)
    emails: dict[int, str] = {}
    for contact_id, address in session.connection().execute(
        select(Email.contact_id, Email.address)
        .where(Email.contact_id.in_(wanted))
        .order_by(Email.contact_id, Email.position, Email.id)
    ):
        emails.setdefault(contact_id, address)
    cities: dict[int, str] = {}
    for contact_id, city in session.connection().execute(
        select(Address.contact_id, Address.city).where(Address.contact_id.in_(wanted), Address.is_main.is_(True))
    ):
        cities.setdefault(contact_id, city)
    tag_names: dict[int, list[str]] = defaultdict(list)
    conflicts: set[int] = set()
    for contact_id, name, system_key in session.connection().execute(
        select(ContactTag.contact_id, Tag.name, Tag.system_key)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(wanted))
        .order_by(ContactTag.contact_id, Tag.name)
    ):
        tag_names[contact_id].append(name)
        if system_key == CONFLICT_KEY:
            conflicts.add(contact_id)
    for names in tag_names.values():
        names.sort(key=tag_key)
    user_ids = {row[6] for row in contacts.values() if row[6] is not None}
    users = {}
    if user_ids:
        users = {
            uid: (name or email)
            for uid, name, email in session.connection().execute(
                select(User.id, User.name, User.email).where(User.id.in_(user_ids))
            )
        }
    rows = []
    for contact_id in wanted:
        row = contacts.get(contact_id)
        if row is None:
            continue
        _id, kind, display_name, reference, is_supplier, archived_at, assigned, updated_at = row[:8]
        custom = _column_values(kind, row[8], columns, locale, settings.default_region) if columns else {}
        e164 = phones.get(contact_id)
        shown, tel = _phone_display(e164, settings.phone_display, settings.default_region) if e164 else ("", "")
        rows.append(
            ContactRow(
                id=contact_id,
                kind=kind,
                display_name=display_name,
                reference=reference,
                is_supplier=is_supplier,
                is_conflict=contact_id in conflicts,
                archived=archived_at is not None,
                main_phone=shown,
                main_phone_tel=tel,
                main_email=emails.get(contact_id, ""),
                city=cities.get(contact_id, ""),
                tags=tag_names.get(contact_id, []),
                assigned_user_name=users.get(assigned, ""),
                updated_at=as_utc(updated_at),
                custom=custom,
            )
        )
    return rows
