"""My account: the signed-in user's own language and password."""

from __future__ import annotations

import reflex as rx

from crm_app.i18n import LOCALE_NAMES
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.pages.auth import change_password_form
from crm_app.ui.state.session import SessionState


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
