"""One field of the form as a row: name, type and flags, the shown switch, move, edit and delete."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.components.forms import icon_action
from crm_app.ui.i18n import t
from crm_app.ui.state.form_builder import FieldRow, FormBuilderState
from crm_app.ui.styles import ROW_BORDER


def _flag_badge(flag: rx.Var, label: str, class_name: str, color: str = "gray") -> rx.Component:
    return rx.cond(flag, rx.badge(t(label), color_scheme=color, variant="surface", class_name=class_name))


def field_row(row: FieldRow) -> rx.Component:
    """One field of the form."""
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
                    on_change=lambda value: FormBuilderState.toggle_active(row.id, value),
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
        icon_action("arrow-up", "Move up", FormBuilderState.move(row.id, "up"), "move-up", disabled=row.first),
        icon_action("arrow-down", "Move down", FormBuilderState.move(row.id, "down"), "move-down", disabled=row.last),
        icon_action("pencil", "Edit", FormBuilderState.open_edit(row.id), "edit-field"),
        rx.cond(
            row.builtin,
            rx.icon_button(
                rx.icon("trash-2", size=16), variant="ghost", visibility="hidden", aria_hidden="true", tab_index=-1
            ),
            icon_action("trash-2", "Delete", FormBuilderState.ask_delete(row.id), "delete-field", color="red"),
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
