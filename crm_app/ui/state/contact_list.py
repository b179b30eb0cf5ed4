"""The contact list: one page of rows in state, search and paging run in SQL."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactRow
from crm_app.db import session_scope
from crm_app.ui.state.live import LIST_TOKEN, ListPulse
from crm_app.ui.state.session import SessionState, _validate, requires

PAGE_SIZES = (25, 50, 100)


class ContactListState(SessionState):
    """Search box, page number and the rows of the visible page."""

    query: str = ""
    page: int = 1
    page_size: int = 50
    rows: list[ContactRow] = []
    total: int = 0
    show_archived: bool = False
    suppliers_only: bool = False

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
        return self._t("{first}–{last} of {total}", first=f"{first:,}", last=f"{last:,}", total=f"{self.total:,}")

    def _load(self) -> None:
        with session_scope() as db:
            result = contacts.list_contacts(
                db,
                page=self.page,
                page_size=self.page_size,
                query=self.query,
                include_archived=self.show_archived,
                suppliers_only=self.suppliers_only,
            )
        self.rows = result.rows
        self.total = result.total

    def _pushed_change(self) -> None:
        """Called by the live pusher when contacts changed: refresh the visible page."""
        if self.rows is not None and _validate(self.token) is not None and self.router.url.path.rstrip("/") == "/contacts":
            self._load()

    @requires(Permission.CONTACTS_VIEW)
    async def load(self):
        """Read the query string, show the first page and follow changes live."""
        pulse = await self.get_state(ListPulse)
        await pulse._link_to(LIST_TOKEN)
        params = self.router.url.query_parameters
        self.query = str(params.get("q", ""))[:200]
        self.suppliers_only = params.get("suppliers") == "1"
        self.page = 1
        self._load()

    @requires(Permission.CONTACTS_VIEW)
    def search(self, value: str):
        """Search as the user types (the input is debounced)."""
        self.query = str(value or "")[:200]
        self.page = 1
        self._load()

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

    @requires(Permission.CONTACTS_VIEW)
    def toggle_suppliers(self):
        """The one-click Suppliers view."""
        self.suppliers_only = not self.suppliers_only
        self.page = 1
        self._load()

    @requires(Permission.CONTACTS_VIEW)
    def toggle_archived(self):
        """Show or hide archived contacts."""
        self.show_archived = not self.show_archived
        self.page = 1
        self._load()
