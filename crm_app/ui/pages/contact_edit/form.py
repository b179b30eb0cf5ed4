"""The details column: the name card, the form in the order and cards the managers set for the type, the tags."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.addresses import addresses_part
from crm_app.ui.pages.contact_edit.custom_fields import custom_field_part
from crm_app.ui.pages.contact_edit.emails import emails_part
from crm_app.ui.pages.contact_edit.names import names_section
from crm_app.ui.pages.contact_edit.parts import (
    assigned_part,
    channel_part,
    discount_part,
    memo_part,
    registration_part,
    supplier_part,
)
from crm_app.ui.pages.contact_edit.phones import phones_part
from crm_app.ui.pages.contact_edit.tags import tags_section
from crm_app.ui.state.contact_edit import ContactEditState, FormCard, FormItem


def _form_item(item: FormItem) -> rx.Component:
    return rx.box(
        rx.match(
            item.key,
            ("phones", phones_part(item)),
            ("emails", emails_part(item)),
            ("addresses", addresses_part(item)),
            ("registration_no", registration_part(item)),
            ("assigned_user_id", assigned_part(item)),
            ("acquisition_channel_id", channel_part(item)),
            ("discount_percent", discount_part(item)),
            ("is_supplier", supplier_part(item)),
            ("memo", memo_part(item)),
            custom_field_part(item),
        ),
        grid_column=rx.cond(item.wide, "1 / -1", "auto"),
        min_width="0",
        class_name="form-part",
        custom_attrs={"data-part": item.key},
    )


def _form_card(card: FormCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(card.title, rx.heading(card.title, size="3", as_="h2", class_name="section-title")),
            rx.grid(
                rx.foreach(card.parts, _form_item),
                grid_template_columns="repeat(auto-fill, minmax(min(100%, 200px), 1fr))",
                gap="12px",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="form-card",
        custom_attrs={"data-section": card.title},
    )


def _form() -> rx.Component:
    """The contact's form in the order and sections the managers set for its type."""
    return rx.fragment(
        rx.foreach(ContactEditState.form_cards, _form_card),
        rx.cond(
            ContactEditState.hidden_custom.length() > 0,
            rx.callout(
                t("Kept but hidden for this type:") + " " + ContactEditState.hidden_custom.join(", "),
                icon="eye-off",
                color_scheme="gray",
                size="1",
                id="hidden-values",
            ),
        ),
        rx.cond(
            ContactEditState.kept_aside.length() > 0,
            rx.callout(
                rx.cond(
                    ContactEditState.kind == "person",
                    t("Not on the person form, so not saved; switch back to Organisation to get them again:"),
                    t("Not on the organisation form, so not saved; switch back to Person to get them again:"),
                )
                + " "
                + ContactEditState.kept_aside.join(", "),
                icon="archive",
                color_scheme="amber",
                size="1",
                id="kept-aside",
            ),
        ),
    )


def details() -> rx.Component:
    """The contact's name, its form and its tags."""
    return rx.vstack(names_section(), _form(), tags_section(), spacing="3", width="100%")
