"""Form definition tables: the fields of each contact type's form and the sections that group them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_app.core.timeutil import utcnow


class FormSection(SQLModel, table=True):
    """A heading that groups fields on one contact type's form."""

    __tablename__ = "form_section"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    title: str = Field(max_length=120)
    position: int = Field(default=0)


class FieldDefinition(SQLModel, table=True):
    """One field of a contact type's form: a custom field (value in ``Contact.custom[key]``) or a built-in one.

    Built-in rows (``builtin=True``) only record whether an optional Contact column or child list (key =
    "registration_no", "phones", ...) is shown, where, and whether it is required.
    ``options`` holds ``{"choices": [{"id", "label", "active"}, ...]}`` for choice fields; choice ids are stable.
    """

    __tablename__ = "field_definition"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_field_definition_kind_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    key: str = Field(max_length=60)
    label: str = Field(max_length=120)
    type: str = Field(max_length=20)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    required: bool = Field(default=False)
    default_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    help_text: str = Field(default="", max_length=500)
    position: int = Field(default=0)
    section_id: int | None = Field(default=None, foreign_key="form_section.id", index=True, ondelete="SET NULL")
    active: bool = Field(default=True)
    show_in_list: bool = Field(default=False)
    searchable: bool = Field(default=False)
    on_web_form: bool = Field(default=False)
    builtin: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
