"""Domain events: how a lower layer tells a higher one, without importing it.

A service announces what happened; packages above it subscribe by event class. Two moments:

- ``publish(session, event)``: the handlers run at once, inside the caller's transaction (the feed removes a
  contact's attachments when the contact is deleted). They may write with the same session; an error they
  raise aborts the caller's change.
- ``publish_after_commit(session, event)``: the event waits on the session and is delivered once the
  transaction has committed (live pushes, notices to open forms); a rollback drops it. A failing handler
  is logged and the others still run: the data is already safe.

Subscribing is idempotent; handlers are plain callables taking ``(event)`` (after commit) or
``(session, event)`` (within the transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

E = TypeVar("E")
WithinHandler = Callable[[Session, Any], None]
AfterHandler = Callable[[Any], None]

_within: dict[type, list[WithinHandler]] = {}
_after: dict[type, list[AfterHandler]] = {}
_PENDING = "crm_pending_events"


def on(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Run ``handler(session, event)`` inside the transaction that publishes ``event_type``."""
    handlers = _within.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def after_commit(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Run ``handler(event)`` once a transaction that published ``event_type`` has committed."""
    handlers = _after.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def forget(event_type: type, handler: Callable[..., None]) -> None:
    """Stop calling ``handler`` for ``event_type`` (both moments)."""
    for table in (_within, _after):
        if handler in table.get(event_type, []):
            table[event_type].remove(handler)


def publish(session: Session, event: object) -> None:
    """Call the in-transaction handlers of ``event`` now, and queue it for the after-commit ones."""
    for handler in list(_within.get(type(event), [])):
        handler(session, event)
    publish_after_commit(session, event)


def publish_after_commit(session: Session, event: object) -> None:
    """Queue ``event`` for delivery after the session's transaction commits."""
    if _after.get(type(event)):
        session.info.setdefault(_PENDING, []).append(event)


def has_after_commit(event_type: type) -> bool:
    """True when someone listens for ``event_type`` after commit (lets a publisher skip costly work)."""
    return bool(_after.get(event_type))


def deliver(event: object) -> None:
    """Hand a committed ``event`` to its after-commit handlers now (for collectors that build an event at commit)."""
    for handler in list(_after.get(type(event), [])):
        try:
            handler(event)
        except Exception:
            log.exception("after-commit handler %r failed for %r", handler, event)


@sa_event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for item in session.info.pop(_PENDING, None) or ():
        deliver(item)


@sa_event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)
