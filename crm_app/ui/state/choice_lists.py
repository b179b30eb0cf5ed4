"""Manager editors of the choice lists (phone types, marketing campaigns): one editor, given each list's services.

Every handler takes its arguments from the browser, so each one coerces them (ids, texts, booleans, form dicts) and
ignores anything of the wrong shape before calling one service.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from crm_app.auth.permissions import Permission
from crm_app.contacts import lists as choice_list_service
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.i18n import _
from crm_app.ui.state.coerce import as_direction, as_flag, form_text
from crm_app.ui.state.session import SessionState, requires


@dataclasses.dataclass
class ListRow:
    """A phone type or a campaign as one line of its settings list."""

    id: int
    name: str
    usage: int = 0
    active: bool = True
    first: bool = False
    last: bool = False


@dataclasses.dataclass(frozen=True)
class ChoiceList:
    """What differs from one choice list to the next: its services, the keyword of its ids, its add box, a message."""

    read: Callable[[Session], list[Any]]
    create: Callable[..., Any]
    rename: Callable[..., Any]
    move: Callable[..., Any]
    id_keyword: str
    input_id: str
    added: str  # msgid


PHONE_TYPES = ChoiceList(
    read=choice_list_service.list_phone_types,
    create=choice_list_service.create_phone_type,
    rename=choice_list_service.rename_phone_type,
    move=choice_list_service.move_phone_type,
    id_keyword="type_id",
    input_id="new-phone-type",
    added=_("Phone type added."),
)
CAMPAIGNS = ChoiceList(
    read=functools.partial(choice_list_service.list_channels, include_inactive=True),
    create=choice_list_service.create_channel,
    rename=choice_list_service.rename_channel,
    move=choice_list_service.move_channel,
    id_keyword="channel_id",
    input_id="new-campaign",
    added=_("Campaign added."),
)


def _list_rows(items: list[Any]) -> list[ListRow]:
    last = len(items) - 1
    return [
        ListRow(
            id=item.id,
            name=item.name,
            usage=getattr(item, "usage", 0),
            active=getattr(item, "active", True),
            first=i == 0,
            last=i == last,
        )
        for i, item in enumerate(items)
    ]


class ChoiceListEditor(rx.State, mixin=True):
    """The rows of one choice list, added to, renamed inline and reordered (its state names the list)."""

    rows: list[ListRow] = []
    editing_id: int = 0
    add_error: str = ""
    rename_error: str = ""

    def _choice_list(self) -> ChoiceList:
        raise NotImplementedError

    def _refresh(self) -> None:
        with session_scope() as db:
            self.rows = _list_rows(self._choice_list().read(db))

    def _close_rename(self) -> None:
        self.editing_id = 0
        self.rename_error = ""

    @requires(Permission.SETTINGS_LISTS)
    def load(self):
        """Read the list, inactive entries too."""
        self._close_rename()
        self.add_error = ""
        self._refresh()

    @requires(Permission.SETTINGS_LISTS)
    def add(self, form: dict):
        """Add an entry at the end of the list."""
        name = form_text(form)
        if name is None:
            return None
        choice_list = self._choice_list()
        _result, err = self._service(choice_list.create, actor_id=self._current.id, name=name)
        if err:
            self.add_error = self._error_text(err)
            return None
        self.add_error = ""
        self._refresh()
        return [rx.set_value(choice_list.input_id, ""), rx.toast.success(self._t(choice_list.added))]

    @requires(Permission.SETTINGS_LISTS)
    def start_rename(self, row_id: int):
        """Open the inline rename box of one row."""
        chosen = as_id(row_id)
        self.editing_id = chosen if chosen and any(r.id == chosen for r in self.rows) else 0
        self.rename_error = ""

    @requires(Permission.SETTINGS_LISTS)
    def cancel_rename(self):
        """Close the inline rename box."""
        self._close_rename()

    @requires(Permission.SETTINGS_LISTS)
    def save_rename(self, form: dict):
        """Rename the entry being edited; what uses it follows."""
        name = form_text(form)
        if name is None or not self.editing_id:
            return None
        choice_list = self._choice_list()
        _result, err = self._service(
            choice_list.rename, actor_id=self._current.id, **{choice_list.id_keyword: self.editing_id}, name=name
        )
        if err:
            self.rename_error = self._error_text(err)
            return None
        self._close_rename()
        self._refresh()
        return rx.toast.success(self._t("Renamed."))

    @requires(Permission.SETTINGS_LISTS)
    def move(self, row_id: int, direction: str):
        """Move an entry one place up or down."""
        chosen, step = as_id(row_id), as_direction(direction)
        if chosen is None or step is None:
            return None
        choice_list = self._choice_list()
        _result, err = self._service(
            choice_list.move, actor_id=self._current.id, **{choice_list.id_keyword: chosen}, direction=step
        )
        self._refresh()
        return rx.toast.error(self._error_text(err)) if err else None


class PhoneTypesState(ChoiceListEditor, SessionState):
    """Custom phone types, offered after the built-in Mobile, Work and Home."""

    def _choice_list(self) -> ChoiceList:
        return PHONE_TYPES

    @requires(Permission.SETTINGS_LISTS)
    def delete(self, type_id: int):
        """Delete a phone type no phone uses (the refusal says how many still do)."""
        row_id = as_id(type_id)
        if row_id is None:
            return None
        _result, err = self._service(choice_list_service.delete_phone_type, actor_id=self._current.id, type_id=row_id)
        self._refresh()
        if err:
            return rx.toast.error(self._error_text(err))
        return rx.toast.success(self._t("Phone type deleted."))


class ChannelsState(ChoiceListEditor, SessionState):
    """Marketing campaigns: the answers to "How did they find us?" (acquisition channels)."""

    def _choice_list(self) -> ChoiceList:
        return CAMPAIGNS

    @requires(Permission.SETTINGS_LISTS)
    def toggle_active(self, channel_id: int, active: bool):
        """Offer a campaign again, or stop offering it (contacts that have it keep it)."""
        row_id, flag = as_id(channel_id), as_flag(active)
        if row_id is None or flag is None:
            return None
        _result, err = self._service(
            choice_list_service.set_channel_active, actor_id=self._current.id, channel_id=row_id, active=flag
        )
        self._refresh()
        if err:
            return rx.toast.error(self._error_text(err))
        return rx.toast.success(self._t("Campaign activated.") if flag else self._t("Campaign deactivated."))
