"""The contact list: one page of rows in state; search, filters, sorting and paging run in SQL.

The filter lives in the URL (``/contacts?q=…&supplier=1&tags=3,4&sort=city``) so a view can be
bookmarked, shared and survives a reload. The selection is a set of ids that survives paging,
or "everything matching the filter".
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission
from crm_app.contacts import bulk, search
from crm_app.contacts import lists as contact_lists
from crm_app.contacts import tags as tag_service
from crm_app.contacts.schemas import ContactRow
from crm_app.core import changes
from crm_app.core.errors import DomainError, NotFoundError
from crm_app.db import session_scope
from crm_app.ui.state.live import LIST_TOKEN, ListPulse
from crm_app.ui.state.session import SessionState, _validate, requires

PAGE_SIZES = ("25", "50", "100")
TYPED_CONFIRM_OVER = 100
MAX_SELECTED = 10_000
MAX_BULK = 50_000
MAX_FILTER_CHOICES = 50
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


def _clean_params(params: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in params.items():
        known = key in FILTER_KEYS or search.is_custom_param(key)
        if known and isinstance(value, str) and value and len(value) <= 400:
            out[key] = value
    return out


class ContactListState(SessionState):
    """Filter (as URL parameters), the rows of the visible page, the selection."""

    params: dict[str, str] = {}
    page: int = 1
    rows: list[ContactRow] = []
    total: int = 0
    total_is_estimate: bool = False
    selected: list[int] = []
    all_matching: bool = False
    tag_choices: list[Choice] = []
    channel_choices: list[Choice] = []
    user_choices: list[Choice] = []
    custom_columns: list[ListColumn] = []
    custom_filters: list[FilterField] = []
    views: list[SavedViewRow] = []
    bulk_tag: str = ""
    confirm_action: str = ""
    confirm_text: str = ""
    bulk_busy: bool = False
    bulk_report: str = ""

    @rx.var
    def query(self) -> str:
        """The search text."""
        return self.params.get("q", "")

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
    def needs_typed_confirm(self) -> bool:
        """Big destructive actions ask to type the count."""
        return self.selection_count > TYPED_CONFIRM_OVER

    # ---- loading ------------------------------------------------------------------------------

    def _filter(self) -> search.ContactFilter:
        return search.filter_from_params(self.params)

    def _load(self) -> None:
        with session_scope() as db:
            result = search.search_contacts(
                db,
                filter=self._filter(),
                sort=search.sort_from_params(self.params),
                page=self.page,
                page_size=self.page_size,
                locale=self.locale,
            )
        checkboxes = [c.key for c in self.custom_columns if c.type == "checkbox"]
        for row in result.rows:
            for key in checkboxes:
                if row.custom.get(key):
                    row.custom[key] = self._t(row.custom[key])
        self.rows = result.rows
        self.total = result.total
        self.total_is_estimate = result.total_is_estimate

    def _url_script(self) -> rx.event.EventSpec:
        url = "/contacts" + (f"?{urlencode(self.params)}" if self.params else "")
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    def _changed(self) -> rx.event.EventSpec:
        self.page = 1
        self.all_matching = False
        self._load()
        return self._url_script()

    def _pushed_change(self) -> None:
        """Called by the live pusher when contacts changed: refresh the visible page."""
        if _validate(self.token) is not None and self.router.url.path.rstrip("/") == "/contacts":
            self._load()

    def _load_choices(self) -> None:
        with session_scope() as db:
            self.tag_choices = [Choice(value=str(t.id), label=t.name) for t in tag_service.list_tags(db)]
            self.channel_choices = [
                Choice(value=str(c.id), label=c.name) for c in contact_lists.list_channels(db, include_inactive=True)
            ]
            self.user_choices = [Choice(value=str(u.id), label=u.name or u.email) for u in auth_service.list_users(db)]
            listed = search.list_fields(db)
            self.custom_columns = [ListColumn(key=f.key, label=f.label, type=f.type) for f in listed.columns]
            self.custom_filters = [
                FilterField(
                    key=f.key,
                    param=search.CUSTOM_PARAM_PREFIX + f.key,
                    label=f.label,
                    type=f.type,
                    choices=[Choice(value=c.id, label=c.label) for c in f.choices if c.active][:MAX_FILTER_CHOICES],
                )
                for f in listed.filters
            ]
            self.views = [
                SavedViewRow(id=v.id, name=v.name, query=urlencode(v.params))
                for v in search.list_views(db, user_id=self._current.id)
            ]

    @requires(Permission.CONTACTS_VIEW)
    async def load(self):
        """Read the filter from the URL, show the first page and follow changes live."""
        pulse = await self.get_state(ListPulse)
        await pulse._link_to(LIST_TOKEN)
        self.params = _clean_params(dict(self.router.url.query_parameters))
        self.page = 1
        self.selected = []
        self.all_matching = False
        self.bulk_report = ""
        self._load_choices()
        self._load()

    # ---- search, filters, order, paging ----------------------------------------------------------

    @requires(Permission.CONTACTS_VIEW)
    def search(self, value: str):
        """Search as the user types (the input is debounced)."""
        text = str(value or "")[:200]
        self.params = _clean_params({**self.params, "q": text})
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def filter_by(self, key: str, value: Any):
        """Turn one filter on, change it, or (with an empty value) off."""
        if not isinstance(key, str) or key in ("q", "sort", "dir"):
            return None
        if key not in FILTER_KEYS and not search.is_custom_param(key):
            return None
        text = value if isinstance(value, str) else ("1" if value is True else "")
        params = {k: v for k, v in self.params.items() if k != key}
        if text and text != "all":
            params[key] = text[:400]
        self.params = _clean_params(params)
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def toggle_flag(self, key: str):
        """The one-click filters: Suppliers, Conflict, Unassigned."""
        if key not in ("supplier", "conflict", "unassigned"):
            return None
        params = dict(self.params)
        if params.pop(key, None) is None:
            params[key] = "1"
        self.params = params
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def toggle_id(self, key: str, value: str):
        """Add or remove one tag, channel or staff member in a multi-value filter."""
        if key not in ("tags", "channels", "assigned") or not isinstance(value, str) or not value.isdigit():
            return None
        ids = [v for v in self.params.get(key, "").split(",") if v]
        ids = [v for v in ids if v != value] if value in ids else [*ids, value]
        params = {k: v for k, v in self.params.items() if k != key}
        if ids:
            params[key] = ",".join(ids[:50])
        self.params = params
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def toggle_choice(self, param: str, choice_id: str):
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
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def clear_filters(self):
        """Back to the default view, keeping the search text."""
        self.params = _clean_params({"q": self.params.get("q", "")})
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def sort_by(self, field: str):
        """Sort by a column; a second click reverses the order."""
        if field not in search.SORT_FIELDS:
            return None
        current = search.sort_from_params(self.params)
        direction = "desc" if current.field == field and current.direction == "asc" else "asc"
        params = {k: v for k, v in self.params.items() if k not in ("sort", "dir")}
        params.update(search.sort_to_params(search.ContactSort(field=field, direction=direction)))
        self.params = params
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def change_page_size(self, size: str):
        """25, 50 or 100 rows per page."""
        if size not in PAGE_SIZES:
            return None
        params = {k: v for k, v in self.params.items() if k != "size"}
        if size != "50":
            params["size"] = size
        self.params = params
        return self._changed()

    @requires(Permission.CONTACTS_VIEW)
    def go_to_page(self, page: int):
        """Show another page."""
        try:
            wanted = int(page)
        except (TypeError, ValueError):
            return None
        self.page = min(max(1, wanted), self.page_count)
        self._load()
        return None

    # ---- saved views --------------------------------------------------------------------------

    @requires(Permission.CONTACTS_VIEW)
    def save_view(self, form: dict):
        """Name the current filter set and keep it."""
        if not isinstance(form, dict):
            return None
        name = str(form.get("name", ""))[:80]
        try:
            with session_scope() as db:
                search.save_view(db, user_id=self._current.id, name=name, params=dict(self.params))
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self._load_choices()
        return rx.toast.success(self._t("View saved."))

    @requires(Permission.CONTACTS_VIEW)
    def delete_view(self, view_id: int):
        """Forget a saved view."""
        try:
            with session_scope() as db:
                search.delete_view(db, user_id=self._current.id, view_id=int(view_id))
        except (DomainError, TypeError, ValueError) as err:
            return rx.toast.error(self._error_text(err) if isinstance(err, DomainError) else self._t("Unknown view."))
        self._load_choices()
        return None

    # ---- selection and bulk actions -------------------------------------------------------------

    @requires(Permission.CONTACTS_VIEW)
    def toggle_row(self, contact_id: int):
        """Select or unselect one contact (the selection survives paging)."""
        try:
            cid = int(contact_id)
        except (TypeError, ValueError):
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
    def clear_selection(self):
        """Unselect everything."""
        self.selected = []
        self.all_matching = False
        self.bulk_report = ""

    @requires(Permission.CONTACTS_VIEW)
    def type_bulk_tag(self, value: str):
        """The tag name typed for a bulk tag action."""
        self.bulk_tag = str(value or "")[:80]

    @requires(Permission.CONTACTS_VIEW)
    def type_confirmation(self, value: str):
        """What the user typed in the confirmation box."""
        self.confirm_text = str(value or "")[:20]

    def _target(self) -> dict[str, Any]:
        if self.all_matching:
            return {"filter": self._filter()}
        return {"ids": list(self.selected)}

    def _tag_id(self, db, name: str, *, create: bool) -> int:
        wanted = name.strip().casefold()
        for tag in tag_service.list_tags(db):
            if tag.name.casefold() == wanted:
                return tag.id
        if not create:
            raise NotFoundError(self._t("There is no tag with that name."))
        return tag_service.create_tag(db, name=name, actor_id=self._current.id).id

    def _report(self, result: bulk.BulkResult, done: str) -> list:
        self.bulk_report = self._t(
            "{done}: {changed} changed, {skipped} unchanged.",
            done=done,
            changed=f"{result.changed:,}",
            skipped=f"{result.skipped:,}",
        )
        self.selected = []
        self.all_matching = False
        self.confirm_action = ""
        self.confirm_text = ""
        self._load()
        self._load_choices()
        return [rx.toast.success(self.bulk_report)]

    def _run(self, action: str, extra: dict[str, Any]):
        if not self.selection_count:
            return rx.toast.warning(self._t("Select contacts first."))
        if self.selection_count > MAX_BULK:
            return rx.toast.error(
                self._t("At most {n} contacts at a time: narrow the filter first.", n=f"{MAX_BULK:,}")
            )
        functions = {
            "add_tag": (bulk.bulk_add_tag, "Tag added"),
            "remove_tag": (bulk.bulk_remove_tag, "Tag removed"),
            "assign": (bulk.bulk_assign, "Assigned"),
            "archive": (bulk.bulk_archive, "Archived"),
            "restore": (bulk.bulk_restore, "Restored"),
            "delete": (bulk.bulk_delete, "Deleted"),
        }
        fn, done = functions[action]
        target = self._target()
        try:
            with session_scope() as db:
                if "tag_name" in extra:
                    extra = {"tag_id": self._tag_id(db, extra.pop("tag_name"), create=action == "add_tag")}
                result = fn(db, **target, **extra, actor_id=self._current.id)
                changes.mark_changed(db, target.get("ids") or [r.id for r in self.rows])
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        return self._report(result, self._t(done))

    @requires(Permission.TAGS_BULK)
    def bulk_add_tag(self):
        """Put the typed tag on every selected contact."""
        if not self.bulk_tag.strip():
            return rx.toast.warning(self._t("Type the tag to add."))
        return self._run("add_tag", {"tag_name": self.bulk_tag.strip()})

    @requires(Permission.TAGS_BULK)
    def bulk_remove_tag(self):
        """Take the typed tag off every selected contact."""
        if not self.bulk_tag.strip():
            return rx.toast.warning(self._t("Type the tag to remove."))
        return self._run("remove_tag", {"tag_name": self.bulk_tag.strip()})

    @requires(Permission.CONTACTS_EDIT)
    def bulk_assign(self, user_id: str):
        """Assign every selected contact to a staff member (or to nobody)."""
        if not isinstance(user_id, str) or not (user_id.isdigit() or user_id == "none"):
            return None
        return self._run("assign", {"user_id": None if user_id == "none" else int(user_id)})

    @requires(Permission.CONTACTS_ARCHIVE)
    def bulk_archive(self):
        """Archive every selected contact."""
        return self._run("archive", {})

    @requires(Permission.CONTACTS_ARCHIVE)
    def bulk_restore(self):
        """Restore every selected contact."""
        return self._run("restore", {})

    @requires(Permission.CONTACTS_DELETE)
    def ask_bulk_delete(self):
        """Open the delete confirmation."""
        self.confirm_action = "delete"
        self.confirm_text = ""

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
        return self._run("delete", {})
