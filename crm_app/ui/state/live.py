"""Live updates: one small shared state per open contact, one for the contact lists.

Every committed change to a contact (from a profile, a bulk action, an import, the API…)
is announced by ``crm_app.core.changes``; ``LivePusher`` bumps the matching shared
states, and Reflex pushes them to every browser linked to them, on any worker.
The pusher then runs a refresh on the own state of every browser linked to them
(``ContactEditState._pushed_change``, ``ContactListState._pushed_change``), which re-reads
from the database and sends the result to that browser, on whichever worker holds its socket.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import time

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex.istate.shared import SharedStateBaseInternal

from crm_app.core import changes

log = logging.getLogger(__name__)

LIST_TOKEN = "contacts"
PRESENCE_TTL_S = 45.0


def contact_token(contact_id: int) -> str:
    """The shared token of one contact (no underscores allowed)."""
    return f"contact-{int(contact_id)}"


@dataclasses.dataclass
class Viewer:
    """Someone who has the contact open."""

    client: str
    user_id: int
    name: str
    initials: str
    editing: bool
    seen: float


class ContactPulse(rx.SharedState):
    """Bumped whenever the contact changes; lists who has it open."""

    version: int = 0
    deleted: bool = False
    viewers: list[Viewer] = []


class ListPulse(rx.SharedState):
    """Bumped whenever any contact changes."""

    version: int = 0


class FormPulse(rx.SharedState):
    """Bumped whenever a manager changes a contact form."""

    version: int = 0


FORMS_TOKEN = "forms"
_pusher: LivePusher | None = None


def forms_changed(kind: str) -> None:
    """Tell every open contact editor that the form of ``kind`` changed (call after the commit)."""
    if _pusher is not None and _pusher.loop is not None:
        _pusher.loop.call_soon_threadsafe(lambda: _pusher.loop.create_task(_pusher.push_forms(kind)))


def prune(viewers: list[Viewer], now: float | None = None) -> list[Viewer]:
    """Drop viewers not seen for a while (closed tabs, lost phones)."""
    limit = (now or time.time()) - PRESENCE_TTL_S
    return [v for v in viewers if v.seen >= limit]


class LivePusher:
    """Turns committed changes into pushes, coalescing bursts."""

    def __init__(self, app: rx.App):
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: set[int] = set()
        self.pending_deleted: set[int] = set()
        self.flush_scheduled = False

    async def start(self) -> None:
        """Remember the server's event loop (lifespan task)."""
        self.loop = asyncio.get_running_loop()
        changes.subscribe(self.on_change)

    def on_change(self, note: changes.ContactsChanged) -> None:
        """Called after each commit, from the event loop thread or a worker thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return

        def enqueue() -> None:
            self.pending |= set(note.changed)
            self.pending_deleted |= set(note.deleted)
            if not self.flush_scheduled:
                self.flush_scheduled = True
                loop.call_soon(lambda: loop.create_task(self.flush()))

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            enqueue()
        else:
            loop.call_soon_threadsafe(enqueue)

    async def _bump(self, token: str, cls: type[rx.SharedState], **values: object) -> set[str]:
        """Change a shared state by its own token and fan the change out to every linked browser.

        Reflex 0.10 only fans out when the modified tree carries link bookkeeping, so the shared
        token's tree gets an empty link table and the change runs inside ``_modify_linked_states``.
        """
        async with self.app.state_manager.modify_state(BaseStateToken(ident=token, cls=cls)) as root:
            if root._reflex_internal_links is None:
                root._reflex_internal_links = {}
            shared = await root.get_state(SharedStateBaseInternal)
            async with shared._modify_linked_states():
                pulse = await root.get_state(cls)
                pulse.version += 1
                for name, value in values.items():
                    setattr(pulse, name, value)
                linked = set(pulse._linked_from)
                root._clean()
        return linked

    async def _push(self, client_token: str, cls: type[rx.State], method: str, *args: object) -> None:
        """Run ``cls.<method>(*args)`` on one browser's own state and send it the result."""
        try:
            async with self.app.modify_state(BaseStateToken(ident=client_token, cls=cls)) as root:
                target = await root.get_state(cls)
                refreshed = getattr(target, method)(*args)
                if inspect.isawaitable(refreshed):
                    await refreshed
        except Exception:
            log.exception("live push to %s failed", client_token)

    async def push_forms(self, kind: str) -> None:
        """Re-render the form of every open contact editor of ``kind``, keeping what was typed."""
        from crm_app.ui.state.contact_edit import ContactEditState

        with self.app.set_contexts():
            try:
                editors = await self._bump(FORMS_TOKEN, FormPulse)
            except Exception:
                log.exception("live push for forms failed")
                return
            await asyncio.gather(*(self._push(v, ContactEditState, "_pushed_form_change", kind) for v in editors))

    async def flush(self) -> None:
        """Bump the pulse of every changed contact and the list pulse."""
        changed, deleted = self.pending, self.pending_deleted
        self.pending, self.pending_deleted, self.flush_scheduled = set(), set(), False
        with self.app.set_contexts():
            from crm_app.ui.state.contact_edit import ContactEditState
            from crm_app.ui.state.contact_list import ContactListState
            from crm_app.ui.state.feed import ContactFeedState

            for contact_id in sorted(changed | deleted)[:500]:
                try:
                    viewers = await self._bump(contact_token(contact_id), ContactPulse, deleted=contact_id in deleted)
                except Exception:
                    log.exception("live push for contact %s failed", contact_id)
                    continue
                await asyncio.gather(
                    *(self._push(v, ContactEditState, "_pushed_change", contact_id) for v in viewers),
                    *(self._push(v, ContactFeedState, "_pushed_change", contact_id) for v in viewers),
                )
            try:
                lists = await self._bump(LIST_TOKEN, ListPulse)
            except Exception:
                log.exception("live push for the lists failed")
                return
            await asyncio.gather(*(self._push(v, ContactListState, "_pushed_change") for v in lists))


def install(app: rx.App) -> LivePusher:
    """Wire the pusher into the app's lifespan."""
    global _pusher
    pusher = _pusher = LivePusher(app)
    app.register_lifespan_task(pusher.start)
    return pusher
