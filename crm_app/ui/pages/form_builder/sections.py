"""A section of the form: its heading (renamed inline, moved, deleted) above its fields."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_error, icon_action
from crm_app.ui.i18n import t
from crm_app.ui.pages.form_builder.field_row import field_row
from crm_app.ui.state.form_builder import FormBuilderState, SectionBlock
from crm_app.ui.styles import ROW_BORDER


def _section_rename(block: SectionBlock) -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                name="title",
                default_value=block.title,
                id="section-rename-input",
                auto_focus=True,
                auto_complete="off",
                max_length=120,
                flex="1",
                min_width="0",
            ),
            rx.icon_button(rx.icon("check", size=16), type="submit", id="section-rename-save", aria_label=t("Save")),
            rx.icon_button(
                rx.icon("x", size=16),
                type="button",
                variant="soft",
                color_scheme="gray",
                on_click=FormBuilderState.cancel_section_rename,
                aria_label=t("Cancel"),
            ),
            gap="6px",
            align="center",
            width="100%",
        ),
        field_error(FormBuilderState.section_error),
        on_submit=FormBuilderState.save_section_rename,
        width="100%",
    )


def _section_header(block: SectionBlock) -> rx.Component:
    titled = rx.flex(
        rx.hstack(
            rx.icon("heading", size=16, color=rx.color("gray", 10)),
            rx.heading(block.title, size="3", as_="h2", class_name="section-title clip"),
            spacing="2",
            align="center",
            min_width="0",
            flex="1 1 200px",
        ),
        rx.flex(
            icon_action(
                "plus", "Add a field to this section", FormBuilderState.open_add(block.id), "section-add-field"
            ),
            icon_action(
                "arrow-up",
                "Move section up",
                FormBuilderState.move_section(block.id, "up"),
                "section-up",
                disabled=block.first,
            ),
            icon_action(
                "arrow-down",
                "Move section down",
                FormBuilderState.move_section(block.id, "down"),
                "section-down",
                disabled=block.last,
            ),
            icon_action("pencil", "Rename section", FormBuilderState.start_section_rename(block.id), "section-rename"),
            icon_action(
                "trash-2",
                "Delete section",
                FormBuilderState.ask_delete_section(block.id),
                "section-delete",
                color="red",
            ),
            gap="8px",
            align="center",
            margin_left="auto",
        ),
        gap="8px",
        align="center",
        wrap="wrap",
        width="100%",
    )
    untitled = rx.text(
        rx.cond(FormBuilderState.section_options.length() > 0, t("Top of the form"), t("Fields")),
        size="2",
        weight="medium",
        color_scheme="gray",
    )
    return rx.box(
        rx.cond(
            block.id == 0,
            untitled,
            rx.cond(FormBuilderState.section_rename_id == block.id, _section_rename(block), titled),
        ),
        padding="10px 12px",
        background=rx.color("gray", 2),
        border_bottom=ROW_BORDER,
        width="100%",
        class_name="section-header",
    )


def section_block(block: SectionBlock) -> rx.Component:
    """A section: its heading, then its fields (or a note that it has none yet)."""
    return rx.box(
        _section_header(block),
        rx.cond(
            block.fields.length() > 0,
            rx.foreach(block.fields, field_row),
            rx.center(
                rx.text(t("No fields in this section yet."), size="2", color_scheme="gray"),
                padding="16px",
                width="100%",
            ),
        ),
        border=ROW_BORDER,
        border_radius="10px",
        overflow="hidden",
        background=rx.color("gray", 1),
        width="100%",
        class_name=rx.cond(block.id == 0, "form-section untitled", "form-section"),
        custom_attrs={"data-section": block.title, "data-section-id": block.id},
    )
