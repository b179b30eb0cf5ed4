"""My tasks: the signed-in user's open tasks grouped by when they are due, the ones done lately, and a quick add."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import reflex as rx
from babel.dates import format_timedelta

from crm_app.auth.permissions import Permission
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.core.errors import DomainError
from crm_app.core.ids import as_id
from crm_app.core.timeutil import utcnow
from crm_app.db import session_scope
from crm_app.feed import agenda
from crm_app.feed import service as feed_service
from crm_app.feed.schemas import TaskRow
from crm_app.i18n import _
from crm_app.ui.state.feed import parse_local_input
from crm_app.ui.state.session import SessionState, requires
from crm_app.ui.state.toasts import undo_toast

BUCKET_LABELS = {
    "overdue": _("Overdue"),
    "today": _("Today"),
    "tomorrow": _("Tomorrow"),
    "later": _("Later"),
    "undated": _("No due date"),
}
VIEWS = ("open", "done")
CONTACT_CHOICES = 8


@dataclasses.dataclass
class TaskLine:
    """One task in "My tasks": its due time as a date and as words ("in 3 hours")."""

    id: int
    title: str
    due: str
    when: str
    overdue: bool
    contact_id: int
    contact_name: str


@dataclasses.dataclass
class TaskGroup:
    """The tasks of one bucket (overdue, today...) under its heading."""

    key: str
    label: str
    tasks: list[TaskLine]


@dataclasses.dataclass
class ContactChoice:
    """A contact the new task can be about."""

    id: int
    label: str


class MyTasksState(SessionState):
    """The signed-in user's tasks: open ones by due date (with their count for the menu), done ones, a quick add."""

    groups: list[TaskGroup] = []
    done: list[TaskLine] = []
    open_count: int = 0
    view: str = "open"
    contact_query: str = ""
    contact_choices: list[ContactChoice] = []
    new_contact_id: int = 0
    new_contact_name: str = ""

    def _line(self, row: TaskRow, now: datetime) -> TaskLine:
        when = ""
        if row.due_at is not None:
            when = format_timedelta(row.due_at - now, add_direction=True, locale=self.locale)
        return TaskLine(
            id=row.id,
            title=row.title,
            due=row.due_at.strftime("%Y-%m-%d %H:%M") if row.due_at else "",
            when=when,
            overdue=row.due_at is not None and row.due_at < now,
            contact_id=row.contact_id,
            contact_name=row.contact_name,
        )

    def _refresh(self) -> None:
        now = utcnow()
        with session_scope() as db:
            rows = feed_service.my_tasks(db, user_id=self._current.id)
            done = agenda.done_tasks(db, user_id=self._current.id) if self.view == "done" else []
            self.open_count = agenda.open_task_count(db, user_id=self._current.id)
        self.groups = [
            TaskGroup(key=key, label=self._t(BUCKET_LABELS[key]), tasks=[self._line(r, now) for r in items])
            for key, items in agenda.group_by_due(rows, now)
        ]
        self.done = [dataclasses.replace(self._line(r, now), overdue=False) for r in done]

    @requires(Permission.CONTACTS_VIEW)
    def load(self):
        """Read my tasks; the add form starts empty."""
        self.view = "open"
        self.contact_query = ""
        self.contact_choices = []
        self.new_contact_id = 0
        self.new_contact_name = ""
        self._refresh()

    @requires(Permission.CONTACTS_VIEW)
    def count_open(self):
        """How many open tasks I have (the badge of the menu entry)."""
        with session_scope() as db:
            self.open_count = agenda.open_task_count(db, user_id=self._current.id)

    @requires(Permission.CONTACTS_VIEW)
    def show_view(self, view: str | list[str]):
        """Show the open tasks or the ones done lately."""
        if view in VIEWS:
            self.view = view
            self._refresh()

    @requires(Permission.CONTACTS_EDIT)
    def complete(self, task_id: int):
        """Tick a task done: it leaves the list, and its toast offers to undo."""
        tid = as_id(task_id) or 0
        try:
            with session_scope() as db:
                feed_service.complete_task(db, task_id=tid, actor_id=self._current.id)
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self._refresh()
        return undo_toast(self._t("Task done."), self._t("Undo"), MyTasksState.reopen(tid))

    @requires(Permission.CONTACTS_EDIT)
    def reopen(self, task_id: int):
        """Open a task done again (the Undo of its toast, or from the done list): it comes back among the open."""
        tid = as_id(task_id)
        if tid is None:
            return None
        try:
            with session_scope() as db:
                feed_service.reopen_task(db, task_id=tid, actor_id=self._current.id)
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self._refresh()
        return rx.toast.success(self._t("Task reopened."))

    @requires(Permission.CONTACTS_VIEW)
    async def find_contact(self, text: str):
        """The contacts whose name, phone, e-mail... start with what was typed (a few, for the picker)."""
        query = str(text or "").strip()[:200] if isinstance(text, str) else ""
        self.contact_query = query
        if not query:
            self.contact_choices = []
            return

        def read() -> list[ContactChoice]:
            with session_scope() as db:
                page = search_contacts(
                    db, filter=ContactFilter(query=query), page_size=CONTACT_CHOICES, with_total=False
                )
            return [ContactChoice(id=row.id, label=row.display_name) for row in page.rows]

        self.contact_choices = await rx.run_in_thread(read)

    @requires(Permission.CONTACTS_VIEW)
    def choose_contact(self, contact_id: int):
        """The contact the new task is about (one of the picker's)."""
        cid = as_id(contact_id)
        chosen = next((c for c in self.contact_choices if c.id == cid), None)
        if chosen is None:
            return
        self.new_contact_id, self.new_contact_name = chosen.id, chosen.label
        self.contact_choices = []
        self.contact_query = ""

    @requires(Permission.CONTACTS_VIEW)
    def change_contact(self):
        """Pick another contact for the new task."""
        self.new_contact_id, self.new_contact_name = 0, ""

    @requires(Permission.CONTACTS_EDIT)
    def add_task(self, form: dict):
        """Add a task for me about the chosen contact, due at a preset time, a typed time or never."""
        if not isinstance(form, dict):
            return None
        if not self.new_contact_id:
            return rx.toast.warning(self._t("Choose the contact first."))
        preset = form.get("preset")
        due = agenda.due_preset(preset, utcnow()) if preset in agenda.PRESETS else parse_local_input(form.get("due"))
        try:
            with session_scope() as db:
                feed_service.create_task(
                    db,
                    contact_id=self.new_contact_id,
                    title=form.get("title"),
                    due_at=due,
                    assignee_id=self._current.id,
                    actor_id=self._current.id,
                )
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self.new_contact_id, self.new_contact_name = 0, ""
        self.view = "open"
        self._refresh()
        return [rx.set_value("new-task-title", ""), rx.toast.success(self._t("Task added."))]
