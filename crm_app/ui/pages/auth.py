"""Sign-in and forced password change pages (no app shell)."""

import reflex as rx

from crm_app.i18n import LOCALE_NAMES
from crm_app.ui.components.forms import field_error, field_label
from crm_app.ui.i18n import t
from crm_app.ui.state.auth import PasswordState, SignInState
from crm_app.ui.state.session import SessionState


def _language_picker() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(variant="ghost", aria_label=t("Language"), id="signin-language"),
        rx.select.content(*[rx.select.item(name, value=code) for code, name in LOCALE_NAMES.items()]),
        value=SessionState.locale,
        on_change=SessionState.choose_locale,
        size="1",
    )


def _card(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(*children, spacing="4", width="100%"),
            width="100%",
            max_width="400px",
            size="4",
        ),
        min_height="100vh",
        padding="16px",
        background=rx.color("gray", 2),
    )


def _field(label: rx.Var, name: str, type_: str, autocomplete: str, error: rx.Var | None = None) -> rx.Component:
    return rx.vstack(
        field_label(label, name, size="2"),
        rx.input(id=name, name=name, type=type_, auto_complete=autocomplete, required=True, size="3", width="100%"),
        field_error(error) if error is not None else rx.fragment(),
        spacing="1",
        width="100%",
    )


def signin_page() -> rx.Component:
    """E-mail and password, with "remember me"."""
    return _card(
        rx.hstack(
            rx.center(
                rx.icon("contact", size=20, color="white"),
                background=rx.color("accent", 9),
                border_radius="8px",
                width="34px",
                height="34px",
            ),
            rx.text("crm_app", size="5", weight="bold"),
            rx.spacer(),
            _language_picker(),
            align="center",
            width="100%",
        ),
        rx.heading(t("Sign in"), size="6"),
        rx.cond(
            SignInState.notice,
            rx.callout(SignInState.notice, icon="info", color_scheme="blue", role="status", id="signin-notice"),
        ),
        rx.cond(
            SignInState.error,
            rx.callout(SignInState.error, icon="triangle-alert", color_scheme="red", role="alert", id="signin-error"),
        ),
        rx.form(
            rx.vstack(
                _field(t("E-mail"), "email", "email", "username"),
                _field(t("Password"), "password", "password", "current-password"),
                rx.text(
                    rx.hstack(
                        rx.checkbox(name="remember", id="remember"),
                        t("Keep me signed in for 30 days"),
                        spacing="2",
                        align="center",
                    ),
                    as_="label",
                    size="2",
                ),
                rx.button(t("Sign in"), type="submit", size="3", width="100%", id="signin-submit"),
                spacing="4",
                width="100%",
            ),
            on_submit=SignInState.sign_in,
            width="100%",
        ),
    )


def change_password_form(show_current_hint: bool = True) -> rx.Component:
    """Current password, new password twice."""
    return rx.form(
        rx.vstack(
            rx.cond(
                PasswordState.error,
                rx.callout(PasswordState.error, icon="triangle-alert", color_scheme="red", role="alert"),
            ),
            _field(
                t("Current password"),
                "current_password",
                "password",
                "current-password",
                PasswordState.field_errors.get("current_password", ""),
            ),
            _field(
                t("New password"),
                "new_password",
                "password",
                "new-password",
                PasswordState.field_errors.get("new_password", ""),
            ),
            rx.text(t("At least 10 characters; common passwords are refused."), size="1", color_scheme="gray"),
            _field(
                t("New password again"),
                "confirm_password",
                "password",
                "new-password",
                PasswordState.field_errors.get("confirm_password", ""),
            ),
            rx.button(t("Change password"), type="submit", size="3", id="change-password-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=PasswordState.change_own_password,
        reset_on_submit=False,
        width="100%",
    )


def change_password_page() -> rx.Component:
    """Shown after signing in with a one-time password."""
    return _card(
        rx.heading(t("Choose your password"), size="6"),
        rx.text(
            t("You signed in with a one-time password. Choose your own to continue."), size="2", color_scheme="gray"
        ),
        change_password_form(),
    )
