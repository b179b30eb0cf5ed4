"""The contact list: a table on a desktop, cards on a phone; filters in a drawer; bulk actions.

Longer than 800 lines because the desktop table and the phone cards render the same row and share its
pieces here; the drawer, the bulk bar and the saved views are next in line to move into a folder like
``contact_edit/``.
"""

import reflex as rx
from reflex.components.react_router.dom import ReactRouterLink

from crm_app.auth.permissions import Permission
from crm_app.contacts.schemas import ContactRow
from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.components.export_menu import export_menu
from crm_app.ui.components.forms import labelled
from crm_app.ui.components.markers import plain_contact_name
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.contact_list import ContactListState, FilterField, ListColumn, SavedViewRow
from crm_app.ui.state.session import can
from crm_app.ui.styles import SELECT_STYLE

# Wait after the last key before searching: short enough that rows follow typing (bench/list_browser.py), long
# enough that a word typed at a normal pace sends one search.
SEARCH_DEBOUNCE_MS = 120


TOOLBAR_SIZE = rx.breakpoints(initial="2", sm="3")


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


def _chips(key: str, choices: rx.Var) -> rx.Component:
    chosen = ContactListState.params.get(key, "").split(",")
    return rx.flex(
        rx.foreach(
            choices,
            lambda c: rx.button(
                c.label,
                size="1",
                type="button",
                variant=rx.cond(chosen.contains(c.value), "solid", "outline"),
                on_click=ContactListState.toggle_id(key, c.value),
                class_name=f"filter-{key}",
            ),
        ),
        gap="6px",
        wrap="wrap",
    )


def _finder(placeholder: rx.Var, value: rx.Var, on_change: rx.EventHandler, id_: str) -> rx.Component:
    """A small search box that narrows a picker (only the first matches live in the page's state)."""
    return rx.debounce_input(
        rx.input(
            rx.input.slot(rx.icon("search", size=12)),
            placeholder=placeholder,
            value=value,
            on_change=on_change,
            size="1",
            type="search",
            id=id_,
            width="100%",
        ),
        debounce_timeout=250,
    )


def _date(key: str) -> rx.Component:
    return rx.input(
        type="date",
        value=ContactListState.params.get(key, ""),
        on_change=lambda v: ContactListState.filter_by(key, v),
        size="1",
        id=f"filter-{key}",
    )


def _custom_filter(field: FilterField) -> rx.Component:
    chosen = ContactListState.params.get(field.param, "").split(",")
    dates = rx.hstack(
        rx.input(
            type="date",
            value=ContactListState.params.get(field.param + ".from", ""),
            on_change=lambda v: ContactListState.filter_by(field.param + ".from", v),
            size="1",
            id="filter-cf-" + field.key + "-from",
            aria_label=t("From"),
        ),
        rx.input(
            type="date",
            value=ContactListState.params.get(field.param + ".to", ""),
            on_change=lambda v: ContactListState.filter_by(field.param + ".to", v),
            size="1",
            id="filter-cf-" + field.key + "-to",
            aria_label=t("To"),
        ),
    )
    checkbox = rx.el.select(
        rx.el.option(t("All"), value=""),
        rx.el.option(t("Ticked"), value="1"),
        rx.el.option(t("Not ticked"), value="0"),
        value=ContactListState.params.get(field.param, ""),
        on_change=lambda v: ContactListState.filter_by(field.param, v),
        id="filter-cf-" + field.key,
        style=SELECT_STYLE,
    )
    choices = rx.flex(
        rx.foreach(
            field.choices,
            lambda c: rx.button(
                c.label,
                size="1",
                type="button",
                variant=rx.cond(chosen.contains(c.value), "solid", "outline"),
                on_click=ContactListState.toggle_choice(field.param, c.value),
                class_name="filter-choice",
            ),
        ),
        gap="6px",
        wrap="wrap",
        id="filter-cf-" + field.key,
    )
    return labelled(field.label, "", rx.match(field.type, ("date", dates), ("checkbox", checkbox), choices), size="1")


def _filters_drawer() -> rx.Component:
    return rx.drawer.root(
        rx.drawer.trigger(
            rx.button(
                rx.icon("sliders-horizontal", size=16),
                t("Filters"),
                rx.cond(
                    ContactListState.active_filter_count > 0,
                    rx.badge(ContactListState.active_filter_count, variant="solid", radius="full"),
                ),
                variant="outline",
                size=TOOLBAR_SIZE,
                class_name="toolbar-chip",
                id="open-filters",
            )
        ),
        rx.drawer.overlay(z_index="40"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.heading(t("Filters"), size="4", as_="h2"),
                        rx.spacer(),
                        rx.button(
                            t("Clear"), variant="ghost", on_click=ContactListState.clear_filters, id="clear-filters"
                        ),
                        rx.drawer.close(rx.icon_button(rx.icon("x"), variant="ghost", aria_label=t("Close"))),
                        width="100%",
                        align="center",
                    ),
                    labelled(
                        t("Type"),
                        "",
                        rx.el.select(
                            rx.el.option(t("All"), value=""),
                            rx.el.option(t("Persons"), value="person"),
                            rx.el.option(t("Organisations"), value="organization"),
                            value=ContactListState.params.get("kind", ""),
                            on_change=lambda v: ContactListState.filter_by("kind", v),
                            id="filter-kind",
                            style=SELECT_STYLE,
                        ),
                        size="1",
                    ),
                    rx.flex(
                        rx.button(
                            rx.icon("truck", size=14),
                            t("Suppliers"),
                            size="1",
                            variant=rx.cond(ContactListState.params.contains("supplier"), "solid", "outline"),
                            on_click=ContactListState.toggle_flag("supplier"),
                        ),
                        rx.button(
                            t("Conflict"),
                            size="1",
                            color_scheme="red",
                            variant=rx.cond(ContactListState.params.contains("conflict"), "solid", "outline"),
                            on_click=ContactListState.toggle_flag("conflict"),
                            id="filter-conflict",
                        ),
                        rx.button(
                            t("Unassigned"),
                            size="1",
                            color_scheme="gray",
                            variant=rx.cond(ContactListState.params.contains("unassigned"), "solid", "outline"),
                            on_click=ContactListState.toggle_flag("unassigned"),
                        ),
                        gap="6px",
                        wrap="wrap",
                    ),
                    labelled(
                        t("Tags"),
                        "",
                        rx.vstack(
                            _finder(
                                t("Find a tag…"), ContactListState.tag_query, ContactListState.find_tags, "find-tag"
                            ),
                            _chips("tags", ContactListState.tag_choices),
                            rx.el.select(
                                rx.el.option(t("Any of these tags"), value="any"),
                                rx.el.option(t("All of these tags"), value="all"),
                                value=ContactListState.params.get("tag_mode", "any"),
                                on_change=lambda v: ContactListState.filter_by("tag_mode", v),
                                id="filter-tag-mode",
                                style=SELECT_STYLE,
                            ),
                            spacing="2",
                            width="100%",
                        ),
                        size="1",
                    ),
                    labelled(
                        t("Archived contacts"),
                        "",
                        rx.el.select(
                            rx.el.option(t("Hidden"), value=""),
                            rx.el.option(t("Only archived"), value="only"),
                            rx.el.option(t("Included"), value="include"),
                            value=ContactListState.params.get("archived", ""),
                            on_change=lambda v: ContactListState.filter_by("archived", v),
                            id="filter-archived",
                            style=SELECT_STYLE,
                        ),
                        size="1",
                    ),
                    labelled(
                        t("How did they find us?"), "", _chips("channels", ContactListState.channel_choices), size="1"
                    ),
                    labelled(
                        t("Assigned to"),
                        "",
                        rx.vstack(
                            _finder(
                                t("Find a staff member…"),
                                ContactListState.user_query,
                                ContactListState.find_users,
                                "find-user",
                            ),
                            _chips("assigned", ContactListState.user_choices),
                            spacing="2",
                            width="100%",
                        ),
                        size="1",
                    ),
                    labelled(t("Created between"), "", rx.hstack(_date("created_from"), _date("created_to")), size="1"),
                    labelled(t("Updated between"), "", rx.hstack(_date("updated_from"), _date("updated_to")), size="1"),
                    rx.foreach(ContactListState.custom_filters, _custom_filter),
                    labelled(
                        t("Save this view"),
                        "",
                        rx.form(
                            rx.hstack(
                                rx.input(
                                    name="name", placeholder=t("View name"), size="2", required=True, id="view-name"
                                ),
                                rx.button(t("Save"), type="submit", size="2", id="save-view"),
                            ),
                            on_submit=ContactListState.save_view,
                            reset_on_submit=True,
                        ),
                        size="1",
                    ),
                    spacing="4",
                    padding="16px",
                    width="100%",
                    overflow_y="auto",
                    height="100%",
                ),
                width=["100vw", "380px"],
                max_width="100vw",
                height="100%",
                top="0",
                right="0",
                left="auto",
                background=rx.color("gray", 1),
                z_index="50",
                id="filters-drawer",
            )
        ),
        direction="right",
    )


def _views_menu() -> rx.Component:
    def item(v: SavedViewRow) -> rx.Component:
        return rx.menu.item(
            rx.hstack(
                rx.link(v.name, href="/contacts?" + v.query, on_click=rx.redirect("/contacts?" + v.query)),
                rx.spacer(),
                rx.icon("x", size=14, on_click=ContactListState.delete_view(v.id), aria_label=t("Delete view")),
                width="100%",
            ),
            class_name="saved-view",
        )

    return rx.cond(
        ContactListState.views.length() > 0,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    rx.icon("bookmark", size=16),
                    t("Views"),
                    variant="outline",
                    size=TOOLBAR_SIZE,
                    class_name="toolbar-chip",
                    id="views-menu",
                )
            ),
            rx.menu.content(rx.foreach(ContactListState.views, item)),
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
                    # Read-only until the page's load has run: it sets the search from the URL, which would
                    # otherwise wipe what was typed meanwhile.
                    read_only=~rx.State.is_hydrated,
                ),
                debounce_timeout=SEARCH_DEBOUNCE_MS,
            ),
            flex="1",
            # A phone gives the search the whole width; the buttons below it are chips.
            flex_basis=rx.breakpoints(initial="100%", sm="auto"),
            min_width="220px",
        ),
        rx.button(
            rx.icon("truck", size=16),
            t("Suppliers"),
            variant=rx.cond(ContactListState.params.contains("supplier"), "solid", "outline"),
            on_click=ContactListState.toggle_flag("supplier"),
            size=TOOLBAR_SIZE,
            class_name="toolbar-chip",
            id="filter-suppliers",
        ),
        _filters_drawer(),
        _views_menu(),
        rx.button(
            rx.icon(rx.cond(ContactListState.select_mode, "x", "list-checks"), size=16),
            rx.cond(ContactListState.select_mode, t("Done"), t("Select")),
            variant=rx.cond(ContactListState.select_mode, "solid", "outline"),
            on_click=ContactListState.toggle_select_mode,
            size=TOOLBAR_SIZE,
            class_name="phone-only toolbar-chip",
            id="select-mode",
        ),
        gap="8px",
        wrap="wrap",
        width="100%",
        margin_bottom="12px",
    )


def _sort_header(label: str, field: str) -> rx.Component:
    current = ContactListState.sort_field
    direction = ContactListState.sort_direction
    return rx.table.column_header_cell(
        rx.hstack(
            rx.text(t(label)),
            rx.cond(current == field, rx.icon(rx.cond(direction == "desc", "arrow-down", "arrow-up"), size=14)),
            spacing="1",
            align="center",
            cursor="pointer",
            on_click=ContactListState.sort_by(field),
            class_name=f"sort-{field}",
        ),
        white_space="nowrap",
    )


def _name(row: ContactRow) -> list[rx.Component]:
    return plain_contact_name(row.display_name, row.is_supplier, row.is_conflict, row.archived)


def _cell(*children: rx.Component, class_name: str | rx.Var | None = None) -> rx.Component:
    return rx.el.td(*children, class_name="rt-TableCell" if class_name is None else ["rt-TableCell", class_name])


def _row(row: ContactRow) -> rx.Component:
    """One table row, in plain elements styled by assets/styles.css (no per-element prop or style pass)."""
    return rx.el.tr(
        _cell(
            rx.el.input(
                type="checkbox",
                checked=ContactListState.all_matching | ContactListState.selected.contains(row.id),
                on_change=lambda _v: ContactListState.toggle_row(row.id),
                class_name="row-select",
                aria_label=t("Select"),
            )
        ),
        _cell(ReactRouterLink.create(*_name(row), to="/contacts/" + row.id.to_string(), class_name="list-name")),
        _cell(rx.el.span(rx.cond(row.kind == "person", t("Person"), t("Organisation")), class_name="list-muted")),
        _cell(rx.cond(row.main_phone, rx.el.a(row.main_phone, href=row.main_phone_tel, class_name="list-link"))),
        _cell(rx.el.span(row.main_email, class_name="list-text list-email clip")),
        _cell(rx.el.span(row.city, class_name="list-text")),
        _cell(
            rx.el.span(
                rx.foreach(row.tags, lambda tag: rx.el.span(tag, class_name="list-badge")), class_name="list-tags"
            )
        ),
        _cell(rx.el.span(row.assigned_user_name, class_name="list-text")),
        rx.foreach(
            ContactListState.custom_columns,
            lambda c: _cell(
                rx.el.span(row.custom[c.key], class_name="list-text list-custom clip"),
                class_name="custom-cell-" + c.key,
            ),
        ),
        _cell(
            rx.el.span(row.updated_label, title=row.updated_title, class_name="list-muted"), class_name="list-nowrap"
        ),
        class_name="rt-TableRow contact-row",
    )


def _custom_header(column: ListColumn) -> rx.Component:
    return rx.table.column_header_cell(rx.text(column.label), white_space="nowrap", class_name="custom-column")


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.el.input(
                            type="checkbox",
                            on_change=lambda _v: ContactListState.toggle_page(),
                            class_name="page-select",
                            aria_label=t("Select page"),
                            id="select-page",
                        )
                    ),
                    _sort_header("Name", "name"),
                    _sort_header("Type", "kind"),
                    _sort_header("Phone", "phone"),
                    _sort_header("E-mail", "email"),
                    _sort_header("City", "city"),
                    _sort_header("Tags", "tags"),
                    _sort_header("Assigned to", "assigned"),
                    rx.foreach(ContactListState.custom_columns, _custom_header),
                    _sort_header("Updated", "updated"),
                )
            ),
            rx.table.body(rx.foreach(ContactListState.rows, _row)),
            width="100%",
            variant="ghost",
            size="1",
        ),
        class_name=rx.cond(ContactListState.layout == "", "hide-on-phone", ""),
        width="100%",
        padding="0",
        overflow_x="auto",
    )


def _card(row: ContactRow) -> rx.Component:
    """One phone card: name, markers and city open the file; the phone button calls; in select mode a tick box."""
    return rx.el.div(
        rx.cond(
            ContactListState.select_mode,
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    checked=ContactListState.all_matching | ContactListState.selected.contains(row.id),
                    on_change=lambda _v: ContactListState.toggle_row(row.id),
                    class_name="row-select",
                    aria_label=t("Select"),
                ),
                class_name="card-select",
            ),
        ),
        ReactRouterLink.create(
            rx.el.span(*_name(row), class_name="list-name list-name-lg"),
            rx.el.span(row.city, class_name="list-muted"),
            to="/contacts/" + row.id.to_string(),
            class_name="list-card-main",
        ),
        rx.cond(
            row.main_phone,
            rx.el.a(
                rx.icon("phone", size=16),
                row.main_phone,
                href=row.main_phone_tel,
                class_name="list-call card-call",
            ),
        ),
        class_name="list-card contact-card",
    )


def _cards() -> rx.Component:
    return rx.vstack(
        rx.foreach(ContactListState.rows, _card),
        spacing="2",
        width="100%",
        class_name=rx.cond(ContactListState.layout == "", "phone-only", ""),
    )


def _bulk_bar() -> rx.Component:
    return rx.cond(
        ContactListState.selection_count > 0,
        rx.card(
            rx.flex(
                rx.text(ContactListState.selection_label, weight="bold", size="2", id="selection-count"),
                rx.text("·", color_scheme="gray", aria_hidden="true"),
                rx.button(
                    t("Clear"),
                    variant="ghost",
                    size="1",
                    color_scheme="gray",
                    on_click=ContactListState.clear_selection,
                    id="clear-selection",
                ),
                rx.cond(
                    ~ContactListState.all_matching & (ContactListState.total > ContactListState.selected.length()),
                    rx.button(
                        t("Select all matching"),
                        variant="ghost",
                        size="1",
                        on_click=ContactListState.select_all_matching,
                        id="select-all-matching",
                    ),
                ),
                rx.spacer(),
                rx.cond(
                    can(Permission.TAGS_BULK),
                    rx.hstack(
                        rx.input(
                            value=ContactListState.bulk_tag,
                            on_change=ContactListState.type_bulk_tag,
                            placeholder=t("Tag"),
                            size="1",
                            id="bulk-tag",
                            width="140px",
                            list="bulk-tag-options",
                        ),
                        rx.el.datalist(
                            rx.foreach(ContactListState.tag_choices, lambda c: rx.el.option(value=c.label)),
                            id="bulk-tag-options",
                        ),
                        rx.button(
                            t("Add tag"),
                            size="1",
                            on_click=ContactListState.bulk_add_tag,
                            disabled=ContactListState.bulk_busy,
                            id="bulk-add-tag",
                        ),
                        rx.button(
                            t("Remove tag"),
                            size="1",
                            variant="soft",
                            on_click=ContactListState.bulk_remove_tag,
                            disabled=ContactListState.bulk_busy,
                            id="bulk-remove-tag",
                        ),
                        spacing="1",
                        align="center",
                    ),
                ),
                rx.cond(
                    can(Permission.CONTACTS_EDIT),
                    rx.el.select(
                        rx.el.option(t("Assign to…"), value=""),
                        rx.el.option(t("Nobody"), value="none"),
                        rx.foreach(ContactListState.user_choices, lambda c: rx.el.option(c.label, value=c.value)),
                        value="",
                        on_change=ContactListState.bulk_assign,
                        disabled=ContactListState.bulk_busy,
                        id="bulk-assign",
                        style=SELECT_STYLE,
                    ),
                ),
                rx.cond(
                    can(Permission.CONTACTS_ARCHIVE),
                    rx.hstack(
                        rx.button(
                            t("Archive"),
                            size="1",
                            variant="soft",
                            on_click=ContactListState.bulk_archive,
                            disabled=ContactListState.bulk_busy,
                            id="bulk-archive",
                        ),
                        rx.button(
                            t("Restore"),
                            size="1",
                            variant="soft",
                            on_click=ContactListState.bulk_restore,
                            disabled=ContactListState.bulk_busy,
                            id="bulk-restore",
                        ),
                        spacing="1",
                    ),
                ),
                rx.cond(
                    can(Permission.CONTACTS_DELETE),
                    rx.button(
                        t("Delete…"),
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        on_click=ContactListState.ask_bulk_delete,
                        disabled=ContactListState.bulk_busy,
                        id="bulk-delete",
                    ),
                ),
                gap="8px",
                wrap="wrap",
                align="center",
                width="100%",
            ),
            width="100%",
            class_name="bulk-bar",
            id="bulk-bar",
        ),
    )


def _bulk_progress() -> rx.Component:
    return rx.cond(
        ContactListState.bulk_busy,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(t("Bulk action running…"), size="2", weight="medium"),
                    rx.spacer(),
                    rx.text(
                        ContactListState.bulk_progress_label, size="2", color_scheme="gray", id="bulk-progress-label"
                    ),
                    width="100%",
                    align="center",
                ),
                rx.progress(value=ContactListState.bulk_percent, max=100, width="100%"),
                spacing="2",
                width="100%",
            ),
            width="100%",
            margin_bottom="8px",
            id="bulk-progress",
        ),
    )


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(ContactListState.delete_summary, id="bulk-delete-summary"),
        rx.cond(
            ContactListState.needs_typed_confirm,
            rx.vstack(
                rx.text(t("Type the number of contacts to confirm:"), size="2"),
                rx.input(
                    value=ContactListState.confirm_text,
                    on_change=ContactListState.type_confirmation,
                    id="confirm-count",
                ),
                margin_top="12px",
            ),
        ),
        title=t("Delete the selected contacts?"),
        open=ContactListState.confirm_action == "delete",
        on_close=ContactListState.cancel_confirmation,
        confirm=rx.button(
            t("Delete"), color_scheme="red", on_click=ContactListState.bulk_delete, id="confirm-bulk-delete"
        ),
        id="bulk-delete-dialog",
    )


def _pager() -> rx.Component:
    return rx.flex(
        rx.text(ContactListState.range_label, size="2", color_scheme="gray", id="range-label"),
        rx.cond(
            (ContactListState.query != "") & (ContactListState.sort_field != "relevance"),
            rx.button(
                rx.icon("sparkles", size=14),
                t("Best matches first"),
                variant="ghost",
                size="1",
                on_click=ContactListState.sort_by("relevance"),
                id="sort-relevance",
            ),
        ),
        rx.spacer(),
        rx.el.select(
            *[rx.el.option(f"{n} / page", value=str(n)) for n in (25, 50, 100)],
            value=ContactListState.page_size.to_string(),
            on_change=ContactListState.change_page_size,
            id="page-size",
            style=SELECT_STYLE,
        ),
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
        gap="8px",
        wrap="wrap",
        width="100%",
        margin_top="12px",
    )


def _empty() -> rx.Component:
    """Nothing matches: offer to create the contact that was searched for, or to clear the search."""
    return rx.vstack(
        rx.text(t("No contacts match."), color_scheme="gray"),
        rx.cond(
            ContactListState.query.strip() != "",
            rx.flex(
                rx.cond(
                    can(Permission.CONTACTS_EDIT),
                    rx.button(
                        rx.icon("user-plus", size=16),
                        ContactListState.create_label,
                        on_click=rx.redirect(ContactListState.create_href),
                        id="create-searched",
                    ),
                ),
                rx.button(
                    rx.icon("x", size=16),
                    t("Clear search"),
                    variant="soft",
                    color_scheme="gray",
                    on_click=ContactListState.search(""),
                    id="clear-search",
                ),
                gap="8px",
                wrap="wrap",
                justify="center",
            ),
        ),
        align="center",
        spacing="3",
        padding="40px 16px",
        width="100%",
        id="empty-state",
    )


def contacts_page() -> rx.Component:
    """Search, filters, the rows of one page, bulk actions and the pager."""
    return rx.box(
        page_header(t("Contacts"), export_menu(), _new_buttons()),
        _toolbar(),
        _bulk_progress(),
        rx.cond(
            ContactListState.total == 0,
            _empty(),
            # Until the browser has said how wide it is both views are drawn (CSS shows one); then only its own,
            # which halves the work of every search (a narrow desktop window keeps the table, a turned phone its
            # cards).
            rx.box(
                rx.cond(ContactListState.layout != "phone", _table()),
                rx.cond(ContactListState.layout != "desktop", _cards()),
                width="100%",
            ),
        ),
        _bulk_bar(),
        rx.cond(ContactListState.total > 0, _pager()),
        _delete_dialog(),
        width="100%",
    )
