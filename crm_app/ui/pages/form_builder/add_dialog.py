"""The dialog that adds a custom field: label, key, type, options, help, section, default, flags."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_error, hint, labelled, option_select
from crm_app.ui.i18n import t
from crm_app.ui.pages.form_builder.controls import FLAG_IDS, FLAG_LABELS, default_control, switch_row, type_select
from crm_app.ui.state.form_builder import FormBuilderState
from crm_app.ui.styles import ROW_BORDER


def add_dialog() -> rx.Component:
    """The Add a field dialog, open while the state says so."""
    errors = FormBuilderState.add_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Add a field")),
            rx.dialog.description(
                rx.cond(FormBuilderState.kind == "person", t("On the person form."), t("On the organisation form.")),
                size="2",
                color_scheme="gray",
                margin_bottom="12px",
            ),
            rx.form(
                rx.vstack(
                    labelled(
                        "Label",
                        "field-label",
                        rx.input(
                            name="label",
                            id="field-label",
                            value=FormBuilderState.new_label,
                            on_change=FormBuilderState.type_new_label.debounce(200),
                            placeholder=t("e.g. Device brand"),
                            max_length=120,
                            auto_complete="off",
                            auto_focus=True,
                            width="100%",
                        ),
                        field_error(errors.get("label", "")),
                    ),
                    rx.grid(
                        labelled(
                            "Key",
                            "field-key",
                            rx.input(
                                name="key",
                                id="field-key",
                                value=FormBuilderState.new_key,
                                on_change=FormBuilderState.type_new_key.debounce(300),
                                max_length=60,
                                auto_complete="off",
                                font_family="monospace",
                                width="100%",
                            ),
                            hint("Made from the label; it cannot change once saved."),
                            field_error(errors.get("key", "")),
                        ),
                        labelled(
                            "Type",
                            "field-type",
                            type_select(
                                id="field-type",
                                name="type",
                                value=FormBuilderState.new_type,
                                on_change=FormBuilderState.choose_new_type,
                            ),
                            field_error(errors.get("type", "")),
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        gap="12px",
                        width="100%",
                    ),
                    rx.cond(
                        FormBuilderState.new_has_choices,
                        labelled(
                            "Options",
                            "field-choices",
                            rx.text_area(
                                name="choices",
                                id="field-choices",
                                placeholder=t("One option per line"),
                                rows="4",
                                width="100%",
                            ),
                            hint("One per line. You can rename, reorder and deactivate them later."),
                            field_error(errors.get("choices", "")),
                        ),
                    ),
                    labelled(
                        "Help text",
                        "field-help",
                        rx.text_area(
                            name="help_text",
                            id="field-help",
                            placeholder=t("Shown under the field"),
                            rows="2",
                            max_length=500,
                            width="100%",
                        ),
                        field_error(errors.get("help_text", "")),
                    ),
                    rx.grid(
                        labelled(
                            "Section",
                            "field-section",
                            option_select(
                                FormBuilderState.section_options,
                                empty_label="Top of the form (no section)",
                                id="field-section",
                                name="section",
                                value=FormBuilderState.new_section,
                                on_change=FormBuilderState.choose_new_section,
                            ),
                            field_error(errors.get("section_id", "")),
                        ),
                        labelled(
                            "Default value",
                            "field-default",
                            default_control(FormBuilderState.new_type, "field-default", ""),
                            field_error(errors.get("default_value", "")),
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        gap="12px",
                        width="100%",
                    ),
                    rx.box(
                        *[
                            switch_row(
                                label,
                                hint,
                                FormBuilderState.new_flags[flag].to(bool),
                                lambda value, flag=flag: FormBuilderState.toggle_new_flag(flag, value),
                                f"field-{FLAG_IDS[flag]}",
                            )
                            for flag, label, hint in FLAG_LABELS
                        ],
                        border_top=ROW_BORDER,
                        width="100%",
                    ),
                    field_error(FormBuilderState.add_message, id="field-error"),
                    rx.flex(
                        rx.button(
                            t("Cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=FormBuilderState.close_add,
                            id="field-cancel",
                        ),
                        rx.button(t("Add field"), type="submit", id="field-save"),
                        gap="8px",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=FormBuilderState.create,
                id="add-form",
                width="100%",
            ),
            max_width="560px",
            id="add-dialog",
        ),
        open=FormBuilderState.add_open,
        on_open_change=FormBuilderState.add_dialog_changed,
    )
