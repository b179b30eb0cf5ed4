"""Changing a field's type, with the values that would not fit when it is refused."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import hint
from crm_app.ui.i18n import t
from crm_app.ui.pages.form_builder.controls import type_select
from crm_app.ui.state.form_builder import FormBuilderState


def type_change() -> rx.Component:
    """Change the type of the field being edited."""
    return rx.form(
        rx.vstack(
            rx.text(t("Change the type"), size="2", weight="bold"),
            hint("Every stored value is converted; the change is refused when some would not fit."),
            rx.flex(
                rx.box(
                    type_select(
                        id="edit-type",
                        name="new_type",
                        value=FormBuilderState.target_type,
                        on_change=FormBuilderState.choose_target_type,
                    ),
                    flex="1 1 200px",
                ),
                rx.button(
                    t("Change type"),
                    type="submit",
                    variant="soft",
                    disabled=FormBuilderState.target_type == FormBuilderState.edit_type,
                    id="change-type",
                ),
                gap="8px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                FormBuilderState.target_needs_choices,
                rx.text_area(
                    name="choices",
                    id="edit-type-choices",
                    placeholder=t("Options of the new type, one per line (values matching one are kept)"),
                    rows="3",
                    width="100%",
                ),
            ),
            rx.cond(
                FormBuilderState.type_message,
                rx.callout(
                    rx.vstack(
                        rx.text(FormBuilderState.type_message),
                        rx.cond(
                            FormBuilderState.type_examples.length() > 0,
                            rx.text(t("For example:"), " ", FormBuilderState.type_examples.join(", "), size="1"),
                        ),
                        spacing="1",
                    ),
                    icon="triangle-alert",
                    color_scheme="red",
                    size="1",
                    id="type-message",
                    width="100%",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=FormBuilderState.change_type,
        width="100%",
        padding_top="12px",
    )
