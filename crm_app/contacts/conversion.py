"""What converting a contact to the other type would hide: its values stay stored, the other form does not show them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, func, select

from crm_app.contacts.models import Address, Contact, Email, Phone
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.fields.definitions import builtin_states
from crm_app.fields.schemas import KINDS
from crm_app.fields.values import hidden_values_after_conversion
from crm_app.i18n import _

NAME_LABELS = {
    "person": (("first_name", _("First name")), ("last_name", _("Last name"))),
    "organization": (("company_name", _("Company name")),),
}
LISTS = {"phones": Phone, "emails": Email, "addresses": Address}


def _has_value(session: Session, contact: Contact, key: str) -> bool:
    if key in LISTS:
        model: Any = LISTS[key]
        return bool(session.exec(select(func.count()).where(model.contact_id == contact.id)).one())
    value = getattr(contact, key, None)
    if key == "discount_percent":
        return bool(value)
    return value not in (None, "", False)


def hidden_by_conversion(session: Session, *, contact_id: int, to_kind: str) -> list[str]:
    """Labels (msgids for built-in parts) of the contact's values that the ``to_kind`` form would not show."""
    if to_kind not in KINDS:
        raise ValidationError("Choose person or organization.", field="kind")
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("This contact does not exist (it may have been deleted).")
    if contact.kind == to_kind:
        return []
    labels = [label for key, label in NAME_LABELS[contact.kind] if getattr(contact, key)]
    shown_now = builtin_states(session, kind=contact.kind)
    for key, state in builtin_states(session, kind=to_kind).items():
        if not state.active and shown_now[key].active and _has_value(session, contact, key):
            labels.append(state.label)
    labels.extend(
        hidden_values_after_conversion(session, contact_custom=contact.custom, to_kind=to_kind, from_kind=contact.kind)
    )
    return labels
