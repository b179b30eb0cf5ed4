"""Settings → Phone types and Marketing campaigns: one choice-list editor page, given each list's texts and rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.components.access import managers_only
from crm_app.ui.components.editable_list import (
    add_form,
    empty_list,
    intro,
    list_row,
    move_actions,
    name_or_rename,
    rename_action,
    unless_renaming,
    usage_count,
)
from crm_app.ui.components.forms import icon_action
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.choice_lists import ChannelsState, ListRow, PhoneTypesState
from crm_app.ui.styles import ROW_BORDER

BUILTIN_TYPES = ("Mobile", "Work", "Home")


@dataclass(frozen=True)
class ChoiceListPage:
    """The texts and element ids of one choice list's page (texts are msgids)."""

    title: str
    intro: str
    input_id: str
    button_id: str
    placeholder: str
    list_id: str
    empty: str


PHONE_TYPES = ChoiceListPage(
    title="Phone types",
    intro="The types offered for every phone number, after the built-in ones. "
    "Renaming a type renames it on every phone.",
    input_id="new-phone-type",
    button_id="add-phone-type",
    placeholder="New type, e.g. Fax",
    list_id="phone-types",
    empty="No custom phone types yet.",
)
CAMPAIGNS = ChoiceListPage(
    title="Marketing campaigns",
    intro="The answers to “How did they find us?” on the contact file. A deactivated campaign stays on the "
    "contacts that have it but can no longer be chosen.",
    input_id="new-campaign",
    button_id="add-campaign",
    placeholder="New campaign, e.g. Trade fair 2025",
    list_id="campaigns",
    empty="No campaigns yet.",
)


def _choice_list_page(
    state: type[PhoneTypesState | ChannelsState],
    page: ChoiceListPage,
    row: Callable[[ListRow], rx.Component],
    *above_rows: rx.Component,
) -> rx.Component:
    return rx.box(
        page_header(t(page.title)),
        managers_only(
            Permission.SETTINGS_LISTS,
            rx.vstack(
                intro(page.intro),
                rx.card(
                    rx.vstack(
                        add_form(page.input_id, page.button_id, page.placeholder, "Add", state.add, state.add_error),
                        *above_rows,
                        rx.box(
                            rx.cond(state.rows.length() > 0, rx.foreach(state.rows, row), empty_list(page.empty)),
                            width="100%",
                            border_top=ROW_BORDER,
                            id=page.list_id,
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                    max_width="720px",
                ),
                spacing="4",
                width="100%",
            ),
        ),
        width="100%",
    )


# ---- phone types -----------------------------------------------------------------------------


def _phone_type_row(row: ListRow) -> rx.Component:
    display = rx.vstack(
        rx.text(row.name, size="2", weight="medium", class_name="clip name"),
        usage_count(row.usage, "phone", "phones"),
        spacing="0",
        min_width="0",
    )
    return list_row(
        name_or_rename(row, PhoneTypesState, display),
        unless_renaming(
            row,
            PhoneTypesState,
            rx.hstack(
                *move_actions(row, PhoneTypesState.move),
                rename_action(row, PhoneTypesState),
                icon_action("trash-2", "Delete", PhoneTypesState.delete(row.id), "delete", color="red"),
                spacing="1",
            ),
        ),
        "phone-type-row",
    )


def _builtin_types() -> rx.Component:
    return rx.flex(
        rx.text(t("Built in"), size="1", color_scheme="gray"),
        *[rx.badge(rx.icon("lock", size=11), t(name), variant="soft", color_scheme="gray") for name in BUILTIN_TYPES],
        gap="6px",
        align="center",
        wrap="wrap",
        padding="4px",
    )


def phone_types_page() -> rx.Component:
    """Custom phone types: add, rename, reorder, delete."""
    return _choice_list_page(PhoneTypesState, PHONE_TYPES, _phone_type_row, _builtin_types())


# ---- marketing campaigns ---------------------------------------------------------------------


def _campaign_row(row: ListRow) -> rx.Component:
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
    return list_row(
        name_or_rename(row, ChannelsState, display),
        unless_renaming(
            row,
            ChannelsState,
            rx.hstack(
                rx.tooltip(
                    rx.switch(
                        checked=row.active,
                        on_change=lambda value: ChannelsState.toggle_active(row.id, value),
                        class_name="campaign-active",
                        aria_label=t("Active"),
                    ),
                    content=rx.cond(row.active, t("Active: can be chosen"), t("Inactive: cannot be chosen")),
                ),
                *move_actions(row, ChannelsState.move),
                rename_action(row, ChannelsState),
                spacing="1",
                align="center",
            ),
        ),
        "campaign-row",
    )


def campaigns_page() -> rx.Component:
    """Marketing campaigns (acquisition channels): add, rename, reorder, deactivate."""
    return _choice_list_page(ChannelsState, CAMPAIGNS, _campaign_row)
