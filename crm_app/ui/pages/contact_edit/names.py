"""The client name card: first and last name or company name, and the switch to the other kind."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import CAN_EDIT, section, text_field
from crm_app.ui.state.contact_edit import ContactEditState


def names_section() -> rx.Component:
    """The client name card, with the switch to the other kind for those who may edit."""
    return section(
        t("Client name"),
        rx.cond(
            ContactEditState.kind == "person",
            rx.flex(
                rx.box(
                    text_field(t("First name"), "first_name", ContactEditState.first_name, auto_complete="off"),
                    flex="1",
                    min_width="180px",
                ),
                rx.box(
                    text_field(t("Last name"), "last_name", ContactEditState.last_name, auto_complete="off"),
                    flex="1",
                    min_width="180px",
                ),
                gap="12px",
                wrap="wrap",
                width="100%",
            ),
            text_field(t("Company name"), "company_name", ContactEditState.company_name, auto_complete="off"),
        ),
        action=rx.cond(
            CAN_EDIT,
            rx.button(
                rx.icon("repeat", size=14),
                rx.cond(ContactEditState.kind == "person", t("Convert to organisation"), t("Convert to person")),
                variant="ghost",
                size="1",
                on_click=ContactEditState.ask_convert,
                id="convert-kind",
            ),
        ),
    )
