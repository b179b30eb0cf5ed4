"""Saving a contact form while others edit the same contact: validate, merge, or name the conflicts.

An editor holds the form it shows (``mine``), the stored values it started from (``base``, at ``version``) and
the custom fields of its type. ``save_form`` writes the form at that version; when someone saved meanwhile it
merges the form three ways against what they saved and writes the merge, or returns the fields both changed
for the user to decide (``resolve_conflicts`` then writes their choices). ``merge_remote`` takes a change
pushed from elsewhere into the untouched fields of an open form; ``remember_unseen`` and ``keep_unseen`` keep
track of values pushed so recently that the user may have typed over them without seeing them.

Every write runs in a savepoint of the caller's transaction, so a refused or lost attempt leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from sqlmodel import Session

from crm_app.contacts import service as contacts
from crm_app.contacts.form_layout import custom_inputs
from crm_app.contacts.forms import FIELD_LABELS, form_values, readable, to_input
from crm_app.contacts.merge import FieldConflict, changed_fields, three_way_merge
from crm_app.contacts.schemas import ContactRead
from crm_app.core.errors import ConflictError, DomainError, NotFoundError
from crm_app.i18n import translate

# A value pushed into the form this recently may not have reached the user's screen before they typed over it.
UNSEEN_S = 2.0

Status = Literal["saved", "merged", "conflicts", "raced", "deleted", "refused"]


@dataclasses.dataclass
class Draft:
    """What an open editor holds: its form, the stored values it started from and their version."""

    contact_id: int
    mine: dict[str, Any]
    base: dict[str, Any]
    version: int
    custom_types: dict[str, str]


@dataclasses.dataclass
class SaveResult:
    """What a save did. ``saved``/``merged``: ``contact`` is stored (``merged``: with others' changes);
    ``conflicts``: nothing written, ``conflicts`` need a choice (``pending`` is the merge so far, ``theirs`` and
    ``version`` what was stored); ``raced``: the merge lost to yet another save; ``deleted``: the contact is gone;
    ``refused``: ``error`` says why. When ``values`` is set the form now shows it, from ``base`` at ``version``."""

    status: Status
    contact: ContactRead | None = None
    values: dict[str, Any] | None = None
    base: dict[str, Any] | None = None
    version: int = 0
    conflicts: list[FieldConflict] = dataclasses.field(default_factory=list)
    pending: dict[str, Any] = dataclasses.field(default_factory=dict)
    theirs: dict[str, Any] = dataclasses.field(default_factory=dict)
    error: DomainError | None = None


@dataclasses.dataclass
class ConflictRow:
    """A field both I and someone else changed: the three values as a person reads them, and my choice."""

    field: str
    label: str
    base: str
    mine: str
    theirs: str
    choice: str = "mine"


@dataclasses.dataclass
class RemoteMerge:
    """A pushed change taken into an open form: the values to show, the new base, notes on the fields I touched."""

    updates: dict[str, Any]
    base: dict[str, Any]
    notes: dict[str, str]


@dataclasses.dataclass
class Unseen:
    """Values a push replaced in the form a moment ago (``at``), between two versions of the contact."""

    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    from_version: int = 0
    to_version: int = 0
    at: float = 0.0


def contact_values(contact: ContactRead, *, custom_types: dict[str, str], locale: str) -> dict[str, Any]:
    """A stored contact as a form of these custom fields holds it."""
    return {**form_values(contact), **custom_inputs(custom_types, contact.custom, locale=locale)}


def read_latest(session: Session, *, contact_id: int) -> ContactRead | None:
    """The contact as stored now, or None when it was deleted."""
    try:
        return contacts.get_contact(session, contact_id=contact_id)
    except NotFoundError:
        return None


def _write(session: Session, draft: Draft, values: dict[str, Any], version: int | None, actor_id: int, locale: str):
    data = to_input(values, draft.custom_types)
    with session.begin_nested():
        if draft.contact_id:
            return contacts.update_contact(
                session,
                contact_id=draft.contact_id,
                data=data,
                actor_id=actor_id,
                expected_version=version,
                locale=locale,
            )
        return contacts.create_contact(session, data=data, actor_id=actor_id, locale=locale)


def _write_merge(
    session: Session,
    draft: Draft,
    *,
    values: dict[str, Any],
    base: dict[str, Any],
    version: int,
    status: Status,
    actor_id: int,
    locale: str,
) -> SaveResult:
    """Write a merged form at the version it was merged against; the form shows the merge whatever happens."""
    shown = {"values": values, "base": base, "version": version}
    try:
        saved = _write(session, draft, values, version, actor_id, locale)
    except ConflictError:
        session.expire_all()
        return SaveResult(status="raced", **shown)
    except DomainError as err:
        return SaveResult(status="refused", error=err, **shown)
    return SaveResult(status=status, contact=saved, **shown)


def save_form(session: Session, *, draft: Draft, actor_id: int, locale: str) -> SaveResult:
    """Validate and write the form; when someone saved meanwhile, merge with what they saved and write that, or
    return the fields both changed."""
    try:
        saved = _write(session, draft, draft.mine, draft.version if draft.contact_id else None, actor_id, locale)
    except ConflictError:
        session.expire_all()
    except DomainError as err:
        return SaveResult(status="refused", error=err)
    else:
        return SaveResult(status="saved", contact=saved)
    latest = read_latest(session, contact_id=draft.contact_id)
    if latest is None:
        return SaveResult(status="deleted")
    theirs = contact_values(latest, custom_types=draft.custom_types, locale=locale)
    result = three_way_merge(draft.base, draft.mine, theirs)
    if result.conflicts:
        return SaveResult(
            status="conflicts",
            conflicts=result.conflicts,
            pending=result.merged,
            theirs=theirs,
            version=latest.version,
        )
    # The form now holds their version plus my changes: if this write loses a race too, the next
    # save merges against that version instead of flagging (or reverting) fields I never touched.
    return _write_merge(
        session,
        draft,
        values=result.merged,
        base=theirs,
        version=latest.version,
        status="merged",
        actor_id=actor_id,
        locale=locale,
    )


def resolve_conflicts(
    session: Session,
    *,
    draft: Draft,
    pending: dict[str, Any],
    theirs: dict[str, Any],
    theirs_version: int,
    take_theirs: list[str],
    actor_id: int,
    locale: str,
) -> SaveResult:
    """Write the merge of a save that met conflicts, with their value for the fields in ``take_theirs``."""
    fetched = read_latest(session, contact_id=draft.contact_id)
    if fetched is None:
        return SaveResult(status="deleted")
    theirs = theirs or contact_values(fetched, custom_types=draft.custom_types, locale=locale)
    merged = dict(pending)
    for field in take_theirs:
        merged[field] = theirs.get(field)
    return _write_merge(
        session,
        draft,
        values=merged,
        base=theirs,
        version=theirs_version,
        status="saved",
        actor_id=actor_id,
        locale=locale,
    )


def conflict_rows(
    conflicts: list[FieldConflict], *, locale: str, names: dict[str, dict[str, str]]
) -> list[ConflictRow]:
    """The conflicts as the dialog shows them."""
    return [
        ConflictRow(
            field=c.field,
            label=translate(locale, FIELD_LABELS.get(c.field, c.field)),
            base=readable(c.field, c.base, locale=locale, names=names),
            mine=readable(c.field, c.mine, locale=locale, names=names),
            theirs=readable(c.field, c.theirs, locale=locale, names=names),
        )
        for c in conflicts
    ]


def merge_remote(
    *,
    base: dict[str, Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    notes: dict[str, str],
    author: str,
    locale: str,
    names: dict[str, dict[str, str]],
) -> RemoteMerge:
    """Someone saved the contact a form is editing: take their changes into the fields I have not touched,
    and note (on top of ``notes``) the touched ones they changed to something else."""
    base = dict(base)
    touched = changed_fields(base, mine)
    notes = dict(notes)
    updates = {}
    for key, value in theirs.items():
        if key not in touched:
            updates[key] = value
            base[key] = value
        elif value != base.get(key) and value != mine.get(key):
            notes[key] = translate(
                locale,
                "{name} changed this to: {value}",
                name=author or "?",
                value=readable(key, value, locale=locale, names=names),
            )
    return RemoteMerge(updates=updates, base=base, notes=notes)


def remember_unseen(
    unseen: Unseen, *, before: dict[str, Any], base: dict[str, Any], from_version: int, version: int, now: float
) -> Unseen:
    """A push just changed these fields of the form (``before``: their values until then; ``base``: now)."""
    fresh = now - unseen.at < UNSEEN_S and unseen.to_version == from_version
    values = dict(unseen.values) if fresh else {}
    for key, value in before.items():
        if key not in values and base.get(key) != value:
            values[key] = value
    return Unseen(
        values=values, from_version=unseen.from_version if fresh else from_version, to_version=version, at=now
    )


def keep_unseen(
    unseen: Unseen, *, mine: dict[str, Any], base: dict[str, Any], version: int, now: float
) -> tuple[Unseen, dict[str, Any], int]:
    """An edit of a field a push changed a moment ago was typed over the old value: merge it as such (the base
    goes back to the old value and version). Returns the bookkeeping, the base and the version to keep."""
    if not unseen.values:
        return unseen, base, version
    if now - unseen.at >= UNSEEN_S or version != unseen.to_version:
        return dataclasses.replace(unseen, values={}), base, version
    hit = {k: v for k, v in unseen.values.items() if mine.get(k) != base.get(k)}
    if not hit:
        return unseen, base, version
    version = min(version, unseen.from_version)
    kept = Unseen(
        values={k: v for k, v in unseen.values.items() if k not in hit},
        from_version=unseen.from_version,
        to_version=version,
        at=unseen.at,
    )
    return kept, {**base, **hit}, version
