"""The contact list: a table on a desktop, cards on a phone."""

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts.schemas import ContactRow
from crm_app.ui.components.markers import contact_name
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.contact_list import ContactListState
from crm_app.ui.state.session import can


def _new_buttons() -> rx.Component:
    return rx.cond(
        can(Permission.CONTACTS_EDIT),
        rx.hstack(
            rx.link(
                rx.button(rx.icon("user-plus", size=16), t("Person"), id="new-person"), href="/contacts/new?kind=person"
            ),
            rx.link(
                rx.button(rx.icon("building-2", size=16), t("Organisation"), variant="soft", id="new-org"),
                href="/contacts/new?kind=organization",
            ),
            spacing="2",
        ),
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.box(
            rx.debounce_input(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    placeholder=t("Search name, phone, e-mail, reference…"),
                    value=ContactListState.query,
                    on_change=ContactListState.search,
                    size="3",
                    width="100%",
                    id="contact-search",
                    type="search",
                ),
                debounce_timeout=200,
            ),
            flex="1",
            min_width="220px",
        ),
        rx.button(
            rx.icon("truck", size=16),
            t("Suppliers"),
            variant=rx.cond(ContactListState.suppliers_only, "solid", "outline"),
            on_click=ContactListState.toggle_suppliers,
            size="3",
            id="filter-suppliers",
        ),
        rx.button(
            rx.icon("archive", size=16),
            t("Archived"),
            variant=rx.cond(ContactListState.show_archived, "solid", "outline"),
            color_scheme="gray",
            on_click=ContactListState.toggle_archived,
            size="3",
            id="filter-archived",
        ),
        gap="8px",
        wrap="wrap",
        width="100%",
        margin_bottom="12px",
    )


def _row(row: ContactRow) -> rx.Component:
    href = "/contacts/" + row.id.to_string()
    return rx.table.row(
        rx.table.cell(
            rx.link(
                contact_name(row.display_name, row.is_supplier, row.is_conflict, row.archived),
                href=href,
                underline="none",
                color=rx.color("gray", 12),
            )
        ),
        rx.table.cell(rx.text(row.reference, size="2", color_scheme="gray")),
        rx.table.cell(
            rx.cond(row.main_phone, rx.link(row.main_phone, href=row.main_phone_tel, size="2")), white_space="nowrap"
        ),
        rx.table.cell(rx.text(row.main_email, size="2", class_name="clip")),
        rx.table.cell(rx.text(row.city, size="2")),
        rx.table.cell(
            rx.hstack(rx.foreach(row.tags, lambda tag: rx.badge(tag, variant="soft")), wrap="wrap", spacing="1")
        ),
        class_name="contact-row",
        style={"cursor": "pointer"},
    )


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(t("Name")),
                    rx.table.column_header_cell(t("Reference")),
                    rx.table.column_header_cell(t("Phone")),
                    rx.table.column_header_cell(t("E-mail")),
                    rx.table.column_header_cell(t("City")),
                    rx.table.column_header_cell(t("Tags")),
                )
            ),
            rx.table.body(rx.foreach(ContactListState.rows, _row)),
            width="100%",
            variant="ghost",
        ),
        class_name="hide-on-phone",
        width="100%",
        padding="0",
    )


def _card(row: ContactRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.link(
                rx.vstack(
                    contact_name(row.display_name, row.is_supplier, row.is_conflict, row.archived, size="3"),
                    rx.text(row.city, size="1", color_scheme="gray"),
                    spacing="1",
                    min_width="0",
                ),
                href="/contacts/" + row.id.to_string(),
                underline="none",
                color=rx.color("gray", 12),
                flex="1",
                min_width="0",
            ),
            rx.cond(
                row.main_phone,
                rx.link(
                    rx.icon_button(
                        rx.icon("phone", size=18), size="3", radius="full", variant="soft", aria_label=t("Call")
                    ),
                    href=row.main_phone_tel,
                ),
            ),
            align="center",
            width="100%",
        ),
        class_name="contact-card",
        width="100%",
    )


def _cards() -> rx.Component:
    return rx.vstack(rx.foreach(ContactListState.rows, _card), spacing="2", width="100%", class_name="phone-only")


def _pager() -> rx.Component:
    return rx.hstack(
        rx.text(ContactListState.range_label, size="2", color_scheme="gray", id="range-label"),
        rx.spacer(),
        rx.icon_button(
            rx.icon("chevron-left"),
            variant="soft",
            aria_label=t("Previous page"),
            disabled=ContactListState.page <= 1,
            on_click=ContactListState.go_to_page(ContactListState.page - 1),
            id="prev-page",
        ),
        rx.text(ContactListState.page.to_string() + " / " + ContactListState.page_count.to_string(), size="2"),
        rx.icon_button(
            rx.icon("chevron-right"),
            variant="soft",
            aria_label=t("Next page"),
            disabled=ContactListState.page >= ContactListState.page_count,
            on_click=ContactListState.go_to_page(ContactListState.page + 1),
            id="next-page",
        ),
        align="center",
        width="100%",
        margin_top="12px",
    )


def contacts_page() -> rx.Component:
    """Search, the rows of one page and the pager."""
    return rx.box(
        page_header(t("Contacts"), _new_buttons()),
        _toolbar(),
        rx.cond(
            ContactListState.total == 0,
            rx.center(rx.text(t("No contacts match."), color_scheme="gray"), padding="40px"),
            rx.box(_table(), _cards(), width="100%"),
        ),
        _pager(),
        width="100%",
    )
