"""The phones part of the form: number, type, channel consents and one-tap links per phone."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import (
    CAN_EDIT,
    add_button,
    field_note,
    part_heading,
    remove_button,
    select_box,
)
from crm_app.ui.state.contact_edit import ContactEditState, FormItem, PhoneForm


def _consent(label: str, checked: rx.Var, index: rx.Var, key: str) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.checkbox(
                checked=checked,
                on_change=lambda v: ContactEditState.edit_phone(index, key, v),
                disabled=~CAN_EDIT,
                class_name=f"consent-{key}",
            ),
            t(label),
            spacing="1",
            align="center",
        ),
        as_="label",
        size="1",
    )


def _phone_row(phone: PhoneForm, i: rx.Var) -> rx.Component:
    key = "phones." + i.to_string() + ".number"
    return rx.vstack(
        rx.flex(
            rx.box(
                rx.input(
                    value=phone.number,
                    on_change=lambda v: ContactEditState.edit_phone(i, "number", v),
                    type="tel",
                    placeholder=t("Phone number"),
                    width="100%",
                    class_name="phone-number",
                    read_only=~CAN_EDIT,
                    aria_label=t("Phone number"),
                ),
                flex="1",
                min_width="0",
            ),
            rx.box(
                select_box(
                    ContactEditState.phone_types,
                    phone.type,
                    lambda v: ContactEditState.edit_phone(i, "type", v),
                    "",
                    "phone-type",
                    allow_empty=False,
                ),
                width="112px",
                flex_shrink="0",
            ),
            rx.cond(
                phone.tel_link,
                rx.el.a(
                    rx.icon("phone", size=18),
                    href=phone.tel_link,
                    aria_label=t("Call"),
                    class_name="quick-action icon-only phone-call",
                ),
            ),
            gap="8px",
            align="center",
            width="100%",
        ),
        field_note(key),
        rx.flex(
            _consent("WhatsApp", phone.whatsapp, i, "whatsapp"),
            _consent("Viber", phone.viber, i, "viber"),
            _consent("SMS", phone.sms, i, "sms"),
            rx.cond(phone.whatsapp_link, rx.link("WhatsApp ↗", href=phone.whatsapp_link, size="1", is_external=True)),
            rx.cond(phone.viber_link, rx.link("Viber ↗", href=phone.viber_link, size="1")),
            rx.cond(phone.sms_link, rx.link("SMS ↗", href=phone.sms_link, size="1")),
            rx.box(
                remove_button(t("Remove phone"), ContactEditState.remove_phone(i)),
                margin_left="auto",
                class_name="phone-remove",
            ),
            gap="8px 12px",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        spacing="4",
        width="100%",
        class_name="phone-row",
        padding_bottom="8px",
        border_bottom=f"1px dashed {rx.color('gray', 5)}",
    )


def phones_part(item: FormItem) -> rx.Component:
    """The phones part: its heading with Add phone, then one row per phone."""
    return rx.vstack(
        part_heading(item, add_button(t("Add phone"), ContactEditState.add_phone, "add-phone")),
        field_note("phones"),
        rx.foreach(ContactEditState.phones, _phone_row),
        spacing="3",
        width="100%",
    )
