"""Form definitions per contact type: built-in and custom fields, sections, choices, values and type changes.

Custom values live in ``Contact.custom`` keyed by the field key. Nothing here drops a value silently: a
deactivated field keeps its values, a type change is refused unless every value converts, a contact converted
to the other type keeps the values its new form does not show (hidden), and deleting a field asks first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, String, bindparam, cast, func, literal
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.models import Address, Contact, Email, Phone
from crm_app.contacts.schemas import KINDS, AddressIn, ContactIn, EmailIn, HistoryEntry, PhoneIn
from crm_app.contacts.search.documents import custom_value_holders, reindex_contacts, reindex_custom_field
from crm_app.core import audit
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import DomainError, NotFoundError, ValidationError
from crm_app.core.memo import memoized
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.fields.models import FieldDefinition, FormSection
from crm_app.fields.schemas import (
    ChoiceRead,
    Direction,
    FieldCreate,
    FieldDeletion,
    FieldRead,
    FieldUpdate,
    FormRead,
    SectionRead,
    TypeChangeCheck,
)
from crm_app.fields.types import (
    FIELD_TYPES,
    CannotConvert,
    Choice,
    FieldType,
    choices_from_options,
    convert_value,
    get_type,
    is_empty,
    text_problem,
)
from crm_app.i18n import _

ENTITY = "field_definition"
SECTION_ENTITY = "form_section"
BUILTIN_TYPE = "builtin"
LABEL_LIMIT = 120
HELP_LIMIT = 500
KEY_LIMIT = 60
CHOICE_LIMIT = 200
SCAN_BATCH = 500
MAX_VALUES = 500
EXAMPLE_LIMIT = 5
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


@dataclass(frozen=True)
class BuiltinState:
    """How a built-in part of the form is set up for one contact type."""

    key: str
    label: str
    active: bool
    required: bool


class TypeChangeRefused(ValidationError):
    """Some stored values would not survive the type change; ``check`` has the count and examples."""

    def __init__(self, message: str, *, check: TypeChangeCheck):
        super().__init__(message, field="type")
        self.check = check


# ---------------------------------------------------------------- small helpers


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("Choose person or organization.", field="kind")
    return kind


def _other_kind(kind: str) -> str:
    return "organization" if kind == "person" else "person"


def _clean_label(label: str, *, field: str = "label", limit: int = LABEL_LIMIT) -> str:
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
    _check_kind(kind)
    rows = session.exec(select(FieldDefinition.kind, FieldDefinition.key, FieldDefinition.type)).all()
    taken = {key for row_kind, key, row_type in rows if row_kind == kind or (type_ and row_type != type_)}
    return slugify_key(label, taken)


def _check_shared_key(session: Session, kind: str, key: str, type_: str) -> None:
    """A key used by both forms means one field on both: a contact converted keeps its value, so types must match."""
    other = session.exec(
        select(FieldDefinition).where(FieldDefinition.kind == _other_kind(kind), FieldDefinition.key == key)
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


def _get_field(session: Session, field_id: int) -> FieldDefinition:
    row = session.get(FieldDefinition, field_id) if isinstance(field_id, int) else None
    if row is None:
        raise NotFoundError("This field does not exist (it may have been deleted).")
    return row


def _get_custom_field(session: Session, field_id: int) -> FieldDefinition:
    row = _get_field(session, field_id)
    if row.builtin:
        raise ValidationError("Built-in fields can be shown, hidden, moved and required, nothing more.")
    return row


def _get_section(session: Session, section_id: int, kind: str | None = None) -> FormSection:
    section = session.get(FormSection, section_id) if isinstance(section_id, int) else None
    if section is None or (kind is not None and section.kind != kind):
        raise NotFoundError("This section does not exist (it may have been deleted).")
    return section


def _snapshot(row: FieldDefinition) -> dict[str, Any]:
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


def _audit(
    session: Session,
    actor_id: int | None,
    row: FieldDefinition | FormSection,
    kind: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
) -> None:
    entity = SECTION_ENTITY if isinstance(row, FormSection) else ENTITY
    audit.record(session, actor_id=actor_id, entity=entity, entity_id=row.id, kind=kind, field=field, old=old, new=new)


def _touch(session: Session, row: FieldDefinition) -> None:
    row.updated_at = utcnow()
    session.add(row)


def _region(session: Session) -> str:
    return get_settings(session).default_region


def _field_type(row: FieldDefinition) -> FieldType:
    return FIELD_TYPES[row.type]


def _choices(row: FieldDefinition) -> list[Choice]:
    return choices_from_options(row.options)


def _set_choices(row: FieldDefinition, choices: list[Choice]) -> None:
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
        choices=[ChoiceRead(id=c.id, label=c.label, active=c.active) for c in _choices(row)],
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


def _sections(session: Session, kind: str) -> list[FormSection]:
    stmt = select(FormSection).where(FormSection.kind == kind).order_by(FormSection.position, FormSection.id)
    return list(session.exec(stmt).all())


def _fields(session: Session, kind: str) -> list[FieldDefinition]:
    stmt = (
        select(FieldDefinition)
        .where(FieldDefinition.kind == kind)
        .order_by(FieldDefinition.position, FieldDefinition.id)
    )
    return list(session.exec(stmt).all())


def _group(session: Session, kind: str, section_id: int | None) -> list[FieldDefinition]:
    return [row for row in _fields(session, kind) if row.section_id == section_id]


def _renumber(session: Session, rows: list[Any]) -> None:
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
        used = [row.position for row in _fields(session, kind) if row.section_id is None]
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
    _check_kind(kind)
    ensure_builtin_fields(session)
    sections = _sections(session, kind)
    groups: dict[int | None, list[FieldRead]] = {None: [], **{s.id: [] for s in sections}}
    for row in _fields(session, kind):
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


def builtin_required_errors(session: Session, *, kind: str, filled: dict[str, bool]) -> dict[str, str]:
    """Errors for shown, required built-in parts that ``filled`` says are empty, keyed by the form field."""
    if kind not in KINDS:
        return {}
    return {
        key: BUILTIN_REQUIRED_MESSAGES.get(key, REQUIRED_MESSAGE)
        for key, state in builtin_states(session, kind=kind).items()
        if state.active and state.required and key in filled and not filled[key]
    }


def _discount_text(value: Any) -> str:
    return format(Decimal(value or 0).normalize(), "f")


def keep_hidden_builtins(
    session: Session,
    *,
    data: ContactIn,
    contact: Contact,
    phones: list[Phone],
    emails: list[Email],
    addresses: list[Address],
) -> ContactIn:
    """The input with the stored values put back for hidden built-in parts the form sent empty.

    A form that does not show the memo (say) sends it empty; that must not erase the stored memo.
    """
    kind = (data.kind or "").strip().lower()
    if kind not in KINDS:
        return data
    hidden = {key for key, state in builtin_states(session, kind=kind).items() if not state.active}
    changes: dict[str, Any] = {}
    for key in ("registration_no", "memo"):
        if key in hidden and not (getattr(data, key) or "").strip() and getattr(contact, key):
            changes[key] = getattr(contact, key)
    for key in ("acquisition_channel_id", "assigned_user_id"):
        if key in hidden and getattr(data, key) is None and getattr(contact, key) is not None:
            changes[key] = getattr(contact, key)
    if "is_supplier" in hidden and not data.is_supplier and contact.is_supplier:
        changes["is_supplier"] = True
    if "discount_percent" in hidden and Decimal(contact.discount_percent or 0) != 0:
        typed = (data.discount_percent or "").strip().rstrip("%").strip()
        if typed in ("", "0", "0.0", "0.00", "0,0", "0,00"):
            changes["discount_percent"] = _discount_text(contact.discount_percent)
    if "phones" in hidden and not any((p.number or "").strip() for p in data.phones) and phones:
        changes["phones"] = [
            PhoneIn(id=p.id, number=p.raw, type=p.type, whatsapp=p.whatsapp, viber=p.viber, sms=p.sms) for p in phones
        ]
    if "emails" in hidden and not any((e.address or "").strip() for e in data.emails) and emails:
        changes["emails"] = [EmailIn.model_validate(e, from_attributes=True) for e in emails]
    if "addresses" in hidden and not data.addresses and addresses:
        changes["addresses"] = [AddressIn.model_validate(a, from_attributes=True) for a in addresses]
    return data.model_copy(update=changes) if changes else data


# ---------------------------------------------------------------- creating and changing fields


def _clean_choice_labels(labels: list[str]) -> list[Choice]:
    choices: list[Choice] = []
    for index, raw in enumerate(labels):
        if not (raw or "").strip():
            continue
        label = _clean_label(raw, field=f"choices.{index}")
        if any(c.label.casefold() == label.casefold() for c in choices):
            raise ValidationError(f"“{label}” is already in the list.", field=f"choices.{index}")
        choices.append(Choice(slugify_key(label, {c.id for c in choices}, reserved=False), label, True))
    if len(choices) > CHOICE_LIMIT:
        raise ValidationError(f"A field has at most {CHOICE_LIMIT} options.", field="choices")
    return choices


def _parse_default(session: Session, field_type: FieldType, raw: Any, choices: list[Choice], locale: str) -> Any:
    try:
        value = field_type.parse(raw, locale, region=_region(session), choices=choices)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="default_value") from exc
    return value


def create_field(
    session: Session, *, kind: str, data: FieldCreate, actor_id: int | None, locale: str = "en"
) -> FieldRead:
    """Add a custom field at the end of its section; the key is made from the label unless one is given."""
    _check_kind(kind)
    ensure_builtin_fields(session)
    errors: dict[str, str] = {}

    def attempt(name: str, check: Any) -> Any:
        try:
            return check()
        except DomainError as exc:
            errors.update(exc.errors or {name: exc.message})
            return None

    label = attempt("label", lambda: _clean_label(data.label))
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
        attempt("section_id", lambda: _get_section(session, data.section_id, kind))
    if errors:
        raise ValidationError("Some fields need your attention.", errors=errors)
    group = _group(session, kind, data.section_id)
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
        _set_choices(row, choices)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise ValidationError("Another field of this form already uses this key.", field="key") from exc
    _audit(session, actor_id, row, "created", new=_snapshot(row))
    return field_read(row)


def update_field(
    session: Session, *, field_id: int, data: FieldUpdate, actor_id: int | None, locale: str = "en"
) -> FieldRead:
    """Change a field's label, help, required flag, default or list/search/web-form flags (only what is set)."""
    row = _get_field(session, field_id)
    given = data.model_fields_set
    changes: dict[str, Any] = {}
    if "key" in given and data.key is not None and data.key.strip() != row.key:
        raise ValidationError("The key cannot change once the field is saved.", field="key")
    if "label" in given and data.label is not None:
        label = _clean_label(data.label)
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
            active_choices = [c for c in _choices(row) if c.active]
            changes["default_value"] = (
                None
                if data.default_value is None
                else _parse_default(session, _field_type(row), data.default_value, active_choices, locale)
            )
    for flag in ("show_in_list", "searchable", "on_web_form"):
        if flag in given and getattr(data, flag) is not None:
            changes[flag] = bool(getattr(data, flag))
    was_searchable = row.searchable
    for name, value in changes.items():
        before = getattr(row, name)
        if before != value:
            setattr(row, name, value)
            _audit(session, actor_id, row, "changed", name, old=before, new=value)
            _touch(session, row)
    session.flush()
    if row.searchable != was_searchable and not row.builtin:
        reindex_custom_field(session, key=row.key)
    return field_read(row)


def set_active(session: Session, *, field_id: int, active: bool, actor_id: int | None) -> FieldRead:
    """Show or hide a field on its form; the stored values stay and come back when it is shown again."""
    row = _get_field(session, field_id)
    if row.active != bool(active):
        row.active = bool(active)
        _touch(session, row)
        _audit(session, actor_id, row, "activated" if active else "deactivated", "active", old=not active, new=active)
        session.flush()
        if row.searchable and not row.builtin:
            reindex_custom_field(session, key=row.key)
    return field_read(row)


# ---------------------------------------------------------------- order and sections


def _move_in_groups(session: Session, row: FieldDefinition, direction: Direction) -> bool:
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    order: list[int | None] = [None, *[s.id for s in _sections(session, row.kind)]]
    fields = _fields(session, row.kind)
    groups = {sid: [f for f in fields if f.section_id == sid] for sid in order}
    group = groups.get(row.section_id) or groups[None]
    index = group.index(row)
    step = -1 if direction == "up" else 1
    if 0 <= index + step < len(group):
        group[index], group[index + step] = group[index + step], group[index]
        _renumber(session, group)
        return True
    group_index = order.index(row.section_id) if row.section_id in order else 0
    target_index = group_index + step
    if not 0 <= target_index < len(order):
        return False
    target = groups[order[target_index]]
    group.remove(row)
    row.section_id = order[target_index]
    if direction == "up":
        target.append(row)
    else:
        target.insert(0, row)
    _renumber(session, group)
    _renumber(session, target)
    session.add(row)
    return True


def move_field(session: Session, *, field_id: int, direction: Direction, actor_id: int | None) -> FormRead:
    """Move a field one place up or down; past the top or bottom of a section it moves into the neighbour one."""
    row = _get_field(session, field_id)
    before = {"section_id": row.section_id, "position": row.position}
    if _move_in_groups(session, row, direction):
        _touch(session, row)
        _audit(
            session, actor_id, row, "moved", old=before, new={"section_id": row.section_id, "position": row.position}
        )
        session.flush()
    return form_for(session, kind=row.kind, include_inactive=True)


def move_field_to(
    session: Session, *, field_id: int, section_id: int | None, position: int, actor_id: int | None
) -> FormRead:
    """Put a field into a section (None: above the first heading) at a position (clamped to the section)."""
    row = _get_field(session, field_id)
    if section_id is not None:
        _get_section(session, section_id, row.kind)
    before = {"section_id": row.section_id, "position": row.position}
    old_group = [f for f in _group(session, row.kind, row.section_id) if f.id != row.id]
    target = old_group if section_id == row.section_id else _group(session, row.kind, section_id)
    index = max(0, min(int(position), len(target)))
    target.insert(index, row)
    row.section_id = section_id
    _renumber(session, old_group)
    _renumber(session, target)
    after = {"section_id": row.section_id, "position": row.position}
    if after != before:
        _touch(session, row)
        _audit(session, actor_id, row, "moved", old=before, new=after)
    session.flush()
    return form_for(session, kind=row.kind, include_inactive=True)


def _clean_title(title: str) -> str:
    return _clean_label(title, field="title")


def create_section(session: Session, *, kind: str, title: str, actor_id: int | None) -> SectionRead:
    """Add a section heading at the end of a form."""
    _check_kind(kind)
    text = _clean_title(title)
    sections = _sections(session, kind)
    section = FormSection(kind=kind, title=text, position=(sections[-1].position + 1) if sections else 0)
    session.add(section)
    session.flush()
    _audit(session, actor_id, section, "created", "title", new=text)
    return SectionRead(id=section.id, title=section.title, position=section.position)


def rename_section(session: Session, *, section_id: int, title: str, actor_id: int | None) -> SectionRead:
    """Change a section's heading."""
    section = _get_section(session, section_id)
    text = _clean_title(title)
    if text != section.title:
        _audit(session, actor_id, section, "renamed", "title", old=section.title, new=text)
        section.title = text
        session.add(section)
        session.flush()
    return SectionRead(id=section.id, title=section.title, position=section.position)


def move_section(session: Session, *, section_id: int, direction: Direction, actor_id: int | None) -> FormRead:
    """Move a section (with its fields) one place up or down."""
    section = _get_section(session, section_id)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    sections = _sections(session, section.kind)
    index = sections.index(section)
    other = index + (-1 if direction == "up" else 1)
    if 0 <= other < len(sections):
        before = section.position
        sections[index], sections[other] = sections[other], sections[index]
        _renumber(session, sections)
        _audit(session, actor_id, section, "moved", "position", old=before, new=section.position)
        session.flush()
    return form_for(session, kind=section.kind, include_inactive=True)


def delete_section(session: Session, *, section_id: int, actor_id: int | None) -> FormRead:
    """Remove a section heading; its fields move, in order, to the end of the untitled group."""
    section = _get_section(session, section_id)
    kind = section.kind
    loose = _group(session, kind, None)
    moved = _group(session, kind, section.id)
    for row in moved:
        row.section_id = None
        _touch(session, row)
    _renumber(session, loose + moved)
    session.flush()
    _audit(session, actor_id, section, "deleted", "title", old=section.title, new=[row.key for row in moved])
    session.delete(section)
    session.flush()
    return form_for(session, kind=kind, include_inactive=True)


# ---------------------------------------------------------------- choices


def _choice_field(session: Session, field_id: int) -> FieldDefinition:
    row = _get_custom_field(session, field_id)
    if not _field_type(row).has_choices:
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
    choices = _choices(row)
    text = _clean_label(label)
    if any(c.label.casefold() == text.casefold() for c in choices):
        raise ValidationError(f"“{text}” is already in the list.", field="label")
    if len(choices) >= CHOICE_LIMIT:
        raise ValidationError(f"A field has at most {CHOICE_LIMIT} options.", field="label")
    choice = Choice(slugify_key(text, {c.id for c in choices}, reserved=False), text, True)
    _set_choices(row, [*choices, choice])
    _touch(session, row)
    _audit(session, actor_id, row, "choice_added", "options", new={"id": choice.id, "label": text})
    session.flush()
    return field_read(row)


def rename_choice(session: Session, *, field_id: int, choice_id: str, label: str, actor_id: int | None) -> FieldRead:
    """Rename an option; contacts keep it, since they store its id."""
    row = _choice_field(session, field_id)
    choices = _choices(row)
    index = _choice_index(choices, choice_id)
    text = _clean_label(label)
    if any(c.label.casefold() == text.casefold() and c.id != choice_id for c in choices):
        raise ValidationError(f"“{text}” is already in the list.", field="label")
    old = choices[index].label
    if old != text:
        choices[index] = Choice(choice_id, text, choices[index].active)
        _set_choices(row, choices)
        _touch(session, row)
        _audit(session, actor_id, row, "choice_renamed", f"options.{choice_id}", old=old, new=text)
        session.flush()
        if row.searchable:
            reindex_custom_field(session, key=row.key)
    return field_read(row)


def move_choice(
    session: Session, *, field_id: int, choice_id: str, direction: Direction, actor_id: int | None
) -> FieldRead:
    """Move an option one place up or down in the list."""
    row = _choice_field(session, field_id)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    choices = _choices(row)
    index = _choice_index(choices, choice_id)
    other = index + (-1 if direction == "up" else 1)
    if 0 <= other < len(choices):
        before = [c.id for c in choices]
        choices[index], choices[other] = choices[other], choices[index]
        _set_choices(row, choices)
        _touch(session, row)
        _audit(session, actor_id, row, "choice_moved", "options", old=before, new=[c.id for c in choices])
        session.flush()
    return field_read(row)


def set_choice_active(
    session: Session, *, field_id: int, choice_id: str, active: bool, actor_id: int | None
) -> FieldRead:
    """Offer an option again or stop offering it; contacts that have it keep it."""
    row = _choice_field(session, field_id)
    choices = _choices(row)
    index = _choice_index(choices, choice_id)
    if choices[index].active != bool(active):
        choices[index] = Choice(choice_id, choices[index].label, bool(active))
        _set_choices(row, choices)
        _touch(session, row)
        kind = "choice_activated" if active else "choice_deactivated"
        _audit(session, actor_id, row, kind, f"options.{choice_id}", old=not active, new=bool(active))
        session.flush()
    return field_read(row)


# ---------------------------------------------------------------- stored values in Contact.custom


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _json_path(key: str) -> str:
    return f'$."{key}"'


def _has_value(session: Session, key: str) -> Any:
    """SQL condition: the contact's custom JSON holds a non-null value under ``key``."""
    if _dialect(session) == "postgresql":
        return func.json_typeof(Contact.custom.op("->")(literal(key, String))) != "null"
    return func.json_type(Contact.custom, _json_path(key)) != "null"


def _owner_kinds(session: Session, row: FieldDefinition) -> list[str]:
    """The contact kinds whose ``custom[key]`` belongs to this field.

    Its own kind, and the other kind too when that form has no field with the same key (values kept hidden
    after a conversion still belong to this field).
    """
    other = _other_kind(row.kind)
    shared = session.exec(
        select(FieldDefinition.id).where(FieldDefinition.kind == other, FieldDefinition.key == row.key)
    ).first()
    return [row.kind] if shared is not None else [row.kind, other]


def _value_batches(session: Session, row: FieldDefinition, batch_size: int | None = None) -> Iterator[list[Any]]:
    """(contact id, value) pairs of every contact holding a value for this field, in batches by id."""
    batch_size = batch_size or SCAN_BATCH
    condition = [Contact.kind.in_(_owner_kinds(session, row)), _has_value(session, row.key)]
    last_id = 0
    while True:
        rows = session.exec(
            select(Contact.id, Contact.custom[row.key])
            .where(*condition, Contact.id > last_id)
            .order_by(Contact.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def count_values(session: Session, *, field_id: int) -> int:
    """How many contacts hold a value for this field (shown before deleting it)."""
    row = _get_field(session, field_id)
    if row.builtin:
        return 0
    stmt = (
        select(func.count())
        .select_from(Contact)
        .where(Contact.kind.in_(_owner_kinds(session, row)), _has_value(session, row.key))
    )
    return int(session.exec(stmt).one())


def _expire_contacts(session: Session) -> None:
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Contact):
            session.expire(obj)


def _set_value_statement(session: Session, key: str) -> Any:
    table = Contact.__table__
    value = bindparam("value", type_=String)
    if _dialect(session) == "postgresql":
        merged = cast(table.c.custom, JSONB).op("||")(func.jsonb_build_object(key, cast(value, JSONB)))
        new_custom = cast(merged, JSON)
    else:
        new_custom = func.json_set(table.c.custom, _json_path(key), func.json(value))
    return (
        sql_update(table)
        .where(table.c.id == bindparam("contact_id"))
        .values(custom=new_custom, version=table.c.version + 1)
    )


def _remove_key(session: Session, row: FieldDefinition) -> int:
    table = Contact.__table__
    if _dialect(session) == "postgresql":
        new_custom = cast(cast(table.c.custom, JSONB).op("-")(literal(row.key, String)), JSON)
        present = func.json_typeof(table.c.custom.op("->")(literal(row.key, String))).is_not(None)
    else:
        new_custom = func.json_remove(table.c.custom, _json_path(row.key))
        present = func.json_type(table.c.custom, _json_path(row.key)).is_not(None)
    stmt = (
        sql_update(table)
        .where(table.c.kind.in_(_owner_kinds(session, row)), present)
        .values(custom=new_custom, version=table.c.version + 1)
    )
    count = session.exec(stmt).rowcount
    _expire_contacts(session)
    return int(count or 0)


# ---------------------------------------------------------------- type changes


def _target_choices(row: FieldDefinition, labels: list[str] | None) -> list[Choice]:
    choices = _choices(row)
    for label in labels or []:
        if not (label or "").strip():
            continue
        text = _clean_label(label, field="choices")
        if not any(c.label.casefold() == text.casefold() for c in choices):
            choices.append(Choice(slugify_key(text, {c.id for c in choices}, reserved=False), text, True))
    return choices


def check_type_change(
    session: Session, *, field_id: int, new_type: str, choices: list[str] | None = None
) -> TypeChangeCheck:
    """Scan the stored values (in batches) and say how many would not convert to ``new_type``, with examples."""
    row = _get_custom_field(session, field_id)
    target = get_type(new_type)
    source = _field_type(row)
    region = _region(session)
    old_choices, new_choices = _choices(row), _target_choices(row, choices)
    total = failing = 0
    examples: list[str] = []
    for batch in _value_batches(session, row):
        for _contact_id, value in batch:
            total += 1
            try:
                convert_value(value, source, target, region=region, choices=old_choices, new_choices=new_choices)
            except CannotConvert:
                failing += 1
                if len(examples) < EXAMPLE_LIMIT:
                    examples.append(source.format(value, "en", region=region, choices=old_choices))
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
    row = _get_custom_field(session, field_id)
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
    source = _field_type(row)
    region = _region(session)
    old_choices, new_choices = _choices(row), _target_choices(row, choices)
    statement = _set_value_statement(session, row.key)
    converted = 0
    for batch in _value_batches(session, row):
        params = []
        for contact_id, value in batch:
            new_value = convert_value(
                value, source, target, region=region, choices=old_choices, new_choices=new_choices
            )
            if new_value != value or type(new_value) is not type(value):
                params.append({"contact_id": contact_id, "value": json.dumps(new_value)})
        if params:
            session.exec(statement, params=params)
            converted += len(params)
    _expire_contacts(session)
    before = _snapshot(row)
    if new_choices != old_choices:
        _set_choices(row, new_choices)
    if row.default_value is not None:
        try:
            row.default_value = convert_value(
                row.default_value, source, target, region=region, choices=old_choices, new_choices=new_choices
            )
        except CannotConvert:
            row.default_value = None
    row.type = target.key
    _touch(session, row)
    session.flush()
    # The search rows hold the values' words (searchable fields) and, on SQLite, their filter tokens.
    reindex_custom_field(session, key=row.key)
    _audit(session, actor_id, row, "type_changed", "type", old=before, new={**_snapshot(row), "converted": converted})
    return field_read(row)


# ---------------------------------------------------------------- delete


def delete_field(session: Session, *, field_id: int, actor_id: int | None, confirm: bool = False) -> FieldDeletion:
    """Without ``confirm``: count the contacts holding a value (no change). With it: remove the values and the field."""
    row = _get_field(session, field_id)
    if row.builtin:
        raise ValidationError("Built-in fields cannot be deleted; hide them instead.")
    holding = count_values(session, field_id=field_id)
    if not confirm:
        return FieldDeletion(field_id=row.id, label=row.label, contacts_with_value=holding, deleted=False)
    indexed = custom_value_holders(session, key=row.key) if row.searchable else []
    removed = _remove_key(session, row)
    _audit(session, actor_id, row, "deleted", old=_snapshot(row), new={"values_removed": removed})
    kind, section_id, label = row.kind, row.section_id, row.label
    session.delete(row)
    session.flush()
    _renumber(session, _group(session, kind, section_id))
    session.flush()
    reindex_contacts(session, contact_ids=indexed)
    return FieldDeletion(field_id=field_id, label=label, contacts_with_value=removed, deleted=True)


# ---------------------------------------------------------------- contact values


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
    _check_kind(kind)
    values = values if isinstance(values, dict) else {}
    if len(values) > MAX_VALUES:
        return dict(existing or {}), {"custom": TOO_MANY_VALUES_MESSAGE}
    stored = dict(existing or {})
    creating = existing is None
    active = {key: row for key, row in _definitions_by_kind(session).get(kind, {}).items() if row.active}
    region = _region(session)
    cleaned: dict[str, Any] = {key: value for key, value in stored.items() if key not in active}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        if key in active:
            continue
        if (key in stored and _same(raw, stored[key])) or is_empty(raw) or raw is False:
            continue
        errors[f"custom.{key}"] = NOT_ON_FORM_MESSAGE
    for key, row in active.items():
        field_type = _field_type(row)
        held = stored.get(key)
        if key in values:
            keep = set(held if isinstance(held, list) else [held]) if held is not None else set()
            choices = [Choice(c.id, c.label, c.active or c.id in keep) for c in _choices(row)]
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
    region = _region(session)
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if _same(before, after):
            continue
        row = definitions.get(kind, {}).get(key) or definitions.get(_other_kind(kind), {}).get(key)
        if row is None:
            changes.append((key, json.dumps(before), json.dumps(after)))
            continue
        field_type, choices = _field_type(row), _choices(row)
        changes.append(
            (
                key,
                field_type.format(before, locale, region=region, choices=choices),
                field_type.format(after, locale, region=region, choices=choices),
            )
        )
    return changes


def custom_display(session: Session, *, kind: str, custom: dict[str, Any] | None, locale: str = "en") -> dict[str, str]:
    """The shown custom values of a contact formatted for people in ``locale`` (key -> text), in form order."""
    region = _region(session)
    section_order = {section.id: index for index, section in enumerate(_sections(session, kind))}
    rows = sorted(
        (row for row in _fields(session, kind) if not row.builtin and row.active),
        key=lambda row: (section_order.get(row.section_id, -1), row.position, row.id),
    )
    values = custom or {}
    return {
        row.key: _field_type(row).format(values[row.key], locale, region=region, choices=_choices(row))
        for row in rows
        if values.get(row.key) is not None
    }


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
            hidden.append(_label_for(key, definitions, [kind, _other_kind(kind)]))
    return shown, hidden


def hidden_values_after_conversion(
    session: Session, *, contact_custom: dict[str, Any] | None, to_kind: str, from_kind: str | None = None
) -> list[str]:
    """Labels of the custom values that the ``to_kind`` form will not show (they stay stored, hidden).

    A value stays visible when ``to_kind`` has a shown field with the same key (both forms then share the field
    and its type). With ``from_kind``, only values that are visible now are reported.
    """
    _check_kind(to_kind)
    definitions = _definitions_by_kind(session)
    labels: list[str] = []
    source_kind = from_kind or _other_kind(to_kind)
    for key, value in (contact_custom or {}).items():
        if value is None:
            continue
        if from_kind is not None and not _visible(definitions.get(from_kind, {}).get(key)):
            continue
        if not _visible(definitions.get(to_kind, {}).get(key)):
            labels.append(_label_for(key, definitions, [source_kind, to_kind]))
    return labels


def field_history(session: Session, *, field_id: int | None = None, limit: int = 200) -> list[HistoryEntry]:
    """The audit lines of the form definitions (or of one field), newest first: the definitions' versions."""
    limit = max(1, min(int(limit), 1000))
    stmt = (
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.entity.in_((ENTITY, SECTION_ENTITY)))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if field_id is not None:
        stmt = stmt.where(AuditEntry.entity == ENTITY, AuditEntry.entity_id == field_id)
    return [
        HistoryEntry(
            id=entry.id,
            at=as_utc(entry.at),
            actor_name=name or email or "",
            kind=entry.kind,
            field=entry.field,
            old="" if entry.old is None else json.dumps(entry.old, ensure_ascii=False, sort_keys=True),
            new="" if entry.new is None else json.dumps(entry.new, ensure_ascii=False, sort_keys=True),
        )
        for entry, name, email in session.exec(stmt).all()
    ]


@dataclass(frozen=True)
class FormChange:
    """One change of a form's definition, for the builder's history: who, when, what and from what to what."""

    id: int
    at: datetime
    actor_name: str
    entity: str
    subject: str
    kind: str
    field: str
    old: Any
    new: Any


def _snapshot_of(entry: AuditEntry) -> dict[str, Any]:
    for value in (entry.old, entry.new):
        if isinstance(value, dict) and "kind" in value and "label" in value:
            return value
    return {}


def form_history(session: Session, *, kind: str, limit: int = 50) -> list[FormChange]:
    """The latest changes of ``kind``'s form (fields and sections), newest first, with what they are called.

    A deleted field is named from its snapshot; a deleted section's type is not recorded, so it shows on both.
    """
    _check_kind(kind)
    limit = max(1, min(int(limit), 200))
    stmt = (
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.entity.in_((ENTITY, SECTION_ENTITY)))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit * 4)
    )
    rows = session.exec(stmt).all()
    field_ids = {entry.entity_id for entry, _n, _e in rows if entry.entity == ENTITY}
    section_ids = {entry.entity_id for entry, _n, _e in rows if entry.entity == SECTION_ENTITY}
    fields = {
        row.id: (row.kind, row.label)
        for row in session.exec(select(FieldDefinition).where(FieldDefinition.id.in_(field_ids or {0})))
    }
    sections = {
        row.id: (row.kind, row.title)
        for row in session.exec(select(FormSection).where(FormSection.id.in_(section_ids or {0})))
    }
    for entry, _n, _e in rows:
        snapshot = _snapshot_of(entry) if entry.entity == ENTITY else {}
        if snapshot and entry.entity_id not in fields:
            fields[entry.entity_id] = (snapshot["kind"], snapshot["label"])
    changes: list[FormChange] = []
    for entry, name, email in rows:
        if entry.entity == ENTITY:
            owner, subject = fields.get(entry.entity_id, (None, ""))
        else:
            owner, subject = sections.get(entry.entity_id, (None, entry.old if isinstance(entry.old, str) else ""))
        if owner not in (kind, None):
            continue
        changes.append(
            FormChange(
                id=entry.id,
                at=as_utc(entry.at),
                actor_name=name or email or "",
                entity="section" if entry.entity == SECTION_ENTITY else "field",
                subject=subject,
                kind=entry.kind,
                field=entry.field,
                old=entry.old,
                new=entry.new,
            )
        )
        if len(changes) >= limit:
            break
    return changes
