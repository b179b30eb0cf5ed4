"""Settings → Users (admins): create users, change roles, deactivate, reset passwords."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import ROLES
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.users import UserRow, UsersState


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
