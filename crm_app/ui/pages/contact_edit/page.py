"""The contact file: identity panel, details, history; stacked on a phone, the details and feed as two tabs."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.feed import contact_feed
from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.confirmations import convert_dialog, delete_dialog, discard_dialog
from crm_app.ui.pages.contact_edit.conflicts import conflict_dialog
from crm_app.ui.pages.contact_edit.form import details
from crm_app.ui.pages.contact_edit.header import header
from crm_app.ui.pages.contact_edit.identity import identity_card
from crm_app.ui.pages.contact_edit.presence import live_triggers
from crm_app.ui.state.contact_edit import ContactEditState


def contact_page() -> rx.Component:
    """Identity left, details centre, feed right on a desktop; on a phone the details and the feed are two tabs."""
    phone_tab_panel = {"@media (max-width: 767px)": {"&[data-state='inactive']": {"display": "none"}}}
    return rx.cond(
        ContactEditState.not_found,
        rx.center(
            rx.vstack(
                rx.heading(t("Contact not found"), size="5"),
                rx.link(t("Back to contacts"), href="/contacts"),
                align="center",
            ),
            padding="60px",
        ),
        rx.box(
            rx.el.div(data_dirty=rx.cond(ContactEditState.dirty, "true", "false"), id="dirty-flag", hidden=True),
            live_triggers(),
            header(),
            rx.cond(
                ContactEditState.form_notice,
                rx.callout(
                    ContactEditState.form_notice,
                    icon="info",
                    color_scheme="blue",
                    margin_bottom="12px",
                    id="form-notice",
                ),
            ),
            rx.cond(
                ContactEditState.remote_banner,
                rx.callout(
                    ContactEditState.remote_banner,
                    icon="users",
                    color_scheme="amber",
                    margin_bottom="12px",
                    id="remote-banner",
                ),
            ),
            rx.cond(
                ContactEditState.form_error,
                rx.callout(
                    ContactEditState.form_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    margin_bottom="12px",
                    id="form-error",
                ),
            ),
            # On a phone the details and the feed are two tabs sharing one grid area; from 768 px on, both panels
            # show side by side (force-mounted, so their forms keep what was typed when switching tabs).
            rx.tabs.root(
                rx.grid(
                    rx.box(identity_card(), grid_area="identity"),
                    rx.tabs.list(
                        rx.tabs.trigger(t("Details"), value="details", id="tab-details", flex="1"),
                        rx.tabs.trigger(t("Feed"), value="feed", id="tab-feed", flex="1"),
                        grid_area="tabs",
                        class_name="phone-only",
                    ),
                    rx.tabs.content(
                        details(),
                        value="details",
                        force_mount=True,
                        grid_area=["panel", "panel", "details", "details"],
                        min_width="0",
                        style=phone_tab_panel,
                    ),
                    rx.tabs.content(
                        contact_feed(),
                        value="feed",
                        force_mount=True,
                        grid_area=["panel", "panel", "history", "history"],
                        min_width="0",
                        style=phone_tab_panel,
                    ),
                    grid_template_columns=["1fr", "1fr", "260px 1fr", "280px 1fr 320px"],
                    grid_template_areas=[
                        '"identity" "tabs" "panel"',
                        '"identity" "tabs" "panel"',
                        '"identity details" "history details"',
                        '"identity details history"',
                    ],
                    gap="16px",
                    width="100%",
                    align_items="start",
                ),
                default_value="details",
                width="100%",
            ),
            delete_dialog(),
            conflict_dialog(),
            discard_dialog(),
            convert_dialog(),
            width="100%",
            padding_bottom="80px",
        ),
    )
