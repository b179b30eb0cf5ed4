"""The one table of pages: route, page function, title, what runs on load, and whether it needs a session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import reflex as rx

from crm_app.i18n import _
from crm_app.ui.i18n import t
from crm_app.ui.layout import app_shell
from crm_app.ui.pages.account import account_page
from crm_app.ui.pages.auth import change_password_page, signin_page
from crm_app.ui.pages.choice_lists import campaigns_page, phone_types_page
from crm_app.ui.pages.contact_edit.page import contact_page
from crm_app.ui.pages.contact_settings import contact_settings_page
from crm_app.ui.pages.contacts import contacts_page
from crm_app.ui.pages.form_builder.page import form_builder_page
from crm_app.ui.pages.imports import import_page, imports_page
from crm_app.ui.pages.settings_index import settings_page
from crm_app.ui.pages.tags import tags_page
from crm_app.ui.pages.tasks import tasks_page
from crm_app.ui.pages.users import users_page
from crm_app.ui.state.auth import SignInState
from crm_app.ui.state.choice_lists import ChannelsState, PhoneTypesState
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.contact_list import ContactListState
from crm_app.ui.state.contact_settings import ContactSettingsState
from crm_app.ui.state.feed import ContactFeedState
from crm_app.ui.state.form_builder import FormBuilderState
from crm_app.ui.state.imports import ImportJobState, ImportsState
from crm_app.ui.state.session import SessionState
from crm_app.ui.state.tags import TagsState
from crm_app.ui.state.tasks import MyTasksState
from crm_app.ui.state.users import UsersState


@dataclass(frozen=True)
class Route:
    """One page of the app."""

    path: str
    page: Callable[[], rx.Component]
    title: str  # a msgid: the tab's title follows the user's language
    on_load: list = field(default_factory=list)
    public: bool = False
    shell: bool = True


def _index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), min_height="60vh")


ROUTES: list[Route] = [
    Route("/signin", signin_page, _("Sign in"), [SignInState.open_sign_in], public=True, shell=False),
    Route("/change-password", change_password_page, _("Choose your password"), shell=False),
    Route("/", _index, "crm_app", [rx.redirect("/contacts")]),
    Route("/contacts", contacts_page, _("Contacts"), [ContactListState.load]),
    # One route for /contacts/new and /contacts/<id>: saving a new contact moves to its own address without
    # mounting the form again, so what is typed while the address changes stays in the fields.
    Route("/contacts/[contact_id]", contact_page, _("Contact"), [ContactEditState.load, ContactFeedState.load]),
    Route("/tasks", tasks_page, _("My tasks"), [MyTasksState.load]),
    Route("/imports", imports_page, _("Imports"), [ImportsState.load]),
    Route("/imports/[import_id]", import_page, _("Import"), [ImportJobState.load]),
    Route("/settings", settings_page, _("Settings")),
    Route("/settings/users", users_page, _("Users"), [UsersState.load]),
    Route("/settings/phone-types", phone_types_page, _("Phone types"), [PhoneTypesState.load]),
    Route("/settings/campaigns", campaigns_page, _("Marketing campaigns"), [ChannelsState.load]),
    Route("/settings/tags", tags_page, _("Tags"), [TagsState.load]),
    Route("/settings/contacts", contact_settings_page, _("Contact settings"), [ContactSettingsState.load]),
    Route("/settings/forms", form_builder_page, _("Contact forms"), [FormBuilderState.load]),
    Route("/account", account_page, _("My account")),
]


def register(app: rx.App) -> None:
    """Add every page; non-public pages check the session before anything else loads."""
    for route in ROUTES:
        page = app_shell(route.page) if route.shell else route.page
        on_load = list(route.on_load) if route.public else [SessionState.check_session, *route.on_load]
        app.add_page(page, route=route.path, title=t(route.title) + " · crm_app", on_load=on_load)
