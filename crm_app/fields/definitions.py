"""Field definitions: the built-in parts and custom fields of each contact type's form, read as a form, created,
changed, shown or hidden; and the small shared reads and checks the other ``fields`` modules build on.

Where fields sit is in ``layout``, a choice field's options in ``choices``, what reaches the stored values
(type changes, deleting) in ``stored_values``, checking a contact's values in ``values``, the form's history
in ``history``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.core import audit, events
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import DomainError, NotFoundError, ValidationError
from crm_app.core.memo import memoized
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.fields.events import FieldSearchChanged
from crm_app.fields.models import FieldDefinition, FormSection
from crm_app.fields.schemas import (
    KINDS,
    ChoiceRead,
    FieldCreate,
    FieldRead,
    FieldUpdate,
    FormRead,
    SectionRead,
)
from crm_app.fields.types import (
    FIELD_TYPES,
    Choice,
    FieldType,
    choices_from_options,
    get_type,
    text_problem,
)

ENTITY = "field_definition"
SECTION_ENTITY = "form_section"
BUILTIN_TYPE = "builtin"
LABEL_LIMIT = 120
HELP_LIMIT = 500
KEY_LIMIT = 60
CHOICE_LIMIT = 200
KIND_LABELS = {"person": "person", "organization": "organisation"}
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CONTACT_COLUMNS = frozenset(
    {
        "id",
        "kind",
        "first_name",
        "last_name",
        "company_name",
        "display_name",
        "sort_name",
        "reference",
        "custom",
        "tags",
        "archived_at",
        "created_at",
        "created_by_id",
        "updated_at",
        "updated_by_id",
        "version",
    }
)


@dataclass(frozen=True)
class BuiltinSpec:
    """An optional part of the contact form that managers can show, hide, move and require per type."""

    key: str
    label: str
    person: bool
    organization: bool
    can_require: bool


BUILTINS: tuple[BuiltinSpec, ...] = (
    BuiltinSpec("phones", "Phones", True, True, True),
    BuiltinSpec("emails", "E-mail addresses", True, True, True),
    BuiltinSpec("addresses", "Addresses", True, True, True),
    BuiltinSpec("registration_no", "Registration number", False, True, True),
    BuiltinSpec("is_supplier", "Supplier", True, True, False),
    BuiltinSpec("acquisition_channel_id", "Acquisition channel", True, True, True),
    BuiltinSpec("discount_percent", "Discount", True, True, False),
    BuiltinSpec("assigned_user_id", "Assigned staff", True, True, True),
    BuiltinSpec("memo", "Memo", True, True, True),
)
BUILTIN_SPECS = {spec.key: spec for spec in BUILTINS}
RESERVED_KEYS = CONTACT_COLUMNS | BUILTIN_SPECS.keys()


@dataclass(frozen=True)
class BuiltinState:
    """How a built-in part of the form is set up for one contact type."""

    key: str
    label: str
    active: bool
    required: bool


# ---------------------------------------------------------------- small helpers


def check_kind(kind: str) -> str:
    """``kind`` when it is a contact type, else a ValidationError on ``kind``."""
    if kind not in KINDS:
        raise ValidationError("Choose person or organization.", field="kind")
    return kind


def other_kind(kind: str) -> str:
    """The other contact type."""
    return "organization" if kind == "person" else "person"


def clean_label(label: str, *, field: str = "label", limit: int = LABEL_LIMIT) -> str:
    """A name with its spaces tidied, checked for length and stray characters (errors on ``field``)."""
    text = " ".join((label or "").split())
    if not text:
        raise ValidationError("Enter a name.", field=field)
    if len(text) > limit:
        raise ValidationError(f"Keep the name under {limit} characters.", field=field)
    problem = text_problem(text)
    if problem:
        raise ValidationError(problem, field=field)
    return text


def _clean_help(text: str) -> str:
    value = (text or "").strip()
    if len(value) > HELP_LIMIT:
        raise ValidationError(f"Keep the help text under {HELP_LIMIT} characters.", field="help_text")
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValidationError(problem, field="help_text")
    return value


_TRANSLITERATION = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
)


def _slug(label: str, *, limit: int = KEY_LIMIT) -> str:
    decomposed = unicodedata.normalize("NFKD", (label or "").translate(_TRANSLITERATION))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"field_{slug}"
    return slug[:limit].rstrip("_")


def slugify_key(label: str, taken: set[str] | frozenset[str] = frozenset(), *, reserved: bool = True) -> str:
    """An ASCII, lower-case, underscore key made from a label, with ``_2``, ``_3``... when taken or reserved."""
    base = _slug(label) or ("field" if reserved else "choice")
    taken = set(taken) | RESERVED_KEYS if reserved else set(taken)
    if base not in taken:
        return base
    counter = 2
    while True:
        suffix = f"_{counter}"
        candidate = base[: KEY_LIMIT - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        counter += 1


def suggest_key(session: Session, *, kind: str, label: str, type_: str | None = None) -> str:
    """The key a new field of ``kind`` called ``label`` would get (shown, editable, before the first save).

    With ``type_``, keys the other form uses for a field of another type are avoided too.
    """
    check_kind(kind)
    rows = session.exec(select(FieldDefinition.kind, FieldDefinition.key, FieldDefinition.type)).all()
    taken = {key for row_kind, key, row_type in rows if row_kind == kind or (type_ and row_type != type_)}
    return slugify_key(label, taken)


def _check_shared_key(session: Session, kind: str, key: str, type_: str) -> None:
    """A key used by both forms means one field on both: a contact converted keeps its value, so types must match."""
    other = session.exec(
        select(FieldDefinition).where(FieldDefinition.kind == other_kind(kind), FieldDefinition.key == key)
    ).first()
    if other is not None and other.type != type_:
        other_type = "built-in" if other.builtin else FIELD_TYPES[other.type].label.lower()
        message = (
            f"The {KIND_LABELS[other.kind]} form uses this key for a {other_type} field: "
            f"choose the same type or another key."
        )
        raise ValidationError(message, field="key")


def _clean_key(session: Session, kind: str, key: str) -> str:
    text = (key or "").strip()
    if not _KEY_RE.match(text) or len(text) > KEY_LIMIT:
        raise ValidationError(
            f"Use up to {KEY_LIMIT} lower-case letters, digits and underscores, starting with a letter.", field="key"
        )
    if text in RESERVED_KEYS:
        raise ValidationError("This key is reserved for a built-in field: choose another one.", field="key")
    clash = session.exec(select(FieldDefinition.id).where(FieldDefinition.kind == kind, FieldDefinition.key == text))
    if clash.first() is not None:
        raise ValidationError("Another field of this form already uses this key.", field="key")
    return text


def _check_label_free(session: Session, kind: str, label: str, exclude_id: int | None = None) -> None:
    for row_id, other in session.exec(
        select(FieldDefinition.id, FieldDefinition.label).where(FieldDefinition.kind == kind)
    ):
        if row_id != exclude_id and other.casefold() == label.casefold():
            raise ValidationError(f"Another field of this form is already called “{other}”.", field="label")


def get_field(session: Session, field_id: int) -> FieldDefinition:
    """A field definition by id; NotFoundError when it is gone."""
    row = session.get(FieldDefinition, field_id) if isinstance(field_id, int) else None
    if row is None:
        raise NotFoundError("This field does not exist (it may have been deleted).")
    return row


def get_custom_field(session: Session, field_id: int) -> FieldDefinition:
    """A custom field by id; built-in ones are refused."""
    row = get_field(session, field_id)
    if row.builtin:
        raise ValidationError("Built-in fields can be shown, hidden, moved and required, nothing more.")
    return row


def get_section(session: Session, section_id: int, kind: str | None = None) -> FormSection:
    """A section by id (of ``kind``'s form when given); NotFoundError when it is gone."""
    section = session.get(FormSection, section_id) if isinstance(section_id, int) else None
    if section is None or (kind is not None and section.kind != kind):
        raise NotFoundError("This section does not exist (it may have been deleted).")
    return section


def snapshot(row: FieldDefinition) -> dict[str, Any]:
    """Everything a field definition holds, for its audit lines."""
    return {
        "kind": row.kind,
        "key": row.key,
        "label": row.label,
        "type": row.type,
        "options": row.options,
        "required": row.required,
        "default_value": row.default_value,
        "help_text": row.help_text,
        "section_id": row.section_id,
        "position": row.position,
        "active": row.active,
        "show_in_list": row.show_in_list,
        "searchable": row.searchable,
        "on_web_form": row.on_web_form,
        "builtin": row.builtin,
    }


def audit_change(
    session: Session,
    actor_id: int | None,
    row: FieldDefinition | FormSection,
    kind: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
) -> None:
    """Record one change of a field definition or a section in the audit trail."""
    entity = SECTION_ENTITY if isinstance(row, FormSection) else ENTITY
    audit.record(session, actor_id=actor_id, entity=entity, entity_id=row.id, kind=kind, field=field, old=old, new=new)


def touch(session: Session, row: FieldDefinition) -> None:
    """Mark a field definition as changed now."""
    row.updated_at = utcnow()
    session.add(row)


def default_region(session: Session) -> str:
    """The account's default country, for phone numbers written without their code."""
    return get_settings(session).default_region


def field_type_of(row: FieldDefinition) -> FieldType:
    """The type of a custom field."""
    return FIELD_TYPES[row.type]


def choices_of(row: FieldDefinition) -> list[Choice]:
    """A choice field's options, in order (none for other types)."""
    return choices_from_options(row.options)


def set_choices(row: FieldDefinition, choices: list[Choice]) -> None:
    """Store a choice field's options, in order."""
    options = dict(row.options or {})
    options["choices"] = [{"id": c.id, "label": c.label, "active": c.active} for c in choices]
    row.options = options


def field_read(row: FieldDefinition) -> FieldRead:
    """A field definition as a DTO."""
    spec = BUILTIN_SPECS.get(row.key) if row.builtin else None
    return FieldRead(
        id=row.id,
        kind=row.kind,
        key=row.key,
        label=row.label,
        type=row.type,
        type_label="Built-in" if row.builtin else FIELD_TYPES[row.type].label if row.type in FIELD_TYPES else row.type,
        builtin=row.builtin,
        choices=[ChoiceRead(id=c.id, label=c.label, active=c.active) for c in choices_of(row)],
        required=row.required,
        can_require=spec.can_require if spec else True,
        default_value=row.default_value,
        help_text=row.help_text,
        position=row.position,
        section_id=row.section_id,
        active=row.active,
        show_in_list=row.show_in_list,
        searchable=row.searchable,
        on_web_form=row.on_web_form,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


# ---------------------------------------------------------------- built-in fields and the form


def sections_of(session: Session, kind: str) -> list[FormSection]:
    """The sections of ``kind``'s form, in order."""
    stmt = select(FormSection).where(FormSection.kind == kind).order_by(FormSection.position, FormSection.id)
    return list(session.exec(stmt).all())


def fields_of(session: Session, kind: str) -> list[FieldDefinition]:
    """Every field of ``kind``'s form (built-in and custom, shown or hidden), in order."""
    stmt = (
        select(FieldDefinition)
        .where(FieldDefinition.kind == kind)
        .order_by(FieldDefinition.position, FieldDefinition.id)
    )
    return list(session.exec(stmt).all())


def group_of(session: Session, kind: str, section_id: int | None) -> list[FieldDefinition]:
    """The fields of one section (None: above the first heading), in order."""
    return [row for row in fields_of(session, kind) if row.section_id == section_id]


def renumber(session: Session, rows: list[Any]) -> None:
    """Give rows the positions 0, 1, 2... in the order given."""
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            session.add(row)


def ensure_builtin_fields(session: Session) -> None:
    """Create the built-in rows of both forms when missing (phones, e-mails, addresses... with their defaults)."""
    present = set(session.exec(select(FieldDefinition.kind, FieldDefinition.key)).all())
    if all((kind, spec.key) in present for kind in KINDS for spec in BUILTINS):
        return
    for kind in KINDS:
        missing = [spec for spec in BUILTINS if (kind, spec.key) not in present]
        if not missing:
            continue
        used = [row.position for row in fields_of(session, kind) if row.section_id is None]
        start = max(used) + 1 if used else 0
        for offset, spec in enumerate(missing):
            row = FieldDefinition(
                kind=kind,
                key=spec.key,
                label=spec.label,
                type=BUILTIN_TYPE,
                builtin=True,
                active=getattr(spec, kind),
                position=start + offset,
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                continue  # someone else created it meanwhile
    session.flush()


def form_for(session: Session, *, kind: str, include_inactive: bool = False) -> FormRead:
    """A contact type's form: untitled fields first, then each section, fields in order (hidden ones on request)."""
    check_kind(kind)
    ensure_builtin_fields(session)
    sections = sections_of(session, kind)
    groups: dict[int | None, list[FieldRead]] = {None: [], **{s.id: [] for s in sections}}
    for row in fields_of(session, kind):
        if row.active or include_inactive:
            groups.setdefault(row.section_id if row.section_id in groups else None, []).append(field_read(row))
    result = [SectionRead(id=None, title="", position=-1, fields=groups[None])]
    result += [SectionRead(id=s.id, title=s.title, position=s.position, fields=groups[s.id]) for s in sections]
    return FormRead(kind=kind, sections=result)


def builtin_states(session: Session, *, kind: str) -> dict[str, BuiltinState]:
    """Whether each built-in part is shown and required for ``kind`` (defaults when not set up yet; no writes)."""
    return memoized(session, ("builtin_states", kind), lambda: _load_builtin_states(session, kind))


def _load_builtin_states(session: Session, kind: str) -> dict[str, BuiltinState]:
    rows = {
        row.key: row
        for row in session.exec(
            select(FieldDefinition).where(FieldDefinition.kind == kind, FieldDefinition.builtin.is_(True))
        )
    }
    states = {}
    for spec in BUILTINS:
        row = rows.get(spec.key)
        active = row.active if row else getattr(spec, kind, True)
        required = bool(row and row.required and spec.can_require)
        states[spec.key] = BuiltinState(spec.key, row.label if row else spec.label, active, required)
    return states


# ---------------------------------------------------------------- creating and changing fields


def _clean_choice_labels(labels: list[str]) -> list[Choice]:
    choices: list[Choice] = []
    for index, raw in enumerate(labels):
        if not (raw or "").strip():
            continue
        label = clean_label(raw, field=f"choices.{index}")
        if any(c.label.casefold() == label.casefold() for c in choices):
            raise ValidationError(f"“{label}” is already in the list.", field=f"choices.{index}")
        choices.append(Choice(slugify_key(label, {c.id for c in choices}, reserved=False), label, True))
    if len(choices) > CHOICE_LIMIT:
        raise ValidationError(f"A field has at most {CHOICE_LIMIT} options.", field="choices")
    return choices


def _parse_default(session: Session, field_type: FieldType, raw: Any, choices: list[Choice], locale: str) -> Any:
    try:
        value = field_type.parse(raw, locale, region=default_region(session), choices=choices)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="default_value") from exc
    return value


def create_field(
    session: Session, *, kind: str, data: FieldCreate, actor_id: int | None, locale: str = "en"
) -> FieldRead:
    """Add a custom field at the end of its section; the key is made from the label unless one is given."""
    check_kind(kind)
    ensure_builtin_fields(session)
    errors: dict[str, str] = {}

    def attempt(name: str, check: Any) -> Any:
        try:
            return check()
        except DomainError as exc:
            errors.update(exc.errors or {name: exc.message})
            return None

    label = attempt("label", lambda: clean_label(data.label))
    field_type: FieldType | None = attempt("type", lambda: get_type(data.type))
    help_text = attempt("help_text", lambda: _clean_help(data.help_text)) or ""
    if label:
        attempt("label", lambda: _check_label_free(session, kind, label))
    typed_key = (data.key or "").strip()
    key = attempt(
        "key",
        lambda: (
            _clean_key(session, kind, typed_key)
            if typed_key
            else suggest_key(session, kind=kind, label=label, type_=field_type.key if field_type else None)
        ),
    )
    if key and field_type is not None:
        attempt("key", lambda: _check_shared_key(session, kind, key, field_type.key))
    choices: list[Choice] | None = []
    if field_type is not None and field_type.has_choices:
        choices = attempt("choices", lambda: _clean_choice_labels(data.choices))
    default = None
    if field_type is not None and choices is not None and data.default_value is not None:
        default = attempt(
            "default_value", lambda: _parse_default(session, field_type, data.default_value, choices, locale)
        )
    if data.section_id is not None:
        attempt("section_id", lambda: get_section(session, data.section_id, kind))
    if errors:
        raise ValidationError("Some fields need your attention.", errors=errors)
    group = group_of(session, kind, data.section_id)
    row = FieldDefinition(
        kind=kind,
        key=key,
        label=label,
        type=field_type.key,
        options={},
        required=bool(data.required),
        default_value=default,
        help_text=help_text,
        position=(max(r.position for r in group) + 1) if group else 0,
        section_id=data.section_id,
        show_in_list=bool(data.show_in_list),
        searchable=bool(data.searchable),
        on_web_form=bool(data.on_web_form),
    )
    if choices:
        set_choices(row, choices)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise ValidationError("Another field of this form already uses this key.", field="key") from exc
    audit_change(session, actor_id, row, "created", new=snapshot(row))
    return field_read(row)


def update_field(
    session: Session, *, field_id: int, data: FieldUpdate, actor_id: int | None, locale: str = "en"
) -> FieldRead:
    """Change a field's label, help, required flag, default or list/search/web-form flags (only what is set)."""
    row = get_field(session, field_id)
    given = data.model_fields_set
    changes: dict[str, Any] = {}
    if "key" in given and data.key is not None and data.key.strip() != row.key:
        raise ValidationError("The key cannot change once the field is saved.", field="key")
    if "label" in given and data.label is not None:
        label = clean_label(data.label)
        _check_label_free(session, row.kind, label, exclude_id=row.id)
        changes["label"] = label
    if "help_text" in given and data.help_text is not None:
        changes["help_text"] = _clean_help(data.help_text)
    if "required" in given and data.required is not None:
        spec = BUILTIN_SPECS.get(row.key) if row.builtin else None
        if data.required and spec is not None and not spec.can_require:
            raise ValidationError("This built-in field cannot be made required.", field="required")
        changes["required"] = bool(data.required)
    if "default_value" in given:
        if row.builtin and data.default_value is not None:
            raise ValidationError("Built-in fields have no default value.", field="default_value")
        if not row.builtin:
            active_choices = [c for c in choices_of(row) if c.active]
            changes["default_value"] = (
                None
                if data.default_value is None
                else _parse_default(session, field_type_of(row), data.default_value, active_choices, locale)
            )
    for flag in ("show_in_list", "searchable", "on_web_form"):
        if flag in given and getattr(data, flag) is not None:
            changes[flag] = bool(getattr(data, flag))
    was_searchable = row.searchable
    for name, value in changes.items():
        before = getattr(row, name)
        if before != value:
            setattr(row, name, value)
            audit_change(session, actor_id, row, "changed", name, old=before, new=value)
            touch(session, row)
    session.flush()
    if row.searchable != was_searchable and not row.builtin:
        events.publish(session, FieldSearchChanged(row.key))
    return field_read(row)


def set_active(session: Session, *, field_id: int, active: bool, actor_id: int | None) -> FieldRead:
    """Show or hide a field on its form; the stored values stay and come back when it is shown again."""
    row = get_field(session, field_id)
    if row.active != bool(active):
        row.active = bool(active)
        touch(session, row)
        audit_change(
            session, actor_id, row, "activated" if active else "deactivated", "active", old=not active, new=active
        )
        session.flush()
        if row.searchable and not row.builtin:
            events.publish(session, FieldSearchChanged(row.key))
    return field_read(row)
