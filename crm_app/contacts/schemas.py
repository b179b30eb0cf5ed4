"""What goes into and comes out of the contact services: plain pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

BUILTIN_PHONE_TYPES = ("mobile", "work", "home")
CHANNELS = ("whatsapp", "viber", "sms")


class PhoneIn(BaseModel):
    """A phone as typed in the form; ``id`` is set for an existing row; ``region`` (an ISO code) is the country
    a number without its country code belongs to, when the caller knows it (else the main address decides)."""

    id: int | None = None
    number: str = ""
    type: str = "mobile"
    region: str = ""
    whatsapp: bool | None = None
    viber: bool | None = None
    sms: bool | None = None


class EmailIn(BaseModel):
    """An e-mail address as typed."""

    id: int | None = None
    address: str = ""
    email_ok: bool | None = None


class AddressIn(BaseModel):
    """A structured postal address."""

    id: int | None = None
    label: str = ""
    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    is_main: bool = False


class ContactIn(BaseModel):
    """Everything the contact form sends; services validate every field again."""

    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    registration_no: str = ""
    is_supplier: bool = False
    assigned_user_id: int | None = None
    acquisition_channel_id: int | None = None
    discount_percent: str = "0"
    memo: str = ""
    phones: list[PhoneIn] = Field(default_factory=list)
    emails: list[EmailIn] = Field(default_factory=list)
    addresses: list[AddressIn] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict)


class PhoneRead(BaseModel):
    """A stored phone with its display form and links."""

    id: int
    raw: str
    e164: str
    display: str
    type: str
    type_label: str
    whatsapp: bool
    viber: bool
    sms: bool
    tel_link: str
    whatsapp_link: str = ""
    viber_link: str = ""
    sms_link: str = ""


class EmailRead(BaseModel):
    """A stored e-mail address."""

    id: int
    address: str
    email_ok: bool


class AddressRead(BaseModel):
    """A stored address with a one-line form and a map link."""

    id: int
    label: str
    line1: str
    line2: str
    postcode: str
    city: str
    region: str
    country: str
    is_main: bool
    one_line: str
    map_url: str


class TagRead(BaseModel):
    """A tag as shown on a chip."""

    id: int
    name: str
    color: str
    system_key: str | None = None


class ContactRead(BaseModel):
    """A whole contact file, ready to show."""

    id: int
    kind: str
    first_name: str
    last_name: str
    company_name: str
    display_name: str
    reference: str
    registration_no: str
    is_supplier: bool
    is_conflict: bool
    assigned_user_id: int | None
    assigned_user_name: str
    acquisition_channel_id: int | None
    acquisition_channel_name: str
    discount_percent: str
    memo: str
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    created_by_name: str
    updated_at: datetime
    updated_by_name: str
    version: int
    phones: list[PhoneRead]
    emails: list[EmailRead]
    addresses: list[AddressRead]
    tags: list[TagRead]
    custom: dict[str, Any] = Field(default_factory=dict)
    hidden_custom: list[str] = Field(default_factory=list)


class ContactRow(BaseModel):
    """One line of the contact list."""

    id: int
    kind: str
    display_name: str
    reference: str
    is_supplier: bool
    is_conflict: bool
    archived: bool
    main_phone: str
    main_phone_tel: str
    main_email: str
    city: str
    tags: list[str]
    assigned_user_name: str
    updated_at: datetime
    custom: dict[str, str] = Field(default_factory=dict)
    # "3 days ago" and the exact time, in the reader's language (set by the UI: the list draws them as text).
    updated_label: str = ""
    updated_title: str = ""


class ContactPage(BaseModel):
    """One page of the list and the total."""

    rows: list[ContactRow]
    total: int
    page: int
    page_size: int
    total_is_estimate: bool = False
    next_cursor: str | None = None


class HistoryEntry(BaseModel):
    """One audit line: who changed which field from what to what."""

    id: int
    at: datetime
    actor_name: str
    kind: str
    field: str
    old: str
    new: str
