"""What happens to the forms, announced to the layers above (``crm_app.core.events``).

What a change of a form definition asks of the custom values stored on contacts: custom values live in
``Contact.custom`` under the field's key, a layer above this package; the contacts package subscribes with
``events.on`` and counts, reads, converts, removes and reindexes them inside the publishing transaction.
``kinds`` are the contact kinds whose ``custom[key]`` belongs to the field. Events that need an answer carry a
field the subscriber fills in; an error a subscriber raises aborts the change.

``FormsChanged``: the contact types whose form (a section or a field definition) a transaction changed,
delivered once it has committed. ORM flushes are watched, so every service that edits a form announces it;
the UI subscribes to re-render the open contact editors of those types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from crm_app.core import events
from crm_app.fields.models import FieldDefinition, FormSection

_KEY = "crm_changed_forms"


@dataclass(frozen=True)
class FieldSearchChanged:
    """What a search finds through a custom field changed (made searchable or not, shown or hidden while
    searchable, an option of a searchable field renamed, its type changed): its values are reindexed."""

    key: str


@dataclass
class FieldValuesCounting:
    """How many contacts hold a value for a field is asked: the subscriber sets ``count``."""

    key: str
    kinds: tuple[str, ...]
    count: int = 0


@dataclass(frozen=True)
class FieldValuesScanning:
    """A field's stored values are read: the subscriber hands each one to ``visit``, in batches by contact id."""

    key: str
    kinds: tuple[str, ...]
    visit: Callable[[Any], None]


@dataclass
class FieldTypeChanging:
    """A field's type changes: the subscriber stores ``convert(value)`` for each value it changes and sets
    ``converted`` (how many contacts changed)."""

    key: str
    kinds: tuple[str, ...]
    convert: Callable[[Any], Any]
    converted: int = 0


@dataclass
class FieldDeleting:
    """A custom field is being deleted: the subscriber removes its values, sets ``removed`` (from how many
    contacts) and, for a ``searchable`` field, reindexes those contacts."""

    key: str
    kinds: tuple[str, ...]
    searchable: bool
    removed: int = 0


@dataclass(frozen=True)
class FormsChanged:
    """The contact types whose form one committed transaction changed."""

    kinds: frozenset[str]


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    kinds = {
        obj.kind
        for obj in [*session.new, *session.dirty, *session.deleted]
        if isinstance(obj, FieldDefinition | FormSection)
    }
    if kinds:
        session.info.setdefault(_KEY, set()).update(kinds)


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    kinds = session.info.pop(_KEY, set())
    if kinds and events.has_after_commit(FormsChanged):
        events.deliver(FormsChanged(kinds=frozenset(kinds)))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
