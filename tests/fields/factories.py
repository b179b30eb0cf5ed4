"""Test data for form definitions: custom fields made through the service, contacts holding given values."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session, select

from crm_app.contacts.models import Contact
from crm_app.core.models import AuditEntry
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate

_refs = itertools.count(1)


def add_field(session: Session, label: str, type_: str = "text", kind: str = "person", **values: Any):
    """A custom field created through the service."""
    return definitions.create_field(
        session, kind=kind, data=FieldCreate(label=label, type=type_, **values), actor_id=None
    )


def stored_contact(session: Session, custom: dict[str, Any], kind: str = "person") -> Contact:
    """A contact row written directly, holding exactly these custom values."""
    contact = Contact(kind=kind, first_name="Ann", display_name="Ann", reference=f"T-{next(_refs)}", custom=custom)
    session.add(contact)
    session.flush()
    return contact


def custom_of(session: Session, contact_id: int) -> dict[str, Any]:
    session.expire_all()
    return session.get(Contact, contact_id).custom


def keys(form) -> list[str]:
    return [f.key for f in form.fields]


def section_keys(form) -> list[tuple[str, list[str]]]:
    return [(s.title, [f.key for f in s.fields]) for s in form.sections]


def audit_entries(session: Session, entity: str = "field_definition") -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    return list(session.exec(stmt).all())
