"""The event feed beside the contact file."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission
from crm_app.core.errors import DomainError
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.feed import files as file_service
from crm_app.feed import service as feed_service
from crm_app.feed.links import split_links
from crm_app.feed.schemas import FeedItem
from crm_app.i18n import _
from crm_app.settings import settings
from crm_app.ui.state.session import SessionState, requires
from crm_app.ui.state.toasts import undo_toast

KIND_FILTERS = ("", "changes", "comments", "activities", "tasks", "files")
ACTIVITY_LABELS = {
    "call_in": _("Incoming call"),
    "call_out": _("Outgoing call"),
    "sms_in": _("SMS received"),
    "email_in": _("E-mail received"),
    "visit": _("Visit"),
}
ACTIVITY_ICONS = {
    "call_in": "phone-incoming",
    "call_out": "phone-outgoing",
    "sms_in": "message-square-text",
    "email_in": "mail",
    "visit": "map-pin",
}
TASK_EVENTS = {
    "task_created": _("Task created"),
    "task_completed": _("Task done"),
    "task_reopened": _("Task reopened"),
    "task_updated": _("Task changed"),
}
PAGE = 30


@dataclasses.dataclass
class BodyPart:
    """A run of a comment's text, or a safe link (``href`` set) to render with rx.link."""

    text: str
    href: str


@dataclasses.dataclass
class VersionLine:
    """An earlier text of an edited comment, with the time it was written."""

    at: str
    body: str


@dataclasses.dataclass
class FeedRow:
    """One feed entry as shown."""

    id: str
    kind: str
    icon: str
    at: str
    actor: str
    title: str
    body: str
    parts: list[BodyPart]
    old: str
    new: str
    task_id: int
    done: bool
    overdue: bool
    due: str
    due_input: str
    assignee: str
    assignee_value: str
    event_label: str
    file_id: int
    thumb: bool
    comment_id: int
    mine: bool
    edited: bool
    edited_at: str
    versions: list[VersionLine]


@dataclasses.dataclass
class StaffOption:
    """An active staff member one can log an activity for or assign a task to."""

    value: str
    label: str


def _fmt(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def parse_local_input(value: Any) -> datetime | None:
    """A ``datetime-local`` input value (treated as UTC for now) or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _user_id(value: Any) -> int | None:
    """A user id typed by the browser as digits, else None (the service then uses the actor)."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) < 12 else None


def _contact_id_from(path: str) -> int:
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class ContactFeedState(SessionState):
    """The feed of the open contact: newest first, filtered by kind, paged by time."""

    contact_id: int = 0
    kind_filter: str = ""
    rows: list[FeedRow] = []
    has_more: bool = False
    memo: str = ""
    upload_error: str = ""
    # Counts the uploads this tab has finished; the progress bar (assets/feed.js) hides when it moves. A state
    # value reaches the page with the upload's own answer, where a script event would wait in the event queue.
    uploads_finished: int = 0
    editing_comment_id: int = 0
    editing_task_entry: str = ""
    staff: list[StaffOption] = []
    _next_before: datetime | None = None

    def _row(self, item: FeedItem) -> FeedRow:
        icons = {
            "changes": "history",
            "comments": "message-square",
            "activities": "phone",
            "tasks": "square-check",
            "files": "paperclip",
        }
        title = item.title
        icon = icons.get(item.kind, "dot")
        if item.kind == "activities":
            icon = ACTIVITY_ICONS.get(item.activity_kind, icon)
            title = self._t(ACTIVITY_LABELS.get(item.activity_kind, item.activity_kind or "Activity"))
            if item.duration_minutes:
                title += f" · {item.duration_minutes} min"
        elif item.kind == "changes":
            title = self._t((item.field or item.event or "change").replace("_", " ").capitalize())
        return FeedRow(
            id=item.id,
            kind=item.kind,
            icon=icon,
            at=_fmt(item.at),
            actor=item.actor_name or self._t("System"),
            title=title,
            body=item.body,
            parts=[BodyPart(text=p.text, href=p.href) for p in split_links(item.body)],
            old=item.old,
            new=item.new,
            task_id=0 if item.deleted else item.task_id or 0,
            done=item.done,
            overdue=item.overdue,
            due=_fmt(item.due_at),
            due_input=item.due_at.strftime("%Y-%m-%dT%H:%M") if item.due_at else "",
            assignee=item.assignee_name,
            assignee_value=str(item.assignee_id or ""),
            event_label=self._t(TASK_EVENTS[item.event]) if item.event in TASK_EVENTS else "",
            file_id=item.file_id or 0 if not item.deleted else 0,
            thumb=item.has_thumbnail,
            comment_id=item.comment_id or 0,
            mine=bool(self._current and item.actor_id == self._current.id),
            edited=item.edited,
            edited_at=_fmt(item.edited_at),
            versions=[VersionLine(at=_fmt(v.at), body=v.body) for v in item.versions],
        )

    def _load_page(self, *, more: bool = False) -> None:
        if not self.contact_id:
            self.rows = []
            return
        kinds = {self.kind_filter} if self.kind_filter else None
        with session_scope() as db:
            page = feed_service.feed(
                db, contact_id=self.contact_id, kinds=kinds, before=self._next_before if more else None, limit=PAGE
            )
        new_rows = [self._row(i) for i in page.items]
        self.rows = [*self.rows, *new_rows] if more else new_rows
        self._next_before = page.next_before
        self.has_more = page.next_before is not None
        self.memo = page.memo

    def _load_staff(self) -> None:
        """Active staff, the signed-in user first (the pickers' default)."""
        with session_scope() as db:
            users = [u for u in auth_service.list_users(db) if u.active]
        me = self._current.id if self._current else 0
        users.sort(key=lambda u: u.id != me)
        self.staff = [StaffOption(value=str(u.id), label=u.name or u.email) for u in users]

    def _pushed_change(self, contact_id: int) -> None:
        """Called by the live pusher: new entries appear for everyone who has the contact open."""
        user = self._caller() if contact_id == self.contact_id else None
        if user is not None:
            self._current = user  # "mine" (edit and delete links) is decided per viewer
            try:
                self._load_page()
            except DomainError:
                self.rows = []

    @requires(Permission.CONTACTS_VIEW)
    def load(self):
        """Show the newest entries of the contact in the URL (none on /contacts/new: nothing to read yet)."""
        self.contact_id = _contact_id_from(self.router.url.path)
        self.kind_filter = ""
        self.upload_error = ""
        self.editing_comment_id = 0
        self.editing_task_entry = ""
        if not self.contact_id:
            self.rows = []
            return
        try:
            self._load_staff()
            self._load_page()
        except DomainError:
            self.contact_id = 0
            self.rows = []

    @requires(Permission.CONTACTS_VIEW)
    def filter_kind(self, kind: str):
        """Only changes, comments, activities, tasks or files (or everything)."""
        if kind in KIND_FILTERS:
            self.kind_filter = kind
            self._load_page()

    @requires(Permission.CONTACTS_VIEW)
    def load_more(self):
        """The next, older page."""
        if self.has_more:
            self._load_page(more=True)

    def _apply(self, action, **kwargs) -> rx.event.EventSpec | None:
        """Run a feed service and read the feed again; the error toast when the service refused."""
        _result, err = self._service(action, **kwargs)
        if err is not None:
            return rx.toast.error(self._error_text(err))
        self._load_page()
        return None

    def _write(self, action, message: str, **kwargs):
        return self._apply(action, **kwargs) or rx.toast.success(self._t(message))

    @requires(Permission.CONTACTS_EDIT)
    def add_comment(self, form: dict):
        """Post a comment (plain text; line breaks kept)."""
        if not isinstance(form, dict) or not self.contact_id:
            return None
        return self._write(
            feed_service.add_comment,
            "Comment added.",
            contact_id=self.contact_id,
            body=str(form.get("body", ""))[:20_000],
            actor_id=self._current.id,
        )

    @requires(Permission.CONTACTS_EDIT)
    def start_comment_edit(self, comment_id: int):
        """Open the inline editor on one of my own comments shown in the feed."""
        cid = as_id(comment_id)
        if cid is None:
            return None
        if any(row.comment_id == cid and row.mine for row in self.rows):
            self.editing_comment_id = cid
        return None

    @requires(Permission.CONTACTS_EDIT)
    def cancel_comment_edit(self):
        """Close the inline comment editor without saving."""
        self.editing_comment_id = 0

    @requires(Permission.CONTACTS_EDIT)
    def save_comment_edit(self, form: dict):
        """Save the new text of the comment being edited (only its author may; the old text stays in history)."""
        if not isinstance(form, dict) or not self.editing_comment_id:
            return None
        try:
            with session_scope() as db:
                feed_service.edit_comment(
                    db,
                    comment_id=self.editing_comment_id,
                    body=str(form.get("body", ""))[:20_000],
                    actor_id=self._current.id,
                    actor_role=self._current.role,
                )
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self.editing_comment_id = 0
        self._load_page()
        return rx.toast.success(self._t("Comment updated."))

    @requires(Permission.CONTACTS_EDIT)
    def delete_comment(self, comment_id: int):
        """Delete a comment (own, or any for managers)."""
        cid = as_id(comment_id)
        if cid is None:
            return None
        return self._write(
            feed_service.delete_comment,
            "Comment deleted.",
            comment_id=cid,
            actor_id=self._current.id,
            actor_role=self._current.role,
        )

    @requires(Permission.CONTACTS_EDIT)
    def log_activity(self, form: dict):
        """Record a call, SMS, e-mail or visit."""
        if not isinstance(form, dict) or not self.contact_id:
            return None
        duration = str(form.get("duration", "")).strip()
        return self._write(
            feed_service.log_activity,
            "Activity logged.",
            contact_id=self.contact_id,
            kind=str(form.get("kind", "")),
            summary=str(form.get("summary", ""))[:20_000],
            at=parse_local_input(form.get("at")),
            duration_minutes=duration[:20] or None,
            staff_id=_user_id(form.get("staff")) or self._current.id,
            actor_id=self._current.id,
        )

    @requires(Permission.CONTACTS_EDIT)
    def add_task(self, form: dict):
        """Create a task about this contact, assigned to me unless said otherwise."""
        if not isinstance(form, dict) or not self.contact_id:
            return None
        return self._write(
            feed_service.create_task,
            "Task created.",
            contact_id=self.contact_id,
            title=str(form.get("title", ""))[:1000],
            due_at=parse_local_input(form.get("due")),
            assignee_id=_user_id(form.get("assignee")) or self._current.id,
            actor_id=self._current.id,
        )

    def _editing_task_id(self) -> int:
        row = next((r for r in self.rows if r.id == self.editing_task_entry), None)
        return row.task_id if row is not None else 0

    @requires(Permission.CONTACTS_EDIT)
    def start_task_edit(self, entry_id: str):
        """Open the inline editor of the task behind one feed entry."""
        if isinstance(entry_id, str) and any(r.id == entry_id and r.task_id > 0 for r in self.rows):
            self.editing_task_entry = entry_id

    @requires(Permission.CONTACTS_EDIT)
    def cancel_task_edit(self):
        """Close the task editor without saving."""
        self.editing_task_entry = ""

    @requires(Permission.CONTACTS_EDIT)
    def save_task_edit(self, form: dict):
        """Save the task's title, due time and assignee (an empty assignee leaves it unassigned)."""
        task_id = self._editing_task_id()
        if not isinstance(form, dict) or not task_id:
            return None
        try:
            with session_scope() as db:
                feed_service.update_task(
                    db,
                    task_id=task_id,
                    actor_id=self._current.id,
                    title=str(form.get("title", ""))[:1000],
                    due_at=parse_local_input(form.get("due")),
                    assignee_id=_user_id(form.get("assignee")),
                )
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self.editing_task_entry = ""
        self._load_page()
        return rx.toast.success(self._t("Task updated."))

    @requires(Permission.CONTACTS_EDIT)
    def toggle_task(self, task_id: int, done: Any):
        """Tick a task done, or open it again."""
        tid = as_id(task_id)
        if tid is None:
            return None
        if not (done is True or done == "true"):
            return self._write(feed_service.reopen_task, "Task reopened.", task_id=tid, actor_id=self._current.id)
        return self._apply(feed_service.complete_task, task_id=tid, actor_id=self._current.id) or undo_toast(
            self._t("Task done."), self._t("Undo"), ContactFeedState.toggle_task(tid, False)
        )

    @requires(Permission.CONTACTS_EDIT)
    def files_refused(self, rejections: list):
        """Say which files the browser refused before sending them (too large, wrong type, too many)."""
        if not isinstance(rejections, list):
            return None
        reasons = {
            "file-too-large": self._t("larger than the {mb} MB limit", mb=settings.max_upload_mb),
            "file-invalid-type": self._t("this type of file is not accepted"),
            "too-many-files": self._t("at most {n} files at once", n=file_service.MAX_FILES_PER_UPLOAD),
        }
        lines = []
        for rejection in rejections[: file_service.MAX_FILES_PER_UPLOAD]:
            file = rejection.get("file") if isinstance(rejection, dict) else None
            errors = rejection.get("errors") if isinstance(rejection, dict) else None
            name = file.get("path") or file.get("name") if isinstance(file, dict) else ""
            codes = [e.get("code") for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
            reason = next((reasons[c] for c in codes if c in reasons), self._t("refused"))
            lines.append(f"{file_service.display_name(name)}: {reason}")
        self.upload_error = "\n".join(lines)
        return rx.toast.error(self._t("Some files were refused.")) if lines else None

    @requires(Permission.CONTACTS_EDIT)
    async def upload(self, uploads: list[rx.UploadFile]):
        """Store the chosen files (checked by content; images get thumbnails), off the event loop."""
        self.upload_error = ""
        self.uploads_finished += 1
        if not self.contact_id or not isinstance(uploads, list):
            return None
        contact_id, actor_id = self.contact_id, self._current.id
        stored, problems = 0, []
        extra = uploads[file_service.MAX_FILES_PER_UPLOAD :]
        for upload in uploads[: file_service.MAX_FILES_PER_UPLOAD]:

            def store(upload=upload):
                with session_scope() as db:
                    file_service.store_upload(
                        db, contact_id=contact_id, filename=upload.name or "file", stream=upload.file, actor_id=actor_id
                    )

            try:
                await rx.run_in_thread(store)
                stored += 1
            except DomainError as err:
                problems.append(f"{file_service.display_name(upload.name)}: {self._error_text(err)}")
        if extra:
            problems.append(self._t("at most {n} files at once", n=file_service.MAX_FILES_PER_UPLOAD))
        self.upload_error = "\n".join(problems)
        self._load_page()
        if problems:
            return rx.toast.error(self._t("Some files were refused."))
        if stored == 1:
            return rx.toast.success(self._t("1 file added."))
        return rx.toast.success(self._t("{n} files added.", n=stored))

    @requires(Permission.CONTACTS_EDIT)
    def delete_file(self, file_id: int):
        """Remove a file (the feed keeps a note of it)."""
        fid = as_id(file_id)
        if fid is None:
            return None
        return self._write(
            file_service.delete_attachment, "File deleted.", attachment_id=fid, actor_id=self._current.id
        )
