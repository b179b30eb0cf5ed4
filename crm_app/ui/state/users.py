"""User management for admins."""

from __future__ import annotations

import dataclasses

import reflex as rx

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import ROLES, Permission
from crm_app.core.errors import DomainError
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.ui.state.session import SessionState, requires


@dataclasses.dataclass
class UserRow:
    """One line of the users table."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    must_change_password: bool


class UsersState(SessionState):
    """The users table, the new-user form and the one-time password to hand over."""

    users: list[UserRow] = []
    new_error: str = ""
    new_errors: dict[str, str] = {}
    one_time_password: str = ""
    one_time_for: str = ""

    def _refresh(self) -> None:
        with session_scope() as db:
            self.users = [
                UserRow(
                    id=u.id,
                    email=u.email,
                    name=u.name,
                    role=u.role,
                    active=u.active,
                    must_change_password=u.must_change_password,
                )
                for u in auth_service.list_users(db)
            ]

    @requires(Permission.USERS_MANAGE)
    def load(self):
        """Read every user."""
        self.one_time_password = ""
        self.one_time_for = ""
        self._refresh()

    @requires(Permission.USERS_MANAGE)
    def create(self, form: dict):
        """Create a user with a one-time password to change at first sign-in."""
        if not isinstance(form, dict):
            return None
        self.new_error = ""
        self.new_errors = {}
        role = str(form.get("role", "staff"))
        try:
            with session_scope() as db:
                user, password = auth_service.create_user(
                    db,
                    email=str(form.get("email", ""))[:320],
                    name=str(form.get("name", ""))[:200],
                    role=role,
                    password=None,
                    actor_id=self._current.id,
                )
        except DomainError as err:
            self.new_error = self._error_text(err)
            self.new_errors = self._field_errors(err)
            return None
        self.one_time_password = password or ""
        self.one_time_for = user.email
        self._refresh()
        return rx.toast.success(self._t("User created."))

    def _act(self, action, **kwargs):
        result, err = self._service(action, actor_id=self._current.id, **kwargs)
        if err is not None:
            return None, rx.toast.error(self._error_text(err))
        self._refresh()
        return result, None

    @requires(Permission.USERS_MANAGE)
    def change_role(self, user_id: int, role: str):
        """Give a user another role."""
        user_id = as_id(user_id) or 0
        if not isinstance(role, str) or role not in ROLES:
            return rx.toast.error(self._t("Unknown role."))
        if not user_id:
            return None
        _result, error = self._act(auth_service.change_role, user_id=user_id, role=role)
        return error or rx.toast.success(self._t("Role changed."))

    @requires(Permission.USERS_MANAGE)
    def toggle_active(self, user_id: int):
        """Deactivate (signing them out everywhere at once) or reactivate a user."""
        user_id = as_id(user_id) or 0
        row = next((u for u in self.users if u.id == user_id), None)
        if row is None:
            return None
        _result, error = self._act(auth_service.set_active, user_id=user_id, active=not row.active)
        return error or rx.toast.success(self._t("Saved."))

    @requires(Permission.USERS_MANAGE)
    def reset_password(self, user_id: int):
        """Issue a new one-time password."""
        user_id = as_id(user_id) or 0
        if not user_id:
            return None
        password, error = self._act(auth_service.reset_password, user_id=user_id)
        if error:
            return error
        self.one_time_password = password
        self.one_time_for = next((u.email for u in self.users if u.id == user_id), "")
        return None
