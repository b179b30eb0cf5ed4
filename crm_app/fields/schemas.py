"""What goes into and comes out of the form-definition services: plain pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

KINDS = ("person", "organization")  # the contact types, each with its own form
Direction = Literal["up", "down"]


class ChoiceRead(BaseModel):
    """One option of a choice field; values store ``id``."""

    id: str
    label: str
    active: bool


class FieldRead(BaseModel):
    """One field of a form as the settings screen and the contact form need it."""

    id: int
    kind: str
    key: str
    label: str
    type: str
    type_label: str
    builtin: bool
    choices: list[ChoiceRead] = Field(default_factory=list)
    required: bool
    can_require: bool = True
    default_value: Any = None
    help_text: str
    position: int
    section_id: int | None
    active: bool
    show_in_list: bool
    searchable: bool
    on_web_form: bool
    created_at: datetime
    updated_at: datetime


class SectionRead(BaseModel):
    """A section and its fields in order; ``id`` is None for the fields above the first heading."""

    id: int | None
    title: str
    position: int
    fields: list[FieldRead] = Field(default_factory=list)


class FormRead(BaseModel):
    """A contact type's whole form: the untitled group first, then each section."""

    kind: str
    sections: list[SectionRead]

    @property
    def fields(self) -> list[FieldRead]:
        """Every field in display order."""
        return [item for section in self.sections for item in section.fields]

    def field(self, key: str) -> FieldRead | None:
        """The field with this key, if the form has it."""
        return next((item for item in self.fields if item.key == key), None)


class FieldCreate(BaseModel):
    """A new custom field as the manager fills it in; ``key`` empty means "made from the label"."""

    label: str
    type: str = "text"
    key: str = ""
    choices: list[str] = Field(default_factory=list)
    required: bool = False
    default_value: Any = None
    help_text: str = ""
    show_in_list: bool = False
    searchable: bool = False
    on_web_form: bool = False
    section_id: int | None = None


class FieldUpdate(BaseModel):
    """Changes to a field; only the attributes that are set are changed (``default_value=None`` clears it)."""

    label: str | None = None
    key: str | None = None
    help_text: str | None = None
    required: bool | None = None
    default_value: Any = None
    show_in_list: bool | None = None
    searchable: bool | None = None
    on_web_form: bool | None = None


class TypeChangeCheck(BaseModel):
    """What changing a field's type would do to the stored values."""

    field_id: int
    from_type: str
    to_type: str
    values: int
    failing: int
    examples: list[str] = Field(default_factory=list)
    default_lost: bool = False

    @property
    def allowed(self) -> bool:
        """True when every stored value converts."""
        return self.failing == 0


class FieldDeletion(BaseModel):
    """The outcome of a delete request: how many contacts hold a value, and whether the field is gone."""

    field_id: int
    label: str
    contacts_with_value: int
    deleted: bool
