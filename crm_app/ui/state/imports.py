"""Imports (manager+): upload, map the columns, dry run, run with progress, cancel, resume, undo; and the
list's export (staff+). Long work runs as queued jobs (``crm_app.jobs``) that background tasks follow; its
progress lives in the database, so a user who leaves the page, reloads it or comes from another tab (or
another worker) sees the same import where it is.

Longer than 800 lines because it is one Reflex state class following one import through its six steps;
the rules are in ``crm_app.exchange.imports``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import reflex as rx

from crm_app.auth.permissions import Permission, has_permission
from crm_app.core.errors import DomainError
from crm_app.core.text import fold
from crm_app.db import session_scope
from crm_app.exchange import files, values
from crm_app.exchange import jobs as exchange_jobs
from crm_app.exchange.columns import EMAILS, PHONES
from crm_app.exchange.imports import context, lifecycle, mapping
from crm_app.exchange.schemas import ExportRead, ImportRead, UnknownValueRead
from crm_app.i18n import _
from crm_app.jobs.models import DONE
from crm_app.settings import settings
from crm_app.ui.state.contact_list import ContactListState
from crm_app.ui.state.jobs import follow_job, read_job, refusal
from crm_app.ui.state.session import SessionState, requires, to_sign_in

POLL_SECONDS = 0.6
ACTIVE = frozenset({lifecycle.RUNNING, lifecycle.CHECKING, lifecycle.UNDOING})
STATUS_LABELS = {
    lifecycle.UPLOADED: _("Ready to check"),
    lifecycle.CHECKING: _("Checking…"),
    lifecycle.CHECKED: _("Checked"),
    lifecycle.RUNNING: _("Importing…"),
    lifecycle.DONE: _("Done"),
    lifecycle.CANCELLED: _("Cancelled"),
    lifecycle.FAILED: _("Stopped on an error"),
    lifecycle.UNDOING: _("Undoing…"),
    lifecycle.UNDONE: _("Undone"),
}
STATUS_COLORS = {
    lifecycle.DONE: "green",
    lifecycle.UNDONE: "gray",
    lifecycle.FAILED: "red",
    lifecycle.CANCELLED: "amber",
    lifecycle.RUNNING: "blue",
    lifecycle.CHECKING: "blue",
    lifecycle.UNDOING: "blue",
}
ACTION_LABELS = {
    "rejected": _("Rejected"),
    "skipped": _("Skipped"),
    "unchanged": _("Unchanged"),
    "dropped": _("Left out"),
    "flagged": _("To check"),
}
UPLOAD_ID = "import-upload"
# The select value that leaves an unknown value empty (a select item cannot have the value "").
LEAVE_EMPTY = "-"


@dataclasses.dataclass
class HistoryRow:
    """One import in the list."""

    id: int
    when: str
    by: str
    file_name: str
    status: str
    status_label: str
    color: str
    rows: int
    created: int
    updated: int
    skipped: int
    rejected: int


@dataclasses.dataclass
class ColumnView:
    """A column of the file and how it is read."""

    index: int
    header: str
    samples: str
    target: str
    phone_type: str
    whatsapp: bool
    viber: bool
    sms: bool
    email_ok: bool
    is_phone: bool
    is_email: bool
    error: str


@dataclasses.dataclass
class Option:
    """A choice of a select box."""

    value: str
    label: str


@dataclasses.dataclass
class TargetGroup:
    """A section of the fields a column can go into; ``extra`` for addresses 2 to 5 (folded)."""

    label: str
    extra: bool
    options: list[Option]


@dataclasses.dataclass
class ReasonView:
    """Why some rows were not imported."""

    action: str
    column: str
    message: str
    count: int
    rows: str


@dataclasses.dataclass
class UnknownView:
    """A value of a closed list the file uses and the app does not know, and what it becomes."""

    index: int
    column: int
    header: str
    value: str
    count: int
    choice: str
    options: list[Option]


def _background(permission: Permission) -> Callable:
    """Guard a background task: a signed-in user with ``permission`` (it may only write state inside ``async with``)."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        async def wrapper(self: SessionState, *args: Any, **kwargs: Any):
            user = self._caller()
            if user is None:
                return to_sign_in(session_ended=False)
            if not has_permission(user.role, permission):
                return rx.toast.error(self._t("You don't have permission to do that."))
            return await fn(self, *args, **kwargs)

        wrapper._crm_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _int(value: Any, *, minimum: int = 1) -> int | None:
    """A whole number sent by the browser, or None when it is anything else."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if minimum <= number < 2**62 else None


class ImportsState(SessionState):
    """The imports page: upload a file, the history of imports."""

    history: list[HistoryRow] = []
    upload_error: str = ""
    loaded: bool = False

    @rx.var
    def limits_text(self) -> str:
        """The size and row limits of an import file."""
        return self._t(
            "Up to {mb} MB and {rows} rows.", mb=settings.max_import_mb, rows=f"{settings.max_import_rows:,}"
        )

    @requires(Permission.IMPORT)
    def file_refused(self, rejections: list):
        """Say why the browser refused the chosen file before sending it."""
        if not isinstance(rejections, list) or not rejections:
            return None
        codes = set()
        for rejection in rejections[:5]:
            errors = rejection.get("errors") if isinstance(rejection, dict) else None
            codes |= {e.get("code") for e in errors if isinstance(e, dict)} if isinstance(errors, list) else set()
        if "too-many-files" in codes:
            self.upload_error = self._t("Import one file at a time.")
        elif "file-too-large" in codes:
            self.upload_error = self._t(
                "This file is larger than the {mb} MB limit for imports.", mb=settings.max_import_mb
            )
        else:
            self.upload_error = self._t("This file was refused.")
        return None

    def _history_rows(self, items: list[ImportRead]) -> list[HistoryRow]:
        return [
            HistoryRow(
                id=item.id,
                when=item.created_at.strftime("%Y-%m-%d %H:%M"),
                by=item.created_by_name,
                file_name=item.file_name,
                status=item.status,
                status_label=self._t(STATUS_LABELS.get(item.status, item.status)),
                color=STATUS_COLORS.get(item.status, "gray"),
                rows=item.processed_rows or item.total_rows or 0,
                created=item.created_count,
                updated=item.updated_count,
                skipped=item.skipped_count,
                rejected=item.rejected_count,
            )
            for item in items
        ]

    @requires(Permission.IMPORT)
    async def load(self):
        """The latest imports."""

        def read() -> list[ImportRead]:
            with session_scope() as db:
                return lifecycle.list_imports(db)

        self.history = self._history_rows(await rx.run_in_thread(read))
        self.loaded = True

    @requires(Permission.IMPORT)
    async def upload(self, uploads: list[rx.UploadFile]):
        """Check and keep the chosen file, read its headers, and open its mapping step."""
        self.upload_error = ""
        if not isinstance(uploads, list) or not uploads:
            self.upload_error = self._t("Choose an .xlsx or .csv file.")
            return None
        if len(uploads) > 1:
            self.upload_error = self._t("Import one file at a time.")
            return None
        upload = uploads[0]
        actor_id, locale = self._current.id, self.locale

        def store() -> ImportRead:
            stored = files.store_import_file(upload.file)
            with session_scope() as db:
                return mapping.create_import(
                    db, stored=stored, file_name=upload.name or "import", actor_id=actor_id, locale=locale
                )

        try:
            job = await rx.run_in_thread(store)
        except DomainError as error:
            self.upload_error = self._error_text(error)
            return None
        return rx.redirect(f"/imports/{job.id}")


class ImportJobState(SessionState):
    """One import, step by step: mapping and options, dry run, run, result, undo."""

    import_id: int = 0
    not_found: bool = False
    file_name: str = ""
    status: str = ""
    status_label: str = ""
    stale: bool = False
    error: str = ""
    sheet_name: str = ""
    preview_headers: list[str] = []
    preview_rows: list[list[str]] = []
    columns: list[ColumnView] = []
    target_groups: list[TargetGroup] = []
    more_addresses: bool = False
    target_filter: str = ""
    phone_types: list[Option] = []
    match_reference: bool = True
    match_email: bool = True
    match_phone: bool = True
    on_match: str = "skip"
    on_bad_value: str = "drop"
    phone_region: str = ""
    phone_regions: list[Option] = []
    dry_state: str = ""
    dry_rows: int = 0
    dry_create: int = 0
    dry_update: int = 0
    dry_unchanged: int = 0
    dry_skip: int = 0
    dry_reject: int = 0
    dry_seconds: float = 0.0
    dry_current: bool = False
    dry_with_dropped: int = 0
    more_reasons: int = 0
    more_reasons_text: str = ""
    reasons: list[ReasonView] = []
    unknown_values: list[UnknownView] = []
    warnings: list[str] = []
    total_rows: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    rows_per_second: float = 0.0
    cancel_requested: bool = False
    undo_removed: int = 0
    undo_restored: int = 0
    undo_kept: list[str] = []
    undo_kept_count: int = 0
    mapping_error: str = ""
    busy: bool = False

    _follow_generation: int = 0
    _work_job_id: int | None = None

    # -- reading

    @rx.var
    def progress(self) -> int:
        """Percent of the rows processed (import) or checked (dry run)."""
        done = self.dry_rows if self.status == lifecycle.CHECKING else self.processed
        total = self.total_rows or 0
        return min(100, round(100 * done / total)) if total else 0

    @rx.var
    def shown_target_groups(self) -> list[TargetGroup]:
        """The sections of fields offered: addresses 2 to 5 only when unfolded or when a column uses one."""
        extra_used = any(c.target.startswith("address") and not c.target.startswith("address.") for c in self.columns)
        groups = (
            self.target_groups if self.more_addresses or extra_used else [g for g in self.target_groups if not g.extra]
        )
        wanted = fold(self.target_filter).strip()
        if not wanted:
            return groups
        chosen = {c.target for c in self.columns}
        found = []
        for group in groups:
            in_group = fold(group.label)
            options = [o for o in group.options if o.value in chosen or wanted in in_group or wanted in fold(o.label)]
            if options:
                found.append(TargetGroup(label=group.label, extra=group.extra, options=options))
        return found

    @rx.var
    def active(self) -> bool:
        """Whether work on this import is under way."""
        return self.status in ACTIVE and not self.stale

    @rx.var
    def editable(self) -> bool:
        """Whether the mapping and options may still change."""
        return self.status in (lifecycle.UPLOADED, lifecycle.CHECKED)

    @rx.var
    def can_run(self) -> bool:
        """Whether the import can start (a current dry run) or resume (cancelled, stopped, interrupted)."""
        if self.status == lifecycle.CHECKED:
            return self.dry_current
        return self.status in (lifecycle.CANCELLED, lifecycle.FAILED) or (
            self.status == lifecycle.RUNNING and self.stale
        )

    @rx.var
    def can_undo(self) -> bool:
        """Whether the import may be undone."""
        return (
            self.status in (lifecycle.DONE, lifecycle.CANCELLED, lifecycle.FAILED) and (self.created + self.updated) > 0
        )

    def _show(self, job: ImportRead) -> None:
        self.import_id = job.id
        self.file_name = job.file_name
        self.sheet_name = job.sheet_name
        self.status = job.status
        self.status_label = self._t(STATUS_LABELS.get(job.status, job.status))
        self.stale = job.stale
        self.error = self._t(job.error) if job.error else ""
        dry = job.dry_run
        self.dry_state = dry.state
        self.dry_rows = dry.rows
        self.dry_create, self.dry_update, self.dry_unchanged = dry.create, dry.update, dry.unchanged
        self.dry_skip, self.dry_reject, self.dry_seconds = dry.skip, dry.reject, dry.seconds
        self.dry_with_dropped, self.more_reasons = dry.with_dropped, dry.more_reasons
        self.more_reasons_text = self._t(
            "{n} more groups of reasons are not shown: download the dry run to see every row.", n=dry.more_reasons
        )
        self.reasons = [
            ReasonView(
                action=self._t(ACTION_LABELS.get(r.action, r.action)),
                column=r.column,
                message=self._t(r.message),
                count=r.count,
                rows=", ".join(str(n) for n in r.rows) + ("…" if r.count > len(r.rows) else ""),
            )
            for r in dry.reasons
        ]
        self.warnings = [self._t(w) for w in dry.warnings]
        self.total_rows = job.total_rows or dry.rows or 0
        self.processed = job.processed_rows
        self.created, self.updated = job.created_count, job.updated_count
        self.skipped, self.rejected = job.skipped_count, job.rejected_count
        self.rows_per_second = job.rows_per_second
        self.cancel_requested = job.cancel_requested
        options = job.options
        self.match_reference = "reference" in options.match_on
        self.match_email = "email" in options.match_on
        self.match_phone = "phone" in options.match_on
        self.on_match = options.on_match
        self.on_bad_value = options.on_bad_value
        self.phone_region = options.phone_region
        self.dry_current = dry.state == "done" and job.status == lifecycle.CHECKED
        report = job.undo_report or {}
        self.undo_removed = int(report.get("removed", 0))
        self.undo_restored = int(report.get("restored", 0))
        self.undo_kept = [str(k.get("label") or k.get("contact_id")) for k in report.get("kept", [])][:50]
        self.undo_kept_count = int(report.get("kept_count", 0))

    def _show_columns(self, job: ImportRead, samples: list[list[str]]) -> None:
        columns = []
        for index, header in enumerate(job.headers):
            plan = job.mapping[index] if index < len(job.mapping) else {}
            values = [row[index] for row in samples if index < len(row) and row[index]][:3]
            target = str(plan.get("target", ""))
            columns.append(
                ColumnView(
                    index=index,
                    header=header or f"#{index + 1}",
                    samples=" · ".join(values)[:120],
                    target=target,
                    phone_type=str(plan.get("phone_type", "mobile")),
                    whatsapp=bool(plan.get("whatsapp")),
                    viber=bool(plan.get("viber")),
                    sms=bool(plan.get("sms")),
                    email_ok=bool(plan.get("email_ok")),
                    is_phone=target == PHONES,
                    is_email=target == EMAILS,
                    error="",
                )
            )
        self.columns = columns

    def _show_unknown(self, items: list[UnknownValueRead]) -> None:
        views = []
        for index, item in enumerate(items):
            options = [Option(value=LEAVE_EMPTY, label=self._t("Leave empty"))]
            if item.can_create:
                options.append(
                    Option(value=values.CREATE, label=self._t("Add “{value}” to the list", value=item.value))
                )
            options += [Option(value=value, label=label) for value, label in item.choices]
            choice = "" if item.choice is None else (item.choice or LEAVE_EMPTY)
            views.append(
                UnknownView(
                    index=index,
                    column=item.column,
                    header=item.header,
                    value=item.value,
                    count=item.count,
                    choice=choice if choice in {o.value for o in options} else "",
                    options=options,
                )
            )
        self.unknown_values = views

    def _read_job(self) -> Callable[[], tuple[ImportRead, list[dict[str, str]], list[tuple[str, str]], Any, Any]]:
        import_id, locale = self.import_id, self.locale

        def read():
            with session_scope() as db:
                job = lifecycle.get_import(db, import_id=import_id)
                targets = mapping.mapping_targets(db, locale=locale)
                types = sorted(set(context.phone_type_lookup(db).values()))
                preview = mapping.preview(db, import_id=import_id)
                unknown = values.unknown_values(db, import_id=import_id, locale=locale)
                return job, targets, types, preview, unknown

        return read

    @requires(Permission.IMPORT)
    async def load(self):
        """Open the import named by the URL; follow it when work on it is under way."""
        self.not_found = False
        self.mapping_error = ""
        self.import_id = _int(self.router.url.path.rstrip("/").rsplit("/", 1)[-1]) or 0
        try:
            job, targets, types, preview, unknown = await rx.run_in_thread(self._read_job())
        except DomainError:
            self.not_found = True
            return None
        self._show(job)
        self._show_unknown(unknown)
        self.preview_headers = [h or f"#{i + 1}" for i, h in enumerate(preview.headers)]
        self.preview_rows = preview.rows
        self._show_columns(job, preview.rows)
        groups: dict[str, TargetGroup] = {}
        for target in targets:
            group = groups.setdefault(
                target["group"], TargetGroup(label=target["group"], extra=target["extra"], options=[])
            )
            group.options.append(Option(value=target["value"], label=target["label"]))
        self.target_groups = list(groups.values())
        labels = {"mobile": self._t("Mobile"), "work": self._t("Work"), "home": self._t("Home")}
        self.phone_types = [Option(value=v, label=labels.get(v, v)) for v in types]
        self.phone_regions = [
            Option(value=code, label=name) for code, name in mapping.phone_region_choices(locale=self.locale)
        ]
        if self.active:
            return ImportJobState.follow
        return None

    # -- mapping and options (saved at once, so leaving the page keeps them)

    def _save_mapping(self) -> Any:
        columns = [
            {
                "target": c.target,
                "phone_type": c.phone_type,
                "whatsapp": c.whatsapp,
                "viber": c.viber,
                "sms": c.sms,
                "email_ok": c.email_ok,
            }
            for c in self.columns
        ]
        match_on = [
            k
            for k, on in (("reference", self.match_reference), ("email", self.match_email), ("phone", self.match_phone))
            if on
        ]
        options = {
            "match_on": match_on,
            "on_match": self.on_match,
            "on_bad_value": self.on_bad_value,
            "phone_region": self.phone_region,
            "locale": self.locale,
        }
        try:
            with session_scope() as db:
                job = mapping.update_mapping(
                    db, import_id=self.import_id, mapping=columns, options=options, actor_id=self._current.id
                )
        except DomainError as error:
            self.mapping_error = self._error_text(error)
            messages = self._field_errors(error)
            for column in self.columns:
                column.error = messages.get(f"mapping.{column.index}", "")
            return rx.toast.error(self.mapping_error)
        self.mapping_error = ""
        for column in self.columns:
            column.error = ""
            column.is_phone = column.target == PHONES
            column.is_email = column.target == EMAILS
        self._show(job)
        return None

    def _column(self, index: Any) -> ColumnView | None:
        number = _int(index, minimum=0)
        if number is None or not self.editable or not 0 <= number < len(self.columns):
            return None
        return self.columns[number]

    @requires(Permission.IMPORT)
    def choose_target(self, index: int, target: str):
        """Map a column to a field (or to nothing)."""
        column = self._column(index)
        if column is None or not isinstance(target, str):
            return None
        column.target = target[:120]
        return self._save_mapping()

    @requires(Permission.IMPORT)
    def filter_targets(self, text: str):
        """Offer only the fields whose name or section holds ``text`` (the fields columns use stay offered)."""
        self.target_filter = text[:100] if isinstance(text, str) else ""
        return None

    @requires(Permission.IMPORT)
    def show_more_addresses(self, value: bool):
        """Offer addresses 2 to 5 in the lists of fields (or fold them again)."""
        self.more_addresses = value is True
        return None

    @requires(Permission.IMPORT)
    def choose_phone_type(self, index: int, phone_type: str):
        """The type given to the numbers of a phone column."""
        column = self._column(index)
        if column is None or not isinstance(phone_type, str):
            return None
        column.phone_type = phone_type[:60]
        return self._save_mapping()

    @requires(Permission.IMPORT)
    def toggle_consent(self, index: int, channel: str, value: bool):
        """The consent given to the numbers (or addresses) of a column when the row does not say."""
        column = self._column(index)
        if column is None or channel not in ("whatsapp", "viber", "sms", "email_ok"):
            return None
        setattr(column, channel, bool(value))
        return self._save_mapping()

    @requires(Permission.IMPORT)
    def toggle_match(self, key: str, value: bool):
        """Which keys find existing contacts: reference, e-mail, phone."""
        if not self.editable or key not in ("reference", "email", "phone"):
            return None
        setattr(self, f"match_{key}", bool(value))
        return self._save_mapping()

    @requires(Permission.IMPORT)
    def choose_on_match(self, value: str):
        """What a row matching an existing contact does: skip, fill empty fields, overwrite."""
        if not self.editable or value not in ("skip", "fill", "overwrite"):
            return None
        self.on_match = value
        return self._save_mapping()

    @requires(Permission.IMPORT)
    def choose_on_bad_value(self, value: str):
        """What an unusable value does: the contact is imported without it, or the row is rejected."""
        if not self.editable or value not in ("drop", "reject"):
            return None
        self.on_bad_value = value
        return self._save_mapping()

    @requires(Permission.IMPORT)
    def choose_phone_region(self, value: str):
        """The country of numbers written without a country code when the row names none."""
        if not self.editable or not isinstance(value, str) or value not in {o.value for o in self.phone_regions}:
            return None
        self.phone_region = value
        return self._save_mapping()

    @requires(Permission.IMPORT)
    async def map_value(self, index: int, choice: str):
        """What a value the app does not know becomes: an existing value, nothing, or a new value of the list
        (adding to lists needs the permissions to change them)."""
        number = _int(index, minimum=0)
        if number is None or not self.editable or number >= len(self.unknown_values) or not isinstance(choice, str):
            return None
        item = self.unknown_values[number]
        if choice not in {option.value for option in item.options}:
            return None
        role = self._current.role
        if choice == values.CREATE and not (
            has_permission(role, Permission.SETTINGS_LISTS) and has_permission(role, Permission.FORMS_MANAGE)
        ):
            return rx.toast.error(self._t("You don't have permission to change lists and defaults."))
        import_id, locale, actor_id = self.import_id, self.locale, self._current.id
        replacement = "" if choice == LEAVE_EMPTY else choice

        def save() -> tuple[ImportRead, list[UnknownValueRead]]:
            with session_scope() as db:
                job = values.map_value(
                    db, import_id=import_id, column=item.column, value=item.value, choice=replacement, actor_id=actor_id
                )
                return job, values.unknown_values(db, import_id=import_id, locale=locale)

        try:
            job, unknown = await rx.run_in_thread(save)
        except DomainError as error:
            return rx.toast.error(self._error_text(error))
        self._show(job)
        self._show_unknown(unknown)
        return None

    # -- work in the background

    @requires(Permission.IMPORT)
    def check(self):
        """Start the dry run: every row read and decided, nothing written."""
        if not self.editable or self.busy:
            return None
        with session_scope() as db:
            self._work_job_id = exchange_jobs.enqueue_dry_run(db, import_id=self.import_id)
        self.status = lifecycle.CHECKING
        self.dry_rows = 0
        self.busy = True
        return ImportJobState.follow_dry_run

    @rx.event(background=True)
    @_background(Permission.IMPORT)
    async def follow_dry_run(self):
        """Show the queued dry run's progress as it goes."""
        error = await self._follow_work(await self._take_work_job())
        return await self._finish_work(error, done=_("Dry run finished: nothing was written."))

    @requires(Permission.IMPORT)
    def start(self):
        """Start (or resume) the import in the background."""
        if self.busy:
            return None
        try:
            with session_scope() as db:
                job, self._work_job_id = exchange_jobs.enqueue_import(
                    db, import_id=self.import_id, actor_id=self._current.id
                )
        except DomainError as error:
            return rx.toast.error(self._error_text(error))
        self._show(job)
        self.busy = True
        return ImportJobState.follow_run

    @rx.event(background=True)
    @_background(Permission.IMPORT)
    async def follow_run(self):
        """Show the queued import's progress (read from the database) until it ends."""
        error = await self._follow_work(await self._take_work_job())
        return await self._finish_work(error, done=_("Import finished."))

    @requires(Permission.IMPORT)
    def cancel(self):
        """Stop the running import after its current batch (it can be resumed)."""
        try:
            with session_scope() as db:
                job = lifecycle.request_cancel(db, import_id=self.import_id)
        except DomainError as error:
            return rx.toast.error(self._error_text(error))
        self._show(job)
        return rx.toast.info(self._t("The import stops after the current batch."))

    @requires(Permission.IMPORT)
    def undo(self):
        """Undo the import in the background (contacts changed since it are kept and listed)."""
        if not self.can_undo or self.busy:
            return None
        with session_scope() as db:
            self._work_job_id = exchange_jobs.enqueue_undo(db, import_id=self.import_id, actor_id=self._current.id)
        self.status = lifecycle.UNDOING
        self.busy = True
        return ImportJobState.follow_undo

    @rx.event(background=True)
    @_background(Permission.IMPORT)
    async def follow_undo(self):
        """Show the queued undo until it ends."""
        error = await self._follow_work(await self._take_work_job())
        return await self._finish_work(error, done=_("Import undone."))

    @rx.event(background=True)
    @_background(Permission.IMPORT)
    async def follow(self):
        """Show the progress of work running elsewhere (another tab, another worker) until it ends."""
        await self._follow_work(None)

    async def _take_work_job(self) -> int | None:
        async with self:
            job_id, self._work_job_id = self._work_job_id, None
        return job_id

    async def _refresh(self) -> bool:
        """Re-read the import; False when this tab has moved on to another page or import."""
        import_id, locale = self.import_id, self.locale

        def read() -> tuple[ImportRead, list[UnknownValueRead]]:
            with session_scope() as db:
                job = lifecycle.get_import(db, import_id=import_id)
                return job, values.unknown_values(db, import_id=import_id, locale=locale)

        job, unknown = await rx.run_in_thread(read)
        async with self:
            if self.import_id != import_id or not self.router.url.path.startswith("/imports/"):
                return False
            self._show(job)
            self._show_unknown(unknown)
            return True

    async def _follow_work(self, job_id: int | None) -> str:
        """Refresh the page from the database until the queued job (if any) has ended and the import's work is done;
        returns why the job failed ("" when it did not)."""
        async with self:
            self._follow_generation += 1
            generation = self._follow_generation
        error = ""
        while True:
            job = await rx.run_in_thread(lambda: read_job(job_id)) if job_id is not None else None
            finished = job is None or job.ended
            if job is not None and job.ended and job.status != DONE:
                error = refusal(job) or _("The work stopped on an unexpected error.")
            still_here = await self._refresh()
            async with self:
                active = self.status in ACTIVE and not self.stale
                superseded = self._follow_generation != generation
            if finished and (not active or job is not None):
                break
            if job is None and (not still_here or not active or superseded):
                break
            await asyncio.sleep(POLL_SECONDS)
        return error

    async def _finish_work(self, error: str, *, done: str):
        async with self:
            self.busy = False
            if error:
                return rx.toast.error(self._t(error))
            return rx.toast.success(self._t(done))


class ExportState(SessionState):
    """Export the contact list (its selection, or everything its filter matches) to .xlsx or .csv."""

    exporting: bool = False
    written: int = 0
    total: int = 0
    _job_id: int | None = None

    @rx.var
    def percent(self) -> int:
        """How far the export is."""
        return min(100, round(100 * self.written / self.total)) if self.total else 0

    @requires(Permission.EXPORT)
    async def export_list(self, file_format: str):
        """Export what the list shows: the selected contacts, or all contacts matching its filter."""
        if file_format not in files.FORMATS:
            return rx.toast.error(self._t("Choose Excel (.xlsx) or CSV."))
        if self.exporting:
            return rx.toast.warning(self._t("An export is already running."))
        contacts_list = await self.get_state(ContactListState)
        selected = None if contacts_list.all_matching else list(contacts_list.selected)
        params = dict(contacts_list.params)
        try:
            with session_scope() as db:
                self._job_id = exchange_jobs.enqueue_export(
                    db,
                    ids=selected,
                    params=params,
                    file_format=file_format,
                    locale=self.locale,
                    actor_id=self._current.id,
                )
        except DomainError as error:
            return rx.toast.error(self._error_text(error))
        self.exporting, self.written, self.total = True, 0, 0
        return ExportState.follow_export

    @rx.event(background=True)
    @_background(Permission.EXPORT)
    async def follow_export(self):
        """Show the queued export's progress (per thousand contacts), then download its file."""
        async with self:
            job_id, self._job_id = self._job_id, None
        if job_id is None:
            return None

        async def on_progress(progress: dict[str, Any]) -> None:
            async with self:
                self.written, self.total = int(progress.get("done") or 0), int(progress.get("total") or 0)

        job = await follow_job(job_id, on_progress)
        async with self:
            self.exporting = False
            if job.status != DONE or job.result is None:
                return rx.toast.error(self._t("The export failed: try again."))
            done = ExportRead.model_validate(job.result)
            self.written = self.total = done.written_rows
            return [
                rx.toast.success(self._t("{n} contacts exported.", n=f"{done.written_rows:,}")),
                rx.download(url=f"/api/exports/{done.id}"),
            ]
