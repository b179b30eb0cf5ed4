"""Settings → Contact forms: managers shape the form of each contact type.

Custom fields (add, edit, choices, type change, deactivate, delete), built-in optional parts (show, hide,
require), order and sections. Every handler coerces what the browser sends and calls one service in its own
short transaction; the open contact editors get the new form from the forms' own after-commit event
(``crm_app.fields.events``).

Longer than 800 lines because it is one Reflex state class with one handler per builder gesture, each a
coercion and one service call; the rules are in ``crm_app.fields``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.core.errors import DomainError
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.fields import choices as field_choices
from crm_app.fields import definitions, layout, stored_values
from crm_app.fields.history import FormChange, form_history
from crm_app.fields.schemas import KINDS, FieldCreate, FieldRead, FieldUpdate, FormRead
from crm_app.fields.types import FIELD_TYPES
from crm_app.i18n import _
from crm_app.ui.state.coerce import as_direction, as_flag, form_text
from crm_app.ui.state.session import SessionState, requires

LABEL_LIMIT = 200
KEY_LIMIT = 80
HELP_LIMIT = 1000
DEFAULT_LIMIT = 2000
CHOICES_TEXT_LIMIT = 20000
MAX_CHOICE_LINES = 300
FLAGS = ("required", "show_in_list", "searchable", "on_web_form")
CHOICE_TYPES = frozenset(key for key, field_type in FIELD_TYPES.items() if field_type.has_choices)
NO_FLAGS: dict[str, bool] = dict.fromkeys(FLAGS, False)


@dataclasses.dataclass
class Option:
    """One option of a select box."""

    value: str
    label: str


# The type names as the registry spells them, marked here so the catalogs carry them.
TYPE_NAMES = (
    _("Text"),
    _("Long text"),
    _("Whole number"),
    _("Decimal number"),
    _("Date"),
    _("E-mail"),
    _("Phone"),
    _("Link (URL)"),
    _("Single choice"),
    _("Multiple choice"),
    _("Checkbox"),
    _("Built-in"),
)
TYPE_OPTIONS: list[Option] = [Option(value=key, label=field_type.label) for key, field_type in FIELD_TYPES.items()]


@dataclasses.dataclass
class FieldRow:
    """A field of the form as one line of the builder."""

    id: int
    key: str
    label: str
    type: str
    type_label: str
    builtin: bool
    required: bool
    active: bool
    show_in_list: bool
    searchable: bool
    on_web_form: bool
    help_text: str = ""
    choice_count: int = 0
    first: bool = False
    last: bool = False


@dataclasses.dataclass
class SectionBlock:
    """A section heading (id 0: the fields above the first heading) and its fields in order."""

    id: int
    title: str
    first: bool = False
    last: bool = False
    fields: list[FieldRow] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class HistoryRow:
    """One change of the form in the builder's history: when, who, what and the values before and after."""

    id: int
    at: str
    actor: str
    subject: str
    action: str
    change: str = ""


HISTORY_LIMIT = 30
HISTORY_ACTIONS = {
    ("field", "created"): _("Field added"),
    ("field", "activated"): _("Put back on the form"),
    ("field", "deactivated"): _("Taken off the form (values kept)"),
    ("field", "moved"): _("Moved"),
    ("field", "type_changed"): _("Type changed"),
    ("field", "deleted"): _("Field deleted"),
    ("field", "choice_added"): _("Option added"),
    ("field", "choice_renamed"): _("Option renamed"),
    ("field", "choice_moved"): _("Options reordered"),
    ("field", "choice_activated"): _("Option offered again"),
    ("field", "choice_deactivated"): _("Option no longer offered"),
    ("section", "created"): _("Section added"),
    ("section", "renamed"): _("Section renamed"),
    ("section", "moved"): _("Section moved"),
    ("section", "deleted"): _("Section deleted"),
}
HISTORY_PROPERTIES = {
    "label": _("Label"),
    "help_text": _("Help text"),
    "required": _("Required"),
    "default_value": _("Default value"),
    "show_in_list": _("List column"),
    "searchable": _("Searchable"),
    "on_web_form": _("Public web form"),
}


@dataclasses.dataclass
class ChoiceRow:
    """One option of the choice field being edited."""

    id: str
    label: str
    active: bool = True
    first: bool = False
    last: bool = False


# ---- coercion of what the browser sends ---------------------------------------------------------


def _lines(text: str) -> list[str]:
    """The non-blank lines of a textarea, at most MAX_CHOICE_LINES."""
    return [line.strip() for line in text.splitlines() if line.strip()][:MAX_CHOICE_LINES]


def _default_input(raw: str, type_: str) -> Any:
    """What the default-value box holds, as the service parses it (None: no default)."""
    text = raw.strip()
    if not text:
        return None
    if type_ == "multi_select":
        return [part.strip() for part in text.split(",") if part.strip()][:MAX_CHOICE_LINES]
    return text


def _errors_by_input(err: DomainError, translate: Callable[[str], str]) -> dict[str, str]:
    """Field errors keyed by input ("choices.3" -> "choices")."""
    out: dict[str, str] = {}
    for key, message in err.errors.items():
        out.setdefault(key.split(".", 1)[0], translate(message))
    return out


class FormBuilderState(SessionState):
    """The form of one contact type as managers shape it."""

    kind: str = "person"
    sections: list[SectionBlock] = []
    section_options: list[Option] = []

    # add a field
    add_open: bool = False
    new_label: str = ""
    new_key: str = ""
    key_edited: bool = False
    new_type: str = "text"
    new_flags: dict[str, bool] = dict(NO_FLAGS)
    new_section: str = ""
    add_errors: dict[str, str] = {}
    add_message: str = ""

    # edit a field
    edit_id: int = 0
    edit_label: str = ""
    edit_key: str = ""
    edit_type: str = ""
    edit_type_label: str = ""
    edit_builtin: bool = False
    edit_can_require: bool = True
    edit_help: str = ""
    edit_default: str = ""
    edit_flags: dict[str, bool] = dict(NO_FLAGS)
    edit_choices: list[ChoiceRow] = []
    edit_errors: dict[str, str] = {}
    edit_message: str = ""
    edit_version: int = 0
    target_type: str = ""
    type_message: str = ""
    type_examples: list[str] = []
    choice_rename_id: str = ""
    choice_error: str = ""

    # delete a field
    delete_id: int = 0
    delete_label: str = ""
    delete_count: int = 0

    # sections
    section_rename_id: int = 0
    section_error: str = ""
    section_add_error: str = ""
    delete_section_id: int = 0

    history: list[HistoryRow] = []

    @rx.var
    def new_has_choices(self) -> bool:
        """Whether the new field's type takes a list of options."""
        return self.new_type in CHOICE_TYPES

    @rx.var
    def edit_has_choices(self) -> bool:
        """Whether the edited field is a custom choice field (its options can be edited)."""
        return not self.edit_builtin and self.edit_type in CHOICE_TYPES

    @rx.var
    def target_needs_choices(self) -> bool:
        """Whether changing to the chosen type needs options the field does not have yet."""
        return self.target_type in CHOICE_TYPES and self.edit_type not in CHOICE_TYPES

    @rx.var
    def active_choices(self) -> list[Option]:
        """The offered options of the edited field (for its default value)."""
        return [Option(value=c.id, label=c.label) for c in self.edit_choices if c.active]

    # ---- reading ------------------------------------------------------------------------------

    def _read_form(self) -> FormRead:
        with session_scope() as db:
            return definitions.form_for(db, kind=self.kind, include_inactive=True)

    def _show_form(self, form: FormRead) -> None:
        titled = [section for section in form.sections if section.id is not None]
        # A field can move up unless it is the very first of the untitled group, down unless it is the last
        # field of the last group (past a section's edge it moves into the neighbouring section).
        blocks: list[SectionBlock] = []
        for section in form.sections:
            if section.id is None and not section.fields and titled:
                continue
            last_group = section is form.sections[-1]
            count = len(section.fields)
            rows = [
                FieldRow(
                    id=f.id,
                    key=f.key,
                    label=f.label,
                    type=f.type,
                    type_label=self._t(f.type_label),
                    builtin=f.builtin,
                    required=f.required,
                    active=f.active,
                    show_in_list=f.show_in_list,
                    searchable=f.searchable,
                    on_web_form=f.on_web_form,
                    help_text=f.help_text,
                    choice_count=len(f.choices),
                    first=section.id is None and index == 0,
                    last=last_group and index == count - 1,
                )
                for index, f in enumerate(section.fields)
            ]
            blocks.append(
                SectionBlock(
                    id=section.id or 0,
                    title=section.title,
                    first=bool(titled) and section.id == titled[0].id,
                    last=bool(titled) and section.id == titled[-1].id,
                    fields=rows,
                )
            )
        self.sections = blocks
        self.section_options = [Option(value=str(s.id), label=s.title) for s in titled]
        if self.new_section and self.new_section not in {o.value for o in self.section_options}:
            self.new_section = ""
        known = {row.id for block in blocks for row in block.fields}
        if self.edit_id and self.edit_id not in known:
            self._close_edit()
        if self.delete_id and self.delete_id not in known:
            self.delete_id = 0
        section_ids = {s.id for s in titled}
        if self.section_rename_id not in section_ids:
            self.section_rename_id = 0
        if self.delete_section_id not in section_ids:
            self.delete_section_id = 0

    def _refresh(self) -> None:
        self._show_form(self._read_form())
        with session_scope() as db:
            changes = form_history(db, kind=self.kind, limit=HISTORY_LIMIT)
        self.history = [self._history_row(change) for change in changes]

    def _value_text(self, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return self._t("Yes") if value else self._t("No")
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)[:200]
        return str(value)[:200]

    def _place_text(self, place: Any) -> str:
        if not isinstance(place, dict):
            return ""
        titles = {block.id: block.title for block in self.sections if block.id}
        section = place.get("section_id")
        where = titles.get(section, self._t("a deleted section")) if section else self._t("Top of the form")
        return f"{where} · {int(place.get('position') or 0) + 1}"

    def _type_text(self, snapshot: Any) -> str:
        type_ = snapshot.get("type") if isinstance(snapshot, dict) else None
        return self._t(FIELD_TYPES[type_].label) if type_ in FIELD_TYPES else ""

    def _history_row(self, change: FormChange) -> HistoryRow:
        """A change as one readable line: the field's property, or what happened, and the values around it."""
        old, new = change.old, change.new
        if change.entity == "field" and change.kind == "changed":
            action = self._t(HISTORY_PROPERTIES.get(change.field, change.field))
            detail = f"{self._value_text(old)} → {self._value_text(new)}"
        else:
            action = self._t(HISTORY_ACTIONS.get((change.entity, change.kind), change.kind))
            if change.kind == "moved" and change.entity == "field":
                detail = f"{self._place_text(old)} → {self._place_text(new)}"
            elif change.kind == "type_changed":
                detail = f"{self._type_text(old)} → {self._type_text(new)}"
            elif change.kind == "created" and change.entity == "field":
                detail = self._type_text(new)
            elif change.kind in ("renamed", "choice_renamed"):
                detail = f"{self._value_text(old)} → {self._value_text(new)}"
            elif change.kind == "choice_added" and isinstance(new, dict):
                detail = self._value_text(new.get("label"))
            elif change.kind == "deleted" and isinstance(new, dict) and new.get("values_removed"):
                count = int(new["values_removed"])
                detail = self._t("1 value erased") if count == 1 else self._t("{count} values erased", count=count)
            else:
                detail = ""
        return HistoryRow(
            id=change.id,
            at=change.at.strftime("%Y-%m-%d %H:%M"),
            actor=change.actor_name or self._t("System"),
            subject=change.subject,
            action=action,
            change=detail,
        )

    def _row(self, field_id: Any) -> FieldRow | None:
        row_id = as_id(field_id)
        return next((r for block in self.sections for r in block.fields if r.id == row_id), None)

    def _has_section(self, section_id: Any) -> int | None:
        row_id = as_id(section_id)
        return row_id if row_id and any(block.id == row_id for block in self.sections) else None

    def _changed(self, message: str = "") -> Any:
        """After a committed change: re-read the form, confirm."""
        self._refresh()
        return rx.toast.success(message) if message else None

    def _failed(self, err: DomainError) -> Any:
        self._refresh()
        return rx.toast.error(self._error_text(err))

    # ---- page and tabs ------------------------------------------------------------------------

    @requires(Permission.FORMS_MANAGE)
    def load(self):
        """Read the form of the chosen contact type, hidden and inactive fields too."""
        self._reset_dialogs()
        self._refresh()

    @requires(Permission.FORMS_MANAGE)
    def choose_kind(self, kind: str):
        """Switch between the person and the organisation form."""
        if not isinstance(kind, str) or kind not in KINDS:
            return None
        self.kind = kind
        self._reset_dialogs()
        self._refresh()
        return None

    def _reset_dialogs(self) -> None:
        self.add_open = False
        self._close_edit()
        self.delete_id = 0
        self.section_rename_id = 0
        self.section_error = ""
        self.section_add_error = ""
        self.delete_section_id = 0

    # ---- order, show/hide ---------------------------------------------------------------------

    @requires(Permission.FORMS_MANAGE)
    def move(self, field_id: int, direction: str):
        """Move a field one place up or down (into the neighbouring section past a section's edge)."""
        row, step = self._row(field_id), as_direction(direction)
        if row is None or step is None:
            return None
        _result, err = self._service(layout.move_field, actor_id=self._current.id, field_id=row.id, direction=step)
        return self._failed(err) if err else self._changed()

    @requires(Permission.FORMS_MANAGE)
    def drop_field(self, value: str):
        """A field dragged to a place: "field id:section id (0 for the top group):position[:anything]"."""
        parts = [part.strip() for part in value.split(":")] if isinstance(value, str) and len(value) < 100 else []
        if len(parts) < 3 or not (parts[2].isascii() and parts[2].isdigit() and len(parts[2]) <= 4):
            return None
        row = self._row(parts[0])
        top = parts[1] == "0"
        section_id = None if top else self._has_section(parts[1])
        if row is None or (section_id is None and not top):
            return None
        position = int(parts[2])
        _result, err = self._service(
            layout.move_field_to,
            actor_id=self._current.id,
            field_id=row.id,
            section_id=section_id,
            position=position,
        )
        return self._failed(err) if err else self._changed()

    @requires(Permission.FORMS_MANAGE)
    def toggle_active(self, field_id: int, active: bool):
        """Show or hide a field; a hidden custom field keeps its values and gets them back when shown."""
        row, flag = self._row(field_id), as_flag(active)
        if row is None or flag is None:
            return None
        _result, err = self._service(definitions.set_active, actor_id=self._current.id, field_id=row.id, active=flag)
        if err:
            return self._failed(err)
        if row.builtin:
            text = _("“{name}” is shown.") if flag else _("“{name}” is hidden.")
        else:
            text = _("“{name}” is active again.") if flag else _("“{name}” is deactivated; its values are kept.")
        return self._changed(self._t(text, name=row.label))

    # ---- add a field --------------------------------------------------------------------------

    @requires(Permission.FORMS_MANAGE)
    def open_add(self, section_id: int):
        """Open the "Add field" dialog (in a section when one is given)."""
        target = self._has_section(section_id)
        self.new_label = ""
        self.new_key = ""
        self.key_edited = False
        self.new_type = "text"
        self.new_flags = dict(NO_FLAGS)
        self.new_section = str(target) if target else ""
        self.add_errors = {}
        self.add_message = ""
        self.add_open = True

    @requires(Permission.FORMS_MANAGE)
    def add_dialog_changed(self, is_open: bool):
        """Close the "Add field" dialog (Escape, click outside)."""
        if is_open is False:
            self.add_open = False

    @requires(Permission.FORMS_MANAGE)
    def close_add(self):
        """Close the "Add field" dialog without adding."""
        self.add_open = False

    def _suggest(self, label: str) -> str:
        if not label.strip():
            return ""
        try:
            with session_scope() as db:
                return definitions.suggest_key(db, kind=self.kind, label=label, type_=self.new_type)
        except DomainError:
            return ""

    @requires(Permission.FORMS_MANAGE)
    def type_new_label(self, value: str):
        """Follow the label being typed and suggest the key made from it (until the key is edited)."""
        if not isinstance(value, str):
            return
        self.new_label = value[:LABEL_LIMIT]
        self.add_errors = {k: v for k, v in self.add_errors.items() if k != "label"}
        if not self.key_edited:
            self.new_key = self._suggest(self.new_label)

    @requires(Permission.FORMS_MANAGE)
    def type_new_key(self, value: str):
        """Follow the key being typed; an emptied key goes back to the suggestion."""
        if not isinstance(value, str):
            return
        text = value.strip()[:KEY_LIMIT]
        self.key_edited = bool(text)
        self.new_key = text or self._suggest(self.new_label)
        self.add_errors = {k: v for k, v in self.add_errors.items() if k != "key"}

    @requires(Permission.FORMS_MANAGE)
    def choose_new_type(self, value: str):
        """Pick the type of the new field."""
        if isinstance(value, str) and value in FIELD_TYPES:
            self.new_type = value
            if not self.key_edited:
                self.new_key = self._suggest(self.new_label)

    @requires(Permission.FORMS_MANAGE)
    def choose_new_section(self, value: str):
        """Pick the section the new field goes into ("" for the top of the form)."""
        if value == "":
            self.new_section = ""
        elif self._has_section(value):
            self.new_section = str(as_id(value))

    @requires(Permission.FORMS_MANAGE)
    def toggle_new_flag(self, name: str, value: bool):
        """Tick required, list column, searchable or web form for the new field."""
        flag = as_flag(value)
        if name in FLAGS and flag is not None:
            self.new_flags = {**self.new_flags, name: flag}

    @requires(Permission.FORMS_MANAGE)
    def create(self, form: dict):
        """Add the field described in the dialog at the end of its section."""
        label = form_text(form, "label", LABEL_LIMIT)
        if label is None or not self.add_open:
            return None
        typed_key = (form_text(form, "key", KEY_LIMIT) or "").strip()
        key = typed_key if typed_key and (self.key_edited or typed_key != self.new_key) else ""
        data = FieldCreate(
            label=label,
            type=self.new_type,
            key=key,
            choices=_lines(form_text(form, "choices", CHOICES_TEXT_LIMIT) or "")
            if self.new_type in CHOICE_TYPES
            else [],
            default_value=_default_input(form_text(form, "default_value", DEFAULT_LIMIT) or "", self.new_type),
            help_text=form_text(form, "help_text", HELP_LIMIT) or "",
            section_id=as_id(self.new_section) if self._has_section(self.new_section) else None,
            **{name: bool(self.new_flags.get(name)) for name in FLAGS},
        )
        result, err = self._service(
            definitions.create_field, actor_id=self._current.id, kind=self.kind, data=data, locale=self.locale
        )
        if err:
            self.add_errors = _errors_by_input(err, self._t)
            self.add_message = self._error_text(err)
            return None
        self.add_open = False
        self.add_errors = {}
        self.add_message = ""
        return self._changed(self._t("“{name}” added.", name=result.label))

    # ---- edit a field -------------------------------------------------------------------------

    def _close_edit(self) -> None:
        self.edit_id = 0
        self.edit_errors = {}
        self.edit_message = ""
        self.type_message = ""
        self.type_examples = []
        self.choice_rename_id = ""
        self.choice_error = ""

    def _default_text(self, f: FieldRead) -> str:
        value = f.default_value
        if value is None:
            return ""
        if f.type == "checkbox":
            return "yes" if value else "no"
        if f.type == "select":
            return str(value)
        if f.type == "multi_select":
            labels = {c.id: c.label for c in f.choices}
            return ", ".join(labels.get(item, str(item)) for item in (value if isinstance(value, list) else [value]))
        field_type = FIELD_TYPES.get(f.type)
        return str(field_type.input_value(value, self.locale) if field_type else value)

    def _show_edit(self, f: FieldRead, *, fresh: bool) -> None:
        self.edit_id = f.id
        self.edit_label = f.label
        self.edit_key = f.key
        self.edit_type = f.type
        self.edit_type_label = self._t(f.type_label)
        self.edit_builtin = f.builtin
        self.edit_can_require = f.can_require
        self.edit_help = f.help_text
        self.edit_default = self._default_text(f)
        last = len(f.choices) - 1
        self.edit_choices = [
            ChoiceRow(id=c.id, label=c.label, active=c.active, first=i == 0, last=i == last)
            for i, c in enumerate(f.choices)
        ]
        if fresh:
            self.edit_flags = {name: bool(getattr(f, name)) for name in FLAGS}
            self.target_type = f.type if f.type in FIELD_TYPES else ""
            self.edit_errors = {}
            self.edit_message = ""
            self.type_message = ""
            self.type_examples = []
            self.choice_rename_id = ""
            self.choice_error = ""
        self.edit_version += 1

    def _reload_edit(self, *, fresh: bool = False) -> None:
        form = self._read_form()
        self._show_form(form)
        found = next((f for f in form.fields if f.id == self.edit_id), None)
        if found is None:
            self._close_edit()
        else:
            self._show_edit(found, fresh=fresh)

    @requires(Permission.FORMS_MANAGE)
    def open_edit(self, field_id: int):
        """Open the edit dialog of a field."""
        row = self._row(field_id)
        if row is None:
            return None
        self.edit_id = row.id
        self._reload_edit(fresh=True)
        return None

    @requires(Permission.FORMS_MANAGE)
    def edit_dialog_changed(self, is_open: bool):
        """Close the edit dialog (Escape, click outside)."""
        if is_open is False:
            self._close_edit()

    @requires(Permission.FORMS_MANAGE)
    def close_edit(self):
        """Close the edit dialog; unsaved label, help and flag changes are dropped."""
        self._close_edit()

    @requires(Permission.FORMS_MANAGE)
    def toggle_edit_flag(self, name: str, value: bool):
        """Tick required, list column, searchable or web form in the edit dialog (saved with Save)."""
        flag = as_flag(value)
        if name in FLAGS and flag is not None and self.edit_id:
            if name == "required" and flag and not self.edit_can_require:
                return
            self.edit_flags = {**self.edit_flags, name: flag}

    @requires(Permission.FORMS_MANAGE)
    def save_edit(self, form: dict):
        """Save the label, help text, default and flags of the field being edited."""
        if not isinstance(form, dict) or not self.edit_id:
            return None
        if self.edit_builtin:
            data = FieldUpdate(required=bool(self.edit_flags.get("required")) and self.edit_can_require)
        else:
            data = FieldUpdate(
                label=form_text(form, "label", LABEL_LIMIT) or "",
                help_text=form_text(form, "help_text", HELP_LIMIT) or "",
                default_value=_default_input(form_text(form, "default_value", DEFAULT_LIMIT) or "", self.edit_type),
                **{name: bool(self.edit_flags.get(name)) for name in FLAGS},
            )
        result, err = self._service(
            definitions.update_field, actor_id=self._current.id, field_id=self.edit_id, data=data, locale=self.locale
        )
        if err:
            self.edit_errors = _errors_by_input(err, self._t)
            self.edit_message = self._error_text(err)
            return None
        self._close_edit()
        return self._changed(self._t("“{name}” saved.", name=result.label))

    # ---- type change --------------------------------------------------------------------------

    @requires(Permission.FORMS_MANAGE)
    def choose_target_type(self, value: str):
        """Pick the type to change the field being edited to."""
        if isinstance(value, str) and value in FIELD_TYPES and self.edit_id and not self.edit_builtin:
            self.target_type = value
            self.type_message = ""
            self.type_examples = []

    @requires(Permission.FORMS_MANAGE)
    async def change_type(self, form: dict):
        """Change the edited field's type, converting every value; the refusal says how many would not fit."""
        if not isinstance(form, dict) or not self.edit_id or self.edit_builtin:
            return None
        if self.target_type not in FIELD_TYPES or self.target_type == self.edit_type:
            return None
        choices = _lines(form_text(form, "choices", CHOICES_TEXT_LIMIT) or "")
        field_id, new_type = self.edit_id, self.target_type
        result, err = await rx.run_in_thread(
            lambda: self._service(
                stored_values.change_field_type,
                actor_id=self._current.id,
                field_id=field_id,
                new_type=new_type,
                choices=choices if new_type in CHOICE_TYPES else None,
            )
        )
        if err:
            self.type_message = self._error_text(err)
            check = getattr(err, "check", None)
            self.type_examples = [str(e)[:200] for e in getattr(check, "examples", [])]
            return None
        self.type_message = ""
        self.type_examples = []
        self._reload_edit()
        return rx.toast.success(
            self._t("The type of “{name}” is now {type}.", name=result.label, type=self.edit_type_label)
        )

    # ---- choices of the edited field ----------------------------------------------------------

    def _choice(self, choice_id: Any) -> ChoiceRow | None:
        if not isinstance(choice_id, str) or not self.edit_id:
            return None
        return next((c for c in self.edit_choices if c.id == choice_id), None)

    def _choice_done(self, err: DomainError | None) -> Any:
        if err:
            self.choice_error = self._error_text(err)
            return None
        self.choice_error = ""
        self.choice_rename_id = ""
        self._reload_edit()
        return None

    @requires(Permission.FORMS_MANAGE)
    def add_choice(self, form: dict):
        """Add an option at the end of the edited field's list."""
        label = form_text(form, "label", LABEL_LIMIT)
        if label is None or not self.edit_id or self.edit_type not in CHOICE_TYPES:
            return None
        _result, err = self._service(
            field_choices.add_choice, actor_id=self._current.id, field_id=self.edit_id, label=label
        )
        self._choice_done(err)
        return None if err else rx.set_value("new-choice", "")

    @requires(Permission.FORMS_MANAGE)
    def start_choice_rename(self, choice_id: str):
        """Open the inline rename box of an option."""
        choice = self._choice(choice_id)
        self.choice_rename_id = choice.id if choice else ""
        self.choice_error = ""

    @requires(Permission.FORMS_MANAGE)
    def cancel_choice_rename(self):
        """Close the inline rename box of an option."""
        self.choice_rename_id = ""
        self.choice_error = ""

    @requires(Permission.FORMS_MANAGE)
    def save_choice_rename(self, form: dict):
        """Rename the option being edited; contacts keep it (they store its id)."""
        label = form_text(form, "label", LABEL_LIMIT)
        choice = self._choice(self.choice_rename_id)
        if label is None or choice is None:
            return None
        _result, err = self._service(
            field_choices.rename_choice,
            actor_id=self._current.id,
            field_id=self.edit_id,
            choice_id=choice.id,
            label=label,
        )
        return self._choice_done(err)

    @requires(Permission.FORMS_MANAGE)
    def move_choice(self, choice_id: str, direction: str):
        """Move an option one place up or down."""
        choice, step = self._choice(choice_id), as_direction(direction)
        if choice is None or step is None:
            return None
        _result, err = self._service(
            field_choices.move_choice,
            actor_id=self._current.id,
            field_id=self.edit_id,
            choice_id=choice.id,
            direction=step,
        )
        return self._choice_done(err)

    @requires(Permission.FORMS_MANAGE)
    def toggle_choice(self, choice_id: str, active: bool):
        """Offer an option again or stop offering it (contacts that have it keep it)."""
        choice, flag = self._choice(choice_id), as_flag(active)
        if choice is None or flag is None:
            return None
        _result, err = self._service(
            field_choices.set_choice_active,
            actor_id=self._current.id,
            field_id=self.edit_id,
            choice_id=choice.id,
            active=flag,
        )
        return self._choice_done(err)

    # ---- delete a field -----------------------------------------------------------------------

    @rx.var
    def delete_summary(self) -> str:
        """How many contacts lose a value when the field awaiting confirmation is deleted."""
        if self.delete_count == 0:
            return self._t("No contact has a value for this field.")
        if self.delete_count == 1:
            return self._t("1 contact has a value for this field; it will be erased.")
        return self._t("{count} contacts have a value for this field; they will be erased.", count=self.delete_count)

    @requires(Permission.FORMS_MANAGE)
    async def ask_delete(self, field_id: int):
        """Count the contacts holding a value, then ask to confirm the delete."""
        row = self._row(field_id)
        if row is None or row.builtin:
            return None
        result, err = await rx.run_in_thread(
            lambda: self._service(stored_values.delete_field, actor_id=self._current.id, field_id=row.id)
        )
        if err:
            return self._failed(err)
        self.delete_id = row.id
        self.delete_label = result.label
        self.delete_count = result.contacts_with_value
        return None

    @requires(Permission.FORMS_MANAGE)
    def cancel_delete(self):
        """Close the delete confirmation."""
        self.delete_id = 0

    @requires(Permission.FORMS_MANAGE)
    async def confirm_delete(self):
        """Delete the field awaiting confirmation and erase its values."""
        field_id, self.delete_id = self.delete_id, 0
        if not field_id:
            return None
        result, err = await rx.run_in_thread(
            lambda: self._service(
                stored_values.delete_field, actor_id=self._current.id, field_id=field_id, confirm=True
            )
        )
        if err:
            return self._failed(err)
        if self.edit_id == field_id:
            self._close_edit()
        return self._changed(self._t("“{name}” deleted.", name=result.label))

    # ---- sections -----------------------------------------------------------------------------

    @requires(Permission.FORMS_MANAGE)
    def add_section(self, form: dict):
        """Add a section heading at the end of the form."""
        title = form_text(form, "title", LABEL_LIMIT)
        if title is None:
            return None
        result, err = self._service(layout.create_section, actor_id=self._current.id, kind=self.kind, title=title)
        if err:
            self.section_add_error = self._error_text(err)
            return None
        self.section_add_error = ""
        return [rx.set_value("new-section", ""), self._changed(self._t("Section “{name}” added.", name=result.title))]

    @requires(Permission.FORMS_MANAGE)
    def start_section_rename(self, section_id: int):
        """Open the inline rename box of a section heading."""
        self.section_rename_id = self._has_section(section_id) or 0
        self.section_error = ""

    @requires(Permission.FORMS_MANAGE)
    def cancel_section_rename(self):
        """Close the inline rename box of a section heading."""
        self.section_rename_id = 0
        self.section_error = ""

    @requires(Permission.FORMS_MANAGE)
    def save_section_rename(self, form: dict):
        """Rename the section being edited."""
        title = form_text(form, "title", LABEL_LIMIT)
        section_id = self._has_section(self.section_rename_id)
        if title is None or section_id is None:
            return None
        _result, err = self._service(
            layout.rename_section, actor_id=self._current.id, section_id=section_id, title=title
        )
        if err:
            self.section_error = self._error_text(err)
            return None
        self.section_rename_id = 0
        self.section_error = ""
        return self._changed(self._t("Renamed."))

    @requires(Permission.FORMS_MANAGE)
    def move_section(self, section_id: int, direction: str):
        """Move a section, with its fields, one place up or down."""
        target, step = self._has_section(section_id), as_direction(direction)
        if target is None or step is None:
            return None
        _result, err = self._service(layout.move_section, actor_id=self._current.id, section_id=target, direction=step)
        return self._failed(err) if err else self._changed()

    @rx.var
    def delete_section_title(self) -> str:
        """The heading of the section awaiting delete confirmation."""
        return next((s.title for s in self.sections if s.id == self.delete_section_id), "")

    @requires(Permission.FORMS_MANAGE)
    def ask_delete_section(self, section_id: int):
        """Ask to confirm removing a section heading."""
        self.delete_section_id = self._has_section(section_id) or 0

    @requires(Permission.FORMS_MANAGE)
    def cancel_delete_section(self):
        """Close the section delete confirmation."""
        self.delete_section_id = 0

    @requires(Permission.FORMS_MANAGE)
    def confirm_delete_section(self):
        """Remove the section heading; its fields move to the top of the form."""
        section_id, self.delete_section_id = self._has_section(self.delete_section_id), 0
        if section_id is None:
            return None
        _result, err = self._service(layout.delete_section, actor_id=self._current.id, section_id=section_id)
        return self._failed(err) if err else self._changed(self._t("Section deleted; its fields moved up."))
