"""The contact list's Export menu: the selection, or everything the list's filter matches, as .xlsx or CSV."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.i18n import t
from crm_app.ui.state.contact_list import ContactListState
from crm_app.ui.state.imports import ExportState
from crm_app.ui.state.session import can


def export_menu() -> rx.Component:
    """A menu button (staff and above) with the export's progress while it runs."""
    return rx.cond(
        can(Permission.EXPORT),
        rx.hstack(
            rx.menu.root(
                rx.menu.trigger(
                    rx.button(
                        rx.icon("file-down", size=16),
                        rx.text(t("Export"), class_name="hide-on-phone"),
                        variant="soft",
                        color_scheme="gray",
                        loading=ExportState.exporting,
                        aria_label=t("Export"),
                        id="export-menu",
                    )
                ),
                rx.menu.content(
                    rx.text(
                        ContactListState.export_scope,
                        size="1",
                        weight="medium",
                        color_scheme="gray",
                        padding="4px 12px",
                        id="export-scope",
                    ),
                    rx.menu.item(
                        rx.icon("file-spreadsheet", size=16),
                        t("Excel (.xlsx)"),
                        on_click=ExportState.export_list("xlsx"),
                        id="export-xlsx",
                    ),
                    rx.menu.item(
                        rx.icon("file-text", size=16),
                        t("CSV"),
                        on_click=ExportState.export_list("csv"),
                        id="export-csv",
                    ),
                    rx.menu.separator(),
                    rx.menu.item(
                        rx.icon("file-up", size=16),
                        t("Import…"),
                        on_click=rx.redirect("/imports"),
                        disabled=~can(Permission.IMPORT),
                    ),
                ),
            ),
            rx.cond(
                ExportState.exporting & (ExportState.total > 0),
                rx.text(ExportState.percent, " %", size="1", color_scheme="gray", id="export-progress"),
            ),
            spacing="2",
            align="center",
        ),
    )
