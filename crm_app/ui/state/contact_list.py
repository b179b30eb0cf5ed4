"""The contact list: one page of rows in state; search, filters, sorting and paging run in SQL.

The filter lives in the URL (``/contacts?q=…&supplier=1&tags=3,4&sort=city``) so a view can be
bookmarked, shared and survives a reload. The selection is a set of ids that survives paging,
or "everything matching the filter".

Longer than 800 lines because it is one Reflex state class: the URL filter, the page of rows, the selection
and the bulk actions share their vars; every rule behind them is in ``crm_app.contacts``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from babel.dates import format_datetime, format_timedelta

from crm_app.auth.permissions import Permission, has_permission
from crm_app.contacts import bulk
from crm_app.contacts import jobs as contact_jobs
from crm_app.contacts import lists as contact_lists
from crm_app.contacts.schemas import ContactPage, ContactRow
from crm_app.contacts.search import pickers
from crm_app.contacts.search.custom_fields import ListFields, list_fields
from crm_app.contacts.search.filters import (
    CUSTOM_PARAM_PREFIX,
    SORT_FIELDS,
    ContactFilter,
    filter_from_params,
    is_custom_param,
    sort_from_params,
)
from crm_app.contacts.search.query import count_contacts, search_contacts
from crm_app.contacts.search.views import delete_view, list_views, save_view
from crm_app.core.errors import DomainError
from crm_app.core.ids import as_id
from crm_app.core.timeutil import utcnow
from crm_app.db import session_scope
from crm_app.i18n import _
from crm_app.jobs.models import DONE
from crm_app.ui.live.pusher import watch_list
from crm_app.ui.state.jobs import follow_job, refusal
from crm_app.ui.state.session import SessionState, requires, to_sign_in
from crm_app.ui.state.toasts import undo_toast

log = logging.getLogger(__name__)

PAGE_SIZES = ("25", "50", "100")
TYPED_CONFIRM_OVER = 100
MAX_SELECTED = 2_000
MAX_FILTER_CHOICES = 50
MAX_CHANNEL_CHOICES = 50
FILTER_KEYS = {
    "q",
    "kind",
    "supplier",
    "conflict",
    "unassigned",
    "tags",
    "tag_mode",
    "archived",
    "channels",
    "assigned",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "sort",
    "dir",
    "size",
}


@dataclasses.dataclass
class Choice:
    """A value and its label for filter pickers."""

    value: str
    label: str


@dataclasses.dataclass
class ListColumn:
    """A custom field shown as a list column."""

    key: str
    label: str
    type: str


@dataclasses.dataclass
class FilterField:
    """A custom field the list can filter by: its URL parameter, label, type and choices."""

    key: str
    param: str
    label: str
    type: str
    choices: list[Choice]


@dataclasses.dataclass
class SavedViewRow:
    """One saved view of the signed-in user."""

    id: int
    name: str
    query: str


@dataclasses.dataclass
class _Choices:
    """What the pickers, saved views and custom columns need, read in one go."""

    tags: list[Choice]
    channels: list[Choice]
    users: list[Choice]
    fields: ListFields
    views: list[SavedViewRow]


BULK_PERMISSIONS: dict[str, Permission] = {
    "add_tag": Permission.TAGS_BULK,
    "remove_tag": Permission.TAGS_BULK,
    "assign": Permission.CONTACTS_EDIT,
    "archive": Permission.CONTACTS_ARCHIVE,
    "restore": Permission.CONTACTS_ARCHIVE,
    "delete": Permission.CONTACTS_DELETE,
}
# What a finished action says: for one contact, for several ({count}).
BULK_REPORTS: dict[str, tuple[str, str]] = {
    "add_tag": (_("Tag added to 1 contact."), _("Tag added to {count} contacts.")),
    "remove_tag": (_("Tag removed from 1 contact."), _("Tag removed from {count} contacts.")),
    "assign": (_("1 contact assigned."), _("{count} contacts assigned.")),
    "archive": (_("1 contact archived."), _("{count} contacts archived.")),
    "restore": (_("1 contact restored."), _("{count} contacts restored.")),
    "delete": (_("1 contact deleted."), _("{count} contacts deleted.")),
    "undo": (_("Undone for 1 contact."), _("Undone for {count} contacts.")),
}
# After these the selection stays, ready for the next action (archived, restored or deleted rows leave the view).
KEEPS_SELECTION = {"add_tag", "remove_tag", "assign", "undo"}


def _background_task(fn: Callable) -> Callable:
    """Guard a background task: nobody without a valid session (it may not write state outside ``async with``).

    It only follows a job that a handler holding that job's permission queued.
    """

    @functools.wraps(fn)
    async def wrapper(self: ContactListState, *args: Any, **kwargs: Any):
        # The session check reads the tab's session state, which a background task reaches only inside ``async with``.
        async with self:
            caller = self._caller()
        if caller is None:
            return to_sign_in(session_ended=False)
        return await fn(self, *args, **kwargs)

    wrapper._crm_permission = Permission.CONTACTS_VIEW  # type: ignore[attr-defined]
    return wrapper


def _clean_params(params: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in params.items():
        known = key in FILTER_KEYS or is_custom_param(key)
        if known and isinstance(value, str) and value and len(value) <= 400:
            out[key] = value
    return out


def _sort_chosen(params: dict[str, str]) -> bool:
    """Whether the URL names an order (else a search is ranked and the plain list sorted by name)."""
    return "sort" in params or "dir" in params


PHONE_MEDIA = "(max-width: 767px)"  # the phone breakpoint of assets/styles.css
# The search box takes the focus when the list opens on a desktop (a phone would pop its keyboard up), and "/"
# focuses it unless the user is typing in another field.
SEARCH_FOCUS_SCRIPT = f"""(() => {{
  const box = () => document.getElementById('contact-search');
  if (!window.matchMedia('{PHONE_MEDIA}').matches) box()?.focus();
  if (window.__crmSlashFocus) return;
  window.__crmSlashFocus = true;
  document.addEventListener('keydown', (e) => {{
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || t.closest('input, textarea, select'))) return;
    if (!box()) return;
    e.preventDefault();
    box().focus();
  }});
}})()"""


class ContactListState(SessionState):
    """Filter (as URL parameters), the rows of the visible page, the selection."""

    params: dict[str, str] = {}
    page: int = 1
    rows: list[ContactRow] = []
    total: int = 0
    layout: str = ""
    total_is_estimate: bool = False
    selected: list[int] = []
    all_matching: bool = False
    select_mode: bool = False
    tag_choices: list[Choice] = []
    channel_choices: list[Choice] = []
    user_choices: list[Choice] = []
    tag_query: str = ""
    user_query: str = ""
    custom_columns: list[ListColumn] = []
    custom_filters: list[FilterField] = []
    views: list[SavedViewRow] = []
    bulk_tag: str = ""
    confirm_action: str = ""
    confirm_text: str = ""
    bulk_busy: bool = False
    bulk_done: int = 0
    bulk_total: int = 0
    bulk_total_is_estimate: bool = False

    _bulk_job: dict[str, Any] | None = None
    _undo: bulk.BulkUndo | None = None

    @rx.var
    def query(self) -> str:
        """The search text."""
        return self.params.get("q", "")

    @rx.var
    def sort_field(self) -> str:
        """The column the list is sorted by: the one chosen, else ``relevance`` for a search, else ``name``."""
        if _sort_chosen(self.params):
            return sort_from_params(self.params).field
        return "relevance" if self.params.get("q", "").strip() else "name"

    @rx.var
    def sort_direction(self) -> str:
        """``asc`` or ``desc``."""
        return sort_from_params(self.params).direction

    @rx.var
    def page_size(self) -> int:
        """Rows per page."""
        size = self.params.get("size", "50")
        return int(size) if size in PAGE_SIZES else 50

    @rx.var
    def page_count(self) -> int:
        """How many pages the current search has."""
        return max(1, -(-self.total // self.page_size))

    @rx.var
    def range_label(self) -> str:
        """ "51–100 of 1,234" for the pager."""
        if not self.total:
            return self._t("No contacts")
        first = (self.page - 1) * self.page_size + 1
        last = min(self.total, self.page * self.page_size)
        total = f"{self.total:,}"
        if self.total_is_estimate:
            total = self._t("about {n}", n=total)
        return self._t("{first}–{last} of {total}", first=f"{first:,}", last=f"{last:,}", total=total)

    @rx.var
    def selection_count(self) -> int:
        """How many contacts the bulk actions would touch."""
        return self.total if self.all_matching else len(self.selected)

    @rx.var
    def active_filter_count(self) -> int:
        """How many filters (besides the search text and the order) are on."""
        return len([k for k in self.params if k not in ("q", "sort", "dir", "size")])

    @rx.var
    def bulk_percent(self) -> int:
        """How far the running bulk action is (0-100)."""
        return min(100, 100 * self.bulk_done // self.bulk_total) if self.bulk_total > 0 else 0

    @rx.var
    def bulk_progress_label(self) -> str:
        """ "1,000 of 12,345 contacts" while a bulk action runs."""
        total = f"{self.bulk_total:,}"
        if self.bulk_total_is_estimate:
            total = self._t("about {n}", n=total)
        return self._t("{done} of {total} contacts", done=f"{self.bulk_done:,}", total=total)

    @rx.var
    def create_label(self) -> str:
        """ "Create 'Jane Doe'": a new person named by the search that found nothing."""
        return self._t("Create “{name}”", name=" ".join(self.query.split()))

    @rx.var
    def create_href(self) -> str:
        """The new person form with the searched words as first and last name."""
        return "/contacts/new?" + urlencode({"kind": "person", "name": " ".join(self.query.split())})

    @rx.var
    def selection_label(self) -> str:
        """ "3 selected" (its singular form for one)."""
        if self.selection_count == 1:
            return self._t("1 selected")
        return self._t("{count} selected", count=f"{self.selection_count:,}")

    @rx.var
    def export_scope(self) -> str:
        """What the Export menu writes: the selection, or every contact the filter matches."""
        if self.selection_count and not self.all_matching:
            if self.selection_count == 1:
                return self._t("Export 1 selected")
            return self._t("Export {count} selected", count=f"{self.selection_count:,}")
        if self.total == 1:
            return self._t("Export the 1 matching contact")
        count = f"{self.total:,}"
        if self.total_is_estimate:
            count = self._t("about {n}", n=count)
        return self._t("Export all {count} matching", count=count)

    @rx.var
    def delete_summary(self) -> str:
        """What a bulk delete removes, with the count in its singular or plural form."""
        if self.selection_count == 1:
            return self._t("1 contact and everything that belongs to it are removed for good.")
        return self._t(
            "{count} contacts and everything that belongs to them are removed for good.",
            count=f"{self.selection_count:,}",
        )

    @rx.var
    def needs_typed_confirm(self) -> bool:
        """Big destructive actions ask to type the count."""
        return self.selection_count > TYPED_CONFIRM_OVER

    # ---- loading ------------------------------------------------------------------------------

    def _filter(self) -> ContactFilter:
        return filter_from_params(self.params)

    def _page_query(self, *, with_total: bool = True) -> Callable[[], ContactPage]:
        """The database read of the visible page, as a function that can run in a worker thread."""
        # No column chosen: the service ranks a search (names starting with the words typed first) and sorts the
        # plain list by name.
        filter_ = self._filter()
        sort = sort_from_params(self.params) if _sort_chosen(self.params) else None
        page, size, locale = self.page, self.page_size, self.locale

        def read() -> ContactPage:
            with session_scope() as db:
                return search_contacts(
                    db, filter=filter_, sort=sort, page=page, page_size=size, locale=locale, with_total=with_total
                )

        return read

    def _count_query(self) -> Callable[[], tuple[int, bool]]:
        """The database read of the list's total (exact up to 10,000, else estimated)."""
        filter_ = self._filter()

        def read() -> tuple[int, bool]:
            with session_scope() as db:
                return count_contacts(db, filter=filter_)

        return read

    def _show(self, result: ContactPage) -> None:
        checkboxes = [c.key for c in self.custom_columns if c.type == "checkbox"]
        now = utcnow()
        for row in result.rows:
            for key in checkboxes:
                if row.custom.get(key):
                    row.custom[key] = self._t(row.custom[key])
            row.updated_label = format_timedelta(
                min(row.updated_at - now, timedelta(0)), add_direction=True, locale=self.locale
            )
            row.updated_title = format_datetime(row.updated_at, "medium", tzinfo=UTC, locale=self.locale) + " UTC"
        self.rows = result.rows
        if result.total >= 0:
            self.total = result.total
            self.total_is_estimate = result.total_is_estimate
            return
        # Total not counted yet (it follows): what the page itself proves, until then.
        shown = (result.page - 1) * result.page_size + len(result.rows)
        more = result.next_cursor is not None
        self.total = max(self.total, shown + 1) if more else shown
        self.total_is_estimate = more

    def _url_script(self) -> rx.event.EventSpec:
        url = "/contacts" + (f"?{urlencode(self.params)}" if self.params else "")
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    async def _reload(self) -> None:
        """Read the visible page in a worker thread: a slow query never stalls the other browsers."""
        self._show(await rx.run_in_thread(self._page_query()))

    async def _changed(self) -> rx.event.EventSpec:
        self.page = 1
        self.all_matching = False
        await self._reload()
        return self._url_script()

    async def _pushed_change(self) -> None:
        """Called by the live pusher when contacts changed: refresh the visible page."""
        if self._caller() is not None and self.router.url.path.rstrip("/") == "/contacts":
            await self._reload()

    def _tags_query(self) -> Callable[[Any], list[Choice]]:
        """The tags the picker offers (the chosen ones, then the first matching ``tag_query``), at most 30 more."""
        prefix, chosen = self.tag_query, filter_from_params(self.params).tag_ids

        def read(db: Any) -> list[Choice]:
            found = pickers.tag_choices(db, prefix=prefix, selected=chosen)
            return [Choice(value=str(tag_id), label=name) for tag_id, name in found]

        return read

    def _users_query(self) -> Callable[[Any], list[Choice]]:
        """The staff the pickers offer (the chosen ones, then the first matching ``user_query``), at most 30 more."""
        prefix, chosen = self.user_query, filter_from_params(self.params).assigned_user_ids

        def read(db: Any) -> list[Choice]:
            found = pickers.user_choices(db, prefix=prefix, selected=chosen)
            return [Choice(value=str(user_id), label=name) for user_id, name in found]

        return read

    @staticmethod
    async def _read(query: Callable[[Any], Any]) -> Any:
        """Run a database read in a worker thread, in a session of its own."""

        def run() -> Any:
            with session_scope() as db:
                return query(db)

        return await rx.run_in_thread(run)

    def _choices_query(self, user_id: int | None = None) -> Callable[[], _Choices]:
        """The database read of the pickers, saved views and custom columns, runnable in a worker thread."""
        owner = user_id if user_id is not None else self._current.id
        tags, users = self._tags_query(), self._users_query()

        def read() -> _Choices:
            with session_scope() as db:
                return _Choices(
                    tags=tags(db),
                    channels=[
                        Choice(value=str(c.id), label=c.name)
                        for c in contact_lists.list_channels(db, include_inactive=True)
                    ][:MAX_CHANNEL_CHOICES],
                    users=users(db),
                    fields=list_fields(db),
                    views=[
                        SavedViewRow(id=v.id, name=v.name, query=urlencode(v.params))
                        for v in list_views(db, user_id=owner)
                    ],
                )

        return read

    def _apply_choices(self, choices: _Choices) -> None:
        self.tag_choices = choices.tags
        self.channel_choices = choices.channels
        self.user_choices = choices.users
        self.custom_columns = [ListColumn(key=f.key, label=f.label, type=f.type) for f in choices.fields.columns]
        self.custom_filters = [
            FilterField(
                key=f.key,
                param=CUSTOM_PARAM_PREFIX + f.key,
                label=f.label,
                type=f.type,
                choices=[Choice(value=c.id, label=c.label) for c in f.choices if c.active][:MAX_FILTER_CHOICES],
            )
            for f in choices.fields.filters
        ]
        self.views = choices.views

    async def _reload_choices(self) -> None:
        self._apply_choices(await rx.run_in_thread(self._choices_query()))

    @requires(Permission.CONTACTS_VIEW)
    async def load(self):
        """Read the filter from the URL, show the first page and follow changes live."""
        await watch_list(self)
        self.params = _clean_params(dict(self.router.url.query_parameters))
        self.page = 1
        self.selected = []
        self.all_matching = False
        self.select_mode = False
        self.confirm_action = ""
        self.confirm_text = ""
        self.tag_query = ""
        self.user_query = ""
        choices = await rx.run_in_thread(self._choices_query())
        self._apply_choices(choices)
        await self._reload()
        return [
            rx.call_script(f"window.matchMedia('{PHONE_MEDIA}').matches", callback=ContactListState.choose_layout),
            rx.call_script(SEARCH_FOCUS_SCRIPT),
        ]

    @requires(Permission.CONTACTS_VIEW)
    def choose_layout(self, phone: Any):
        """How wide the browser is (asked once the page has loaded): from then on only that view is drawn."""
        self.layout = "phone" if phone is True else "desktop"

    @requires(Permission.CONTACTS_VIEW)
    async def find_tags(self, text: str):
        """Offer the tags whose name starts with what was typed in the tag filter."""
        self.tag_query = str(text or "")[:80] if isinstance(text, str) else ""
        self.tag_choices = await self._read(self._tags_query())

    @requires(Permission.CONTACTS_VIEW)
    async def find_users(self, text: str):
        """Offer the staff whose name or e-mail starts with what was typed in the staff filter."""
        self.user_query = str(text or "")[:80] if isinstance(text, str) else ""
        self.user_choices = await self._read(self._users_query())

    # ---- search, filters, order, paging ----------------------------------------------------------

    @requires(Permission.CONTACTS_VIEW)
    async def search(self, value: str):
        """Search as the user types (the input is debounced): the rows are sent first, their total right after."""
        text = str(value or "")[:200]
        self.params = _clean_params({**self.params, "q": text})
        self.page = 1
        self.all_matching = False
        self._show(await rx.run_in_thread(self._page_query(with_total=False)))
        yield self._url_script()
        if self.total_is_estimate:
            self.total, self.total_is_estimate = await rx.run_in_thread(self._count_query())

    @requires(Permission.CONTACTS_VIEW)
    async def filter_by(self, key: str, value: Any):
        """Turn one filter on, change it, or (with an empty value) off."""
        if not isinstance(key, str) or key in ("q", "sort", "dir"):
            return None
        if key not in FILTER_KEYS and not is_custom_param(key):
            return None
        text = value if isinstance(value, str) else ("1" if value is True else "")
        params = {k: v for k, v in self.params.items() if k != key}
        if text and text != "all":
            params[key] = text[:400]
        self.params = _clean_params(params)
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def toggle_flag(self, key: str):
        """The one-click filters: Suppliers, Conflict, Unassigned."""
        if key not in ("supplier", "conflict", "unassigned"):
            return None
        params = dict(self.params)
        if params.pop(key, None) is None:
            params[key] = "1"
        self.params = params
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def toggle_id(self, key: str, value: str):
        """Add or remove one tag, channel or staff member in a multi-value filter."""
        if key not in ("tags", "channels", "assigned") or not isinstance(value, str) or not value.isdigit():
            return None
        ids = [v for v in self.params.get(key, "").split(",") if v]
        ids = [v for v in ids if v != value] if value in ids else [*ids, value]
        params = {k: v for k, v in self.params.items() if k != key}
        if ids:
            params[key] = ",".join(ids[:50])
        self.params = params
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def toggle_choice(self, param: str, choice_id: str):
        """Add or remove one option of a custom choice field in its filter."""
        field = next((f for f in self.custom_filters if f.param == param), None)
        if field is None or not isinstance(choice_id, str) or choice_id not in {c.value for c in field.choices}:
            return None
        chosen = [v for v in self.params.get(param, "").split(",") if v]
        chosen = [v for v in chosen if v != choice_id] if choice_id in chosen else [*chosen, choice_id]
        params = {k: v for k, v in self.params.items() if k != param}
        if chosen:
            params[param] = ",".join(chosen[:50])
        self.params = params
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def clear_filters(self):
        """Back to the default view, keeping the search text."""
        self.params = _clean_params({"q": self.params.get("q", "")})
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def sort_by(self, field: str):
        """Sort by a column; a second click reverses the order; ``relevance`` goes back to the ranked order."""
        if field not in SORT_FIELDS:
            return None
        same = self.sort_field == field and self.sort_direction == "asc"
        params = {k: v for k, v in self.params.items() if k not in ("sort", "dir")}
        if field != "relevance":
            # Written even for the name: without it a search would be ranked again.
            params["sort"] = field
            if same:
                params["dir"] = "desc"
        self.params = params
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def change_page_size(self, size: str):
        """25, 50 or 100 rows per page."""
        if size not in PAGE_SIZES:
            return None
        params = {k: v for k, v in self.params.items() if k != "size"}
        if size != "50":
            params["size"] = size
        self.params = params
        return await self._changed()

    @requires(Permission.CONTACTS_VIEW)
    async def go_to_page(self, page: int):
        """Show another page."""
        try:
            wanted = int(page)
        except (TypeError, ValueError, OverflowError):
            return None
        self.page = min(max(1, wanted), self.page_count)
        await self._reload()
        return None

    # ---- saved views --------------------------------------------------------------------------

    @requires(Permission.CONTACTS_VIEW)
    async def save_view(self, form: dict):
        """Name the current filter set and keep it."""
        if not isinstance(form, dict):
            return None
        name = str(form.get("name", ""))[:80]
        try:
            with session_scope() as db:
                save_view(db, user_id=self._current.id, name=name, params=dict(self.params))
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        await self._reload_choices()
        return rx.toast.success(self._t("View saved."))

    @requires(Permission.CONTACTS_VIEW)
    async def delete_view(self, view_id: int):
        """Forget a saved view."""
        try:
            with session_scope() as db:
                delete_view(db, user_id=self._current.id, view_id=as_id(view_id) or 0)
        except (DomainError, TypeError, ValueError) as err:
            return rx.toast.error(self._error_text(err) if isinstance(err, DomainError) else self._t("Unknown view."))
        await self._reload_choices()
        return None

    # ---- selection and bulk actions -------------------------------------------------------------

    @requires(Permission.CONTACTS_VIEW)
    def toggle_row(self, contact_id: int):
        """Select or unselect one contact (the selection survives paging)."""
        cid = as_id(contact_id)
        if cid is None:
            return
        self.all_matching = False
        if cid in self.selected:
            self.selected = [i for i in self.selected if i != cid]
        elif len(self.selected) < MAX_SELECTED:
            self.selected = [*self.selected, cid]

    @requires(Permission.CONTACTS_VIEW)
    def toggle_page(self):
        """Select or unselect every contact of the visible page."""
        ids = [r.id for r in self.rows]
        self.all_matching = False
        if all(i in self.selected for i in ids):
            self.selected = [i for i in self.selected if i not in ids]
        else:
            self.selected = [*self.selected, *[i for i in ids if i not in self.selected]][:MAX_SELECTED]

    @requires(Permission.CONTACTS_VIEW)
    def select_all_matching(self):
        """Select every contact matching the filter, on every page."""
        self.all_matching = True

    @requires(Permission.CONTACTS_VIEW)
    def toggle_select_mode(self):
        """On a phone: show a tick box on each card, or hide them and unselect everything."""
        self.select_mode = not self.select_mode
        if not self.select_mode:
            self.selected = []
            self.all_matching = False

    @requires(Permission.CONTACTS_VIEW)
    def clear_selection(self):
        """Unselect everything."""
        self.selected = []
        self.all_matching = False

    @requires(Permission.CONTACTS_VIEW)
    def type_bulk_tag(self, value: str):
        """The tag name typed for a bulk tag action."""
        self.bulk_tag = str(value or "")[:80]

    @requires(Permission.CONTACTS_VIEW)
    def type_confirmation(self, value: str):
        """What the user typed in the confirmation box."""
        self.confirm_text = str(value or "")[:20]

    def _start(self, action: str, extra: dict[str, Any]):
        """Queue a bulk action and follow it in the background (``follow_bulk_job``)."""
        if self.bulk_busy:
            return rx.toast.warning(self._t("A bulk action is already running: wait for it to finish."))
        if not self.selection_count:
            return rx.toast.warning(self._t("Select contacts first."))
        actor_id = self._current.id
        with session_scope() as db:
            job_id = contact_jobs.enqueue_bulk(
                db,
                action=action,
                actor_id=actor_id,
                ids=None if self.all_matching else list(self.selected),
                params=dict(self.params),
                extra=extra,
            )
        self._bulk_job = {"id": job_id, "action": action, "actor_id": actor_id}
        self.bulk_busy = True
        self.bulk_done = 0
        self.bulk_total = self.selection_count
        self.bulk_total_is_estimate = self.all_matching and self.total_is_estimate
        self.confirm_action = ""
        self.confirm_text = ""
        self._undo = None
        return ContactListState.follow_bulk_job

    @rx.event(background=True)
    @_background_task
    async def follow_bulk_job(self):
        """Show the progress of the queued bulk action after each batch, then its report."""
        async with self:
            started, self._bulk_job = self._bulk_job, None
        if started is None:
            return None
        action = started["action"]

        async def on_progress(progress: dict[str, Any]) -> None:
            async with self:
                self.bulk_done = int(progress.get("done") or 0)

        job = await follow_job(started["id"], on_progress)
        if job.status != DONE or job.result is None:
            async with self:
                self.bulk_busy = False
            reason = refusal(job)
            if reason is not None:
                return rx.toast.error(self._t(reason))
            log.error("bulk %s failed: %s", action, job.error)
            return rx.toast.error(
                self._t("The bulk action stopped: what was done is kept, run it again to do the rest.")
            )
        result = bulk.BulkResult.model_validate(job.result)
        page = await rx.run_in_thread(self._page_query())
        choices = await rx.run_in_thread(self._choices_query(started["actor_id"]))
        async with self:
            self.bulk_busy = False
            self._undo = result.undo
            if action not in KEEPS_SELECTION:
                self.selected = []
                self.all_matching = False
            self._apply_choices(choices)
            self._show(page)
            report = self._bulk_report(action, result)
        if result.undo is None:
            return rx.toast.success(report)
        return undo_toast(report, self._t("Undo"), ContactListState.undo_bulk_action)

    def _bulk_report(self, action: str, result: bulk.BulkResult) -> str:
        """ "Tag added to 3 contacts." and, how many were left unchanged (already so)."""
        one, many = BULK_REPORTS[action]
        text = self._t(one) if result.changed == 1 else self._t(many, count=f"{result.changed:,}")
        if not result.skipped:
            return text
        if result.skipped == 1:
            unchanged = self._t("1 left unchanged.")
        else:
            unchanged = self._t("{count} left unchanged.", count=f"{result.skipped:,}")
        return f"{text} {unchanged}"

    @requires(Permission.TAGS_BULK)
    def bulk_add_tag(self):
        """Put the typed tag on every selected contact."""
        if not self.bulk_tag.strip():
            return rx.toast.warning(self._t("Type the tag to add."))
        return self._start("add_tag", {"tag_name": self.bulk_tag.strip()})

    @requires(Permission.TAGS_BULK)
    def bulk_remove_tag(self):
        """Take the typed tag off every selected contact."""
        if not self.bulk_tag.strip():
            return rx.toast.warning(self._t("Type the tag to remove."))
        return self._start("remove_tag", {"tag_name": self.bulk_tag.strip()})

    @requires(Permission.CONTACTS_EDIT)
    def bulk_assign(self, user_id: str):
        """Assign every selected contact to a staff member (or to nobody)."""
        if not isinstance(user_id, str) or not (user_id.isdigit() or user_id == "none"):
            return None
        return self._start("assign", {"user_id": None if user_id == "none" else int(user_id)})

    @requires(Permission.CONTACTS_ARCHIVE)
    def bulk_archive(self):
        """Archive every selected contact."""
        return self._start("archive", {})

    @requires(Permission.CONTACTS_ARCHIVE)
    def bulk_restore(self):
        """Restore every selected contact."""
        return self._start("restore", {})

    @requires(Permission.CONTACTS_VIEW)
    def undo_bulk_action(self):
        """Take back the last bulk tag or assignment of this tab (the Undo of its toast), in the background."""
        undo = self._undo
        if undo is None:
            return rx.toast.warning(self._t("There is nothing to undo."))
        if not has_permission(self._current.role, BULK_PERMISSIONS[undo.action]):
            return rx.toast.error(self._t("You don't have permission to do that."))
        if self.bulk_busy:
            return rx.toast.warning(self._t("A bulk action is already running: wait for it to finish."))
        self._undo = None
        actor_id = self._current.id
        with session_scope() as db:
            job_id = contact_jobs.enqueue_bulk(db, action=contact_jobs.UNDO, actor_id=actor_id, undo=undo)
        self._bulk_job = {"id": job_id, "action": contact_jobs.UNDO, "actor_id": actor_id}
        self.bulk_busy = True
        self.bulk_done = 0
        self.bulk_total = len(undo.before)
        self.bulk_total_is_estimate = False
        return ContactListState.follow_bulk_job

    @requires(Permission.CONTACTS_DELETE)
    def ask_bulk_delete(self):
        """Open the delete confirmation (not for an empty selection)."""
        if not self.selection_count:
            return rx.toast.warning(self._t("Select contacts first."))
        self.confirm_action = "delete"
        self.confirm_text = ""
        return None

    @requires(Permission.CONTACTS_VIEW)
    def cancel_confirmation(self):
        """Close the confirmation."""
        self.confirm_action = ""
        self.confirm_text = ""

    @requires(Permission.CONTACTS_DELETE)
    def bulk_delete(self):
        """Delete every selected contact (more than 100 asks to type the count)."""
        if self.needs_typed_confirm and self.confirm_text.replace(",", "").strip() != str(self.selection_count):
            return rx.toast.error(self._t("Type the number of contacts to confirm."))
        return self._start("delete", {})
