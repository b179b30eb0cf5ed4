"""Above the fields: the person / organisation tabs, Add field and Add section."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_error
from crm_app.ui.i18n import t
from crm_app.ui.state.form_builder import FormBuilderState


def kind_tabs() -> rx.Component:
    """The person / organisation tabs."""
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger(
                rx.hstack(rx.icon("user", size=15), t("Person"), spacing="2"), value="person", id="tab-person"
            ),
            rx.tabs.trigger(
                rx.hstack(rx.icon("building-2", size=15), t("Organisation"), spacing="2"),
                value="organization",
                id="tab-organization",
            ),
        ),
        value=FormBuilderState.kind,
        on_change=FormBuilderState.choose_kind,
        width="100%",
    )


def toolbar() -> rx.Component:
    """Add field, and the box that adds a section."""
    return rx.flex(
        rx.button(rx.icon("plus", size=16), t("Add field"), on_click=FormBuilderState.open_add(0), id="add-field"),
        rx.form(
            rx.flex(
                rx.input(
                    name="title",
                    id="new-section",
                    placeholder=t("New section, e.g. Equipment"),
                    auto_complete="off",
                    max_length=120,
                    flex="1",
                    min_width="0",
                ),
                rx.button(
                    rx.icon("heading", size=16), t("Add section"), type="submit", variant="soft", id="add-section"
                ),
                gap="8px",
                align="center",
                width="100%",
            ),
            field_error(FormBuilderState.section_add_error, class_name="section-add-error"),
            on_submit=FormBuilderState.add_section,
            flex="1 1 300px",
            max_width="460px",
        ),
        gap="12px",
        align="start",
        justify="between",
        wrap="wrap",
        width="100%",
    )
