"""The built-in single-value parts of the form: registration number, assignee, campaign, discount, supplier, memo."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_label
from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import CAN_EDIT, field_note, part_heading, select_box, text_field
from crm_app.ui.state.contact_edit import ContactEditState, FormItem


def registration_part(item: FormItem) -> rx.Component:
    """The registration number of an organisation."""
    return text_field(item.label, "registration_no", ContactEditState.registration_no, item.required)


def assigned_part(item: FormItem) -> rx.Component:
    """The staff member the contact is assigned to."""
    return rx.vstack(
        field_label(item.label, "f-assigned", item.required),
        select_box(
            ContactEditState.users,
            ContactEditState.assigned_user_id,
            lambda v: ContactEditState.edit_field("assigned_user_id", v),
            t("Nobody"),
            "f-assigned",
        ),
        field_note("assigned_user_id"),
        spacing="1",
        width="100%",
    )


def channel_part(item: FormItem) -> rx.Component:
    """The campaign the contact came from ("How did they find us?")."""
    return rx.vstack(
        field_label(item.label, "f-channel", item.required),
        select_box(
            ContactEditState.channels,
            ContactEditState.acquisition_channel_id,
            lambda v: ContactEditState.edit_field("acquisition_channel_id", v),
            t("Not known"),
            "f-channel",
        ),
        field_note("acquisition_channel_id"),
        spacing="1",
        width="100%",
    )


def discount_part(item: FormItem) -> rx.Component:
    """The contact's personal discount in percent."""
    return text_field(
        item.label, "discount_percent", ContactEditState.discount_percent, item.required, input_mode="decimal"
    )


def supplier_part(item: FormItem) -> rx.Component:
    """The switch that marks the contact as a supplier."""
    return rx.text(
        rx.hstack(
            rx.switch(
                checked=ContactEditState.is_supplier,
                on_change=lambda v: ContactEditState.edit_field("is_supplier", v),
                disabled=~CAN_EDIT,
                id="f-supplier",
            ),
            rx.icon("truck", size=16),
            item.label,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def memo_part(item: FormItem) -> rx.Component:
    """The memo: free notes about the client."""
    return rx.vstack(
        part_heading(item, rx.fragment()),
        rx.text_area(
            value=ContactEditState.memo,
            on_change=lambda v: ContactEditState.edit_field("memo", v),
            rows="5",
            width="100%",
            id="f-memo",
            read_only=~CAN_EDIT,
            placeholder=t("Notes about this client"),
            aria_label=item.label,
        ),
        field_note("memo"),
        spacing="3",
        width="100%",
    )
