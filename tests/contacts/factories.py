"""Test data for the contact services: users, contact input, row counts."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.forms import SCALAR_FIELDS
from crm_app.contacts.models import AcquisitionChannel, Address, Contact, ContactTag, Email, Phone, Tag
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from crm_app.core.models import AuditEntry

_serial = itertools.count(1)


def make_user(session: Session, *, name: str = "Alice Martin", active: bool = True, role: str = "staff") -> User:
    """A staff user, flushed so it has an id."""
    user = User(email=f"user{next(_serial)}@example.com", name=name, password_hash="x", active=active, role=role)
    session.add(user)
    session.flush()
    return user


def make_channel(session: Session, *, name: str = "Flyer", active: bool = True) -> AcquisitionChannel:
    """An acquisition channel, flushed."""
    channel = AcquisitionChannel(name=name, active=active)
    session.add(channel)
    session.flush()
    return channel


def person(**overrides: Any) -> ContactIn:
    """A valid person with one phone, one e-mail and one address; override anything."""
    values: dict[str, Any] = {
        "kind": "person",
        "first_name": "Ann",
        "last_name": "Smith",
        "phones": [PhoneIn(number="06 12 34 56 78", type="mobile")],
        "emails": [EmailIn(address="ann@example.com")],
        "addresses": [AddressIn(line1="1 rue de la Paix", postcode="75002", city="Paris", country="fr")],
    }
    values.update(overrides)
    return ContactIn(**values)


def organisation(**overrides: Any) -> ContactIn:
    """A valid organisation without child rows; override anything."""
    values: dict[str, Any] = {"kind": "organization", "company_name": "Acme SARL"}
    values.update(overrides)
    return ContactIn(**values)


def as_input(read: Any, **overrides: Any) -> ContactIn:
    """Turn a ContactRead back into the form input that would re-save it unchanged."""
    values: dict[str, Any] = {
        **{name: getattr(read, name) for name in SCALAR_FIELDS},
        "phones": [
            PhoneIn(id=p.id, number=p.raw, type=p.type, whatsapp=p.whatsapp, viber=p.viber, sms=p.sms)
            for p in read.phones
        ],
        "emails": [EmailIn(id=e.id, address=e.address, email_ok=e.email_ok) for e in read.emails],
        "addresses": [
            AddressIn(
                id=a.id,
                label=a.label,
                line1=a.line1,
                line2=a.line2,
                postcode=a.postcode,
                city=a.city,
                region=a.region,
                country=a.country,
                is_main=a.is_main,
            )
            for a in read.addresses
        ],
        "tags": [t.name for t in read.tags],
    }
    values.update(overrides)
    return ContactIn(**values)


def row_counts(session: Session) -> dict[str, int]:
    """How many rows each contact table holds."""
    models = {
        "contact": Contact,
        "phone": Phone,
        "email": Email,
        "address": Address,
        "tag": Tag,
        "contact_tag": ContactTag,
        "audit": AuditEntry,
    }
    return {name: session.exec(select(func.count()).select_from(model)).one() for name, model in models.items()}
