"""Settings: the index page, a tile for every settings page the user may open."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.session import can

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
