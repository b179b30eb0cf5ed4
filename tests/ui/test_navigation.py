"""Menus show a role exactly the pages it can use: each entry is hidden by the permission its page needs."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth.permissions import ROLES, Permission, has_permission
from crm_app.i18n import LOCALE_DIR
from crm_app.ui.layout import NAV_ITEMS, _nav_link
from crm_app.ui.pages.settings_index import SETTINGS_LINKS
from crm_app.ui.routes import ROUTES

ENTRIES = [(label, href, perm) for label, href, _icon, perm in NAV_ITEMS] + [
    (title, href, perm) for title, _text, href, perm in SETTINGS_LINKS
]


def _load_permissions(href: str) -> list[Permission]:
    route = next((r for r in ROUTES if r.path == href), None)
    assert route is not None, f"menu entry {href} leads to no page"
    handlers = [getattr(item, "fn", None) for item in route.on_load]
    return [fn._crm_permission for fn in handlers if hasattr(fn, "_crm_permission")]


@pytest.mark.parametrize(("label", "href", "permission"), ENTRIES, ids=[e[0] for e in ENTRIES])
def test_a_menu_entry_is_shown_only_to_roles_whose_page_loads(label, href, permission):
    for role in ROLES:
        if has_permission(role, permission):
            for needed in _load_permissions(href):
                assert has_permission(role, needed), f"{role} sees {label!r} but its page needs {needed}"


def test_a_navigation_item_is_rendered_behind_its_permission():
    rendered = str(_nav_link("Settings", "/settings", "settings", Permission.SETTINGS_ADMIN))
    assert "settings_admin" in rendered


def test_roles_see_different_settings_entries():
    def entries(role: str) -> set[str]:
        return {title for title, _text, _href, perm in SETTINGS_LINKS if has_permission(role, perm)}

    assert {"Contact forms", "Tags"} <= entries("manager")
    assert not {"Contact forms", "Tags", "Users"} & entries("staff")
    assert entries("viewer") == {"My account"}


@pytest.mark.parametrize("locale", ["fr", "pl"])
def test_every_page_title_and_menu_entry_is_translated(locale):
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=locale)
    wanted = {r.title for r in ROUTES if r.title != "crm_app"} | {label for label, _href, _perm in ENTRIES}
    untranslated = sorted(m for m in wanted if m not in messages or not messages[m].string)
    assert not untranslated, f"{locale} lacks {untranslated}"
