"""Bulk actions on the contact list: add/remove a tag, assign staff, archive, restore, delete.

Each action takes either ``ids`` (a selection) or ``filter`` (every contact matching it) and works with
set-based SQL (``INSERT ... SELECT``, ``UPDATE ... WHERE id IN``), one audit entry per changed contact
written with one executemany, the version of every changed contact bumped and its search row refreshed.

Transactions: with ``batch_size=None`` the whole action runs in the caller's transaction (flushed, the
caller commits, like every other service). With a ``batch_size`` (default 1,000) the action **commits after
each batch**, so a long action holds the SQLite write lock only briefly and what is done stays done.
Every batch marks the contacts it changed (``crm_app.contacts.events.mark_changed``), so each commit tells every
open list and contact file at once; ``on_batch`` gets the running totals after each batch (a progress bar).
Resuming: every action is idempotent per contact (a contact that already has the tag, is already archived,
already assigned to that person... is skipped and counted in ``skipped``), so after a crash or a cancel the
same call simply runs again and only does the rest; ``matched`` minus ``skipped`` is what that run changed.
A ``filter`` is walked in id order and re-evaluated batch by batch, so contacts created meanwhile that match
are included, and contacts an earlier batch changed so that they no longer match are not visited twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import delete, exists, insert, update
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.events import mark_changed
from crm_app.contacts.models import Address, Contact, ContactSearch, ContactTag, Email, Phone, Tag
from crm_app.contacts.search.documents import index_archived, index_assigned, index_tag_added, reindex_contacts
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.query import matching_ids_after
from crm_app.core.audit import json_safe
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import utcnow

DEFAULT_BATCH = 1000
MAX_BATCH = 10_000
UNDO_LIMIT = 10_000


Progress = Callable[["BulkResult"], None]


class BulkUndo(BaseModel):
    """How to take a bulk action back: what it did and the contacts it changed (each one's assignee before)."""

    action: Literal["add_tag", "remove_tag", "assign"]
    tag_id: int | None = None
    user_id: int | None = None
    before: dict[int, int | None] = {}


class BulkResult(BaseModel):
    """What a bulk action did: contacts it looked at, changed, left alone (already done), batches committed.

    ``undo`` is set for a tag or an assignment that changed at most ``UNDO_LIMIT`` contacts.
    """

    matched: int = 0
    changed: int = 0
    skipped: int = 0
    batches: int = 0
    undo: BulkUndo | None = None


class _UndoLog:
    """The contacts an action changed, kept for its undo until there are more than ``UNDO_LIMIT``."""

    def __init__(self, undo: BulkUndo) -> None:
        self.undo: BulkUndo | None = undo

    def add(self, changes: dict[int, int | None]) -> None:
        if self.undo is not None:
            self.undo.before.update(changes)
            if len(self.undo.before) > UNDO_LIMIT:
                self.undo = None

    def attach(self, result: BulkResult) -> BulkResult:
        result.undo = self.undo if self.undo is not None and self.undo.before else None
        return result


def _batches(
    session: Session, ids: Sequence[int] | None, filter: ContactFilter | None, size: int
) -> Iterator[list[int]]:
    if (ids is None) == (filter is None):
        raise ValidationError("Choose the contacts: a selection or a filter.", field="ids")
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        for start in range(0, len(wanted), size):
            yield wanted[start : start + size]
        return
    last = 0
    while True:
        chunk = matching_ids_after(session, filter=filter, after_id=last, limit=size)
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def _run(
    session: Session,
    *,
    ids: Sequence[int] | None,
    filter: ContactFilter | None,
    batch_size: int | None,
    apply: Callable[[list[int]], tuple[int, int]],
    on_batch: Progress | None = None,
) -> BulkResult:
    """Call ``apply(batch) -> (matched, changed)`` per batch; commit after each one when batching, then report."""
    size = MAX_BATCH if batch_size is None else max(1, min(int(batch_size), MAX_BATCH))
    result = BulkResult()
    for chunk in _batches(session, ids, filter, size):
        matched, changed = apply(chunk)
        result.matched += matched
        result.changed += changed
        result.skipped += matched - changed
        result.batches += 1
        if batch_size is None:
            session.flush()
        else:
            session.commit()
        if on_batch is not None:
            on_batch(result.model_copy())
    return result


def _existing(session: Session, chunk: list[int], *conditions: Any) -> list[int]:
    return list(session.exec(select(Contact.id).where(Contact.id.in_(chunk), *conditions)).all())


def _touch(session: Session, contact_ids: list[int], actor_id: int | None, **values: Any) -> None:
    """Bump the version of changed contacts (optimistic locking sees the change), with ``values`` set; marks them
    changed so the commit of this batch reaches every open view."""
    mark_changed(session, contact_ids)
    session.execute(
        update(Contact)
        .where(Contact.id.in_(contact_ids))
        .values(**values, version=Contact.version + 1, updated_at=utcnow(), updated_by_id=actor_id)
        .execution_options(synchronize_session=False)
    )


def _audit(session: Session, actor_id: int | None, entries: list[dict[str, Any]]) -> None:
    """Write audit entries with one executemany."""
    if not entries:
        return
    now = utcnow()
    rows = [
        {
            "at": now,
            "actor_id": actor_id,
            "entity": entry.get("entity", "contact"),
            "entity_id": entry.get("entity_id", entry["contact_id"]),
            "contact_id": entry["contact_id"],
            "kind": entry["kind"],
            "field": entry.get("field", ""),
            "old": json_safe(entry.get("old")),
            "new": json_safe(entry.get("new")),
        }
        for entry in entries
    ]
    session.execute(insert(AuditEntry.__table__), rows)


def _tag(session: Session, tag_id: int) -> Tag:
    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFoundError("This tag does not exist (it may have been deleted or merged).")
    return tag


def bulk_add_tag(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    filter: ContactFilter | None = None,
    tag_id: int,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Put a tag on the chosen contacts; contacts that already have it are skipped."""
    tag = _tag(session, tag_id)
    tag_id, tag_name = tag.id, tag.name
    log = _UndoLog(BulkUndo(action="add_tag", tag_id=tag_id))

    def apply(chunk: list[int]) -> tuple[int, int]:
        present = _existing(session, chunk)
        has_tag = exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag_id == tag_id)
        missing = _existing(session, chunk, ~has_tag)
        if missing:
            session.execute(
                insert(ContactTag.__table__).from_select(
                    ["contact_id", "tag_id"], select(Contact.id, tag_id).where(Contact.id.in_(missing))
                )
            )
            _touch(session, missing, actor_id)
            _audit(
                session,
                actor_id,
                [
                    {"contact_id": cid, "kind": "tag_added", "entity": "tag", "entity_id": tag_id, "new": tag_name}
                    for cid in missing
                ],
            )
            index_tag_added(session, contact_ids=missing, tag_name=tag_name, tag_id=tag_id)
            log.add(dict.fromkeys(missing))
        return len(present), len(missing)

    return log.attach(_run(session, ids=ids, filter=filter, batch_size=batch_size, apply=apply, on_batch=on_batch))


def bulk_remove_tag(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    filter: ContactFilter | None = None,
    tag_id: int,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Take a tag off the chosen contacts; contacts without it are skipped."""
    tag = _tag(session, tag_id)
    tag_id, tag_name = tag.id, tag.name
    log = _UndoLog(BulkUndo(action="remove_tag", tag_id=tag_id))

    def apply(chunk: list[int]) -> tuple[int, int]:
        present = _existing(session, chunk)
        tagged = list(
            session.exec(
                select(ContactTag.contact_id).where(ContactTag.tag_id == tag_id, ContactTag.contact_id.in_(chunk))
            ).all()
        )
        if tagged:
            session.execute(
                delete(ContactTag)
                .where(ContactTag.tag_id == tag_id, ContactTag.contact_id.in_(tagged))
                .execution_options(synchronize_session=False)
            )
            _touch(session, tagged, actor_id)
            _audit(
                session,
                actor_id,
                [
                    {"contact_id": cid, "kind": "tag_removed", "entity": "tag", "entity_id": tag_id, "old": tag_name}
                    for cid in tagged
                ],
            )
            reindex_contacts(session, contact_ids=tagged)
            log.add(dict.fromkeys(tagged))
        return len(present), len(tagged)

    return log.attach(_run(session, ids=ids, filter=filter, batch_size=batch_size, apply=apply, on_batch=on_batch))


def bulk_assign(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    filter: ContactFilter | None = None,
    user_id: int | None,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Assign the chosen contacts to a staff member (``None``: to nobody); those already assigned so are skipped."""
    names: dict[int, str] = {}
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None:
            raise ValidationError("This user does not exist.", field="assigned_user_id")
        if not user.active:
            raise ValidationError("This user is deactivated.", field="assigned_user_id")
        names[user.id] = user.name or user.email
    log = _UndoLog(BulkUndo(action="assign", user_id=user_id))

    def name_of(uid: int | None) -> str | None:
        if uid is None:
            return None
        if uid not in names:
            found = session.exec(select(User.name, User.email).where(User.id == uid)).first()
            names[uid] = (found[0] or found[1]) if found else str(uid)
        return names[uid]

    def apply(chunk: list[int]) -> tuple[int, int]:
        rows = session.exec(select(Contact.id, Contact.assigned_user_id).where(Contact.id.in_(chunk))).all()
        changing = [(cid, old) for cid, old in rows if old != user_id]
        if changing:
            changed_ids = [cid for cid, _old in changing]
            _touch(session, changed_ids, actor_id, assigned_user_id=user_id)
            _audit(
                session,
                actor_id,
                [
                    {
                        "contact_id": cid,
                        "kind": "field_changed",
                        "field": "assigned_user_id",
                        "old": name_of(old),
                        "new": name_of(user_id),
                    }
                    for cid, old in changing
                ],
            )
            index_assigned(session, changes=changing, user_id=user_id, user_name=name_of(user_id) or "")
            log.add(dict(changing))
        return len(rows), len(changing)

    return log.attach(_run(session, ids=ids, filter=filter, batch_size=batch_size, apply=apply, on_batch=on_batch))


def _set_archived(
    session: Session,
    *,
    ids: Sequence[int] | None,
    filter: ContactFilter | None,
    archive: bool,
    actor_id: int | None,
    batch_size: int | None,
    on_batch: Progress | None,
) -> BulkResult:
    def apply(chunk: list[int]) -> tuple[int, int]:
        present = _existing(session, chunk)
        todo_condition = Contact.archived_at.is_(None) if archive else Contact.archived_at.is_not(None)
        todo = _existing(session, chunk, todo_condition)
        if todo:
            _touch(session, todo, actor_id, archived_at=utcnow() if archive else None)
            index_archived(session, contact_ids=todo, archived=archive)
            kind = "archived" if archive else "restored"
            _audit(session, actor_id, [{"contact_id": cid, "kind": kind} for cid in todo])
        return len(present), len(todo)

    return _run(session, ids=ids, filter=filter, batch_size=batch_size, apply=apply, on_batch=on_batch)


def bulk_archive(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    filter: ContactFilter | None = None,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Archive the chosen contacts (hidden from the default list, restorable); archived ones are skipped."""
    return _set_archived(
        session, ids=ids, filter=filter, archive=True, actor_id=actor_id, batch_size=batch_size, on_batch=on_batch
    )


def bulk_restore(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    filter: ContactFilter | None = None,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Bring archived contacts back; contacts that are not archived are skipped."""
    return _set_archived(
        session, ids=ids, filter=filter, archive=False, actor_id=actor_id, batch_size=batch_size, on_batch=on_batch
    )


def bulk_delete(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    filter: ContactFilter | None = None,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Delete the chosen contacts for good with their phones, e-mails, addresses, tags, history and search rows.

    One audit entry per contact (not tied to it, like ``delete_contact``) remembers its name and reference.
    Ids that no longer exist are not counted (``matched`` only counts contacts found).
    """

    def apply(chunk: list[int]) -> tuple[int, int]:
        rows = session.exec(
            select(Contact.id, Contact.display_name, Contact.reference).where(Contact.id.in_(chunk))
        ).all()
        found = [cid for cid, _name, _ref in rows]
        if found:
            session.flush()
            for model in (Phone, Email, Address, ContactTag, ContactSearch):
                session.execute(
                    delete(model).where(model.contact_id.in_(found)).execution_options(synchronize_session=False)
                )
            session.execute(
                delete(AuditEntry).where(AuditEntry.contact_id.in_(found)).execution_options(synchronize_session=False)
            )
            session.execute(delete(Contact).where(Contact.id.in_(found)).execution_options(synchronize_session=False))
            mark_changed(session, found, deleted=True)
            _audit(
                session,
                actor_id,
                [
                    {"contact_id": None, "entity_id": cid, "kind": "deleted", "old": f"{name} ({ref})"}
                    for cid, name, ref in rows
                ],
            )
            for cid in found:
                contact = session.identity_map.get(session.identity_key(Contact, cid))
                if contact is not None:
                    session.expunge(contact)
        return len(found), len(found)

    return _run(session, ids=ids, filter=filter, batch_size=batch_size, apply=apply, on_batch=on_batch)


def undo_bulk(
    session: Session,
    *,
    undo: BulkUndo,
    actor_id: int | None,
    batch_size: int | None = DEFAULT_BATCH,
    on_batch: Progress | None = None,
) -> BulkResult:
    """Take back a bulk tag or assignment on the contacts it changed; a contact assigned again since is left alone."""
    ids = sorted(undo.before)
    if undo.action in ("add_tag", "remove_tag"):
        reverse = bulk_remove_tag if undo.action == "add_tag" else bulk_add_tag
        result = reverse(
            session, ids=ids, tag_id=undo.tag_id or 0, actor_id=actor_id, batch_size=batch_size, on_batch=on_batch
        )
        result.undo = None
        return result
    still: dict[int | None, list[int]] = {}
    for start in range(0, len(ids), MAX_BATCH):
        chunk = ids[start : start + MAX_BATCH]
        assigned = session.exec(select(Contact.id).where(Contact.id.in_(chunk), _assigned_to(undo.user_id))).all()
        for cid in assigned:
            still.setdefault(undo.before[cid], []).append(cid)
    total = BulkResult(skipped=len(ids) - sum(len(group) for group in still.values()))
    total.matched = total.skipped
    for previous, group in still.items():
        done = bulk_assign(session, ids=group, user_id=previous, actor_id=actor_id, batch_size=batch_size)
        total.matched += done.matched
        total.changed += done.changed
        total.skipped += done.skipped
        total.batches += done.batches
        if on_batch is not None:
            on_batch(total.model_copy())
    return total


def _assigned_to(user_id: int | None) -> Any:
    return Contact.assigned_user_id.is_(None) if user_id is None else Contact.assigned_user_id == user_id
