"""What happens to contacts, announced to the layers above (``crm_app.core.events``).

``ContactsChanged``: which contacts a transaction changed, delivered once it has committed. ORM flushes are
watched automatically (contacts and their phones, e-mails, addresses, tags and audit entries); set-based SQL
calls ``mark_changed``. The UI subscribes to push the change to every open view; jobs and API routes get it
for free.

``ContactDeleting``: a contact is about to be deleted, inside the deleting transaction; the feed removes the
contact's own records with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from crm_app.contacts.models import Contact
from crm_app.core import events

_KEY = "crm_changed_contacts"
_DELETED_KEY = "crm_deleted_contacts"
_LIST_KEY = "crm_contact_list_changed"


@dataclass(frozen=True)
class ContactsChanged:
    """What one committed transaction did to contacts."""

    changed: frozenset[int]
    deleted: frozenset[int]


@dataclass(frozen=True)
class ContactDeleting:
    """Contacts about to be deleted by the current transaction (their rows still exist)."""

    contact_ids: tuple[int, ...]


def mark_changed(session: Session, contact_ids: Iterable[int], *, deleted: bool = False) -> None:
    """Record contacts changed by set-based SQL that the ORM does not see."""
    bucket = session.info.setdefault(_DELETED_KEY if deleted else _KEY, set())
    bucket.update(int(i) for i in contact_ids if i is not None)


def mark_list_changed(session: Session) -> None:
    """Record that contacts were added in bulk: open lists refresh, no open profile needs telling."""
    session.info[_LIST_KEY] = True


def _contact_id_of(obj: object) -> int | None:
    if isinstance(obj, Contact):
        return obj.id
    value = getattr(obj, "contact_id", None)
    return value if isinstance(value, int) else None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    changed = session.info.setdefault(_KEY, set())
    deleted = session.info.setdefault(_DELETED_KEY, set())
    for obj in [*session.new, *session.dirty]:
        cid = _contact_id_of(obj)
        if cid is not None:
            changed.add(cid)
    for obj in session.deleted:
        cid = _contact_id_of(obj)
        if cid is not None:
            (deleted if isinstance(obj, Contact) else changed).add(cid)


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    changed = session.info.pop(_KEY, set())
    deleted = session.info.pop(_DELETED_KEY, set())
    list_changed = session.info.pop(_LIST_KEY, False)
    if not (changed or deleted or list_changed) or not events.has_after_commit(ContactsChanged):
        return
    events.deliver(ContactsChanged(changed=frozenset(changed - deleted), deleted=frozenset(deleted)))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_DELETED_KEY, None)
    session.info.pop(_LIST_KEY, None)
