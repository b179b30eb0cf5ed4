"""Settings → Contact forms: the fields of the person and organisation forms, their order and sections."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.form_builder import (
    TYPE_OPTIONS,
    ChoiceRow,
    FieldRow,
    FormBuilderState,
    HistoryRow,
    SectionBlock,
)
from crm_app.ui.state.session import can
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE

S = FormBuilderState
ROW_BORDER = f"1px solid {rx.color('gray', 4)}"
FLAG_LABELS: tuple[tuple[str, str, str], ...] = (
    ("required", "Required", "A contact cannot be saved without it."),
    ("show_in_list", "List column", "Offered as a column of the contact list."),
    ("searchable", "Searchable", "The contact search looks into it."),
    ("on_web_form", "Public web form", "Asked on the public lead form."),
)
FLAG_IDS = {"required": "required", "show_in_list": "list", "searchable": "searchable", "on_web_form": "web"}


# ---- small pieces ----------------------------------------------------------------------------


def _action(icon: str, label: str, on_click, class_name: str, *, disabled=False, color: str = "gray") -> rx.Component:
    return rx.tooltip(
        rx.icon_button(
            rx.icon(icon, size=16),
            variant="ghost",
            color_scheme=color,
            on_click=on_click,
            disabled=disabled,
            aria_label=t(label),
            class_name=class_name,
        ),
        content=t(label),
    )


def _error(message: rx.Var, id_: str | None = None, class_name: str = "field-error") -> rx.Component:
    return rx.cond(
        message,
        rx.text(message, color_scheme="red", size="1", class_name=class_name, role="alert", id=id_),
    )


def _labelled(label: str, html_for: str, control: rx.Component, *extra: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(t(label), as_="label", html_for=html_for, size="2", weight="medium"),
        control,
        *extra,
        spacing="1",
        width="100%",
    )


def _hint(text: str) -> rx.Component:
    return rx.text(t(text), size="1", color_scheme="gray")


def _switch_row(label: str, hint: str, checked: rx.Var, on_change, id_: str, disabled=False):
    return rx.flex(
        rx.vstack(
            rx.text(t(label), as_="label", html_for=id_, size="2"),
            rx.text(t(hint), size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.switch(checked=checked, on_change=on_change, id=id_, name=id_, disabled=disabled),
        align="center",
        gap="12px",
        padding="8px 0",
        border_bottom=ROW_BORDER,
        width="100%",
    )


def _option_select(options: rx.Var, empty_label: str, **props) -> rx.Component:
    return rx.el.select(
        rx.el.option(t(empty_label), value=""),
        rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
        style=FULL_WIDTH_SELECT_STYLE,
        **props,
    )


def _type_select(**props) -> rx.Component:
    return rx.el.select(
        *[rx.el.option(t(option.label), value=option.value) for option in TYPE_OPTIONS],
        style=FULL_WIDTH_SELECT_STYLE,
        **props,
    )


def _default_control(type_: rx.Var, id_: str, value: rx.Var | str, choices: rx.Var | None = None) -> rx.Component:
    """The default-value box fitting the field type (uncontrolled: read when the form is submitted)."""
    text_box = rx.input(
        name="default_value",
        id=id_,
        default_value=value,
        placeholder=rx.cond(
            type_ == "multi_select",
            t("Option names separated by commas"),
            rx.cond(type_ == "select", t("Name of one option"), t("Leave empty for no default")),
        ),
        max_length=500,
        auto_complete="off",
        width="100%",
    )
    checkbox = rx.el.select(
        rx.el.option(t("No default"), value=""),
        rx.el.option(t("Ticked"), value="yes"),
        rx.el.option(t("Not ticked"), value="no"),
        name="default_value",
        id=id_,
        default_value=value,
        style=FULL_WIDTH_SELECT_STYLE,
    )
    date_box = rx.input(name="default_value", id=id_, type="date", default_value=value, width="100%")
    typed = rx.cond(type_ == "date", date_box, text_box)
    if choices is not None:
        typed = rx.cond(
            type_ == "select",
            _option_select(choices, "No default", name="default_value", id=id_, default_value=value),
            typed,
        )
    return rx.cond(type_ == "checkbox", checkbox, typed)


# ---- one field -------------------------------------------------------------------------------


def _flag_badge(flag: rx.Var, label: str, class_name: str, color: str = "gray") -> rx.Component:
    return rx.cond(flag, rx.badge(t(label), color_scheme=color, variant="surface", class_name=class_name))


def _field_row(row: FieldRow) -> rx.Component:
    name = rx.flex(
        rx.icon("grip-vertical", size=16, color=rx.color("gray", 9), class_name="drag-handle hide-on-phone"),
        rx.text(
            row.label,
            size="2",
            weight="medium",
            class_name="clip field-name",
            color=rx.cond(row.active, rx.color("gray", 12), rx.color("gray", 10)),
        ),
        rx.cond(row.required, rx.text("*", color_scheme="red", weight="bold", aria_hidden="true")),
        rx.cond(
            row.active,
            rx.fragment(),
            rx.badge(
                rx.cond(row.builtin, t("Hidden"), t("Inactive")),
                color_scheme="orange",
                variant="soft",
                class_name="inactive-badge",
            ),
        ),
        gap="6px",
        align="center",
        min_width="0",
        grid_area="name",
    )
    meta = rx.flex(
        rx.cond(
            row.builtin,
            rx.badge(rx.icon("lock", size=11), t("Built-in"), color_scheme="gray", class_name="builtin-badge"),
            rx.badge(row.type_label, color_scheme="indigo", variant="soft", class_name="type-badge"),
        ),
        rx.cond(
            row.builtin,
            rx.fragment(),
            rx.text(
                row.key, size="1", color_scheme="gray", font_family="monospace", class_name="field-key hide-on-phone"
            ),
        ),
        rx.cond(
            row.choice_count > 0,
            rx.text(row.choice_count.to_string(), " ", t("options"), size="1", color_scheme="gray"),
        ),
        _flag_badge(row.required, "Required", "flag-required", "red"),
        _flag_badge(row.show_in_list, "List column", "flag-list"),
        _flag_badge(row.searchable, "Searchable", "flag-searchable"),
        _flag_badge(row.on_web_form, "Web form", "flag-web"),
        gap="6px",
        align="center",
        wrap="wrap",
        min_width="0",
        grid_area="meta",
    )
    actions = rx.flex(
        # The tooltip's trigger gets the wrapper: on the switch itself its data-state ("closed") replaced the
        # switch's ("unchecked"), which drew an accent track under a knob that was off.
        rx.tooltip(
            rx.el.span(
                rx.switch(
                    checked=row.active,
                    on_change=lambda value: S.toggle_active(row.id, value),
                    class_name="field-active",
                    aria_label=t("Shown on the form"),
                ),
                display="inline-flex",
            ),
            content=rx.cond(
                row.active,
                t("Shown on the form: switch off to hide it (values are kept)"),
                t("Not on the form: switch on to show it again"),
            ),
        ),
        _action("arrow-up", "Move up", S.move(row.id, "up"), "move-up", disabled=row.first),
        _action("arrow-down", "Move down", S.move(row.id, "down"), "move-down", disabled=row.last),
        _action("pencil", "Edit", S.open_edit(row.id), "edit-field"),
        rx.cond(
            row.builtin,
            rx.icon_button(
                rx.icon("trash-2", size=16), variant="ghost", visibility="hidden", aria_hidden="true", tab_index=-1
            ),
            _action("trash-2", "Delete", S.ask_delete(row.id), "delete-field", color="red"),
        ),
        gap=rx.breakpoints(initial="4px", sm="8px"),
        align="center",
        justify="end",
        grid_area="actions",
    )
    # Desktop: name over badges, actions at the right; phone: the name on its own line, actions beside the badges.
    return rx.grid(
        name,
        meta,
        actions,
        grid_template_columns="minmax(0, 1fr) auto",
        grid_template_areas=rx.breakpoints(initial='"name name" "meta actions"', sm='"name actions" "meta actions"'),
        column_gap="12px",
        row_gap="4px",
        align_items="center",
        padding="10px 12px",
        border_bottom=ROW_BORDER,
        background=rx.cond(row.active, "transparent", rx.color("gray", 2)),
        width="100%",
        class_name="field-row",
        custom_attrs={"data-key": row.key, "data-field-id": row.id},
    )


# ---- sections --------------------------------------------------------------------------------


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
                on_click=S.cancel_section_rename,
                aria_label=t("Cancel"),
            ),
            gap="6px",
            align="center",
            width="100%",
        ),
        _error(S.section_error),
        on_submit=S.save_section_rename,
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
            _action("plus", "Add a field to this section", S.open_add(block.id), "section-add-field"),
            _action("arrow-up", "Move section up", S.move_section(block.id, "up"), "section-up", disabled=block.first),
            _action(
                "arrow-down", "Move section down", S.move_section(block.id, "down"), "section-down", disabled=block.last
            ),
            _action("pencil", "Rename section", S.start_section_rename(block.id), "section-rename"),
            _action("trash-2", "Delete section", S.ask_delete_section(block.id), "section-delete", color="red"),
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
        rx.cond(S.section_options.length() > 0, t("Top of the form"), t("Fields")),
        size="2",
        weight="medium",
        color_scheme="gray",
    )
    return rx.box(
        rx.cond(
            block.id == 0,
            untitled,
            rx.cond(S.section_rename_id == block.id, _section_rename(block), titled),
        ),
        padding="10px 12px",
        background=rx.color("gray", 2),
        border_bottom=ROW_BORDER,
        width="100%",
        class_name="section-header",
    )


def _section_block(block: SectionBlock) -> rx.Component:
    return rx.box(
        _section_header(block),
        rx.cond(
            block.fields.length() > 0,
            rx.foreach(block.fields, _field_row),
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


# ---- toolbar and tabs ------------------------------------------------------------------------


def _kind_tabs() -> rx.Component:
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
        value=S.kind,
        on_change=S.choose_kind,
        width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("plus", size=16), t("Add field"), on_click=S.open_add(0), id="add-field"),
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
            _error(S.section_add_error, class_name="section-add-error"),
            on_submit=S.add_section,
            flex="1 1 300px",
            max_width="460px",
        ),
        gap="12px",
        align="start",
        justify="between",
        wrap="wrap",
        width="100%",
    )


# ---- add a field -----------------------------------------------------------------------------


def _add_dialog() -> rx.Component:
    errors = S.add_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Add a field")),
            rx.dialog.description(
                rx.cond(S.kind == "person", t("On the person form."), t("On the organisation form.")),
                size="2",
                color_scheme="gray",
                margin_bottom="12px",
            ),
            rx.form(
                rx.vstack(
                    _labelled(
                        "Label",
                        "field-label",
                        rx.input(
                            name="label",
                            id="field-label",
                            value=S.new_label,
                            on_change=S.type_new_label.debounce(200),
                            placeholder=t("e.g. Device brand"),
                            max_length=120,
                            auto_complete="off",
                            auto_focus=True,
                            width="100%",
                        ),
                        _error(errors.get("label", "")),
                    ),
                    rx.grid(
                        _labelled(
                            "Key",
                            "field-key",
                            rx.input(
                                name="key",
                                id="field-key",
                                value=S.new_key,
                                on_change=S.type_new_key.debounce(300),
                                max_length=60,
                                auto_complete="off",
                                font_family="monospace",
                                width="100%",
                            ),
                            _hint("Made from the label; it cannot change once saved."),
                            _error(errors.get("key", "")),
                        ),
                        _labelled(
                            "Type",
                            "field-type",
                            _type_select(id="field-type", name="type", value=S.new_type, on_change=S.choose_new_type),
                            _error(errors.get("type", "")),
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        gap="12px",
                        width="100%",
                    ),
                    rx.cond(
                        S.new_has_choices,
                        _labelled(
                            "Options",
                            "field-choices",
                            rx.text_area(
                                name="choices",
                                id="field-choices",
                                placeholder=t("One option per line"),
                                rows="4",
                                width="100%",
                            ),
                            _hint("One per line. You can rename, reorder and deactivate them later."),
                            _error(errors.get("choices", "")),
                        ),
                    ),
                    _labelled(
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
                        _error(errors.get("help_text", "")),
                    ),
                    rx.grid(
                        _labelled(
                            "Section",
                            "field-section",
                            _option_select(
                                S.section_options,
                                "Top of the form (no section)",
                                id="field-section",
                                name="section",
                                value=S.new_section,
                                on_change=S.choose_new_section,
                            ),
                            _error(errors.get("section_id", "")),
                        ),
                        _labelled(
                            "Default value",
                            "field-default",
                            _default_control(S.new_type, "field-default", ""),
                            _error(errors.get("default_value", "")),
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        gap="12px",
                        width="100%",
                    ),
                    rx.box(
                        *[
                            _switch_row(
                                label,
                                hint,
                                S.new_flags[flag].to(bool),
                                lambda value, flag=flag: S.toggle_new_flag(flag, value),
                                f"field-{FLAG_IDS[flag]}",
                            )
                            for flag, label, hint in FLAG_LABELS
                        ],
                        border_top=ROW_BORDER,
                        width="100%",
                    ),
                    _error(S.add_message, "field-error"),
                    rx.flex(
                        rx.button(
                            t("Cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=S.close_add,
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
                on_submit=S.create,
                id="add-form",
                width="100%",
            ),
            max_width="560px",
            id="add-dialog",
        ),
        open=S.add_open,
        on_open_change=S.add_dialog_changed,
    )


# ---- edit a field ----------------------------------------------------------------------------


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
                on_click=S.cancel_choice_rename,
                aria_label=t("Cancel"),
            ),
            gap="6px",
            align="center",
            width="100%",
        ),
        on_submit=S.save_choice_rename,
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
            on_change=lambda value: S.toggle_choice(choice.id, value),
            size="1",
            class_name="choice-active",
            aria_label=t("Offered"),
        ),
        _action("arrow-up", "Move up", S.move_choice(choice.id, "up"), "choice-up", disabled=choice.first),
        _action("arrow-down", "Move down", S.move_choice(choice.id, "down"), "choice-down", disabled=choice.last),
        _action("pencil", "Rename", S.start_choice_rename(choice.id), "choice-rename"),
        gap="6px",
        align="center",
        width="100%",
    )
    return rx.box(
        rx.cond(S.choice_rename_id == choice.id, rename, shown),
        padding="6px 0",
        border_bottom=ROW_BORDER,
        width="100%",
        class_name="choice-row",
    )


def _choices_editor() -> rx.Component:
    return rx.vstack(
        rx.text(t("Options"), size="2", weight="bold"),
        _hint("Saved at once. Contacts keep a deactivated option; renaming keeps their choice."),
        rx.box(rx.foreach(S.edit_choices, _choice_row), border_top=ROW_BORDER, width="100%", id="choices"),
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
            on_submit=S.add_choice,
            width="100%",
        ),
        _error(S.choice_error, "choice-error"),
        spacing="2",
        width="100%",
        padding_top="12px",
    )


def _type_change() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("Change the type"), size="2", weight="bold"),
            _hint("Every stored value is converted; the change is refused when some would not fit."),
            rx.flex(
                rx.box(
                    _type_select(id="edit-type", name="new_type", value=S.target_type, on_change=S.choose_target_type),
                    flex="1 1 200px",
                ),
                rx.button(
                    t("Change type"),
                    type="submit",
                    variant="soft",
                    disabled=S.target_type == S.edit_type,
                    id="change-type",
                ),
                gap="8px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                S.target_needs_choices,
                rx.text_area(
                    name="choices",
                    id="edit-type-choices",
                    placeholder=t("Options of the new type, one per line (values matching one are kept)"),
                    rows="3",
                    width="100%",
                ),
            ),
            rx.cond(
                S.type_message,
                rx.callout(
                    rx.vstack(
                        rx.text(S.type_message),
                        rx.cond(
                            S.type_examples.length() > 0,
                            rx.text(t("For example:"), " ", S.type_examples.join(", "), size="1"),
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
        on_submit=S.change_type,
        width="100%",
        padding_top="12px",
    )


def _edit_form() -> rx.Component:
    custom = rx.vstack(
        _labelled(
            "Label",
            "edit-label",
            rx.input(
                name="label",
                id="edit-label",
                default_value=S.edit_label,
                max_length=120,
                auto_complete="off",
                width="100%",
            ),
            _error(S.edit_errors.get("label", "")),
        ),
        rx.grid(
            _labelled(
                "Key",
                "edit-key",
                rx.input(
                    id="edit-key",
                    name="key",
                    value=S.edit_key,
                    read_only=True,
                    font_family="monospace",
                    variant="soft",
                    color_scheme="gray",
                    width="100%",
                ),
                _hint("Fixed once the field is saved."),
            ),
            _labelled(
                "Type",
                "edit-type-now",
                rx.input(
                    id="edit-type-now",
                    name="type_now",
                    value=S.edit_type_label,
                    read_only=True,
                    variant="soft",
                    width="100%",
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            gap="12px",
            width="100%",
        ),
        _labelled(
            "Help text",
            "edit-help",
            rx.text_area(name="help_text", id="edit-help", default_value=S.edit_help, rows="2", width="100%"),
            _error(S.edit_errors.get("help_text", "")),
        ),
        _labelled(
            "Default value",
            "edit-default",
            _default_control(S.edit_type, "edit-default", S.edit_default, S.active_choices),
            _error(S.edit_errors.get("default_value", "")),
        ),
        spacing="3",
        width="100%",
    )
    flags = rx.box(
        *[
            _switch_row(
                label,
                hint,
                S.edit_flags[flag].to(bool),
                lambda value, flag=flag: S.toggle_edit_flag(flag, value),
                f"edit-{FLAG_IDS[flag]}",
                disabled=~S.edit_can_require if flag == "required" else False,
            )
            for flag, label, hint in FLAG_LABELS
            if flag == "required"
        ],
        rx.cond(
            S.edit_builtin,
            rx.fragment(),
            rx.fragment(
                *[
                    _switch_row(
                        label,
                        hint,
                        S.edit_flags[flag].to(bool),
                        lambda value, flag=flag: S.toggle_edit_flag(flag, value),
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
            rx.cond(S.edit_builtin, rx.fragment(), custom),
            flags,
            _error(S.edit_message, "edit-error"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save_edit,
        id="edit-form",
        key=S.edit_version,
        width="100%",
    )


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.edit_label),
            rx.dialog.description(
                rx.cond(
                    S.edit_builtin,
                    t("A built-in part of the contact form: it can be shown, hidden, moved and made required."),
                    t("A custom field of the contact form."),
                ),
                size="2",
                color_scheme="gray",
                margin_bottom="12px",
            ),
            _edit_form(),
            rx.cond(S.edit_has_choices, _choices_editor()),
            rx.cond(S.edit_builtin, rx.fragment(), _type_change()),
            rx.flex(
                rx.button(
                    t("Close"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.close_edit,
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
        open=S.edit_id > 0,
        on_open_change=S.edit_dialog_changed,
    )


# ---- confirmations ---------------------------------------------------------------------------


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(S.delete_summary, weight="medium", id="delete-summary"),
        rx.text(
            t("This cannot be undone. To keep the values, deactivate the field instead."),
            size="2",
            color_scheme="gray",
            margin_top="8px",
        ),
        title=rx.fragment(t("Delete the field"), " “", S.delete_label, "”?"),
        open=S.delete_id > 0,
        on_close=S.cancel_delete,
        confirm=rx.button(t("Delete"), color_scheme="red", on_click=S.confirm_delete, id="delete-confirm"),
        id="delete-dialog",
    )


def _delete_section_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(
            t("Its fields are kept: they move to the top of the form."), id="section-delete-summary"
        ),
        title=rx.fragment(t("Delete the section"), " “", S.delete_section_title, "”?"),
        open=S.delete_section_id > 0,
        on_close=S.cancel_delete_section,
        confirm=rx.button(
            t("Delete section"), color_scheme="red", on_click=S.confirm_delete_section, id="section-delete-confirm"
        ),
        id="section-delete-dialog",
    )


# ---- history ---------------------------------------------------------------------------------


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


def _history() -> rx.Component:
    """Who changed this form, what and when (the definitions' versions)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("history", size=16), rx.heading(t("History"), size="3", as_="h2"), spacing="2", align="center"
            ),
            rx.cond(
                S.history.length() > 0,
                rx.box(rx.foreach(S.history, _history_row), width="100%"),
                rx.text(t("No changes to this form yet."), size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="form-history",
    )


# ---- the page --------------------------------------------------------------------------------


def form_builder_page() -> rx.Component:
    """Managers shape the person and organisation forms: fields, built-ins, order, sections."""
    return rx.box(
        page_header(t("Contact forms")),
        rx.cond(
            can(Permission.FORMS_MANAGE),
            rx.vstack(
                rx.text(
                    t(
                        "Shape the contact file of each type: add your own fields, group them into sections, "
                        "show or hide the built-in parts and choose what is required."
                    ),
                    size="2",
                    color_scheme="gray",
                ),
                _kind_tabs(),
                _toolbar(),
                rx.text(
                    t("On a computer, drag a field by its row to move it; the arrows move it one place."),
                    size="1",
                    color_scheme="gray",
                    class_name="hide-on-phone",
                ),
                rx.vstack(rx.foreach(S.sections, _section_block), spacing="3", width="100%", id="form-fields"),
                # assets/form_builder.js writes a dropped field's new place here; its change reaches the server.
                rx.el.input(id="field-drop", on_change=S.drop_field, style={"display": "none"}, aria_hidden="true"),
                rx.script(src="/form_builder.js"),
                _history(),
                _add_dialog(),
                _edit_dialog(),
                _delete_dialog(),
                _delete_section_dialog(),
                spacing="4",
                width="100%",
                max_width="920px",
            ),
            rx.callout(
                t("Only managers can change these settings."),
                icon="lock",
                color_scheme="gray",
                id="no-access",
            ),
        ),
        width="100%",
    )
