"""A named list edited in place (choice lists, tags): the add box, the rows, the inline rename, counts and notices.

The state behind such a list has ``editing_id`` (the row being renamed), ``rename_error``, ``save_rename`` and
``cancel_rename``; each page brings its own row content and actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from crm_app.ui.components.forms import field_error, icon_action
from crm_app.ui.i18n import t
from crm_app.ui.styles import ROW_BORDER


def intro(text: str) -> rx.Component:
    """The short explanation under the page title."""
    return rx.text(t(text), size="2", color_scheme="gray", max_width="720px")


def add_form(input_id: str, button_id: str, placeholder: str, label: str, on_submit, error: rx.Var) -> rx.Component:
    """The box and button that add a name at the end of the list."""
    return rx.form(
        rx.flex(
            rx.input(
                name="name",
                id=input_id,
                placeholder=t(placeholder),
                auto_complete="off",
                max_length=120,
                flex="1",
                min_width="0",
            ),
            rx.button(rx.icon("plus", size=16), t(label), type="submit", id=button_id),
            gap="8px",
            align="center",
            width="100%",
        ),
        field_error(error, class_name="add-error"),
        on_submit=on_submit,
        width="100%",
    )


def _rename_form(value: rx.Var, on_submit, on_cancel, error: rx.Var) -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                name="name",
                default_value=value,
                id="rename-input",
                auto_focus=True,
                auto_complete="off",
                max_length=120,
                flex="1",
                min_width="0",
            ),
            rx.icon_button(rx.icon("check", size=16), type="submit", id="rename-save", aria_label=t("Save name")),
            rx.icon_button(
                rx.icon("x", size=16),
                type="button",
                variant="soft",
                color_scheme="gray",
                on_click=on_cancel,
                id="rename-cancel",
                aria_label=t("Cancel"),
            ),
            gap="6px",
            align="center",
            width="100%",
        ),
        field_error(error, class_name="rename-error"),
        on_submit=on_submit,
        width="100%",
    )


def list_row(left: rx.Component, right: rx.Component, class_name: str) -> rx.Component:
    """One row: its content at the left, its actions at the right."""
    return rx.flex(
        rx.box(left, flex="1", min_width="0"),
        right,
        align="center",
        gap="8px",
        padding="10px 4px",
        border_bottom=ROW_BORDER,
        width="100%",
        class_name=class_name,
    )


def empty_list(text: str) -> rx.Component:
    """What an empty list shows instead of rows."""
    return rx.center(rx.text(t(text), size="2", color_scheme="gray"), padding="24px", width="100%")


def usage_count(value: rx.Var, one: str, many: str) -> rx.Component:
    """How many phones or contacts use a row: "1 phone", "3 phones"."""
    return rx.text(
        value.to_string(), " ", rx.cond(value == 1, t(one), t(many)), size="1", color_scheme="gray", class_name="usage"
    )


def move_actions(row: Any, move: Callable) -> list[rx.Component]:
    """Move the row one place up or down (off at the ends)."""
    return [
        icon_action("arrow-up", "Move up", move(row.id, "up"), "move-up", disabled=row.first),
        icon_action("arrow-down", "Move down", move(row.id, "down"), "move-down", disabled=row.last),
    ]


def rename_action(row: Any, state: Any) -> rx.Component:
    """The pencil that opens the row's inline rename box."""
    return icon_action("pencil", "Rename", state.start_rename(row.id), "rename")


def name_or_rename(row: Any, state: Any, display: rx.Component) -> rx.Component:
    """The row's ``display``, or its rename box while it is being renamed."""
    return rx.cond(
        state.editing_id == row.id,
        _rename_form(row.name, state.save_rename, state.cancel_rename, state.rename_error),
        display,
    )


def unless_renaming(row: Any, state: Any, actions: rx.Component) -> rx.Component:
    """The row's actions, hidden while it is being renamed."""
    return rx.cond(state.editing_id == row.id, rx.fragment(), actions)
