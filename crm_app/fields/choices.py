"""The options of a choice field: added, renamed, reordered, offered or not; contacts store an option's id."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.core import events
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.fields.definitions import (
    CHOICE_LIMIT,
    audit_change,
    choices_of,
    clean_label,
    field_read,
    field_type_of,
    get_custom_field,
    set_choices,
    slugify_key,
    touch,
)
from crm_app.fields.events import FieldSearchChanged
from crm_app.fields.models import FieldDefinition
from crm_app.fields.schemas import Direction, FieldRead
from crm_app.fields.types import Choice


def _choice_field(session: Session, field_id: int) -> FieldDefinition:
    row = get_custom_field(session, field_id)
    if not field_type_of(row).has_choices:
        raise ValidationError("Only choice fields have options.", field="choices")
    return row


def _choice_index(choices: list[Choice], choice_id: str) -> int:
    for index, choice in enumerate(choices):
        if choice.id == choice_id:
            return index
    raise NotFoundError("This option does not exist.")


def add_choice(session: Session, *, field_id: int, label: str, actor_id: int | None) -> FieldRead:
    """Add an option at the end of a choice field's list; its id is made from the label and never changes."""
    row = _choice_field(session, field_id)
    choices = choices_of(row)
    text = clean_label(label)
    if any(c.label.casefold() == text.casefold() for c in choices):
        raise ValidationError(f"“{text}” is already in the list.", field="label")
    if len(choices) >= CHOICE_LIMIT:
        raise ValidationError(f"A field has at most {CHOICE_LIMIT} options.", field="label")
    choice = Choice(slugify_key(text, {c.id for c in choices}, reserved=False), text, True)
    set_choices(row, [*choices, choice])
    touch(session, row)
    audit_change(session, actor_id, row, "choice_added", "options", new={"id": choice.id, "label": text})
    session.flush()
    return field_read(row)


def rename_choice(session: Session, *, field_id: int, choice_id: str, label: str, actor_id: int | None) -> FieldRead:
    """Rename an option; contacts keep it, since they store its id."""
    row = _choice_field(session, field_id)
    choices = choices_of(row)
    index = _choice_index(choices, choice_id)
    text = clean_label(label)
    if any(c.label.casefold() == text.casefold() and c.id != choice_id for c in choices):
        raise ValidationError(f"“{text}” is already in the list.", field="label")
    old = choices[index].label
    if old != text:
        choices[index] = Choice(choice_id, text, choices[index].active)
        set_choices(row, choices)
        touch(session, row)
        audit_change(session, actor_id, row, "choice_renamed", f"options.{choice_id}", old=old, new=text)
        session.flush()
        if row.searchable:
            events.publish(session, FieldSearchChanged(row.key))
    return field_read(row)


def move_choice(
    session: Session, *, field_id: int, choice_id: str, direction: Direction, actor_id: int | None
) -> FieldRead:
    """Move an option one place up or down in the list."""
    row = _choice_field(session, field_id)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    choices = choices_of(row)
    index = _choice_index(choices, choice_id)
    other = index + (-1 if direction == "up" else 1)
    if 0 <= other < len(choices):
        before = [c.id for c in choices]
        choices[index], choices[other] = choices[other], choices[index]
        set_choices(row, choices)
        touch(session, row)
        audit_change(session, actor_id, row, "choice_moved", "options", old=before, new=[c.id for c in choices])
        session.flush()
    return field_read(row)


def set_choice_active(
    session: Session, *, field_id: int, choice_id: str, active: bool, actor_id: int | None
) -> FieldRead:
    """Offer an option again or stop offering it; contacts that have it keep it."""
    row = _choice_field(session, field_id)
    choices = choices_of(row)
    index = _choice_index(choices, choice_id)
    if choices[index].active != bool(active):
        choices[index] = Choice(choice_id, choices[index].label, bool(active))
        set_choices(row, choices)
        touch(session, row)
        kind = "choice_activated" if active else "choice_deactivated"
        audit_change(session, actor_id, row, kind, f"options.{choice_id}", old=not active, new=bool(active))
        session.flush()
    return field_read(row)
