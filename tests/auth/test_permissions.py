"""Roles and permissions."""

from __future__ import annotations

import pytest

from crm_app.auth.permissions import (
    MINIMUM_ROLE,
    ROLES,
    Permission,
    has_permission,
    permissions_of,
    require,
)
from crm_app.core.errors import PermissionDenied
from crm_app.i18n import translate

P = Permission

EXPECTED: dict[str, set[Permission]] = {
    "viewer": {P.CONTACTS_VIEW},
    "staff": {P.CONTACTS_VIEW, P.CONTACTS_EDIT, P.CONTACTS_ARCHIVE, P.TAGS_BULK, P.EXPORT, P.MESSAGES_SEND},
}
EXPECTED["manager"] = EXPECTED["staff"] | {
    P.CONTACTS_DELETE,
    P.TAGS_MANAGE,
    P.SETTINGS_LISTS,
    P.FORMS_MANAGE,
    P.IMPORT,
}
EXPECTED["admin"] = set(Permission)


def test_roles_are_ordered_from_admin_down_to_viewer():
    assert ROLES == ("admin", "manager", "staff", "viewer")


def test_every_permission_has_a_minimum_role():
    assert set(MINIMUM_ROLE) == set(Permission)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_holds_exactly_its_permissions(role):
    assert permissions_of(role) == EXPECTED[role]


@pytest.mark.parametrize("role", ["", "root", "Admin", None, 1])
def test_an_unknown_role_holds_no_permission(role):
    assert not any(has_permission(role, p) for p in Permission)


def test_a_permission_may_be_given_by_its_value_and_an_unknown_one_is_refused():
    assert has_permission("staff", "contacts_edit")
    assert not has_permission("admin", "launch_rockets")


def test_require_passes_silently_when_the_role_holds_the_permission():
    require("manager", Permission.IMPORT)


def test_require_raises_permission_denied_with_a_readable_message():
    with pytest.raises(PermissionDenied) as caught:
        require("staff", Permission.USERS_MANAGE)
    assert caught.value.message == "You don't have permission to manage users."
    with pytest.raises(PermissionDenied, match="You don't have permission to"):
        require("nobody", Permission.CONTACTS_VIEW)


def test_every_refusal_is_a_whole_sentence_translated_in_french_and_polish():
    for permission in Permission:
        with pytest.raises(PermissionDenied) as caught:
            require(None, permission)
        assert caught.value.message.startswith("You don't have permission to ")
        for locale in ("fr", "pl"):
            assert translate(locale, caught.value.msgid) != caught.value.msgid, (locale, caught.value.msgid)
