"""The identity panel: avatar, name, kind, archived banner, one-tap actions, reference and dates."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.markers import contact_name
from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import CAN_EDIT
from crm_app.ui.state.contact_edit import ContactEditState


def _quick_action(icon: str, label: rx.Var, href: rx.Var, id_: str, *, external: bool = False) -> rx.Component:
    return rx.cond(
        href,
        rx.el.a(
            rx.icon(icon, size=18),
            rx.text(label, size="2", weight="medium"),
            href=href,
            target="_blank" if external else None,
            rel="noopener noreferrer" if external else None,
            class_name="quick-action",
            id=id_,
        ),
    )


def _quick_actions() -> rx.Component:
    """One tap to call, message on a channel the contact agreed to, or get directions to the main address."""
    return rx.cond(
        ContactEditState.quick_call | ContactEditState.quick_directions,
        rx.flex(
            _quick_action("phone", t("Call"), ContactEditState.quick_call, "quick-call"),
            _quick_action(
                "message-square", t("Message"), ContactEditState.quick_message, "quick-message", external=True
            ),
            _quick_action(
                "map-pin", t("Directions"), ContactEditState.quick_directions, "quick-directions", external=True
            ),
            gap="8px",
            wrap="wrap",
            width="100%",
            id="quick-actions",
        ),
    )


def identity_card() -> rx.Component:
    """The identity panel at the left (on top on a phone)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.box(
                    rx.avatar(fallback=ContactEditState.initials, size="4", radius="full"),
                    flex_shrink="0",
                    id="contact-avatar",
                ),
                rx.vstack(
                    contact_name(
                        ContactEditState.title,
                        ContactEditState.is_supplier,
                        ContactEditState.is_conflict,
                        ContactEditState.archived,
                        size="4",
                        weight="bold",
                        wrap=True,
                        as_="h1",
                    ),
                    rx.text(
                        rx.cond(ContactEditState.kind == "person", t("Person"), t("Organisation")),
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    min_width="0",
                    flex="1",
                ),
                align="center",
                width="100%",
            ),
            rx.cond(
                ContactEditState.archived,
                rx.callout(
                    t("This contact is archived."), icon="archive", color_scheme="amber", size="1", id="archived-banner"
                ),
            ),
            _quick_actions(),
            rx.button(
                rx.icon(rx.cond(ContactEditState.show_details, "chevron-up", "chevron-down"), size=16),
                t("Reference, assignee, dates"),
                variant="ghost",
                color_scheme="gray",
                on_click=ContactEditState.toggle_details,
                class_name="phone-only touch-target",
                id="toggle-details",
            ),
            rx.data_list.root(
                rx.data_list.item(
                    rx.data_list.label(t("Reference")),
                    rx.data_list.value(
                        rx.cond(ContactEditState.reference, ContactEditState.reference, t("(on save)")), id="reference"
                    ),
                ),
                rx.cond(
                    ContactEditState.registration_no,
                    rx.data_list.item(
                        rx.data_list.label(t("Registration number")),
                        rx.data_list.value(ContactEditState.registration_no, id="identity-registration"),
                    ),
                ),
                rx.data_list.item(
                    rx.data_list.label(t("Assigned to")),
                    rx.data_list.value(
                        rx.cond(ContactEditState.assigned_name, ContactEditState.assigned_name, "—"),
                        id="identity-assigned",
                    ),
                ),
                rx.data_list.item(rx.data_list.label(t("Created")), rx.data_list.value(ContactEditState.created_label)),
                rx.data_list.item(rx.data_list.label(t("Updated")), rx.data_list.value(ContactEditState.updated_label)),
                orientation="vertical",
                size="1",
                class_name=rx.cond(ContactEditState.show_details, "", "hide-on-phone"),
                id="identity-details",
            ),
            rx.text(
                rx.hstack(
                    rx.switch(
                        checked=ContactEditState.is_conflict,
                        on_change=ContactEditState.toggle_conflict,
                        color_scheme="red",
                        disabled=~CAN_EDIT,
                        id="f-conflict",
                    ),
                    t("Conflict"),
                    spacing="2",
                    align="center",
                ),
                as_="label",
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="identity",
    )
