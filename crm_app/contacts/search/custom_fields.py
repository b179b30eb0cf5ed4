"""Custom fields as the list needs them: the columns and filters it offers (``list_fields``), the searchable
ones, and their values in SQL (a JSON value by key, the condition of a custom-field filter)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    and_,
    cast,
    func,
    literal,
    or_,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from crm_app.contacts.models import Contact
from crm_app.contacts.search.filters import CHECKED, UNCHECKED, CustomFilter
from crm_app.fields.models import FieldDefinition
from crm_app.fields.types import Choice, choices_from_options

SEARCHABLE_TYPES = ("text", "long_text", "email", "phone", "url", "select", "multi_select")
FILTER_TYPES = ("select", "multi_select", "checkbox", "date")
CHOICE_TYPES = ("select", "multi_select")
MAX_TOKENS_PER_VALUE = 200
MAX_LIST_FIELDS = 30


@dataclass(frozen=True)
class CustomField:
    """A custom field as the list needs it (a column, a filter or a searchable value)."""

    key: str
    label: str
    type: str
    kind: str
    choices: tuple[Choice, ...] = ()

    def choice_label(self, choice_id: Any) -> str:
        """The label of a stored choice id ("" when unknown)."""
        return next((c.label for c in self.choices if c.id == choice_id), "")


@dataclass(frozen=True)
class ListFields:
    """The custom fields the list shows as columns and offers as filters, one per key, in form order."""

    columns: list[CustomField]
    filters: list[CustomField]


def active_custom_fields(session: Session, *conditions: Any) -> list[CustomField]:
    """The active custom fields (not built in) meeting ``conditions``, in form order."""
    rows = session.connection().execute(
        select(
            FieldDefinition.key,
            FieldDefinition.label,
            FieldDefinition.type,
            FieldDefinition.kind,
            FieldDefinition.options,
        )
        .where(FieldDefinition.builtin.is_(False), FieldDefinition.active.is_(True), *conditions)
        .order_by(FieldDefinition.kind.desc(), FieldDefinition.position, FieldDefinition.id)
    )
    return [
        CustomField(key=key, label=label, type=type_, kind=kind, choices=tuple(choices_from_options(options)))
        for key, label, type_, kind, options in rows
    ]


def _one_per_key(fields: Iterable[CustomField]) -> list[CustomField]:
    return list({f.key: f for f in reversed(list(fields))}.values())[::-1][:MAX_LIST_FIELDS]


def list_fields(session: Session) -> ListFields:
    """The active custom fields shown as list columns and those the list can filter by (choice, checkbox, date)."""
    return ListFields(
        columns=_one_per_key(active_custom_fields(session, FieldDefinition.show_in_list.is_(True))),
        filters=_one_per_key(active_custom_fields(session, FieldDefinition.type.in_(FILTER_TYPES))),
    )


def searchable_fields(session: Session) -> dict[str, list[CustomField]]:
    """The active searchable custom fields of each contact kind."""
    by_kind: dict[str, list[CustomField]] = defaultdict(list)
    for item in active_custom_fields(
        session, FieldDefinition.searchable.is_(True), FieldDefinition.type.in_(SEARCHABLE_TYPES)
    ):
        by_kind[item.kind].append(item)
    return dict(by_kind)


def custom_value(dialect: str, key: str) -> Any:
    """SQL: the custom value under ``key`` as text (a choice id, an ISO date, 'true'...), NULL when absent."""
    if dialect == "postgresql":
        return Contact.custom.op("->>", return_type=String)(literal(key, String))
    return func.json_extract(Contact.custom, literal(_json_path(key), String), type_=String)


def _json_path(key: str) -> str:
    return f'$."{key}"'


def custom_condition(dialect: str, item: CustomFilter, type_: str) -> ColumnElement[bool] | None:
    """SQL: the contact passes this custom-field filter (checked row by row: JSON values are not indexed)."""
    value = custom_value(dialect, item.key)
    conditions: list[ColumnElement[bool]] = []
    if type_ == "select" and item.values:
        conditions.append(value.in_(item.values))
    elif type_ == "multi_select" and item.values:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB, array

            listed = cast(Contact.custom.op("->", return_type=JSONB)(literal(item.key, String)), JSONB)
            conditions.append(listed.op("?|", return_type=Boolean)(array(list(item.values))))
        else:
            conditions.append(or_(*(func.instr(value, f'"{choice}"') > 0 for choice in item.values)))
    elif type_ == "checkbox" and len(set(item.values) & {CHECKED, UNCHECKED}) == 1:
        if dialect == "postgresql":
            ticked = func.coalesce(value, "") == "true"
        else:
            ticked = func.coalesce(func.json_type(Contact.custom, literal(_json_path(item.key), String)), "") == "true"
        conditions.append(ticked if CHECKED in item.values else ~ticked)
    elif type_ == "date":
        text_value = value.collate("C") if dialect == "postgresql" else value
        if item.date_from is not None:
            conditions.append(text_value >= item.date_from.isoformat())
        if item.date_to is not None:
            conditions.append(text_value <= item.date_to.isoformat())
    return and_(*conditions) if conditions else None
