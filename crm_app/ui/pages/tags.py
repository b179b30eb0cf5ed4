"""Settings → Tags: every tag with its usage; add, rename, colour, merge, delete."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts.tags import TAG_COLORS
from crm_app.ui.components.access import managers_only
from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.components.editable_list import (
    add_form,
    empty_list,
    intro,
    list_row,
    name_or_rename,
    rename_action,
    unless_renaming,
    usage_count,
)
from crm_app.ui.components.forms import icon_action
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.tags import TagRow, TagsState
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE, ROW_BORDER


def _swatch(color: str | rx.Var, size: str = "16px") -> rx.Component:
    return rx.box(
        width=size,
        height=size,
        border_radius="50%",
        background=f"var(--{color}-9)",
        flex_shrink="0",
    )


def _color_picker(row: TagRow) -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(
                _swatch(row.color),
                variant="ghost",
                aria_label=t("Colour"),
                class_name="tag-color",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.text(t("Colour"), size="1", weight="medium", color_scheme="gray"),
                rx.grid(
                    *[
                        rx.popover.close(
                            rx.icon_button(
                                _swatch(color, "20px"),
                                variant=rx.cond(row.color == color, "soft", "ghost"),
                                aria_label=color,
                                title=color,
                                on_click=TagsState.recolor(row.id, color),
                                class_name=f"swatch swatch-{color}",
                            )
                        )
                        for color in TAG_COLORS
                    ],
                    columns="7",
                    gap="4px",
                ),
                spacing="2",
            ),
            side="bottom",
            align="start",
        ),
    )


def _tag_row(row: TagRow) -> rx.Component:
    display = rx.hstack(
        rx.badge(
            row.name, color_scheme=row.color, variant="soft", size="2", class_name="tag-name clip", max_width="100%"
        ),
        rx.cond(
            row.system,
            rx.tooltip(
                rx.icon("lock", size=14, color=rx.color("gray", 10), class_name="tag-lock"),
                content=t("System tag: it can be renamed but not deleted or merged away."),
            ),
        ),
        usage_count(row.usage, "contact", "contacts"),
        spacing="2",
        align="center",
        min_width="0",
    )
    return list_row(
        rx.hstack(
            rx.checkbox(
                checked=TagsState.selected.contains(row.id),
                on_change=lambda value: TagsState.toggle_select(row.id, value),
                disabled=row.system,
                class_name="tag-select",
                aria_label=t("Select for merge"),
            ),
            _color_picker(row),
            rx.box(name_or_rename(row, TagsState, display), flex="1", min_width="0"),
            spacing="2",
            align="center",
            width="100%",
        ),
        unless_renaming(
            row,
            TagsState,
            rx.hstack(
                rename_action(row, TagsState),
                rx.cond(
                    row.system,
                    rx.tooltip(
                        rx.icon_button(
                            rx.icon("lock", size=16),
                            variant="ghost",
                            color_scheme="gray",
                            disabled=True,
                            aria_label=t("System tag: cannot be deleted"),
                            class_name="delete-locked",
                        ),
                        content=t("System tag: cannot be deleted"),
                    ),
                    icon_action("trash-2", "Delete", TagsState.ask_delete(row.id), "delete", color="red"),
                ),
                spacing="1",
            ),
        ),
        "tag-row",
    )


def _merge_bar() -> rx.Component:
    return rx.cond(
        TagsState.selected_count > 0,
        rx.flex(
            rx.text(
                TagsState.selected_count.to_string(),
                " ",
                t("selected"),
                size="2",
                weight="medium",
                white_space="nowrap",
            ),
            rx.flex(
                rx.text(t("Merge into"), size="2", white_space="nowrap"),
                rx.el.select(
                    rx.el.option(t("Choose the tag that stays"), value="", disabled=True),
                    rx.foreach(TagsState.rows, lambda r: rx.el.option(r.name, value=r.id.to_string())),
                    value=TagsState.merge_target,
                    on_change=TagsState.choose_merge_target,
                    id="merge-target",
                    style=FULL_WIDTH_SELECT_STYLE,
                ),
                gap="8px",
                align="center",
                flex="1",
                min_width="220px",
            ),
            rx.hstack(
                rx.button(rx.icon("merge", size=16), t("Merge…"), on_click=TagsState.ask_merge, id="merge-open"),
                rx.button(
                    t("Clear"),
                    variant="soft",
                    color_scheme="gray",
                    on_click=TagsState.clear_selection,
                    id="merge-clear",
                ),
                spacing="2",
            ),
            gap="12px",
            align="center",
            wrap="wrap",
            padding="10px 12px",
            border_radius="8px",
            background=rx.color("accent", 3),
            width="100%",
            id="merge-bar",
        ),
    )


def _merge_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(TagsState.merge_summary, id="merge-summary"),
        title=t("Merge tags"),
        open=TagsState.merge_open,
        on_close=TagsState.cancel_merge,
        confirm=rx.button(t("Merge"), on_click=TagsState.confirm_merge, id="merge-confirm"),
        id="merge-dialog",
    )


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(TagsState.delete_summary, id="delete-summary"),
        title=rx.fragment(t("Delete the tag"), " “", TagsState.delete_name, "”?"),
        open=TagsState.delete_id > 0,
        on_close=TagsState.cancel_delete,
        confirm=rx.button(t("Delete"), color_scheme="red", on_click=TagsState.confirm_delete, id="delete-confirm"),
        id="delete-dialog",
    )


def tags_page() -> rx.Component:
    """Every tag with its usage: add, rename, colour, merge, delete."""
    return rx.box(
        page_header(t("Tags")),
        managers_only(
            Permission.TAGS_MANAGE,
            rx.vstack(
                intro(
                    "Tick tags to merge them into one: their contacts move to the tag that stays. "
                    "System tags (with a lock) cannot be deleted."
                ),
                rx.card(
                    rx.vstack(
                        add_form("new-tag", "add-tag", "New tag", "Add", TagsState.add, TagsState.add_error),
                        _merge_bar(),
                        rx.box(
                            rx.cond(
                                TagsState.rows.length() > 0,
                                rx.foreach(TagsState.rows, _tag_row),
                                empty_list("No tags yet."),
                            ),
                            width="100%",
                            border_top=ROW_BORDER,
                            id="tags",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                    max_width="820px",
                ),
                _merge_dialog(),
                _delete_dialog(),
                spacing="4",
                width="100%",
            ),
        ),
        width="100%",
    )
