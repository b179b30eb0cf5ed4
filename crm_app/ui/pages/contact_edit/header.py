"""The sticky bar above the contact: back link, presence, kind switch (new contact) and the save actions."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import CAN_EDIT
from crm_app.ui.pages.contact_edit.presence import presence
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.session import can


def _actions() -> rx.Component:
    return rx.hstack(
        rx.cond(
            ContactEditState.dirty,
            rx.badge(rx.icon("circle-dot", size=12), t("Unsaved changes"), color_scheme="amber", id="unsaved"),
        ),
        rx.cond(
            CAN_EDIT,
            rx.hstack(
                rx.cond(
                    ContactEditState.dirty,
                    rx.button(
                        t("Discard"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=ContactEditState.discard,
                        id="discard",
                    ),
                ),
                rx.button(
                    rx.icon("save", size=16),
                    t("Save"),
                    on_click=ContactEditState.save,
                    id="save",
                    size="3",
                    disabled=~ContactEditState.dirty & ~ContactEditState.is_new,
                ),
                spacing="2",
            ),
        ),
        rx.cond(
            ~ContactEditState.is_new,
            rx.menu.root(
                rx.menu.trigger(
                    rx.icon_button(
                        rx.icon("ellipsis"), variant="soft", size="3", aria_label=t("More actions"), id="more-actions"
                    )
                ),
                rx.menu.content(
                    rx.cond(
                        can(Permission.CONTACTS_ARCHIVE),
                        rx.cond(
                            ContactEditState.archived,
                            rx.menu.item(
                                rx.icon("archive-restore", size=16),
                                t("Restore"),
                                on_click=ContactEditState.restore,
                                id="restore",
                            ),
                            rx.menu.item(
                                rx.icon("archive", size=16),
                                t("Archive"),
                                on_click=ContactEditState.archive,
                                id="archive",
                            ),
                        ),
                    ),
                    rx.cond(
                        can(Permission.CONTACTS_DELETE),
                        rx.menu.item(
                            rx.icon("trash-2", size=16),
                            t("Delete…"),
                            color="red",
                            on_click=ContactEditState.ask_delete,
                            id="delete",
                        ),
                    ),
                ),
            ),
        ),
        spacing="2",
        align="center",
    )


def _new_kind_switch() -> rx.Component:
    return rx.cond(
        ContactEditState.is_new,
        rx.segmented_control.root(
            rx.segmented_control.item(t("Person"), value="person"),
            rx.segmented_control.item(t("Organisation"), value="organization"),
            value=ContactEditState.kind,
            on_change=lambda v: ContactEditState.edit_field("kind", v),
            id="kind-switch",
        ),
    )


def header() -> rx.Component:
    """Back link, who else is here, a new contact's kind switch; the save bar (fixed at the bottom on a phone)."""
    return rx.flex(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), t("Contacts"), spacing="1"), href="/contacts", size="2"),
        rx.spacer(),
        presence(),
        _new_kind_switch(),
        rx.flex(
            rx.spacer(),
            _actions(),
            align="center",
            gap="8px",
            z_index="20",
            position=["fixed", "fixed", "static"],
            left="0",
            right="0",
            bottom="0",
            background=[rx.color("gray", 1), rx.color("gray", 1), "transparent"],
            border_top=[f"1px solid {rx.color('gray', 5)}", f"1px solid {rx.color('gray', 5)}", "none"],
            padding=["10px 12px calc(10px + env(safe-area-inset-bottom))", "10px 16px", "0"],
            id="action-bar",
        ),
        align="center",
        gap="8px",
        wrap="wrap",
        width="100%",
        margin_bottom="12px",
        position="sticky",
        top=["56px", "56px", "0"],
        z_index="30",
        background=rx.color("gray", 2),
        padding_y="8px",
    )
