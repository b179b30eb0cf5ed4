"""The contact form: the single list of a contact's editable fields, as the editor holds and compares them.

``ContactForm`` names every editable field once; the editor's state, the saving and merging service
(``crm_app.contacts.editing``), the update's comparison (``crm_app.contacts.service``), the export and the
test factories read the list from here (``SCALAR_FIELDS``). A form is compared and merged
as a flat dict of values (``ContactForm.values``): the scalar fields, the phone, e-mail and address rows as
dicts, the tags, and each custom value under ``custom.<key>``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from crm_app.contacts.schemas import AddressIn, ContactIn, ContactRead, EmailIn, PhoneIn
from crm_app.core.errors import ValidationError
from crm_app.core.phones import dialling_region, parse_phone, phone_links
from crm_app.i18n import translate


@dataclasses.dataclass
class PhoneForm:
    """A phone row of the form."""

    id: int = 0
    number: str = ""
    type: str = "mobile"
    whatsapp: bool = False
    viber: bool = False
    sms: bool = False
    tel_link: str = ""
    whatsapp_link: str = ""
    viber_link: str = ""
    sms_link: str = ""


@dataclasses.dataclass
class EmailForm:
    """An e-mail row of the form."""

    id: int = 0
    address: str = ""
    email_ok: bool = False


@dataclasses.dataclass
class AddressForm:
    """An address block of the form."""

    id: int = 0
    label: str = ""
    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    is_main: bool = False
    map_url: str = ""


@dataclasses.dataclass
class ContactForm:
    """Every editable field of a contact, shaped as the editor holds it (ids of people and channels as text)."""

    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    registration_no: str = ""
    is_supplier: bool = False
    assigned_user_id: str = ""
    acquisition_channel_id: str = ""
    discount_percent: str = "0"
    memo: str = ""
    phones: list[PhoneForm] = dataclasses.field(default_factory=list)
    emails: list[EmailForm] = dataclasses.field(default_factory=list)
    addresses: list[AddressForm] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    custom: dict[str, Any] = dataclasses.field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The form as one flat dict, for comparing and merging."""
        return {
            **{name: getattr(self, name) for name in SCALAR_FIELDS},
            "phones": [dataclasses.asdict(p) for p in self.phones],
            "emails": [dataclasses.asdict(e) for e in self.emails],
            "addresses": [dataclasses.asdict(a) for a in self.addresses],
            "tags": list(self.tags),
            **{f"custom.{k}": v for k, v in self.custom.items()},
        }


ROW_FIELDS = ("phones", "emails", "addresses")
SCALAR_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ContactForm) if f.name not in (*ROW_FIELDS, "tags", "custom")
)
ROW_FORMS: dict[str, type] = {"phones": PhoneForm, "emails": EmailForm, "addresses": AddressForm}

# The fields as the conflict dialog names them (msgids).
FIELD_LABELS = {
    "kind": "Type",
    "first_name": "First name",
    "last_name": "Last name",
    "company_name": "Company name",
    "registration_no": "Registration number (company ID / VAT)",
    "is_supplier": "Supplier",
    "assigned_user_id": "Assigned to",
    "acquisition_channel_id": "How did they find us?",
    "discount_percent": "Personal discount (%)",
    "memo": "Memo",
    "phones": "Phones",
    "emails": "E-mails",
    "addresses": "Addresses",
    "tags": "Tags",
}


def with_links(row: PhoneForm, *, addresses: list[AddressForm], default_region: str) -> PhoneForm:
    """The row with its call and messaging links for the number as typed (none while it is not a number); a
    number without its country code is read as saving reads it: in the country of the main address."""
    main = next((a for a in addresses if a.is_main), addresses[0] if addresses else None)
    region = dialling_region(main.country if main is not None else "", default_region)
    try:
        e164 = parse_phone(row.number, region).e164 if row.number.strip() else ""
    except ValidationError:
        e164 = ""
    links = phone_links(e164, row.whatsapp, row.viber, row.sms) if e164 else {}
    return dataclasses.replace(
        row,
        tel_link=links.get("tel", ""),
        whatsapp_link=links.get("whatsapp", ""),
        viber_link=links.get("viber", ""),
        sms_link=links.get("sms", ""),
    )


def form_values(c: ContactRead) -> dict[str, Any]:
    """The editable part of a stored contact, shaped like the form (for comparing and merging), custom values aside."""
    return {
        **{name: getattr(c, name) for name in SCALAR_FIELDS},
        "assigned_user_id": str(c.assigned_user_id or ""),
        "acquisition_channel_id": str(c.acquisition_channel_id or ""),
        "phones": [
            dataclasses.asdict(
                PhoneForm(
                    id=p.id,
                    number=p.display,
                    type=p.type,
                    whatsapp=p.whatsapp,
                    viber=p.viber,
                    sms=p.sms,
                    tel_link=p.tel_link,
                    whatsapp_link=p.whatsapp_link,
                    viber_link=p.viber_link,
                    sms_link=p.sms_link,
                )
            )
            for p in c.phones
        ],
        "emails": [dataclasses.asdict(EmailForm(id=e.id, address=e.address, email_ok=e.email_ok)) for e in c.emails],
        "addresses": [
            dataclasses.asdict(
                AddressForm(
                    id=a.id,
                    label=a.label,
                    line1=a.line1,
                    line2=a.line2,
                    postcode=a.postcode,
                    city=a.city,
                    region=a.region,
                    country=a.country,
                    is_main=a.is_main,
                    map_url=a.map_url,
                )
            )
            for a in c.addresses
        ],
        "tags": [t.name for t in c.tags],
    }


def custom_payload(values: dict[str, Any], custom_types: dict[str, str]) -> dict[str, Any]:
    """The custom values of a flat form (``custom.<key>``) as the service takes them, by field type."""
    out: dict[str, Any] = {}
    for key, type_ in custom_types.items():
        value = values.get(f"custom.{key}")
        if type_ == "checkbox":
            out[key] = bool(value)
        elif type_ == "multi_select":
            out[key] = list(value or [])
        else:
            out[key] = "" if value is None else str(value)
    return out


def to_input(values: dict[str, Any], custom_types: dict[str, str]) -> ContactIn:
    """What the services take for a flat form."""

    def _id(value: str) -> int | None:
        return int(value) if value.isdigit() else None

    form = ContactForm(**{name: values[name] for name in SCALAR_FIELDS if name in values})
    scalars = {name: getattr(form, name) for name in SCALAR_FIELDS} | {
        "assigned_user_id": _id(form.assigned_user_id),
        "acquisition_channel_id": _id(form.acquisition_channel_id),
    }
    return ContactIn(
        **scalars,
        phones=[
            PhoneIn(
                id=p["id"] or None,
                number=p["number"],
                type=p["type"],
                whatsapp=p["whatsapp"],
                viber=p["viber"],
                sms=p["sms"],
            )
            for p in values.get("phones", [])
        ],
        emails=[
            EmailIn(id=e["id"] or None, address=e["address"], email_ok=e["email_ok"]) for e in values.get("emails", [])
        ],
        addresses=[
            AddressIn(
                id=a["id"] or None,
                label=a["label"],
                line1=a["line1"],
                line2=a["line2"],
                postcode=a["postcode"],
                city=a["city"],
                region=a["region"],
                country=a["country"],
                is_main=a["is_main"],
            )
            for a in values.get("addresses", [])
        ],
        tags=list(values.get("tags", [])),
        custom=custom_payload(values, custom_types),
    )


def readable(key: str, value: Any, *, locale: str, names: dict[str, dict[str, str]]) -> str:
    """One field's value as a person reads it (``names``: the labels of the people and channels by id)."""
    if key == "phones":
        return ", ".join(p["number"] for p in value) or "—"
    if key == "emails":
        return ", ".join(e["address"] for e in value) or "—"
    if key == "addresses":
        return "; ".join(", ".join(x for x in (a["line1"], a["postcode"], a["city"]) if x) for a in value) or "—"
    if key == "tags":
        return ", ".join(value) or "—"
    if key in ("assigned_user_id", "acquisition_channel_id"):
        return names.get(key, {}).get(value, "") or "—"
    if key == "is_supplier":
        return translate(locale, "Yes") if value else translate(locale, "No")
    if key == "kind":
        return translate(locale, "Person") if value == "person" else translate(locale, "Organisation")
    return str(value) if value not in (None, "") else "—"
