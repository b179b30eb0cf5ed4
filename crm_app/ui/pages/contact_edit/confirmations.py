"""The editor's confirmations: delete the contact, discard a new one, convert to the other kind."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.i18n import t
from crm_app.ui.state.contact_edit import ContactEditState


def delete_dialog() -> rx.Component:
    """Confirm deleting the contact for good."""
    return confirm_dialog(
        rx.alert_dialog.description(
            t("The contact, its phones, e-mails, addresses and history are removed for good. This cannot be undone.")
        ),
        title=t("Delete this contact?"),
        open=ContactEditState.confirm_delete,
        on_close=ContactEditState.cancel_delete,
        confirm=rx.button(t("Delete"), color_scheme="red", on_click=ContactEditState.delete, id="confirm-delete"),
        id="delete-dialog",
        return_focus="#more-actions",
    )


def discard_dialog() -> rx.Component:
    """Confirm throwing away what was typed in a new contact."""
    return confirm_dialog(
        rx.alert_dialog.description(t("What you typed in this new contact is thrown away.")),
        title=t("Discard this new contact?"),
        open=ContactEditState.confirm_discard,
        on_close=ContactEditState.cancel_discard,
        cancel_label=t("Keep editing"),
        confirm=rx.button(
            t("Discard"), color_scheme="red", on_click=ContactEditState.confirm_discard_new, id="confirm-discard"
        ),
        id="discard-dialog",
    )


def convert_dialog() -> rx.Component:
    """Confirm converting to the other kind, naming the values the other form does not show."""
    return confirm_dialog(
        rx.alert_dialog.description(
            t("These values are kept but not shown on the other form:"),
            " ",
            rx.text.strong(ContactEditState.convert_hidden.join(", ")),
            id="convert-summary",
        ),
        rx.text(t("Convert back to see them again."), size="2", color_scheme="gray", margin_top="8px"),
        title=rx.cond(ContactEditState.kind == "person", t("Convert to an organisation?"), t("Convert to a person?")),
        open=ContactEditState.confirm_convert,
        on_close=ContactEditState.cancel_convert,
        confirm=rx.button(t("Convert"), on_click=ContactEditState.convert, id="confirm-convert"),
        id="convert-dialog",
    )
