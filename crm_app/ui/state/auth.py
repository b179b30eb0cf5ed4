"""Sign-in, forced password change and the user's own account."""

from __future__ import annotations

import json

import reflex as rx

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission
from crm_app.core.errors import DomainError
from crm_app.db import session_scope
from crm_app.ui.state.session import (
    SESSION_ENDED_PARAM,
    SessionState,
    public,
    requires,
)

# The sign-in page after a checked sign-in whose ticket could not be traded for the cookie (expired, spent).
EXPIRED_PARAM = "expired"
EXPIRED_ROUTE = f"/signin?{EXPIRED_PARAM}=1"


def _safe_next(target: str) -> str:
    """Only same-site paths are followed after sign-in."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/contacts"


class SignInState(SessionState):
    """The sign-in form."""

    error: str = ""
    notice: str = ""
    busy: bool = False

    @public
    def open_sign_in(self):
        """Leave the sign-in page at once when this browser is already signed in; say why a session ended."""
        self.error = ""
        if self._caller() is not None:
            return rx.redirect(_safe_next(self.router.url.query_parameters.get("next", "")))
        params = self.router.url.query_parameters
        ended = params.get(SESSION_ENDED_PARAM, "")
        self.notice = self._t("Your session has ended. Please sign in again.") if ended else ""
        if params.get(EXPIRED_PARAM, ""):
            self.error = self._t(auth_service.TICKET_INVALID)
        return None

    @public
    def sign_in(self, form: dict):
        """Check the credentials, then let the browser collect its HttpOnly session cookie and load the next page."""
        if not isinstance(form, dict):
            return None
        email = str(form.get("email", ""))[:320]
        password = str(form.get("password", ""))[:1000]
        remember = form.get("remember") in ("on", True, "true")
        self.error = ""
        self.notice = ""
        try:
            with session_scope() as db:
                code = auth_service.issue_sign_in_ticket(
                    db,
                    email=email,
                    password=password,
                    client_ip=self.router.session.client_ip,
                    user_agent=self.router.headers.user_agent[:300],
                    remember=remember,
                )
        except DomainError as err:
            self.error = self._error_text(err)
            return None
        target = _safe_next(self.router.url.query_parameters.get("next", ""))
        return rx.call_script(claim_script(code, target))


def claim_script(code: str, target: str) -> str:
    """JavaScript that trades a sign-in ticket for the session cookie, then loads ``target`` (the socket reconnects
    with the cookie); an expired ticket brings the sign-in page back."""
    return (
        "fetch('/api/session', {method: 'POST', credentials: 'same-origin', "
        "headers: {'Content-Type': 'application/json'}, "
        f"body: JSON.stringify({{code: {json.dumps(code)}}})}})"
        f".then((r) => window.location.replace(r.ok ? {json.dumps(target)} : {json.dumps(EXPIRED_ROUTE)}))"
    )


class PasswordState(SessionState):
    """Changing one's own password (forced after a one-time password, or from My account)."""

    error: str = ""
    field_errors: dict[str, str] = {}

    @requires(Permission.CONTACTS_VIEW)
    def change_own_password(self, form: dict):
        """Check the current password and the policy, then store the new one."""
        if not isinstance(form, dict):
            return None
        current = str(form.get("current_password", ""))[:1000]
        new = str(form.get("new_password", ""))[:1000]
        confirm = str(form.get("confirm_password", ""))[:1000]
        self.error = ""
        self.field_errors = {}
        if new != confirm:
            self.field_errors = {"confirm_password": self._t("The two passwords differ.")}
            return None
        user = self._current
        try:
            with session_scope() as db:
                auth_service.change_password(
                    db, user_id=user.id, current_password=current, new_password=new, keep_session_id=user.session_id
                )
        except DomainError as err:
            self.error = self._error_text(err)
            self.field_errors = self._field_errors(err)
            return None
        return [rx.toast.success(self._t("Password changed.")), rx.redirect("/contacts")]
