"""Contact tables: the contact itself, its phones, e-mails, addresses and tags."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint
from sqlalchemy.dialects.postgresql import VARCHAR
from sqlmodel import AutoString, Field, SQLModel

from crm_app.core.timeutil import utcnow


class Contact(SQLModel, table=True):
    """A person or an organisation the business deals with."""

    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_kind_archived", "kind", "archived_at"),
        Index("ix_contact_updated_at", "updated_at"),
        Index("ix_contact_created_at", "created_at"),
        Index("ix_contact_kind_sort_name", "kind", "sort_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="person", max_length=20)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    company_name: str = Field(default="", max_length=300)
    display_name: str = Field(default="", max_length=400)
    sort_name: str = Field(default="", max_length=400, index=True)
    reference: str = Field(max_length=40, unique=True)
    registration_no: str = Field(default="", max_length=100)
    is_supplier: bool = Field(default=False, index=True)
    assigned_user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    acquisition_channel_id: int | None = Field(
        default=None, foreign_key="acquisition_channel.id", index=True, ondelete="SET NULL"
    )
    discount_percent: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(5, 2), nullable=False))
    memo: str = Field(default="")
    custom: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    archived_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    version: int = Field(default=1)


class Phone(SQLModel, table=True):
    """A phone number of a contact, with its messaging consents."""

    __tablename__ = "phone"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    raw: str = Field(max_length=60)
    e164: str = Field(max_length=20, index=True)
    national_digits: str = Field(default="", max_length=20)
    type: str = Field(default="mobile", max_length=60)
    position: int = Field(default=0)
    whatsapp: bool = Field(default=False)
    viber: bool = Field(default=False)
    sms: bool = Field(default=False)


class Email(SQLModel, table=True):
    """An e-mail address of a contact, with the e-mail consent."""

    __tablename__ = "email"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    address: str = Field(max_length=320, index=True)
    # ``email_key(address)``: what imports and duplicate checks compare (case and Unicode forms folded).
    address_key: str = Field(default="", max_length=320, index=True)
    position: int = Field(default=0)
    email_ok: bool = Field(default=False)


class Address(SQLModel, table=True):
    """A postal address; exactly one per contact is the main one."""

    __tablename__ = "address"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    label: str = Field(default="", max_length=100)
    line1: str = Field(default="", max_length=300)
    line2: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=120)
    region: str = Field(default="", max_length=120)
    country: str = Field(default="", max_length=2)
    is_main: bool = Field(default=False)
    position: int = Field(default=0)
    lat: float | None = None
    lon: float | None = None
    geocoded_at: datetime | None = None


CONFLICT_KEY = "conflict"  # the system tag of contacts an import or a merge left in conflict


class Tag(SQLModel, table=True):
    """A label that groups contacts; ``system`` tags (Conflict) cannot be deleted."""

    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    color: str = Field(default="gray", max_length=20)
    system_key: str | None = Field(default=None, max_length=40, unique=True)


class ContactTag(SQLModel, table=True):
    """Which contact has which tag."""

    __tablename__ = "contact_tag"
    __table_args__ = (Index("ix_contact_tag_tag", "tag_id", "contact_id"),)

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE")


class PhoneType(SQLModel, table=True):
    """A custom phone type defined in settings (besides Mobile, Work, Home)."""

    __tablename__ = "phone_type"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)
    position: int = Field(default=0)


class AcquisitionChannel(SQLModel, table=True):
    """A marketing campaign: "How did they find us?"."""

    __tablename__ = "acquisition_channel"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    active: bool = Field(default=True)
    position: int = Field(default=0)


class Counter(SQLModel, table=True):
    """Monotonic counters (contact reference numbers are never reused)."""

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0)


# Sort keys compare byte by byte on both engines (PostgreSQL: collation "C"), so prefix ranges and orders agree.
SORT_KEY_TYPE = AutoString().with_variant(VARCHAR(collation="C"), "postgresql")


class ContactSearch(SQLModel, table=True):
    """The search document and list sort keys of one contact (see ``crm_app.contacts.search.documents``)."""

    __tablename__ = "contact_search"
    __table_args__ = (
        Index("ix_contact_search_name", "name_key", "contact_id"),
        Index("ix_contact_search_city", "city_key", "contact_id"),
        Index("ix_contact_search_email", "email_key", "contact_id"),
        Index("ix_contact_search_phone", "phone_key", "contact_id"),
        Index("ix_contact_search_assigned", "assigned_key", "contact_id"),
        Index("ix_contact_search_tag", "tag_key", "contact_id"),
    )

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    name_key: str = Field(default="", sa_type=SORT_KEY_TYPE)
    name_doc: str = Field(default="")
    body_doc: str = Field(default="")
    city_key: str = Field(default="", sa_type=SORT_KEY_TYPE)
    email_key: str = Field(default="", sa_type=SORT_KEY_TYPE)
    phone_key: str = Field(default="", sa_type=SORT_KEY_TYPE)
    assigned_key: str = Field(default="", sa_type=SORT_KEY_TYPE)
    tag_key: str = Field(default="", sa_type=SORT_KEY_TYPE)


class ContactNameWord(SQLModel, table=True):
    """A word of contacts' names: the vocabulary a mistyped search word is compared with (``contacts.name_words``)."""

    __tablename__ = "contact_name_word"
    __table_args__ = (Index("ix_contact_name_word_length", "length", "word"),)

    word: str = Field(primary_key=True, sa_type=SORT_KEY_TYPE)
    length: int


class SavedView(SQLModel, table=True):
    """A named set of list filters (and sort) a user saved to pick again."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
