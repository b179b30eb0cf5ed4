"""Values outside a closed list (type, acquisition channel, staff, phone type, yes/no, choice fields) that a
file uses: what each may become (an existing value, a new one, nothing), the user's choices kept on the import,
and the choices of the last import of the same layout proposed again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.contacts import lists
from crm_app.contacts.models import AcquisitionChannel
from crm_app.contacts.texts import BUILTIN_PHONE_LABELS
from crm_app.core.errors import ValidationError
from crm_app.exchange.columns import CUSTOM_PREFIX, CustomColumn
from crm_app.exchange.imports.context import custom_columns
from crm_app.exchange.imports.lifecycle import CHECKED, UPLOADED, get_import, import_read
from crm_app.exchange.imports.mapping import changeable_import
from crm_app.exchange.parse import CLOSED_TARGETS, is_closed, value_key
from crm_app.exchange.schemas import ImportRead, UnknownValueRead
from crm_app.fields.choices import add_choice
from crm_app.fields.models import FieldDefinition
from crm_app.i18n import _, translate

CREATE = "+new"
CREATABLE = frozenset({"channel", "phone_type"})
YES_NO = (("yes", _("Yes")), ("no", _("No")))
MAX_VALUE_LENGTH = 200


def _custom(session: Session) -> dict[str, CustomColumn]:
    return {column.key: column for column in custom_columns(session)}


def can_create(target: str, custom: dict[str, CustomColumn]) -> bool:
    """Whether a value outside the list can be added to it from the import (channels, phone types, options)."""
    if target in CREATABLE:
        return True
    column = custom.get(target[len(CUSTOM_PREFIX) :]) if target.startswith(CUSTOM_PREFIX) else None
    return column is not None and column.type in ("select", "multi_select")


def value_choices(session: Session, *, target: str, locale: str = "en") -> list[tuple[str, str]]:
    """(value, label) of every existing value ``target`` may take; [] for a target without a closed list."""
    custom = _custom(session)
    if target == "kind":
        return [("person", translate(locale, "Person")), ("organization", translate(locale, "Organisation"))]
    if target == "channel":
        names = session.execute(
            select(AcquisitionChannel.name)
            .where(AcquisitionChannel.active.is_(True))
            .order_by(AcquisitionChannel.position, AcquisitionChannel.id)
        ).scalars()
        return [(name, name) for name in names]
    if target == "phone_type":
        return [
            (value, translate(locale, BUILTIN_PHONE_LABELS[value]) if value in BUILTIN_PHONE_LABELS else label)
            for value, label in lists.phone_type_choices(session)
        ]
    if target == "assigned":
        users = session.execute(select(User.email, User.name).where(User.active.is_(True)).order_by(User.name)).all()
        return [(email, f"{name} ({email})" if name else email) for email, name in users]
    if target in CLOSED_TARGETS:
        return [(value, translate(locale, label)) for value, label in YES_NO]
    column = custom.get(target[len(CUSTOM_PREFIX) :]) if target.startswith(CUSTOM_PREFIX) else None
    if column is None or not is_closed(target, custom):
        return []
    if column.type == "checkbox":
        return [(value, translate(locale, label)) for value, label in YES_NO]
    return [(label, label) for label in column.choices]


def _create(session: Session, target: str, value: str, actor_id: int | None) -> None:
    if target == "channel":
        lists.create_channel(session, name=value, actor_id=actor_id)
    elif target == "phone_type":
        lists.create_phone_type(session, name=value, actor_id=actor_id)
    else:
        ids = session.execute(
            select(FieldDefinition.id).where(
                FieldDefinition.key == target[len(CUSTOM_PREFIX) :],
                FieldDefinition.active.is_(True),
                FieldDefinition.type.in_(("select", "multi_select")),
            )
        ).scalars()
        for field_id in ids:
            add_choice(session, field_id=field_id, label=value, actor_id=actor_id)


def map_value(
    session: Session, *, import_id: Any, column: Any, value: Any, choice: Any, actor_id: int | None
) -> ImportRead:
    """What a value outside a column's closed list becomes: an existing value, nothing (""), or ``CREATE`` (added
    to the list). The import then needs a new dry run."""
    job, options, plans = changeable_import(session, import_id=import_id)
    custom = _custom(session)
    index = column if isinstance(column, int) and not isinstance(column, bool) else -1
    if not 0 <= index < len(plans) or not is_closed(plans[index].target, custom):
        raise ValidationError("This column does not take its values from a list.", field="column")
    target = plans[index].target
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_VALUE_LENGTH:
        raise ValidationError("Choose a value of the file.", field="value")
    if choice == CREATE:
        if not can_create(target, custom):
            raise ValidationError("Values cannot be added to this list from an import.", field="choice")
        _create(session, target, text, actor_id)
        choice = text
    elif choice != "" and choice not in {v for v, _label in value_choices(session, target=target)}:
        raise ValidationError("Choose one of the values of the list.", field="choice")
    options.value_map = {**options.value_map, target: {**options.value_map.get(target, {}), value_key(text): choice}}
    job.options = options.model_dump()
    if job.status == CHECKED:
        job.status = UPLOADED
    session.add(job)
    session.flush()
    return import_read(session, job)


def unknown_values(session: Session, *, import_id: Any, locale: str = "en") -> list[UnknownValueRead]:
    """The unknown values the last dry run found, each with what it may become and what was chosen."""
    job = get_import(session, import_id=import_id)
    custom = _custom(session)
    choices: dict[str, list[tuple[str, str]]] = {}
    found = []
    for item in job.dry_run.unknown_values:
        if item.target not in choices:
            choices[item.target] = value_choices(session, target=item.target, locale=locale)
        found.append(
            UnknownValueRead(
                column=item.column,
                header=item.header,
                value=item.value,
                count=item.count,
                choice=job.options.value_map.get(item.target, {}).get(value_key(item.value)),
                choices=choices[item.target],
                can_create=can_create(item.target, custom),
            )
        )
    return found
