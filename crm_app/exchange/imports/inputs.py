"""A row as contact input: a new contact made of the row, or a stored contact with the row's values merged in."""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_app.contacts import batch
from crm_app.contacts.schemas import ContactIn, EmailIn, PhoneIn
from crm_app.contacts.validation import ContactFile
from crm_app.core.emails import email_key
from crm_app.exchange.parse import RowInput, address_inputs
from crm_app.fields.types import is_empty


def new_phone(cell: Any) -> PhoneIn:
    """A phone of contact input from a number found in a row."""
    defaults = cell.column_defaults
    return PhoneIn(
        number=cell.raw,
        type=cell.type or defaults["type"],
        region=cell.region,
        whatsapp=cell.consents.get("whatsapp", defaults["whatsapp"]),
        viber=cell.consents.get("viber", defaults["viber"]),
        sms=cell.consents.get("sms", defaults["sms"]),
    )


def new_email(cell: Any) -> EmailIn:
    """An e-mail address of contact input from one found in a row."""
    return EmailIn(address=cell.address, email_ok=cell.consent if cell.consent is not None else cell.column_default)


def new_contact_input(row: RowInput) -> ContactIn:
    """A new contact made of everything the row provides."""
    return ContactIn(
        kind=row.kind or "person",
        **row.scalars,
        phones=[new_phone(p) for p in row.phones],
        emails=[new_email(e) for e in row.emails],
        addresses=address_inputs(row),
        tags=list(row.tags),
        custom=dict(row.custom),
    )


def _is_blank_value(value: Any) -> bool:
    if value is None or value is False or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, str):
        with contextlib.suppress(InvalidOperation):
            return Decimal(value.replace(",", ".").rstrip("%").strip() or "0") == 0 and not value.strip("0.,% ")
    return False


def merged_input(file: ContactFile, row: RowInput, *, overwrite: bool) -> ContactIn:
    """The stored contact with the row's values: only into empty fields, or over them with ``overwrite``.

    Nothing is ever removed: empty cells keep what is stored, numbers and e-mails are added, and a consent
    the row does not state stays as it is (with ``overwrite`` a stated consent replaces the stored one).
    """
    data = batch.input_from_file(file)
    for name, value in row.scalars.items():
        current = getattr(data, name)
        if name == "discount_percent":
            empty = Decimal(file.contact.discount_percent or 0) == 0
        else:
            empty = _is_blank_value(current)
        if overwrite or empty:
            setattr(data, name, value)
    for key, value in row.custom.items():
        if overwrite or is_empty(data.custom.get(key)) or data.custom.get(key) is False:
            data.custom[key] = value
    stored_phones = {p.e164: item for p, item in zip(file.phones, data.phones, strict=True)}
    for cell in row.phones:
        item = stored_phones.get(cell.e164)
        if item is None:
            data.phones.append(new_phone(cell))
            continue
        if overwrite and cell.type:
            item.type = cell.type
        for channel, given in cell.consents.items():
            if overwrite or given:
                setattr(item, channel, given)
    stored_emails = {email_key(e.address): item for e, item in zip(file.emails, data.emails, strict=True)}
    for cell in row.emails:
        item = stored_emails.get(email_key(cell.address))
        if item is None:
            data.emails.append(new_email(cell))
        elif cell.consent is not None and (overwrite or cell.consent):
            item.email_ok = cell.consent
    # Sheets list the main address first, then the others in their order (as exports write them).
    ordered = sorted(data.addresses, key=lambda a: not a.is_main)
    for position, new in enumerate(address_inputs(row)):
        if position >= len(ordered):
            new.is_main = not data.addresses
            data.addresses.append(new)
            ordered.append(new)
            continue
        target = ordered[position]
        for part in ("label", "line1", "line2", "postcode", "city", "region", "country"):
            value = getattr(new, part)
            if value and (overwrite or not getattr(target, part)):
                setattr(target, part, value)
    known = {name.casefold() for name in data.tags}
    data.tags += [name for name in row.tags if name.casefold() not in known]
    return data
