"""One custom field of the form, its control chosen by its type."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_label, option_select
from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import CAN_EDIT, field_note
from crm_app.ui.state.contact_edit import ContactEditState, FormItem


def custom_field_part(f: FormItem) -> rx.Component:
    """A custom field: its label, the control of its type, its help and its error."""
    key = "custom." + f.key
    fid = "c-" + f.key
    text_value = ContactEditState.custom_text.get(f.key, "")
    on_text = lambda v: ContactEditState.edit_custom(f.key, v)  # noqa: E731
    control = rx.match(
        f.type,
        (
            "long_text",
            rx.text_area(value=text_value, on_change=on_text, id=fid, rows="3", width="100%", read_only=~CAN_EDIT),
        ),
        ("date", rx.input(type="date", value=text_value, on_change=on_text, id=fid, width="100%", read_only=~CAN_EDIT)),
        (
            "select",
            option_select(
                f.choices, empty_label=t("—"), value=text_value, on_change=on_text, id=fid, disabled=~CAN_EDIT
            ),
        ),
        (
            "multi_select",
            rx.flex(
                rx.foreach(
                    f.choices,
                    lambda o: rx.button(
                        o.label,
                        size="1",
                        type="button",
                        variant=rx.cond(
                            ContactEditState.custom_multi.get(f.key, []).contains(o.value), "solid", "outline"
                        ),
                        on_click=ContactEditState.toggle_custom_choice(f.key, o.value),
                        disabled=~CAN_EDIT,
                        class_name="choice-chip",
                    ),
                ),
                gap="6px",
                wrap="wrap",
                id=fid,
            ),
        ),
        (
            "checkbox",
            rx.checkbox(
                checked=ContactEditState.custom_check.get(f.key, False),
                on_change=lambda v: ContactEditState.edit_custom_check(f.key, v),
                id=fid,
                disabled=~CAN_EDIT,
            ),
        ),
        rx.input(
            value=text_value,
            on_change=on_text,
            id=fid,
            width="100%",
            read_only=~CAN_EDIT,
            input_mode=rx.match(
                f.type,
                ("number", "numeric"),
                ("decimal", "decimal"),
                ("phone", "tel"),
                ("email", "email"),
                ("url", "url"),
                "text",
            ),
        ),
    )
    return rx.vstack(
        field_label(f.label, fid, f.required),
        control,
        rx.cond(f.help, rx.text(f.help, size="1", color_scheme="gray")),
        field_note(key),
        spacing="1",
        width="100%",
        class_name="custom-field",
    )
