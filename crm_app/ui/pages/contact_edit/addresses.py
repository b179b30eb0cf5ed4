"""The addresses part of the form: one block per address, the main one marked."""

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
from crm_app.ui.state.contact_edit import AddressForm, ContactEditState, FormItem


def _addr_input(a: AddressForm, i: rx.Var, key: str, label: str, flex: str = "1", min_w: str = "140px"):
    return rx.box(
        rx.input(
            value=getattr(a, key),
            on_change=lambda v: ContactEditState.edit_address(i, key, v),
            placeholder=t(label),
            aria_label=t(label),
            width="100%",
            read_only=~CAN_EDIT,
            class_name=f"address-{key}",
        ),
        field_note("addresses." + i.to_string() + "." + key),
        flex=flex,
        min_width=min_w,
    )


def _address_block(a: AddressForm, i: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                rx.hstack(
                    rx.radio_group.root(
                        rx.radio_group.item(value="main"),
                        value=rx.cond(a.is_main, "main", ""),
                        on_change=lambda _v: ContactEditState.make_main_address(i),
                        disabled=~CAN_EDIT,
                    ),
                    t("Main address"),
                    spacing="1",
                    align="center",
                ),
                as_="label",
                size="1",
                class_name="address-main",
            ),
            rx.cond(a.is_main, rx.badge(t("Main"), color_scheme="green")),
            rx.spacer(),
            rx.cond(
                a.map_url,
                rx.link(
                    rx.hstack(rx.icon("map-pin", size=14), t("Show on map"), spacing="1"),
                    href=a.map_url,
                    is_external=True,
                    size="1",
                ),
            ),
            remove_button(t("Remove address"), ContactEditState.remove_address(i)),
            width="100%",
            align="center",
        ),
        rx.flex(
            _addr_input(a, i, "label", "Label (e.g. Home, Site)"),
            _addr_input(a, i, "line1", "Street", "2"),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.flex(
            _addr_input(a, i, "line2", "Street, line 2", "2"),
            _addr_input(a, i, "postcode", "Postcode", "1", "90px"),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.flex(
            _addr_input(a, i, "city", "City"),
            _addr_input(a, i, "region", "Region"),
            _addr_input(a, i, "country", "Country (FR, PL…)", "1", "90px"),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        spacing="2",
        width="100%",
        class_name="address-block",
        padding_bottom="8px",
        border_bottom=f"1px dashed {rx.color('gray', 5)}",
    )


def addresses_part(item: FormItem) -> rx.Component:
    """The addresses part: its heading with Add address, then one block per address."""
    return rx.vstack(
        part_heading(item, add_button(t("Add address"), ContactEditState.add_address, "add-address")),
        field_note("addresses"),
        rx.foreach(ContactEditState.addresses, _address_block),
        spacing="3",
        width="100%",
    )
