"""Changes of a field that reach its stored values: counting them, changing the field's type (every value
converts or nothing changes) and deleting the field with its values.

The values live on contacts, a layer above: they are counted, read, converted and removed through the
in-transaction events of ``crm_app.fields.events``, which the contacts package handles.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from crm_app.core import events
from crm_app.core.errors import ValidationError
from crm_app.fields.definitions import (
    audit_change,
    choices_of,
    clean_label,
    default_region,
    field_read,
    field_type_of,
    get_custom_field,
    get_field,
    group_of,
    other_kind,
    renumber,
    set_choices,
    slugify_key,
    snapshot,
    touch,
)
from crm_app.fields.events import (
    FieldDeleting,
    FieldSearchChanged,
    FieldTypeChanging,
    FieldValuesCounting,
    FieldValuesScanning,
)
from crm_app.fields.models import FieldDefinition
from crm_app.fields.schemas import FieldDeletion, FieldRead, TypeChangeCheck
from crm_app.fields.types import CannotConvert, Choice, convert_value, get_type

EXAMPLE_LIMIT = 5


class TypeChangeRefused(ValidationError):
    """Some stored values would not survive the type change; ``check`` has the count and examples."""

    def __init__(self, message: str, *, check: TypeChangeCheck):
        super().__init__(message, field="type")
        self.check = check


def _owner_kinds(session: Session, row: FieldDefinition) -> tuple[str, ...]:
    """The contact kinds whose ``custom[key]`` belongs to this field.

    Its own kind, and the other kind too when that form has no field with the same key (values kept hidden
    after a conversion still belong to this field).
    """
    other = other_kind(row.kind)
    shared = session.exec(
        select(FieldDefinition.id).where(FieldDefinition.kind == other, FieldDefinition.key == row.key)
    ).first()
    return (row.kind,) if shared is not None else (row.kind, other)


def count_values(session: Session, *, field_id: int) -> int:
    """How many contacts hold a value for this field (shown before deleting it)."""
    row = get_field(session, field_id)
    if row.builtin:
        return 0
    counting = FieldValuesCounting(row.key, _owner_kinds(session, row))
    events.publish(session, counting)
    return counting.count


# ---------------------------------------------------------------- type changes


def _target_choices(row: FieldDefinition, labels: list[str] | None) -> list[Choice]:
    choices = choices_of(row)
    for label in labels or []:
        if not (label or "").strip():
            continue
        text = clean_label(label, field="choices")
        if not any(c.label.casefold() == text.casefold() for c in choices):
            choices.append(Choice(slugify_key(text, {c.id for c in choices}, reserved=False), text, True))
    return choices


def check_type_change(
    session: Session, *, field_id: int, new_type: str, choices: list[str] | None = None
) -> TypeChangeCheck:
    """Scan the stored values (in batches) and say how many would not convert to ``new_type``, with examples."""
    row = get_custom_field(session, field_id)
    target = get_type(new_type)
    source = field_type_of(row)
    region = default_region(session)
    old_choices, new_choices = choices_of(row), _target_choices(row, choices)
    total = failing = 0
    examples: list[str] = []

    def visit(value: Any) -> None:
        nonlocal total, failing
        total += 1
        try:
            convert_value(value, source, target, region=region, choices=old_choices, new_choices=new_choices)
        except CannotConvert:
            failing += 1
            if len(examples) < EXAMPLE_LIMIT:
                examples.append(source.format(value, "en", region=region, choices=old_choices))

    events.publish(session, FieldValuesScanning(row.key, _owner_kinds(session, row), visit))
    default_lost = False
    if row.default_value is not None:
        try:
            convert_value(
                row.default_value, source, target, region=region, choices=old_choices, new_choices=new_choices
            )
        except CannotConvert:
            default_lost = True
    return TypeChangeCheck(
        field_id=row.id,
        from_type=row.type,
        to_type=target.key,
        values=total,
        failing=failing,
        examples=examples,
        default_lost=default_lost,
    )


def change_field_type(
    session: Session, *, field_id: int, new_type: str, actor_id: int | None, choices: list[str] | None = None
) -> FieldRead:
    """Change a field's type, converting every stored value; refused (TypeChangeRefused, nothing written) otherwise.

    ``choices`` adds options when the new type is a choice type (text values matching an option's label convert).
    """
    row = get_custom_field(session, field_id)
    target = get_type(new_type)
    if target.key == row.type and not choices:
        return field_read(row)
    check = check_type_change(session, field_id=field_id, new_type=new_type, choices=choices)
    if not check.allowed:
        noun = "value" if check.failing == 1 else "values"
        verb, pronoun = ("does", "it") if check.failing == 1 else ("do", "them")
        raise TypeChangeRefused(
            f"{check.failing} stored {noun} {verb} not fit a {target.label.lower()} field, so the type was not "
            f"changed. Correct or clear {pronoun} first.",
            check=check,
        )
    source = field_type_of(row)
    region = default_region(session)
    old_choices, new_choices = choices_of(row), _target_choices(row, choices)

    def convert(value: Any) -> Any:
        return convert_value(value, source, target, region=region, choices=old_choices, new_choices=new_choices)

    changing = FieldTypeChanging(row.key, _owner_kinds(session, row), convert)
    events.publish(session, changing)
    before = snapshot(row)
    if new_choices != old_choices:
        set_choices(row, new_choices)
    if row.default_value is not None:
        try:
            row.default_value = convert(row.default_value)
        except CannotConvert:
            row.default_value = None
    row.type = target.key
    touch(session, row)
    session.flush()
    # The search rows hold the values' words (searchable fields) and, on SQLite, their filter tokens.
    events.publish(session, FieldSearchChanged(row.key))
    after = {**snapshot(row), "converted": changing.converted}
    audit_change(session, actor_id, row, "type_changed", "type", old=before, new=after)
    return field_read(row)


# ---------------------------------------------------------------- delete


def delete_field(session: Session, *, field_id: int, actor_id: int | None, confirm: bool = False) -> FieldDeletion:
    """Without ``confirm``: count the contacts holding a value (no change). With it: remove the values and the field."""
    row = get_field(session, field_id)
    if row.builtin:
        raise ValidationError("Built-in fields cannot be deleted; hide them instead.")
    holding = count_values(session, field_id=field_id)
    if not confirm:
        return FieldDeletion(field_id=row.id, label=row.label, contacts_with_value=holding, deleted=False)
    deleting = FieldDeleting(row.key, _owner_kinds(session, row), row.searchable)
    events.publish(session, deleting)
    audit_change(session, actor_id, row, "deleted", old=snapshot(row), new={"values_removed": deleting.removed})
    kind, section_id, label = row.kind, row.section_id, row.label
    session.delete(row)
    session.flush()
    renumber(session, group_of(session, kind, section_id))
    session.flush()
    return FieldDeletion(field_id=field_id, label=label, contacts_with_value=deleting.removed, deleted=True)
