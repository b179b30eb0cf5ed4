"""Who changed the form, what and when."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.state.form_builder import FormBuilderState, HistoryRow
from crm_app.ui.styles import ROW_BORDER


def _history_row(row: HistoryRow) -> rx.Component:
    return rx.vstack(
        rx.text(row.at, " · ", row.actor, size="1", color_scheme="gray"),
        rx.text(rx.text.strong(row.subject), " — ", row.action, size="2", class_name="pre-wrap"),
        rx.cond(row.change, rx.text(row.change, size="1", color_scheme="gray", class_name="pre-wrap")),
        spacing="0",
        width="100%",
        padding="8px 0",
        border_bottom=ROW_BORDER,
        class_name="history-row",
    )


def history() -> rx.Component:
    """Who changed this form, what and when (the definitions' versions)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("history", size=16), rx.heading(t("History"), size="3", as_="h2"), spacing="2", align="center"
            ),
            rx.cond(
                FormBuilderState.history.length() > 0,
                rx.box(rx.foreach(FormBuilderState.history, _history_row), width="100%"),
                rx.text(t("No changes to this form yet."), size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="form-history",
    )
