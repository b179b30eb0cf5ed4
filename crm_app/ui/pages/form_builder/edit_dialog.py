"""The dialog that edits a field: its texts, default and flags, its options and its type."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import field_error, hint, labelled
from crm_app.ui.i18n import t
from crm_app.ui.pages.form_builder.choices import choices_editor
from crm_app.ui.pages.form_builder.controls import FLAG_IDS, FLAG_LABELS, default_control, switch_row
from crm_app.ui.pages.form_builder.type_change import type_change
from crm_app.ui.state.form_builder import FormBuilderState
from crm_app.ui.styles import ROW_BORDER


def _edit_form() -> rx.Component:
    custom = rx.vstack(
        labelled(
            "Label",
            "edit-label",
            rx.input(
                name="label",
                id="edit-label",
                default_value=FormBuilderState.edit_label,
                max_length=120,
                auto_complete="off",
                width="100%",
            ),
            field_error(FormBuilderState.edit_errors.get("label", "")),
        ),
        rx.grid(
            labelled(
                "Key",
                "edit-key",
                rx.input(
                    id="edit-key",
                    name="key",
                    value=FormBuilderState.edit_key,
                    read_only=True,
                    font_family="monospace",
                    variant="soft",
                    color_scheme="gray",
                    width="100%",
                ),
                hint("Fixed once the field is saved."),
            ),
            labelled(
                "Type",
                "edit-type-now",
                rx.input(
                    id="edit-type-now",
                    name="type_now",
                    value=FormBuilderState.edit_type_label,
                    read_only=True,
                    variant="soft",
                    width="100%",
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            gap="12px",
            width="100%",
        ),
        labelled(
            "Help text",
            "edit-help",
            rx.text_area(
                name="help_text", id="edit-help", default_value=FormBuilderState.edit_help, rows="2", width="100%"
            ),
            field_error(FormBuilderState.edit_errors.get("help_text", "")),
        ),
        labelled(
            "Default value",
            "edit-default",
            default_control(
                FormBuilderState.edit_type,
                "edit-default",
                FormBuilderState.edit_default,
                FormBuilderState.active_choices,
            ),
            field_error(FormBuilderState.edit_errors.get("default_value", "")),
        ),
        spacing="3",
        width="100%",
    )
    flags = rx.box(
        *[
            switch_row(
                label,
                hint,
                FormBuilderState.edit_flags[flag].to(bool),
                lambda value, flag=flag: FormBuilderState.toggle_edit_flag(flag, value),
                f"edit-{FLAG_IDS[flag]}",
                disabled=~FormBuilderState.edit_can_require if flag == "required" else False,
            )
            for flag, label, hint in FLAG_LABELS
            if flag == "required"
        ],
        rx.cond(
            FormBuilderState.edit_builtin,
            rx.fragment(),
            rx.fragment(
                *[
                    switch_row(
                        label,
                        hint,
                        FormBuilderState.edit_flags[flag].to(bool),
                        lambda value, flag=flag: FormBuilderState.toggle_edit_flag(flag, value),
                        f"edit-{FLAG_IDS[flag]}",
                    )
                    for flag, label, hint in FLAG_LABELS
                    if flag != "required"
                ]
            ),
        ),
        border_top=ROW_BORDER,
        width="100%",
    )
    return rx.form(
        rx.vstack(
            rx.cond(FormBuilderState.edit_builtin, rx.fragment(), custom),
            flags,
            field_error(FormBuilderState.edit_message, id="edit-error"),
            spacing="3",
            width="100%",
        ),
        on_submit=FormBuilderState.save_edit,
        id="edit-form",
        key=FormBuilderState.edit_version,
        width="100%",
    )


def edit_dialog() -> rx.Component:
    """The dialog that edits the field whose id the state holds."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(FormBuilderState.edit_label),
            rx.dialog.description(
                rx.cond(
                    FormBuilderState.edit_builtin,
                    t("A built-in part of the contact form: it can be shown, hidden, moved and made required."),
                    t("A custom field of the contact form."),
                ),
                size="2",
                color_scheme="gray",
                margin_bottom="12px",
            ),
            _edit_form(),
            rx.cond(FormBuilderState.edit_has_choices, choices_editor()),
            rx.cond(FormBuilderState.edit_builtin, rx.fragment(), type_change()),
            rx.flex(
                rx.button(
                    t("Close"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=FormBuilderState.close_edit,
                    id="edit-cancel",
                ),
                rx.button(t("Save"), type="submit", id="edit-save", custom_attrs={"form": "edit-form"}),
                gap="8px",
                justify="end",
                width="100%",
                margin_top="16px",
                padding_top="12px",
                border_top=ROW_BORDER,
            ),
            max_width="600px",
            id="edit-dialog",
        ),
        open=FormBuilderState.edit_id > 0,
        on_open_change=FormBuilderState.edit_dialog_changed,
    )
