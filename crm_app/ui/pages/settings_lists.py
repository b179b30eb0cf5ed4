"""Manager settings pages of the contact file: phone types, campaigns, tags and contact settings."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts.tags import TAG_COLORS
from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.session import can
from crm_app.ui.state.settings_lists import (
    CHANNEL_LABELS,
    DIGIT_CHOICES,
    REGION_CHOICES,
    AccountSettingsState,
    ChannelsState,
    ListRow,
    PhoneTypesState,
    TagRow,
    TagsState,
)
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE

BUILTIN_TYPES = ("Mobile", "Work", "Home")
ROW_BORDER = f"1px solid {rx.color('gray', 4)}"


# ---- shared pieces ---------------------------------------------------------------------------


def _guarded(permission: Permission, *content: rx.Component) -> rx.Component:
    """The page body for users holding ``permission``; a short notice for everyone else."""
    return rx.cond(
        can(permission),
        rx.vstack(*content, spacing="4", width="100%"),
        rx.callout(
            t("Only managers can change these settings."),
            icon="lock",
            color_scheme="gray",
            id="no-access",
        ),
    )


def _intro(text: str) -> rx.Component:
    return rx.text(t(text), size="2", color_scheme="gray", max_width="720px")


def _error(message: rx.Var, class_name: str = "field-error") -> rx.Component:
    return rx.cond(message, rx.text(message, color_scheme="red", size="1", class_name=class_name, role="alert"))


def _add_form(input_id: str, button_id: str, placeholder: str, label: str, on_submit, error: rx.Var) -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                name="name",
                id=input_id,
                placeholder=t(placeholder),
                auto_complete="off",
                max_length=120,
                flex="1",
                min_width="0",
            ),
            rx.button(rx.icon("plus", size=16), t(label), type="submit", id=button_id),
            gap="8px",
            align="center",
            width="100%",
        ),
        _error(error, "add-error"),
        on_submit=on_submit,
        width="100%",
    )


def _rename_form(value: rx.Var, on_submit, on_cancel, error: rx.Var) -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                name="name",
                default_value=value,
                id="rename-input",
                auto_focus=True,
                auto_complete="off",
                max_length=120,
                flex="1",
                min_width="0",
            ),
            rx.icon_button(rx.icon("check", size=16), type="submit", id="rename-save", aria_label=t("Save name")),
            rx.icon_button(
                rx.icon("x", size=16),
                type="button",
                variant="soft",
                color_scheme="gray",
                on_click=on_cancel,
                id="rename-cancel",
                aria_label=t("Cancel"),
            ),
            gap="6px",
            align="center",
            width="100%",
        ),
        _error(error, "rename-error"),
        on_submit=on_submit,
        width="100%",
    )


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


def _row(left: rx.Component, right: rx.Component, class_name: str) -> rx.Component:
    return rx.flex(
        rx.box(left, flex="1", min_width="0"),
        right,
        align="center",
        gap="8px",
        padding="10px 4px",
        border_bottom=ROW_BORDER,
        width="100%",
        class_name=class_name,
    )


def _empty(text: str) -> rx.Component:
    return rx.center(rx.text(t(text), size="2", color_scheme="gray"), padding="24px", width="100%")


def _count(value: rx.Var, one: str, many: str) -> rx.Component:
    return rx.text(
        value.to_string(), " ", rx.cond(value == 1, t(one), t(many)), size="1", color_scheme="gray", class_name="usage"
    )


def _move_actions(row: ListRow, move: Callable) -> list[rx.Component]:
    return [
        _action("arrow-up", "Move up", move(row.id, "up"), "move-up", disabled=row.first),
        _action("arrow-down", "Move down", move(row.id, "down"), "move-down", disabled=row.last),
    ]


def _name_or_rename(row: ListRow, state, display: rx.Component) -> rx.Component:
    return rx.cond(
        state.editing_id == row.id,
        _rename_form(row.name, state.save_rename, state.cancel_rename, state.rename_error),
        display,
    )


# ---- phone types -----------------------------------------------------------------------------


def _phone_type_row(row: ListRow) -> rx.Component:
    S = PhoneTypesState
    display = rx.vstack(
        rx.text(row.name, size="2", weight="medium", class_name="clip name"),
        _count(row.usage, "phone", "phones"),
        spacing="0",
        min_width="0",
    )
    return _row(
        _name_or_rename(row, S, display),
        rx.cond(
            S.editing_id == row.id,
            rx.fragment(),
            rx.hstack(
                *_move_actions(row, S.move),
                _action("pencil", "Rename", S.start_rename(row.id), "rename"),
                _action("trash-2", "Delete", S.delete(row.id), "delete", color="red"),
                spacing="1",
            ),
        ),
        "phone-type-row",
    )


def phone_types_page() -> rx.Component:
    """Custom phone types: add, rename, reorder, delete."""
    S = PhoneTypesState
    return rx.box(
        page_header(t("Phone types")),
        _guarded(
            Permission.SETTINGS_LISTS,
            _intro(
                "The types offered for every phone number, after the built-in ones. "
                "Renaming a type renames it on every phone."
            ),
            rx.card(
                rx.vstack(
                    _add_form("new-phone-type", "add-phone-type", "New type, e.g. Fax", "Add", S.add, S.add_error),
                    rx.flex(
                        rx.text(t("Built in"), size="1", color_scheme="gray"),
                        *[
                            rx.badge(rx.icon("lock", size=11), t(name), variant="soft", color_scheme="gray")
                            for name in BUILTIN_TYPES
                        ],
                        gap="6px",
                        align="center",
                        wrap="wrap",
                        padding="4px",
                    ),
                    rx.box(
                        rx.cond(
                            S.rows.length() > 0,
                            rx.foreach(S.rows, _phone_type_row),
                            _empty("No custom phone types yet."),
                        ),
                        width="100%",
                        border_top=ROW_BORDER,
                        id="phone-types",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
                max_width="720px",
            ),
        ),
        width="100%",
    )


# ---- marketing campaigns ---------------------------------------------------------------------


def _campaign_row(row: ListRow) -> rx.Component:
    S = ChannelsState
    display = rx.hstack(
        rx.text(
            row.name,
            size="2",
            weight="medium",
            class_name="clip name",
            color=rx.cond(row.active, "", rx.color("gray", 10)),
        ),
        rx.cond(row.active, rx.fragment(), rx.badge(t("Inactive"), color_scheme="gray", variant="soft")),
        spacing="2",
        align="center",
        min_width="0",
    )
    return _row(
        _name_or_rename(row, S, display),
        rx.cond(
            S.editing_id == row.id,
            rx.fragment(),
            rx.hstack(
                rx.tooltip(
                    rx.switch(
                        checked=row.active,
                        on_change=lambda value: S.toggle_active(row.id, value),
                        class_name="campaign-active",
                        aria_label=t("Active"),
                    ),
                    content=rx.cond(row.active, t("Active: can be chosen"), t("Inactive: cannot be chosen")),
                ),
                *_move_actions(row, S.move),
                _action("pencil", "Rename", S.start_rename(row.id), "rename"),
                spacing="1",
                align="center",
            ),
        ),
        "campaign-row",
    )


def campaigns_page() -> rx.Component:
    """Marketing campaigns (acquisition channels): add, rename, reorder, deactivate."""
    S = ChannelsState
    return rx.box(
        page_header(t("Marketing campaigns")),
        _guarded(
            Permission.SETTINGS_LISTS,
            _intro(
                "The answers to “How did they find us?” on the contact file. A deactivated campaign stays on the "
                "contacts that have it but can no longer be chosen."
            ),
            rx.card(
                rx.vstack(
                    _add_form(
                        "new-campaign", "add-campaign", "New campaign, e.g. Trade fair 2025", "Add", S.add, S.add_error
                    ),
                    rx.box(
                        rx.cond(
                            S.rows.length() > 0,
                            rx.foreach(S.rows, _campaign_row),
                            _empty("No campaigns yet."),
                        ),
                        width="100%",
                        border_top=ROW_BORDER,
                        id="campaigns",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
                max_width="720px",
            ),
        ),
        width="100%",
    )


# ---- tags ------------------------------------------------------------------------------------


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
    S = TagsState
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
        _count(row.usage, "contact", "contacts"),
        spacing="2",
        align="center",
        min_width="0",
    )
    return _row(
        rx.hstack(
            rx.checkbox(
                checked=S.selected.contains(row.id),
                on_change=lambda value: S.toggle_select(row.id, value),
                disabled=row.system,
                class_name="tag-select",
                aria_label=t("Select for merge"),
            ),
            _color_picker(row),
            rx.box(_name_or_rename(row, S, display), flex="1", min_width="0"),
            spacing="2",
            align="center",
            width="100%",
        ),
        rx.cond(
            S.editing_id == row.id,
            rx.fragment(),
            rx.hstack(
                _action("pencil", "Rename", S.start_rename(row.id), "rename"),
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
                    _action("trash-2", "Delete", S.ask_delete(row.id), "delete", color="red"),
                ),
                spacing="1",
            ),
        ),
        "tag-row",
    )


def _merge_bar() -> rx.Component:
    S = TagsState
    return rx.cond(
        S.selected_count > 0,
        rx.flex(
            rx.text(S.selected_count.to_string(), " ", t("selected"), size="2", weight="medium", white_space="nowrap"),
            rx.flex(
                rx.text(t("Merge into"), size="2", white_space="nowrap"),
                rx.el.select(
                    rx.el.option(t("Choose the tag that stays"), value="", disabled=True),
                    rx.foreach(S.rows, lambda r: rx.el.option(r.name, value=r.id.to_string())),
                    value=S.merge_target,
                    on_change=S.choose_merge_target,
                    id="merge-target",
                    style=FULL_WIDTH_SELECT_STYLE,
                ),
                gap="8px",
                align="center",
                flex="1",
                min_width="220px",
            ),
            rx.hstack(
                rx.button(rx.icon("merge", size=16), t("Merge…"), on_click=S.ask_merge, id="merge-open"),
                rx.button(
                    t("Clear"), variant="soft", color_scheme="gray", on_click=S.clear_selection, id="merge-clear"
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
    S = TagsState
    return confirm_dialog(
        rx.alert_dialog.description(S.merge_summary, id="merge-summary"),
        title=t("Merge tags"),
        open=S.merge_open,
        on_close=S.cancel_merge,
        confirm=rx.button(t("Merge"), on_click=S.confirm_merge, id="merge-confirm"),
        id="merge-dialog",
    )


def _delete_dialog() -> rx.Component:
    S = TagsState
    return confirm_dialog(
        rx.alert_dialog.description(S.delete_summary, id="delete-summary"),
        title=rx.fragment(t("Delete the tag"), " “", S.delete_name, "”?"),
        open=S.delete_id > 0,
        on_close=S.cancel_delete,
        confirm=rx.button(t("Delete"), color_scheme="red", on_click=S.confirm_delete, id="delete-confirm"),
        id="delete-dialog",
    )


def tags_page() -> rx.Component:
    """Every tag with its usage: add, rename, colour, merge, delete."""
    S = TagsState
    return rx.box(
        page_header(t("Tags")),
        _guarded(
            Permission.TAGS_MANAGE,
            _intro(
                "Tick tags to merge them into one: their contacts move to the tag that stays. "
                "System tags (with a lock) cannot be deleted."
            ),
            rx.card(
                rx.vstack(
                    _add_form("new-tag", "add-tag", "New tag", "Add", S.add, S.add_error),
                    _merge_bar(),
                    rx.box(
                        rx.cond(S.rows.length() > 0, rx.foreach(S.rows, _tag_row), _empty("No tags yet.")),
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
        ),
        width="100%",
    )


# ---- contact settings ------------------------------------------------------------------------


def _section(title: str, text: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t(title), size="3", as_="h2"),
            rx.text(t(text), size="2", color_scheme="gray"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _channel_switch(key: str, label: str) -> rx.Component:
    S = AccountSettingsState
    return rx.flex(
        rx.text(t(label), size="2", as_="label", html_for=f"default-{key}"),
        rx.spacer(),
        rx.switch(
            checked=S.channel_defaults[key].to(bool),
            on_change=lambda value: S.toggle_channel_default(key, value),
            id=f"default-{key}",
        ),
        align="center",
        width="100%",
        padding="8px 0",
        border_bottom=ROW_BORDER,
    )


def _label(text: str, html_for: str) -> rx.Component:
    return rx.text(t(text), as_="label", html_for=html_for, size="1", weight="medium", color_scheme="gray")


def _communication() -> rx.Component:
    return _section(
        "Communication defaults",
        "Channels switched on here are ticked for the first phone or e-mail of a new contact. "
        "Existing contacts do not change.",
        rx.box(
            *[_channel_switch(key, label) for key, label in CHANNEL_LABELS.items()],
            width="100%",
            border_top=ROW_BORDER,
        ),
    )


def _display_choice(value: str, label: str, example: rx.Var) -> rx.Component:
    return rx.text(
        rx.flex(
            rx.radio_group.item(value=value, id=f"display-{value}"),
            rx.vstack(
                rx.text(t(label), size="2"),
                rx.text(example, size="1", color_scheme="gray", class_name="example"),
                spacing="0",
            ),
            gap="8px",
            align="start",
        ),
        as_="label",
    )


def _phones() -> rx.Component:
    S = AccountSettingsState
    return _section(
        "Phone numbers",
        "Numbers typed without a country code are read as numbers of this country.",
        rx.vstack(
            _label("Default country", "default-region"),
            rx.el.select(
                *[rx.el.option(choice.label, value=choice.value) for choice in REGION_CHOICES],
                value=S.default_region,
                on_change=S.choose_region,
                id="default-region",
                style=FULL_WIDTH_SELECT_STYLE,
            ),
            spacing="1",
            width="100%",
        ),
        rx.vstack(
            _label("Show numbers", "phone-display"),
            rx.radio_group.root(
                rx.flex(
                    _display_choice("international", "International", S.international_example),
                    _display_choice("national", "National", S.national_example),
                    gap="20px",
                    wrap="wrap",
                ),
                value=S.phone_display,
                on_change=S.choose_phone_display,
                id="phone-display",
            ),
            spacing="1",
            width="100%",
        ),
    )


def _references() -> rx.Component:
    S = AccountSettingsState
    return _section(
        "References",
        "Every new contact gets the next number with this prefix. Existing references do not change.",
        rx.flex(
            rx.vstack(
                _label("Prefix", "reference-prefix"),
                rx.input(
                    value=S.prefix_draft,
                    on_change=S.type_prefix.debounce(250),
                    id="reference-prefix",
                    max_length=10,
                    auto_complete="off",
                    width="100%",
                ),
                _error(S.errors.get("reference_prefix", "")),
                spacing="1",
                flex="1",
                min_width="120px",
            ),
            rx.vstack(
                _label("Digits", "reference-digits"),
                rx.el.select(
                    *[rx.el.option(n, value=n) for n in DIGIT_CHOICES],
                    value=S.digits_draft,
                    on_change=S.choose_digits,
                    id="reference-digits",
                    style=FULL_WIDTH_SELECT_STYLE,
                ),
                _error(S.errors.get("reference_digits", "")),
                spacing="1",
                width="100px",
            ),
            gap="12px",
            width="100%",
            wrap="wrap",
        ),
        rx.flex(
            rx.text(t("Example:"), " ", rx.code(S.reference_example, id="reference-example"), size="2"),
            rx.spacer(),
            rx.button(t("Save references"), on_click=S.save_references, id="save-references"),
            align="center",
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
    )


def contact_settings_page() -> rx.Component:
    """Channel defaults for new contacts, phone region and format, reference numbering."""
    return rx.box(
        page_header(t("Contact settings")),
        _guarded(
            Permission.SETTINGS_LISTS,
            rx.grid(
                _communication(),
                rx.vstack(_phones(), _references(), spacing="4", width="100%"),
                columns=rx.breakpoints(initial="1", md="2"),
                gap="16px",
                width="100%",
                align_items="start",
            ),
        ),
        width="100%",
    )
