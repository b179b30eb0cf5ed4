"""A contact's values checked against its type's form: custom values cleaned or refused, required built-in
parts enforced, changed values described for the history, hidden values named.

Custom values are stored in ``Contact.custom`` keyed by the field key. Nothing here drops a value silently: a
hidden field keeps its values, and a contact converted to the other type keeps the values its new form does
not show (hidden).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from crm_app.core.errors import ValidationError
from crm_app.core.memo import memoized
from crm_app.fields.definitions import (
    builtin_states,
    check_kind,
    choices_of,
    default_region,
    field_type_of,
    other_kind,
)
from crm_app.fields.models import FieldDefinition
from crm_app.fields.schemas import KINDS
from crm_app.fields.types import Choice, is_empty
from crm_app.i18n import _

MAX_VALUES = 500
REQUIRED_MESSAGE = _("This field is required.")
NOT_ON_FORM_MESSAGE = _("This field is not on the form (it may have been hidden or deleted).")
TOO_MANY_VALUES_MESSAGE = _("Too many values were sent for this form.")
BUILTIN_REQUIRED_MESSAGES = {
    "phones": _("Add at least one phone number."),
    "emails": _("Add at least one e-mail address."),
    "addresses": _("Add at least one address."),
    "registration_no": _("Enter the registration number."),
    "acquisition_channel_id": _("Choose how they found us."),
    "assigned_user_id": _("Choose who looks after this contact."),
    "memo": _("Write a memo."),
}


def builtin_required_errors(session: Session, *, kind: str, filled: dict[str, bool]) -> dict[str, str]:
    """Errors for shown, required built-in parts that ``filled`` says are empty, keyed by the form field."""
    if kind not in KINDS:
        return {}
    return {
        key: BUILTIN_REQUIRED_MESSAGES.get(key, REQUIRED_MESSAGE)
        for key, state in builtin_states(session, kind=kind).items()
        if state.active and state.required and key in filled and not filled[key]
    }


def _definitions_by_kind(session: Session) -> dict[str, dict[str, FieldDefinition]]:
    return memoized(session, "custom_definitions", lambda: _load_definitions_by_kind(session))


def _load_definitions_by_kind(session: Session) -> dict[str, dict[str, FieldDefinition]]:
    result: dict[str, dict[str, FieldDefinition]] = {kind: {} for kind in KINDS}
    stmt = select(FieldDefinition).where(FieldDefinition.builtin.is_(False))
    for row in session.exec(stmt):
        result.setdefault(row.kind, {})[row.key] = row
    return result


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


def validate_custom_values(
    session: Session,
    *,
    kind: str,
    values: dict[str, Any],
    locale: str = "en",
    existing: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean a contact's custom values for ``kind``'s form: (values to store, errors keyed "custom.<key>").

    A key left out keeps its stored value (or gets the default on a new contact). Values of hidden fields or
    of the other type's form are carried over from ``existing`` untouched. Required shown fields must be filled.
    """
    check_kind(kind)
    values = values if isinstance(values, dict) else {}
    if len(values) > MAX_VALUES:
        return dict(existing or {}), {"custom": TOO_MANY_VALUES_MESSAGE}
    stored = dict(existing or {})
    creating = existing is None
    active = {key: row for key, row in _definitions_by_kind(session).get(kind, {}).items() if row.active}
    region = default_region(session)
    cleaned: dict[str, Any] = {key: value for key, value in stored.items() if key not in active}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        if key in active:
            continue
        if (key in stored and _same(raw, stored[key])) or is_empty(raw) or raw is False:
            continue
        errors[f"custom.{key}"] = NOT_ON_FORM_MESSAGE
    for key, row in active.items():
        field_type = field_type_of(row)
        held = stored.get(key)
        if key in values:
            keep = set(held if isinstance(held, list) else [held]) if held is not None else set()
            choices = [Choice(c.id, c.label, c.active or c.id in keep) for c in choices_of(row)]
            try:
                value = field_type.parse(values[key], locale, region=region, choices=choices)
            except ValidationError as exc:
                errors[f"custom.{key}"] = exc.message
                continue
        elif not creating:
            value = held
        else:
            value = row.default_value
        if row.required and field_type.is_empty(value):
            errors[f"custom.{key}"] = REQUIRED_MESSAGE
            continue
        if value is not None:
            cleaned[key] = value
    return cleaned, errors


def custom_changes(
    session: Session, *, kind: str, old: dict[str, Any], new: dict[str, Any], locale: str = "en"
) -> list[tuple[str, str, str]]:
    """(key, old shown value, new shown value) for each custom value that changed, for the contact's history."""
    definitions = _definitions_by_kind(session)
    region = default_region(session)
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if _same(before, after):
            continue
        row = definitions.get(kind, {}).get(key) or definitions.get(other_kind(kind), {}).get(key)
        if row is None:
            changes.append((key, json.dumps(before), json.dumps(after)))
            continue
        field_type, choices = field_type_of(row), choices_of(row)
        changes.append(
            (
                key,
                field_type.format(before, locale, region=region, choices=choices),
                field_type.format(after, locale, region=region, choices=choices),
            )
        )
    return changes


def _visible(row: FieldDefinition | None) -> bool:
    return row is not None and row.active


def _label_for(key: str, definitions: dict[str, dict[str, FieldDefinition]], kinds: list[str]) -> str:
    for kind in kinds:
        row = definitions.get(kind, {}).get(key)
        if row is not None:
            return row.label
    return key


def split_custom_values(
    session: Session, *, kind: str, custom: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """A contact's custom values its form shows, and the labels of the values it keeps hidden."""
    definitions = _definitions_by_kind(session)
    shown: dict[str, Any] = {}
    hidden: list[str] = []
    for key, value in (custom or {}).items():
        if value is None:
            continue
        if _visible(definitions.get(kind, {}).get(key)):
            shown[key] = value
        else:
            hidden.append(_label_for(key, definitions, [kind, other_kind(kind)]))
    return shown, hidden


def hidden_values_after_conversion(
    session: Session, *, contact_custom: dict[str, Any] | None, to_kind: str, from_kind: str | None = None
) -> list[str]:
    """Labels of the custom values that the ``to_kind`` form will not show (they stay stored, hidden).

    A value stays visible when ``to_kind`` has a shown field with the same key (both forms then share the field
    and its type). With ``from_kind``, only values that are visible now are reported.
    """
    check_kind(to_kind)
    definitions = _definitions_by_kind(session)
    labels: list[str] = []
    source_kind = from_kind or other_kind(to_kind)
    for key, value in (contact_custom or {}).items():
        if value is None:
            continue
        if from_kind is not None and not _visible(definitions.get(from_kind, {}).get(key)):
            continue
        if not _visible(definitions.get(to_kind, {}).get(key)):
            labels.append(_label_for(key, definitions, [source_kind, to_kind]))
    return labels
