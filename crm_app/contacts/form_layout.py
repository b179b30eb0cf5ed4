"""The contact form of one type as the editor lays it out: cards of built-in parts and custom fields, in the
manager's order, custom values as the form's inputs hold them, and the choices every form offers."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlmodel import Session

from crm_app.auth import service as auth_service
from crm_app.contacts import lists as contact_lists
from crm_app.contacts import service as contacts
from crm_app.contacts import tags as tag_service
from crm_app.contacts.schemas import BUILTIN_PHONE_TYPES
from crm_app.core.app_settings import get_settings
from crm_app.fields import definitions
from crm_app.fields.types import get_type, is_empty
from crm_app.i18n import _, translate


@dataclasses.dataclass
class Option:
    """A choice of a select box."""

    value: str
    label: str


@dataclasses.dataclass
class FormItem:
    """One part of the contact's form, built-in (phones, memo...) or custom, where the manager put it."""

    key: str
    builtin: bool
    label: str
    type: str
    help: str
    required: bool
    choices: list[Option]
    wide: bool = False
    sub: bool = False


@dataclasses.dataclass
class FormCard:
    """A card of the form: a section's heading and its parts, or one list (phones...) or a run of fields."""

    title: str
    parts: list[FormItem]


@dataclasses.dataclass
class FormLayout:
    """The form of one contact type: its sections (plain rows, cheap to keep in a tab) and its custom fields."""

    kind: str
    sections: list[dict[str, Any]]
    custom_types: dict[str, str]
    custom_defaults: dict[str, Any]


@dataclasses.dataclass
class EditorChoices:
    """What every contact form offers: phone types, channels, staff, tag colours, the account's region, the
    name of the Conflict tag (``conflict_tag`` is None when the system tag is missing)."""

    phone_types: list[Option]
    channels: list[Option]
    users: list[Option]
    tag_colors: dict[str, str]
    region: str
    conflict_tag: str | None


# The built-in parts as the contact file names them while the manager kept the default label.
BUILTIN_FORM_LABELS = {
    "phones": _("Phones"),
    "emails": _("E-mails"),
    "addresses": _("Addresses"),
    "registration_no": _("Registration number (company ID / VAT)"),
    "is_supplier": _("Supplier"),
    "acquisition_channel_id": _("How did they find us?"),
    "discount_percent": _("Personal discount (%)"),
    "assigned_user_id": _("Assigned to"),
    "memo": _("Memo"),
}
# Built-in parts that take a card of their own above the first section heading.
STANDALONE_PARTS = ("phones", "emails", "addresses", "memo")
WIDE_CUSTOM_TYPES = ("long_text", "multi_select")


def load_layout(session: Session, *, kind: str, locale: str) -> FormLayout:
    """Read the form of ``kind`` in the manager's order: built-in parts and custom fields, by section."""
    form = definitions.form_for(session, kind=kind)
    states = definitions.builtin_states(session, kind=kind)
    specs = definitions.BUILTIN_SPECS
    layout: list[dict[str, Any]] = []
    custom: list[Any] = []
    for section in form.sections:
        rows = []
        for f in section.fields:
            if f.builtin:
                if f.key not in specs or f.key not in BUILTIN_FORM_LABELS:
                    continue
                label = translate(locale, BUILTIN_FORM_LABELS[f.key]) if f.label == specs[f.key].label else f.label
                required = states[f.key].required if f.key in states else False
                rows.append(
                    {
                        "key": f.key,
                        "builtin": True,
                        "label": label,
                        "type": "builtin",
                        "help": "",
                        "required": required,
                        "choices": [],
                    }
                )
            else:
                custom.append(f)
                rows.append(
                    {
                        "key": f.key,
                        "builtin": False,
                        "label": f.label,
                        "type": f.type,
                        "help": f.help_text,
                        "required": f.required,
                        "choices": [[c.id, c.label, c.active] for c in f.choices],
                    }
                )
        if rows:
            layout.append({"title": section.title, "fields": rows})
    return FormLayout(
        kind=kind,
        sections=layout,
        custom_types={f.key: f.type for f in custom},
        custom_defaults={f.key: f.default_value for f in custom if f.default_value is not None},
    )


def editor_choices(session: Session, *, locale: str) -> EditorChoices:
    """The choices of the contact form (creating the system tags when missing)."""
    custom = contact_lists.list_phone_types(session)
    phone_types = [Option(value=k, label=translate(locale, k.capitalize())) for k in BUILTIN_PHONE_TYPES]
    channels = [Option(value=str(c.id), label=c.name) for c in contact_lists.list_channels(session)]
    users = [Option(value=str(u.id), label=u.name or u.email) for u in auth_service.list_users(session) if u.active]
    tag_colors = {tag.name: tag.color for tag in tag_service.list_tags(session)}
    region = get_settings(session).default_region
    system_tags = contacts.ensure_system_tags(session)
    return EditorChoices(
        phone_types=phone_types + [Option(value=p.name, label=p.name) for p in custom],
        channels=channels,
        users=users,
        tag_colors=tag_colors,
        region=region,
        conflict_tag=system_tags["conflict"].name if "conflict" in system_tags else None,
    )


def held_choices(custom: dict[str, Any] | None) -> dict[str, list[str]]:
    """The choices a contact's custom values hold (kept listed in the form even when no longer offered)."""
    return {
        key: [str(v) for v in (value if isinstance(value, list) else [value])]
        for key, value in (custom or {}).items()
        if value is not None
    }


def _item(row: dict[str, Any], *, sub: bool, held: dict[str, list[str]], locale: str) -> FormItem:
    """One part of the form; a choice no longer offered stays listed (marked) while this contact holds it."""
    kept = set(held.get(row["key"], []))
    inactive = translate(locale, "(inactive)")
    choices = [
        Option(value=choice_id, label=label if active else f"{label} {inactive}")
        for choice_id, label, active in row["choices"]
        if active or choice_id in kept
    ]
    wide = row["key"] in STANDALONE_PARTS if row["builtin"] else row["type"] in WIDE_CUSTOM_TYPES
    return FormItem(
        key=row["key"],
        builtin=row["builtin"],
        label=row["label"],
        type=row["type"],
        help=row["help"],
        required=row["required"],
        choices=choices,
        wide=wide,
        sub=sub,
    )


def build_cards(sections: list[dict[str, Any]], *, held: dict[str, list[str]], locale: str) -> list[FormCard]:
    """Cards in form order: each section under its heading; above the first heading, phones, e-mails,
    addresses and the memo each get a card and the fields between them share one."""
    cards: list[FormCard] = []
    run: list[FormItem] = []
    for section in sections:
        if section["title"]:
            if run:
                cards.append(FormCard(title="", parts=run))
                run = []
            parts = [_item(r, sub=True, held=held, locale=locale) for r in section["fields"]]
            cards.append(FormCard(title=section["title"], parts=parts))
            continue
        for row in section["fields"]:
            if row["builtin"] and row["key"] in STANDALONE_PARTS:
                if run:
                    cards.append(FormCard(title="", parts=run))
                    run = []
                cards.append(FormCard(title="", parts=[_item(row, sub=False, held=held, locale=locale)]))
            else:
                run.append(_item(row, sub=False, held=held, locale=locale))
    if run:
        cards.append(FormCard(title="", parts=run))
    return cards


def custom_labels(sections: list[dict[str, Any]]) -> dict[str, str]:
    """The label of each custom field of a layout, by key."""
    return {row["key"]: row["label"] for sec in sections for row in sec["fields"] if not row["builtin"]}


def custom_inputs(custom_types: dict[str, str], stored: dict[str, Any], *, locale: str) -> dict[str, Any]:
    """Stored custom values as the form holds them, keyed ``custom.<key>``."""
    out: dict[str, Any] = {}
    for key, type_ in custom_types.items():
        value = stored.get(key)
        if type_ == "checkbox":
            out[f"custom.{key}"] = bool(value)
        elif type_ == "multi_select":
            out[f"custom.{key}"] = list(value or [])
        elif type_ == "select":
            out[f"custom.{key}"] = "" if value is None else str(value)
        else:
            out[f"custom.{key}"] = "" if value is None else str(get_type(type_).input_value(value, locale))
    return out


def default_inputs(layout: FormLayout, *, exclude: set[str] = frozenset(), locale: str) -> dict[str, Any]:
    """The inputs of the custom fields that have a default value (except ``exclude``), as a new contact gets them."""
    defaults = {k: v for k, v in layout.custom_defaults.items() if k not in exclude}
    inputs = custom_inputs(layout.custom_types, defaults, locale=locale)
    return {name: value for name, value in inputs.items() if name.removeprefix("custom.") in defaults}


def switch_inputs(
    typed: dict[str, Any],
    aside: dict[str, dict[str, Any]],
    *,
    before: FormLayout,
    after: FormLayout,
    locale: str,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A new contact's form changes type: the inputs the new form starts with (its defaults, then what was typed or
    set aside for its fields) and the values it lacks, set aside (by key: label and value) to come back later."""
    labels = custom_labels(before.sections)
    aside = dict(aside)
    for key, value in typed.items():
        if not is_empty(value) and value is not False:
            aside[key] = {"label": labels.get(key, key), "value": value}
    inputs = {
        **default_inputs(after, exclude=set(before.custom_types), locale=locale),
        **{f"custom.{k}": v for k, v in typed.items() if k in after.custom_types},
        **{f"custom.{k}": entry["value"] for k, entry in aside.items() if k in after.custom_types},
    }
    return inputs, {k: entry for k, entry in aside.items() if k not in after.custom_types}
