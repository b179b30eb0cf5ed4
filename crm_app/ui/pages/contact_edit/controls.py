"""The editor's own controls: they read and write ``ContactEditState``, read-only without the edit permission."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.components.forms import field_error, field_label, option_select, required_mark
from crm_app.ui.state.contact_edit import ContactEditState, FormItem
from crm_app.ui.state.session import can

CAN_EDIT = can(Permission.CONTACTS_EDIT)


def field_note(key: rx.Var | str) -> rx.Component:
    """What is wrong with the field ``key``, and what a colleague changed in it meanwhile."""
    note = ContactEditState.remote_notes.get(key, "")
    return rx.fragment(
        field_error(ContactEditState.errors.get(key, "")),
        rx.cond(
            note,
            rx.text(rx.icon("users", size=12), " ", note, color_scheme="amber", size="1", class_name="remote-note"),
        ),
    )


def text_field(label: rx.Var, name: str, value: rx.Var, required: rx.Var | bool = False, **props) -> rx.Component:
    """A labelled text box bound to the form field ``name``."""
    return rx.vstack(
        field_label(label, f"f-{name}", required),
        rx.input(
            id=f"f-{name}",
            value=value,
            on_change=lambda v: ContactEditState.edit_field(name, v),
            width="100%",
            read_only=~CAN_EDIT,
            **props,
        ),
        field_note(name),
        spacing="1",
        width="100%",
    )


def section(title: rx.Var, *children: rx.Component, action: rx.Component | None = None) -> rx.Component:
    """A card with a heading, an optional action at its right, then ``children``."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="3", as_="h2"),
                rx.spacer(),
                action or rx.fragment(),
                width="100%",
                align="center",
            ),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def select_box(options: rx.Var, value: rx.Var, on_change, placeholder: rx.Var, id_: str, allow_empty: bool = True):
    """A select of ``options``; ``placeholder`` is the empty choice unless ``allow_empty`` is off."""
    return option_select(
        options,
        empty_label=placeholder if allow_empty else None,
        value=value,
        on_change=on_change,
        id=id_,
        disabled=~CAN_EDIT,
    )


def remove_button(label: rx.Var, on_click) -> rx.Component:
    """The red bin that removes one phone, e-mail or address (shown only to those who may edit)."""
    return rx.cond(
        CAN_EDIT,
        rx.icon_button(
            rx.icon("trash-2", size=16),
            variant="ghost",
            color_scheme="red",
            aria_label=label,
            on_click=on_click,
            class_name="touch-target",
        ),
    )


def add_button(label: rx.Var, on_click, id_: str) -> rx.Component:
    """The small button that adds a phone, an e-mail or an address (shown only to those who may edit)."""
    return rx.cond(
        CAN_EDIT,
        rx.button(rx.icon("plus", size=14), label, variant="soft", size="1", on_click=on_click, id=id_),
    )


def part_heading(item: FormItem, add: rx.Component) -> rx.Component:
    """The heading of a list part (phones, e-mails, addresses, memo) with its add button."""
    return rx.hstack(
        rx.cond(
            item.sub,
            rx.heading(item.label, required_mark(item.required), size="2", as_="h3"),
            rx.heading(item.label, required_mark(item.required), size="3", as_="h2"),
        ),
        rx.spacer(),
        add,
        width="100%",
        align="center",
    )
