"""The dialog that settles fields someone else changed too: theirs or mine, field by field."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.i18n import t
from crm_app.ui.state.contact_edit import ConflictRow, ContactEditState


def _conflict_row(row: ConflictRow) -> rx.Component:
    def option(side: str, label: rx.Var, value: rx.Var) -> rx.Component:
        return rx.card(
            rx.vstack(
                rx.text(label, size="1", color_scheme="gray"),
                rx.text(value, size="2", class_name="pre-wrap"),
                spacing="1",
            ),
            on_click=ContactEditState.choose_side(row.field, side),
            cursor="pointer",
            variant=rx.cond(row.choice == side, "classic", "surface"),
            border=rx.cond(row.choice == side, f"2px solid {rx.color('accent', 9)}", "2px solid transparent"),
            class_name=f"choose-{side}",
            flex="1",
            min_width="160px",
        )

    return rx.vstack(
        rx.text(row.label, weight="bold", size="2"),
        rx.text(t("Before:"), " ", row.base, size="1", color_scheme="gray", class_name="pre-wrap"),
        rx.flex(
            option("theirs", t("Theirs"), row.theirs),
            option("mine", t("Mine"), row.mine),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        spacing="2",
        width="100%",
        class_name="conflict-row",
    )


def conflict_dialog() -> rx.Component:
    """Pick, field by field, their value or mine where someone else changed the same fields."""
    return confirm_dialog(
        rx.alert_dialog.description(
            t("Their other changes are kept. For each field below, pick the value to keep."), size="2"
        ),
        rx.vstack(rx.foreach(ContactEditState.conflicts, _conflict_row), spacing="4", width="100%", margin_y="16px"),
        title=t("Someone else changed the same fields"),
        open=ContactEditState.show_conflicts,
        on_close=ContactEditState.cancel_conflicts,
        cancel_label=t("Keep editing"),
        confirm=rx.button(t("Save my choices"), on_click=ContactEditState.resolve_conflicts, id="resolve-conflicts"),
        id="conflict-dialog",
        max_width="640px",
    )
