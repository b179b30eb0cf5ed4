"""Roles (admin > manager > staff > viewer) and what each may do."""

from __future__ import annotations

from enum import StrEnum

from crm_app.core.errors import PermissionDenied
from crm_app.i18n import _

ADMIN = "admin"
MANAGER = "manager"
STAFF = "staff"
VIEWER = "viewer"

# Highest first; a role holds every permission of the roles below it.
ROLES: tuple[str, ...] = (ADMIN, MANAGER, STAFF, VIEWER)

ROLE_LABELS: dict[str, str] = {
    ADMIN: "Administrator",
    MANAGER: "Manager",
    STAFF: "Staff",
    VIEWER: "Viewer",
}


class Permission(StrEnum):
    """Something a role may do; the value is a stable slug."""

    CONTACTS_VIEW = "contacts_view"
    CONTACTS_EDIT = "contacts_edit"
    CONTACTS_ARCHIVE = "contacts_archive"
    CONTACTS_DELETE = "contacts_delete"
    TAGS_BULK = "tags_bulk"
    TAGS_MANAGE = "tags_manage"
    SETTINGS_LISTS = "settings_lists"
    FORMS_MANAGE = "forms_manage"
    IMPORT = "import"
    EXPORT = "export"
    MESSAGES_SEND = "messages_send"
    USERS_MANAGE = "users_manage"
    SETTINGS_ADMIN = "settings_admin"


# The lowest role that holds each permission.
MINIMUM_ROLE: dict[Permission, str] = {
    Permission.CONTACTS_VIEW: VIEWER,
    Permission.CONTACTS_EDIT: STAFF,
    Permission.CONTACTS_ARCHIVE: STAFF,
    Permission.CONTACTS_DELETE: MANAGER,
    Permission.TAGS_BULK: STAFF,
    Permission.TAGS_MANAGE: MANAGER,
    Permission.SETTINGS_LISTS: MANAGER,
    Permission.FORMS_MANAGE: MANAGER,
    Permission.IMPORT: MANAGER,
    Permission.EXPORT: STAFF,
    Permission.MESSAGES_SEND: STAFF,
    Permission.USERS_MANAGE: ADMIN,
    Permission.SETTINGS_ADMIN: ADMIN,
}

# The refusal message of each permission (msgids).
_REFUSALS: dict[Permission, str] = {
    Permission.CONTACTS_VIEW: _("You don't have permission to view contacts."),
    Permission.CONTACTS_EDIT: _("You don't have permission to edit contacts."),
    Permission.CONTACTS_ARCHIVE: _("You don't have permission to archive contacts."),
    Permission.CONTACTS_DELETE: _("You don't have permission to delete contacts."),
    Permission.TAGS_BULK: _("You don't have permission to tag contacts in bulk."),
    Permission.TAGS_MANAGE: _("You don't have permission to rename, merge or delete tags."),
    Permission.SETTINGS_LISTS: _("You don't have permission to change lists and defaults."),
    Permission.FORMS_MANAGE: _("You don't have permission to manage forms."),
    Permission.IMPORT: _("You don't have permission to import contacts."),
    Permission.EXPORT: _("You don't have permission to export contacts."),
    Permission.MESSAGES_SEND: _("You don't have permission to send messages."),
    Permission.USERS_MANAGE: _("You don't have permission to manage users."),
    Permission.SETTINGS_ADMIN: _("You don't have permission to change administration settings."),
}


def _rank(role: str) -> int | None:
    """Position of the role from the bottom (viewer = 0); None for an unknown role."""
    try:
        return len(ROLES) - 1 - ROLES.index(role)
    except ValueError:
        return None


def is_valid_role(role: object) -> bool:
    """Whether the value names a known role."""
    return isinstance(role, str) and role in ROLES


def has_permission(role: str | None, permission: Permission | str) -> bool:
    """Whether the role holds the permission; an unknown role or permission holds nothing."""
    if not is_valid_role(role):
        return False
    try:
        perm = Permission(permission)
    except ValueError:
        return False
    have, need = _rank(role), _rank(MINIMUM_ROLE[perm])
    return have is not None and need is not None and have >= need


def permissions_of(role: str | None) -> frozenset[Permission]:
    """Every permission the role holds."""
    return frozenset(p for p in Permission if has_permission(role, p))


def require(role: str | None, permission: Permission | str) -> None:
    """Raise PermissionDenied unless the role holds the permission."""
    if has_permission(role, permission):
        return
    try:
        message = _REFUSALS[Permission(permission)]
    except ValueError:
        message = _("You don't have permission to do that.")
    raise PermissionDenied(message)
