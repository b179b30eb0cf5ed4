"""What each row of an import does: rejected, skipped, unchanged, created or updated, decided batch by batch
(matching rows to existing contacts and to earlier rows of the file), written when the run asks, counted for
the dry run's summary."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from crm_app.contacts import batch
from crm_app.contacts.models import Address, Contact, Email, Phone
from crm_app.contacts.service import UpdatePlan, plan_update
from crm_app.contacts.texts import text_problem
from crm_app.contacts.validation import ContactFile, ValidatedContact
from crm_app.core.app_settings import get_settings
from crm_app.core.audit import json_safe
from crm_app.core.errors import ConflictError, ValidationError
from crm_app.core.memo import forget
from crm_app.exchange.imports.checking import Verdict, drop_values, problems_from
from crm_app.exchange.imports.inputs import merged_input, new_contact_input
from crm_app.exchange.imports.lifecycle import job_options
from crm_app.exchange.models import ImportJob, ImportRow
from crm_app.exchange.parse import ParseContext, Problem, RowInput, context_fingerprint, value_key
from crm_app.exchange.schemas import MATCH_KEYS, DryRun, Reason, UnknownValue

MAX_REASONS = 100


MAX_REASON_ROWS = 8


MAX_UNKNOWN_VALUES = 30


REFERENCE_LIMIT = 40


@dataclass
class Outcome:
    """What happened (or would happen) to one row."""

    row: RowInput
    action: str
    contact_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    reason: str = ""
    before: dict[str, Any] | None = None
    version_after: int | None = None
    keys: list[str] = field(default_factory=list)
    dropped: list[Problem] = field(default_factory=list)
    duplicate: bool = False

    def report(self) -> list[dict[str, str]]:
        """Everything the report says about the row, each item with its kind: ``rejected``, ``skipped``,
        ``unchanged`` (why), ``dropped`` (a value left out), ``flagged`` (to check)."""
        items = [(self.action, p) for p in self.problems]
        if not items and self.reason:
            items.append((self.action, Problem(column="", message=self.reason)))
        if self.action in ("created", "updated"):
            items += [("dropped", p) for p in self.dropped] + [("flagged", p) for p in self.row.notices]
        return [{**p.as_dict(), "kind": kind} for kind, p in items]

    @property
    def reported(self) -> bool:
        """Whether the row goes into the reports: rejected, a repeat of an earlier row, or with values left out
        or to check."""
        return self.action == "rejected" or self.duplicate or any(k["kind"] in REPORTED for k in self.report())


REPORTED = frozenset({"dropped", "flagged"})


_DUPLICATE_MESSAGES = {
    "reference": "Skipped as a duplicate of row {row} (same reference).",
    "email": "Skipped as a duplicate of row {row} (same e-mail address).",
    "phone": "Skipped as a duplicate of row {row} (same phone number).",
}


class Planner:
    """Decides, batch by batch, what each row does; with ``write`` it also writes the batch."""

    def __init__(self, job: ImportJob, ctx: ParseContext, *, write: bool, actor_id: int | None):
        self.job = job
        self.ctx = ctx
        self.options = job_options(job)
        self.write = write
        self.actor_id = actor_id
        self.match_on = [key for key in MATCH_KEYS if key in self.options.match_on]
        self.drop = self.options.on_bad_value == "drop"
        self.with_dropped = 0
        self.seen: dict[str, int] = {}
        self.touched: dict[int, int] = {}
        self.tally: Tally[str] = Tally()
        self.reasons: dict[tuple[str, str, str], list[int]] = {}
        self.reason_counts: Tally[tuple[str, str, str]] = Tally()
        # Values outside closed lists by column: folded value -> [as first written, rows].
        self.unknown: dict[int, dict[str, list[Any]]] = {}
        self.keyless = 0
        self.verdicts: dict[int, Verdict] | None = None
        self.note = f"{job.file_name} (import #{job.id})"
        # The fingerprint of reading rows under ``ctx`` (a digest of all of it: worth computing once).
        self.reading = context_fingerprint(ctx)

    # -- memory of earlier batches (a resumed run)

    def restore(self, session: Session) -> None:
        """Re-learn the keys and contacts of the rows earlier batches handled."""
        rows = session.execute(
            select(ImportRow.row_number, ImportRow.keys, ImportRow.contact_id, ImportRow.action).where(
                ImportRow.import_id == self.job.id
            )
        ).all()
        for number, keys, contact_id, action in rows:
            for key in (keys or "").split("\n"):
                if key:
                    self.seen.setdefault(key, number)
            if contact_id is not None and action in ("updated", "unchanged", "skipped"):
                self.touched.setdefault(contact_id, number)

    # -- the decisions

    def _keys(self, row: RowInput) -> list[str]:
        found = row.keys
        return [f"{kind}:{value}" for kind in self.match_on for value in found[kind]]

    def _matches(self, session: Session, keys: Iterable[str]) -> dict[str, set[int]]:
        """The existing contacts each of these match keys (``_keys``) finds, by key."""
        wanted: dict[str, set[str]] = {kind: set() for kind in MATCH_KEYS}
        for key in keys:
            kind, _colon, value = key.partition(":")
            wanted[kind].add(value)
        found: dict[str, set[int]] = {}

        def add(prefix: str, value: str, contact_id: int) -> None:
            found.setdefault(f"{prefix}:{value}", set()).add(contact_id)

        refs = sorted(wanted["reference"])
        for start in range(0, len(refs), 900):
            chunk = refs[start : start + 900]
            for cid, ref in session.execute(
                select(Contact.id, Contact.reference).where(Contact.reference.in_(chunk + [r.lower() for r in chunk]))
            ):
                add("reference", ref.upper(), cid)
        addresses = sorted(wanted["email"])
        for start in range(0, len(addresses), 900):
            chunk = addresses[start : start + 900]
            for cid, key in session.execute(
                select(Email.contact_id, Email.address_key).where(Email.address_key.in_(chunk))
            ):
                add("email", key, cid)
        numbers = sorted(wanted["phone"])
        for start in range(0, len(numbers), 900):
            chunk = numbers[start : start + 900]
            for cid, e164 in session.execute(select(Phone.contact_id, Phone.e164).where(Phone.e164.in_(chunk))):
                add("phone", e164, cid)
        return found

    def _count(self, outcome: Outcome) -> None:
        self.tally[outcome.action] += 1
        written: dict[tuple[int, str], str] = {}
        for index, text in outcome.row.unknown:
            written.setdefault((index, value_key(text)), text)
        for (index, key), text in written.items():
            self.unknown.setdefault(index, {}).setdefault(key, [text, 0])[1] += 1
        items = outcome.report()
        if any(item["kind"] == "dropped" for item in items):
            self.with_dropped += 1
        # Each reason once per row, however many times the row gives it.
        for key in dict.fromkeys((item["kind"], item["column"], item["message"]) for item in items):
            self.reason_counts[key] += 1
            rows = self.reasons.setdefault(key, [])
            if len(rows) < MAX_REASON_ROWS:
                rows.append(outcome.row.number)

    @staticmethod
    def _reject(row: RowInput, problems: list[Problem], keys: list[str] | None = None) -> Outcome:
        return Outcome(row=row, action="rejected", problems=list(dict.fromkeys(problems)), keys=list(keys or []))

    def _blocking(self, row: RowInput) -> list[Problem]:
        """What rejects the row whatever else it holds: unusable required data or reference, and with
        "reject the row" chosen any unusable value."""
        found = [p for p in row.problems if p.required or not self.drop]
        return [*found, *self._check_reference(row)]

    def _every_problem(self, session: Session, row: RowInput, known: Verdict | None) -> list[Problem]:
        """Every problem of a rejected row: its unusable values and what checking it as a contact finds."""
        problems = [*row.problems, *self._check_reference(row)]
        if row.is_empty():
            return problems
        try:
            self._validated(session, row, known)
        except ValidationError as error:
            problems += problems_from(error, row, self.ctx)
        return problems

    def _checked_new(self, session: Session, row: RowInput, verdict: Verdict | None) -> ValidatedContact:
        """The row checked as a new contact; with "import without it" chosen, the values validation refuses
        are left out of the row (listed in ``row.problems``) as long as no required data is among them."""
        while True:
            try:
                return self._validated(session, row, verdict)
            except ValidationError as error:
                if not self.drop or not drop_values(row, error, self.ctx, positional=True):
                    raise
                verdict = None

    def _check_reference(self, row: RowInput) -> list[Problem]:
        if not row.reference:
            return []
        column = self.ctx.headers[row.columns["reference"]] if "reference" in row.columns else ""
        if len(row.reference) > REFERENCE_LIMIT or text_problem(row.reference):
            return [Problem(column=column, message="This reference cannot be used (too long or invalid characters).")]
        return []

    def _validated(self, session: Session, row: RowInput, verdict: Verdict | None) -> ValidatedContact:
        """The row checked as a new contact (a verdict already given is taken as it is); with ``verdicts`` set,
        every verdict is also kept there by row number."""
        if verdict is None:
            try:
                plan = batch.validate_new(
                    session, data=new_contact_input(row), settings=get_settings(session), locale=self.ctx.locale
                )
            except ValidationError as error:
                verdict = ("invalid", error.message, error.errors)
            else:
                verdict = ("plan", plan)
        if self.verdicts is not None:
            self.verdicts[row.number] = verdict
        if verdict[0] == "invalid":
            raise ValidationError(verdict[1], errors=verdict[2])
        return verdict[1]

    def decide(self, session: Session, rows: list[RowInput], known: dict[int, Verdict] | None = None) -> list[Outcome]:
        """What each row of one batch does (and, with ``write``, do it); ``known`` holds verdicts on rows
        as new contacts that a ``RowChecker`` gave (by row number)."""
        outcomes: list[Outcome] = []
        pending: list[tuple[RowInput, list[str]]] = []
        known = known or {}
        for row in rows:
            if self._blocking(row):
                outcomes.append(self._reject(row, self._every_problem(session, row, known.get(row.number))))
                continue
            if row.is_empty() and not row.problems:
                outcomes.append(Outcome(row=row, action="skipped", reason="Nothing to import in this row."))
                continue
            keys = self._keys(row)
            earlier = next((k for k in keys if k in self.seen), None)
            for key in keys:
                self.seen.setdefault(key, row.number)
            if earlier is not None:
                message = _DUPLICATE_MESSAGES[earlier.split(":", 1)[0]].format(row=self.seen[earlier])
                outcomes.append(Outcome(row=row, action="skipped", reason=message, keys=keys, duplicate=True))
                continue
            if not keys:
                self.keyless += 1
            pending.append((row, keys))
        found = self._matches(session, (key for _row, keys in pending for key in keys))
        creates: list[tuple[RowInput, list[str], ValidatedContact]] = []
        updates: list[tuple[RowInput, list[str], int]] = []
        references_in_batch: set[str] = set()
        for row, keys in pending:
            matched: set[int] = set()
            for key in keys:
                matched |= found.get(key, set())
            if len(matched) > 1:
                outcomes.append(
                    self._reject(
                        row,
                        [Problem(column="", message="This row matches several existing contacts: merge them first.")],
                    )
                )
                continue
            if matched:
                contact_id = next(iter(matched))
                if contact_id in self.touched:
                    message = f"Skipped as a duplicate of row {self.touched[contact_id]} (the same contact)."
                    outcomes.append(Outcome(row=row, action="skipped", reason=message, duplicate=True))
                    continue
                self.touched[contact_id] = row.number
                if self.options.on_match == "skip":
                    outcomes.append(
                        Outcome(
                            row=row,
                            action="skipped",
                            contact_id=contact_id,
                            reason="Matches an existing contact: left as it is (duplicate rule).",
                        )
                    )
                else:
                    updates.append((row, keys, contact_id))
                continue
            if row.reference:
                if row.reference.upper() in references_in_batch or (
                    "reference" not in self.match_on and f"reference:{row.reference.upper()}" in found
                ):
                    outcomes.append(
                        self._reject(
                            row,
                            [
                                Problem(
                                    column=self.ctx.headers[row.columns["reference"]],
                                    message="This reference is already used by another contact.",
                                )
                            ],
                        )
                    )
                    continue
                references_in_batch.add(row.reference.upper())
            try:
                plan = self._checked_new(session, row, known.get(row.number))
            except ValidationError as error:
                outcomes.append(self._reject(row, [*row.problems, *problems_from(error, row, self.ctx)], keys))
                continue
            creates.append((row, keys, plan))
        if "reference" not in self.match_on:
            self._check_free_references(session, creates, outcomes)
        outcomes += self._creates(session, creates)
        outcomes += self._updates(session, updates)
        keys_of = {row.number: keys for row, keys in pending}
        outcomes.sort(key=by_row_number)
        for outcome in outcomes:
            outcome.keys = outcome.keys or keys_of.get(outcome.row.number, [])
            if outcome.action in ("created", "updated"):
                outcome.dropped = list(outcome.row.problems)
            self._count(outcome)
        return outcomes

    def _check_free_references(self, session: Session, creates: list, outcomes: list[Outcome]) -> None:
        wanted = [row.reference for row, _keys, _plan in creates if row.reference]
        if not wanted:
            return
        free = batch.free_references(session, wanted)
        kept = []
        for item in creates:
            row = item[0]
            if row.reference and row.reference not in free:
                column = self.ctx.headers[row.columns["reference"]]
                outcomes.append(
                    self._reject(
                        row, [Problem(column=column, message="This reference is already used by another contact.")]
                    )
                )
            else:
                kept.append(item)
        creates[:] = kept

    def _creates(self, session: Session, creates: list[tuple[RowInput, list[str], Any]]) -> list[Outcome]:
        if not creates:
            return []
        if not self.write:
            return [Outcome(row=row, action="created") for row, _keys, _plan in creates]
        items = [
            batch.NewContact(plan=plan, reference=row.reference, archived=bool(row.archived), note=self.note)
            for row, _keys, plan in creates
        ]
        ids = batch.insert_contacts(session, items, actor_id=self.actor_id, settings=get_settings(session))
        return [
            Outcome(row=row, action="created", contact_id=cid, version_after=1)
            for (row, _keys, _plan), cid in zip(creates, ids, strict=True)
        ]

    def _updates(self, session: Session, updates: list[tuple[RowInput, list[str], int]]) -> list[Outcome]:
        if not updates:
            return []
        files = batch.load_files(session, [cid for _row, _keys, cid in updates])
        account = get_settings(session)
        overwrite = self.options.on_match == "overwrite"
        outcomes: list[Outcome] = []
        planned: list[tuple[RowInput, int, Any, dict]] = []
        for row, _keys, contact_id in updates:
            file = files.get(contact_id)
            if file is None:
                outcomes.append(self._reject(row, [Problem(column="", message="The matching contact was deleted.")]))
                continue
            try:
                plan = self._checked_update(session, file, row, overwrite=overwrite, account=account)
            except ValidationError as error:
                outcomes.append(self._reject(row, [*row.problems, *problems_from(error, row, self.ctx)]))
                continue
            if plan.empty:
                outcomes.append(
                    Outcome(row=row, action="unchanged", contact_id=contact_id, reason="Already up to date.")
                )
                continue
            if not self.write:
                outcomes.append(Outcome(row=row, action="updated", contact_id=contact_id))
                continue
            planned.append((row, contact_id, plan, _before(file.contact, plan)))
        if planned:
            outcomes += self._write_updates(session, planned)
        return outcomes

    def _checked_update(
        self, session: Session, file: ContactFile, row: RowInput, *, overwrite: bool, account: Any
    ) -> UpdatePlan:
        """The update the row makes to a stored contact; with "import without it" chosen, the row's own values
        validation refuses (fields and custom fields) are left out, as for a new contact."""
        while True:
            try:
                return plan_update(
                    session,
                    contact=file.contact,
                    old=file,
                    data=merged_input(file, row, overwrite=overwrite),
                    settings=account,
                    version=file.contact.version,
                    locale=self.ctx.locale,
                )
            except ValidationError as error:
                if not self.drop or not drop_values(row, error, self.ctx, positional=False):
                    raise

    def _write_updates(self, session: Session, planned: list[tuple[RowInput, int, Any, dict]]) -> list[Outcome]:
        """All updates of a batch set-based; if a contact moved on meanwhile (another worker), one by one."""
        try:
            with session.begin_nested():
                added = batch.apply_updates(
                    session, [plan for _r, _c, plan, _b in planned], actor_id=self.actor_id, note=self.note
                )
        except ConflictError:
            added = None
            forget(session, "tags_by_key")
        outcomes: list[Outcome] = []
        for index, (row, contact_id, plan, before) in enumerate(planned):
            if added is None:
                try:
                    with session.begin_nested():
                        rows_added = batch.apply_updates(session, [plan], actor_id=self.actor_id, note=self.note)[0]
                except ConflictError:
                    forget(session, "tags_by_key")
                    message = "Someone changed this contact during the import: import again."
                    outcomes.append(self._reject(row, [Problem(column="", message=message)]))
                    continue
            else:
                rows_added = added[index]
            before["added"] = [list(item) for item in rows_added]
            outcomes.append(
                Outcome(row=row, action="updated", contact_id=contact_id, before=before, version_after=plan.version + 1)
            )
        return outcomes

    def _unknown_values(self) -> list[UnknownValue]:
        found = []
        for index in sorted(self.unknown):
            values = sorted(self.unknown[index].values(), key=lambda item: (-item[1], item[0]))[:MAX_UNKNOWN_VALUES]
            target = self.ctx.plans[index].target if index < len(self.ctx.plans) else ""
            header = self.ctx.headers[index] if index < len(self.ctx.headers) else ""
            found += [
                UnknownValue(column=index, header=header, target=target, value=text, count=count)
                for text, count in values
            ]
        return found

    def summary(self, rows: int, seconds: float) -> DryRun:
        """The counts and the reasons so far, most frequent first (and how many more groups exist when the list
        is cut)."""
        reasons = [
            Reason(
                action=action, column=column, message=message, count=count, rows=self.reasons[(action, column, message)]
            )
            for (action, column, message), count in self.reason_counts.most_common(MAX_REASONS)
        ]
        return DryRun(
            rows=rows,
            create=self.tally["created"],
            update=self.tally["updated"],
            unchanged=self.tally["unchanged"],
            skip=self.tally["skipped"],
            reject=self.tally["rejected"],
            with_dropped=self.with_dropped,
            reasons=reasons,
            more_reasons=max(0, len(self.reason_counts) - len(reasons)),
            unknown_values=self._unknown_values(),
            seconds=round(seconds, 2),
        )


def _entity(obj: Any) -> str:
    return {Phone: "phone", Email: "email", Address: "address"}.get(type(obj), "tag")


def _before(contact: Contact, plan: UpdatePlan) -> dict[str, Any]:
    """What an update overwrites, for undo: old scalar values and the old values of changed child rows."""
    old_sets = []
    for action, target, values in plan.children.writes:
        if action == "set":
            old_sets.append([_entity(target), target.id, {key: json_safe(getattr(target, key)) for key in values}])
    return {
        "version_before": plan.version,
        "scalars": {name: json_safe(getattr(contact, name)) for name in plan.scalar_values},
        "set": old_sets,
    }


def by_row_number(outcome: Outcome) -> int:
    """Sort key: an outcome's row number."""
    return outcome.row.number
