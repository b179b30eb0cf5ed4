"""The form builder's confirmations: delete a field, delete a section."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.i18n import t
from crm_app.ui.state.form_builder import FormBuilderState


def delete_dialog() -> rx.Component:
    """Confirm deleting a field and the values contacts hold in it."""
    return confirm_dialog(
        rx.alert_dialog.description(FormBuilderState.delete_summary, weight="medium", id="delete-summary"),
        rx.text(
            t("This cannot be undone. To keep the values, deactivate the field instead."),
            size="2",
            color_scheme="gray",
            margin_top="8px",
        ),
        title=rx.fragment(t("Delete the field"), " “", FormBuilderState.delete_label, "”?"),
        open=FormBuilderState.delete_id > 0,
        on_close=FormBuilderState.cancel_delete,
        confirm=rx.button(
            t("Delete"), color_scheme="red", on_click=FormBuilderState.confirm_delete, id="delete-confirm"
        ),
        id="delete-dialog",
    )


def delete_section_dialog() -> rx.Component:
    """Confirm deleting a section heading (its fields stay, at the top of the form)."""
    return confirm_dialog(
        rx.alert_dialog.description(
            t("Its fields are kept: they move to the top of the form."), id="section-delete-summary"
        ),
        title=rx.fragment(t("Delete the section"), " “", FormBuilderState.delete_section_title, "”?"),
        open=FormBuilderState.delete_section_id > 0,
        on_close=FormBuilderState.cancel_delete_section,
        confirm=rx.button(
            t("Delete section"),
            color_scheme="red",
            on_click=FormBuilderState.confirm_delete_section,
            id="section-delete-confirm",
        ),
        id="section-delete-dialog",
    )
