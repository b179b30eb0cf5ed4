"""Settings index, users (admin) and the user's own account."""

import reflex as rx

from crm_app.auth.permissions import ROLES, Permission
from crm_app.i18n import LOCALE_NAMES
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.pages.auth import change_password_form
from crm_app.ui.state.session import SessionState, can
from crm_app.ui.state.users import UserRow, UsersState

SETTINGS_LINKS: list[tuple[str, str, str, Permission]] = [
    ("Users", "Accounts, roles, one-time passwords", "/settings/users", Permission.USERS_MANAGE),
    (
        "Contact settings",
        "Communication defaults, phone country and format, references",
        "/settings/contacts",
        Permission.SETTINGS_LISTS,
    ),
    (
        "Contact forms",
        "Custom fields, sections and built-in fields of the person and organisation forms",
        "/settings/forms",
        Permission.FORMS_MANAGE,
    ),
    ("Tags", "Rename, merge, delete and colour tags", "/settings/tags", Permission.TAGS_MANAGE),
    ("Phone types", "Types offered for phone numbers", "/settings/phone-types", Permission.SETTINGS_LISTS),
    (
        "Marketing campaigns",
        "How did they find us? Acquisition channels",
        "/settings/campaigns",
        Permission.SETTINGS_LISTS,
    ),
    ("My account", "Password and language", "/account", Permission.CONTACTS_VIEW),
]


def _tile(title: str, text: str, href: str, perm: Permission) -> rx.Component:
    return rx.cond(
        can(perm),
        rx.link(
            rx.card(
                rx.vstack(
                    rx.heading(t(title), size="3", as_="h2"),
                    rx.text(t(text), size="2", color_scheme="gray"),
                    spacing="1",
                ),
                width="100%",
            ),
            href=href,
            underline="none",
            color=rx.color("gray", 12),
            width="100%",
        ),
    )


def settings_page() -> rx.Component:
    """Links to every settings page the user may open."""
    return rx.box(
        page_header(t("Settings")),
        rx.grid(
            *[_tile(*item) for item in SETTINGS_LINKS],
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            gap="12px",
            width="100%",
        ),
    )


def account_page() -> rx.Component:
    """Change one's password and language."""
    return rx.box(
        page_header(t("My account")),
        rx.flex(
            rx.card(
                rx.vstack(
                    rx.heading(t("Language"), size="3", as_="h2"),
                    rx.select.root(
                        rx.select.trigger(id="account-language"),
                        rx.select.content(*[rx.select.item(n, value=c) for c, n in LOCALE_NAMES.items()]),
                        value=SessionState.locale,
                        on_change=SessionState.choose_locale,
                    ),
                    rx.text(SessionState.user_email, size="2", color_scheme="gray"),
                    spacing="3",
                ),
                flex="1",
                min_width="260px",
            ),
            rx.card(
                rx.vstack(
                    rx.heading(t("Password"), size="3", as_="h2"), change_password_form(), spacing="3", width="100%"
                ),
                flex="2",
                min_width="280px",
            ),
            gap="16px",
            wrap="wrap",
            width="100%",
        ),
    )


def _role_select(user: UserRow) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(variant="soft"),
        rx.select.content(*[rx.select.item(t(r.capitalize()), value=r) for r in ROLES]),
        value=user.role,
        on_change=lambda v: UsersState.change_role(user.id, v),
        size="1",
    )


def _user_row(user: UserRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(user.name, weight="medium", size="2"),
                rx.text(user.email, size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(_role_select(user)),
        rx.table.cell(
            rx.cond(
                user.active,
                rx.badge(t("Active"), color_scheme="green"),
                rx.badge(t("Deactivated"), color_scheme="gray"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    rx.cond(user.active, t("Deactivate"), t("Reactivate")),
                    size="1",
                    variant="soft",
                    color_scheme=rx.cond(user.active, "red", "green"),
                    on_click=UsersState.toggle_active(user.id),
                ),
                rx.button(t("Reset password"), size="1", variant="soft", on_click=UsersState.reset_password(user.id)),
                spacing="2",
                wrap="wrap",
            )
        ),
        class_name="user-row",
    )


def users_page() -> rx.Component:
    """Admins create users, change roles, deactivate and reset passwords."""
    return rx.box(
        page_header(t("Users")),
        rx.cond(
            UsersState.one_time_password,
            rx.callout(
                rx.text(
                    t("One-time password for"),
                    " ",
                    rx.text.strong(UsersState.one_time_for),
                    ": ",
                    rx.code(UsersState.one_time_password, id="one-time-password"),
                    ". ",
                    t("Hand it over; it must be changed at first sign-in."),
                ),
                icon="key-round",
                color_scheme="green",
                margin_bottom="12px",
            ),
        ),
        rx.card(
            rx.form(
                rx.flex(
                    rx.input(name="name", placeholder=t("Name"), required=True, flex="1", min_width="160px"),
                    rx.input(
                        name="email", placeholder=t("E-mail"), type="email", required=True, flex="1", min_width="200px"
                    ),
                    rx.el.select(
                        *[rx.el.option(r.capitalize(), value=r) for r in ROLES],
                        name="role",
                        default_value="staff",
                        style={"padding": "6px", "border_radius": "6px"},
                    ),
                    rx.button(rx.icon("user-plus", size=16), t("Add user"), type="submit", id="add-user"),
                    gap="8px",
                    wrap="wrap",
                    align="center",
                    width="100%",
                ),
                rx.cond(UsersState.new_error, rx.text(UsersState.new_error, color_scheme="red", size="2")),
                on_submit=UsersState.create,
                reset_on_submit=True,
            ),
            margin_bottom="12px",
        ),
        rx.card(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("User")),
                        rx.table.column_header_cell(t("Role")),
                        rx.table.column_header_cell(t("Status")),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(UsersState.users, _user_row)),
                width="100%",
            ),
            overflow_x="auto",
        ),
    )
