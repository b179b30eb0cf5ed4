"""The options of a choice field, edited one by one: rename, reorder, deactivate, add."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_error, hint, icon_action
from crm_app.ui.i18n import t
from crm_app.ui.state.form_builder import ChoiceRow, FormBuilderState
from crm_app.ui.styles import ROW_BORDER


def _choice_row(choice: ChoiceRow) -> rx.Component:
    rename = rx.form(
        rx.flex(
            rx.input(
                name="label",
                default_value=choice.label,
                id="choice-rename-input",
                auto_focus=True,
                auto_complete="off",
                max_length=120,
                flex="1",
                min_width="0",
                size="1",
            ),
            rx.icon_button(
                rx.icon("check", size=14), type="submit", size="1", id="choice-rename-save", aria_label=t("Save")
            ),
            rx.icon_button(
                rx.icon("x", size=14),
                type="button",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=FormBuilderState.cancel_choice_rename,
                aria_label=t("Cancel"),
            ),
            gap="6px",
            align="center",
            width="100%",
        ),
        on_submit=FormBuilderState.save_choice_rename,
        width="100%",
    )
    shown = rx.flex(
        rx.text(
            choice.label,
            size="2",
            class_name="clip choice-name",
            color=rx.cond(choice.active, rx.color("gray", 12), rx.color("gray", 10)),
            flex="1",
            min_width="0",
        ),
        rx.cond(choice.active, rx.fragment(), rx.badge(t("Inactive"), color_scheme="orange", variant="soft")),
        rx.switch(
            checked=choice.active,
            on_change=lambda value: FormBuilderState.toggle_choice(choice.id, value),
            size="1",
            class_name="choice-active",
            aria_label=t("Offered"),
        ),
        icon_action(
            "arrow-up", "Move up", FormBuilderState.move_choice(choice.id, "up"), "choice-up", disabled=choice.first
        ),
        icon_action(
            "arrow-down",
            "Move down",
            FormBuilderState.move_choice(choice.id, "down"),
            "choice-down",
            disabled=choice.last,
        ),
        icon_action("pencil", "Rename", FormBuilderState.start_choice_rename(choice.id), "choice-rename"),
        gap="6px",
        align="center",
        width="100%",
    )
    return rx.box(
        rx.cond(FormBuilderState.choice_rename_id == choice.id, rename, shown),
        padding="6px 0",
        border_bottom=ROW_BORDER,
        width="100%",
        class_name="choice-row",
    )


def choices_editor() -> rx.Component:
    """The options of the field being edited, and the box that adds one."""
    return rx.vstack(
        rx.text(t("Options"), size="2", weight="bold"),
        hint("Saved at once. Contacts keep a deactivated option; renaming keeps their choice."),
        rx.box(
            rx.foreach(FormBuilderState.edit_choices, _choice_row), border_top=ROW_BORDER, width="100%", id="choices"
        ),
        rx.form(
            rx.flex(
                rx.input(
                    name="label",
                    id="new-choice",
                    placeholder=t("New option"),
                    auto_complete="off",
                    max_length=120,
                    flex="1",
                    min_width="0",
                ),
                rx.button(rx.icon("plus", size=14), t("Add option"), type="submit", variant="soft", id="add-choice"),
                gap="8px",
                align="center",
                width="100%",
            ),
            on_submit=FormBuilderState.add_choice,
            width="100%",
        ),
        field_error(FormBuilderState.choice_error, id="choice-error"),
        spacing="2",
        width="100%",
        padding_top="12px",
    )
