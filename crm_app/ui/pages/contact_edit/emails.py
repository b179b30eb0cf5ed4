"""The e-mails part of the form: address and consent per e-mail."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import (
    CAN_EDIT,
    add_button,
    field_note,
    part_heading,
    remove_button,
)
from crm_app.ui.state.contact_edit import ContactEditState, EmailForm, FormItem


def _email_row(email: EmailForm, i: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.box(
                rx.input(
                    value=email.address,
                    on_change=lambda v: ContactEditState.edit_email(i, "address", v),
                    type="email",
                    placeholder="name@example.com",
                    width="100%",
                    class_name="email-address",
                    read_only=~CAN_EDIT,
                    aria_label=t("E-mail"),
                ),
                flex="1",
                min_width="200px",
            ),
            rx.text(
                rx.hstack(
                    rx.checkbox(
                        checked=email.email_ok,
                        on_change=lambda v: ContactEditState.edit_email(i, "email_ok", v),
                        disabled=~CAN_EDIT,
                    ),
                    t("Agrees to receive e-mails"),
                    spacing="1",
                    align="center",
                ),
                as_="label",
                size="1",
            ),
            rx.cond(
                email.address,
                rx.link(
                    rx.icon_button(rx.icon("mail", size=16), variant="soft", aria_label=t("Write")),
                    href="mailto:" + email.address,
                ),
            ),
            remove_button(t("Remove e-mail"), ContactEditState.remove_email(i)),
            gap="8px",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        field_note("emails." + i.to_string() + ".address"),
        spacing="1",
        width="100%",
    )


def emails_part(item: FormItem) -> rx.Component:
    """The e-mails part: its heading with Add e-mail, then one row per e-mail."""
    return rx.vstack(
        part_heading(item, add_button(t("Add e-mail"), ContactEditState.add_email, "add-email")),
        field_note("emails"),
        rx.foreach(ContactEditState.emails, _email_row),
        spacing="3",
        width="100%",
    )
