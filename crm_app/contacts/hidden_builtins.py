"""Built-in parts of the form a contact type hides keep their stored values when the form sends them empty."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from crm_app.contacts.models import Address, Contact, Email, Phone
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from crm_app.fields.definitions import builtin_states
from crm_app.fields.schemas import KINDS


def _discount_text(value: Any) -> str:
    return format(Decimal(value or 0).normalize(), "f")


def keep_hidden_builtins(
    session: Session,
    *,
    data: ContactIn,
    contact: Contact,
    phones: list[Phone],
    emails: list[Email],
    addresses: list[Address],
) -> ContactIn:
    """The input with the stored values put back for hidden built-in parts the form sent empty.

    A form that does not show the memo (say) sends it empty; that must not erase the stored memo.
    """
    kind = (data.kind or "").strip().lower()
    if kind not in KINDS:
        return data
    hidden = {key for key, state in builtin_states(session, kind=kind).items() if not state.active}
    changes: dict[str, Any] = {}
    for key in ("registration_no", "memo"):
        if key in hidden and not (getattr(data, key) or "").strip() and getattr(contact, key):
            changes[key] = getattr(contact, key)
    for key in ("acquisition_channel_id", "assigned_user_id"):
        if key in hidden and getattr(data, key) is None and getattr(contact, key) is not None:
            changes[key] = getattr(contact, key)
    if "is_supplier" in hidden and not data.is_supplier and contact.is_supplier:
        changes["is_supplier"] = True
    if "discount_percent" in hidden and Decimal(contact.discount_percent or 0) != 0:
        typed = (data.discount_percent or "").strip().rstrip("%").strip()
        if typed in ("", "0", "0.0", "0.00", "0,0", "0,00"):
            changes["discount_percent"] = _discount_text(contact.discount_percent)
    if "phones" in hidden and not any((p.number or "").strip() for p in data.phones) and phones:
        changes["phones"] = [
            PhoneIn(id=p.id, number=p.raw, type=p.type, whatsapp=p.whatsapp, viber=p.viber, sms=p.sms) for p in phones
        ]
    if "emails" in hidden and not any((e.address or "").strip() for e in data.emails) and emails:
        changes["emails"] = [EmailIn.model_validate(e, from_attributes=True) for e in emails]
    if "addresses" in hidden and not data.addresses and addresses:
        changes["addresses"] = [AddressIn.model_validate(a, from_attributes=True) for a in addresses]
    return data.model_copy(update=changes) if changes else data
