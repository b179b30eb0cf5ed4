"""What happens to the forms, announced to the layers above (``crm_app.core.events``).

``FormsChanged``: the contact types whose form (a section or a field definition) a transaction changed,
delivered once it has committed. ORM flushes are watched, so every service that edits a form announces it;
the UI subscribes to re-render the open contact editors of those types.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from crm_app.core import events
from crm_app.fields.models import FieldDefinition, FormSection

_KEY = "crm_changed_forms"


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
