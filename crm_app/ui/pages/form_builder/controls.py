"""The form builder's own controls: the field flags and their switches, the type select, the default-value box."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import option_select
from crm_app.ui.i18n import t
from crm_app.ui.state.form_builder import TYPE_OPTIONS
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE, ROW_BORDER

FLAG_LABELS: tuple[tuple[str, str, str], ...] = (
    ("required", "Required", "A contact cannot be saved without it."),
    ("show_in_list", "List column", "Offered as a column of the contact list."),
    ("searchable", "Searchable", "The contact search looks into it."),
    ("on_web_form", "Public web form", "Asked on the public lead form."),
)
FLAG_IDS = {"required": "required", "show_in_list": "list", "searchable": "searchable", "on_web_form": "web"}


def switch_row(label: str, hint: str, checked: rx.Var, on_change, id_: str, disabled=False):
    """A switch with its label and hint, on a row of its own."""
    return rx.flex(
        rx.vstack(
            rx.text(t(label), as_="label", html_for=id_, size="2"),
            rx.text(t(hint), size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.switch(checked=checked, on_change=on_change, id=id_, name=id_, disabled=disabled),
        align="center",
        gap="12px",
        padding="8px 0",
        border_bottom=ROW_BORDER,
        width="100%",
    )


def type_select(**props) -> rx.Component:
    """The select of the field types."""
    return rx.el.select(
        *[rx.el.option(t(option.label), value=option.value) for option in TYPE_OPTIONS],
        style=FULL_WIDTH_SELECT_STYLE,
        **props,
    )


def default_control(type_: rx.Var, id_: str, value: rx.Var | str, choices: rx.Var | None = None) -> rx.Component:
    """The default-value box fitting the field type (uncontrolled: read when the form is submitted)."""
    text_box = rx.input(
        name="default_value",
        id=id_,
        default_value=value,
        placeholder=rx.cond(
            type_ == "multi_select",
            t("Option names separated by commas"),
            rx.cond(type_ == "select", t("Name of one option"), t("Leave empty for no default")),
        ),
        max_length=500,
        auto_complete="off",
        width="100%",
    )
    checkbox = rx.el.select(
        rx.el.option(t("No default"), value=""),
        rx.el.option(t("Ticked"), value="yes"),
        rx.el.option(t("Not ticked"), value="no"),
        name="default_value",
        id=id_,
        default_value=value,
        style=FULL_WIDTH_SELECT_STYLE,
    )
    date_box = rx.input(name="default_value", id=id_, type="date", default_value=value, width="100%")
    typed = rx.cond(type_ == "date", date_box, text_box)
    if choices is not None:
        typed = rx.cond(
            type_ == "select",
            option_select(choices, empty_label="No default", name="default_value", id=id_, default_value=value),
            typed,
        )
    return rx.cond(type_ == "checkbox", checkbox, typed)
