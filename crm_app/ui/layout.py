"""The application shell: side navigation on a desktop, a top bar with a menu on a phone."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.i18n import t
from crm_app.ui.state.session import SessionState, can
from crm_app.ui.state.tasks import MyTasksState
from crm_app.ui.styles import SIDEBAR_WIDTH

TASKS_HREF = "/tasks"
# Label, target, icon, and the permission without which the item is hidden (the page refuses anyway).
NAV_ITEMS: list[tuple[str, str, str, Permission]] = [
    ("Contacts", "/contacts", "users", Permission.CONTACTS_VIEW),
    ("My tasks", TASKS_HREF, "square-check", Permission.CONTACTS_VIEW),
    ("Imports", "/imports", "file-up", Permission.IMPORT),
    ("Settings", "/settings", "settings", Permission.CONTACTS_VIEW),
]


def _task_count() -> rx.Component:
    """How many open tasks I have, beside "My tasks" (read when the menu is drawn)."""
    return rx.box(
        rx.cond(
            MyTasksState.open_count > 0,
            rx.badge(MyTasksState.open_count.to_string(), variant="solid", radius="full", class_name="task-count"),
        ),
        on_mount=MyTasksState.count_open,
        margin_left="auto",
    )


def _nav_link(label: str, href: str, icon: str, permission: Permission) -> rx.Component:
    active = SessionState.router.url.path.startswith(href)
    return rx.cond(
        can(permission),
        rx.link(
            rx.hstack(
                rx.icon(icon, size=18),
                rx.text(t(label), size="3"),
                *([_task_count()] if href == TASKS_HREF else []),
                spacing="3",
                align="center",
                width="100%",
            ),
            href=href,
            underline="none",
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
            background=rx.cond(active, rx.color("accent", 3), "transparent"),
            border_radius="8px",
            padding="8px 12px",
            width="100%",
            _hover={"background": rx.color("gray", 3)},
            class_name="nav-link",
        ),
    )


def _nav_links() -> rx.Component:
    return rx.vstack(
        *[_nav_link(*item) for item in NAV_ITEMS],
        spacing="1",
        width="100%",
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=SessionState.initials, size="2", radius="full"),
                rx.text(SessionState.user_name, size="2", class_name="hide-on-phone", trim="both"),
                variant="ghost",
                aria_label=t("Account menu"),
                id="user-menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("user", size=16), t("My account"), on_click=rx.redirect("/account")),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=16), t("Sign out"), on_click=SessionState.sign_out, id="sign-out"),
        ),
    )


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("contact", size=18, color="white"),
                background=rx.color("accent", 9),
                border_radius="8px",
                width="30px",
                height="30px",
            ),
            rx.text("crm_app", size="4", weight="bold"),
            spacing="2",
            align="center",
        ),
        href="/contacts",
        underline="none",
        color=rx.color("gray", 12),
    )


def _sidebar() -> rx.Component:
    return rx.box(
        rx.vstack(
            _brand(),
            rx.box(height="12px"),
            _nav_links(),
            rx.spacer(),
            _user_menu(),
            height="100%",
            padding="16px",
            spacing="2",
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        display=["none", "none", "block"],
    )


def _topbar() -> rx.Component:
    return rx.hstack(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", size="3", aria_label=t("Menu"), id="nav-menu")
            ),
            rx.drawer.overlay(z_index="40"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            _brand(),
                            rx.spacer(),
                            rx.drawer.close(rx.icon_button(rx.icon("x"), variant="ghost", aria_label=t("Close"))),
                            width="100%",
                        ),
                        rx.drawer.close(_nav_links()),
                        padding="16px",
                        spacing="4",
                        width="100%",
                    ),
                    width="78vw",
                    max_width="300px",
                    height="100%",
                    top="0",
                    left="0",
                    background=rx.color("gray", 1),
                    z_index="50",
                )
            ),
            direction="left",
        ),
        _brand(),
        rx.spacer(),
        _user_menu(),
        align="center",
        padding="8px 12px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
        display=["flex", "flex", "none"],
        id="top-bar",
    )


def app_shell(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a page function in the signed-in shell."""

    def page() -> rx.Component:
        return rx.flex(
            _sidebar(),
            rx.box(
                _topbar(),
                rx.box(
                    content(), padding=["12px", "16px", "24px 32px"], max_width="1280px", margin_x="auto", width="100%"
                ),
                flex="1",
                min_width="0",
            ),
            width="100%",
            min_height="100vh",
            background=rx.color("gray", 2),
        )

    page.__name__ = content.__name__
    return page


def page_header(title: rx.Var | str, *actions: rx.Component) -> rx.Component:
    """A page title with its main actions on the right."""
    return rx.flex(
        rx.heading(title, size="6", weight="bold"),
        rx.spacer(),
        rx.hstack(*actions, spacing="2", wrap="wrap"),
        align="center",
        wrap="wrap",
        gap="8px",
        margin_bottom="16px",
        width="100%",
    )
