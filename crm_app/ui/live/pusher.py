"""Live pushes: committed changes and presence changes turned into refreshes of exactly the tabs concerned.

Every committed change to a contact (from a profile, a bulk action, an import, the API…) is announced by
``crm_app.contacts.events``, and every change to a form by ``crm_app.fields.events``; ``LivePusher`` gathers
the changes for a few milliseconds and then runs a refresh on the own state of every tab that has one of
those contacts open, or shows the contact list, on whichever worker holds the tab's socket. The pusher is
given the states it refreshes (``install``): the editor (``_pushed_change(contact_id)``,
``_pushed_form_change(kind)``), the feed of the contact (``_pushed_change(contact_id)``) and the list
(``_pushed_change()``). Who has what open lives in the registries of ``crm_app.ui.live.registry``.

Tabs are not *linked* to the registry tokens (``SharedState._link_to``): Reflex 0.10 then locks every linked
token during each event of each linked tab and afterwards re-sends the linked states to every other linked
tab, changed or not. With every editor linked to the lists and forms tokens that is work proportional to the
square of the open tabs: ``bench/live_load.py`` measured seconds per event with 30 editors.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex.state import StateUpdate
from reflex_base.event import Event

from crm_app.auth import service as auth_service
from crm_app.contacts import events as changes
from crm_app.core import events
from crm_app.db import session_scope
from crm_app.fields.events import FormsChanged
from crm_app.ui.live.registry import (
    FORMS_TOKEN,
    LIST_TOKEN,
    OPEN_TOKEN,
    PRESENCE_REFRESH_S,
    PRESENCE_TTL_S,
    ContactPulse,
    FormPulse,
    ListPulse,
    OpenContacts,
    Viewer,
    avatars,
    contact_token,
    people,
    prune,
    shown,
)
from crm_app.ui.state.session import SessionState, is_tab_token

log = logging.getLogger(__name__)

# Changes committed within this window reach the open tabs in one push; while a push is under way
# the next changes wait for it and go out together, so a burst of saves costs one push per tab.
BATCH_S = 0.02
# A tab's session is checked again before a push when its last check is older than this.
SESSION_CHECK_S = 2.0
# The feed of a contact saved again and again is re-read at most this often (the form follows every save).
FEED_MIN_S = 1.0


_pusher: LivePusher | None = None


def _running() -> LivePusher | None:
    """The pusher of the running server (None in tests without a server)."""
    return _pusher if _pusher is not None and _pusher.loop is not None else None


def _client_of(state: rx.State) -> str:
    return state.router.session.client_token


async def show_presence(state: rx.State, contact_id: int, viewer: Viewer | None) -> None:
    """Put this tab in the contact's presence list (``viewer``) or take it out (None).

    The tab's own avatars follow at once; the other tabs on the contact get the new list pushed
    when what their avatars show changed.
    """
    pusher = _running()
    if pusher is None or not contact_id:
        return
    viewers, changed = await pusher.update_viewers(contact_id, _client_of(state), viewer)
    if viewer is not None:
        await pusher.mark_open(contact_id)
    pulse = await state.get_state(ContactPulse)
    others = people(viewers, state.user_id) if viewer is not None else []
    if avatars(pulse.viewers) != avatars(others):
        pulse.viewers = others
    if changed:
        pusher.schedule(presence={contact_id})


async def watch_list(state: rx.State) -> None:
    """Refresh this tab's contact list whenever contacts change (until it leaves the list page)."""
    pusher = _running()
    if pusher is not None:
        await pusher.watch(LIST_TOKEN, ListPulse, _client_of(state))


async def watch_forms(state: rx.State) -> None:
    """Re-render this tab's contact form whenever a manager changes the forms (until it leaves the file)."""
    pusher = _running()
    if pusher is not None:
        await pusher.watch(FORMS_TOKEN, FormPulse, _client_of(state))


def _on_list(path: str) -> bool:
    return path.rstrip("/") == "/contacts"


def _on_contact_file(path: str) -> bool:
    return path.startswith("/contacts/")


class LivePusher:
    """Turns committed changes and presence changes into pushes, coalescing bursts."""

    def __init__(
        self, app: rx.App, *, editor: type[rx.State], feed: type[rx.State], contact_list: type[rx.State]
    ) -> None:
        self.app = app
        self.editor, self.feed, self.contact_list = editor, feed, contact_list
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: set[int] = set()
        self.pending_deleted: set[int] = set()
        self.pending_presence: set[int] = set()
        self.pending_list = False
        self.pending_feed: set[int] = set()
        self.feed_read_at: dict[int, float] = {}
        self.feed_waiting: set[int] = set()
        self.flush_scheduled = False
        self.flushing = False
        self.marked_open: dict[int, float] = {}
        self.swept: dict[str, float] = {}
        self.sessions_checked: dict[str, tuple[bool, float]] = {}

    async def start(self) -> None:
        """Remember the server's event loop (lifespan task)."""
        self.loop = asyncio.get_running_loop()
        events.after_commit(changes.ContactsChanged, self.on_change)
        events.after_commit(FormsChanged, self.on_forms_changed)

    def on_change(self, note: changes.ContactsChanged) -> None:
        """Called after each commit, from the event loop thread or a worker thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return

        def enqueue() -> None:
            self.pending_list = True
            self.schedule(changed=set(note.changed), deleted=set(note.deleted))

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            enqueue()
        else:
            loop.call_soon_threadsafe(enqueue)

    def on_forms_changed(self, note: FormsChanged) -> None:
        """Called after a commit that changed forms: re-render the open editors of those types."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        for kind in sorted(note.kinds):
            loop.call_soon_threadsafe(lambda kind=kind: loop.create_task(self.push_forms(kind)))

    def schedule(
        self,
        *,
        changed: set[int] = frozenset(),
        deleted: set[int] = frozenset(),
        presence: set[int] = frozenset(),
        feed: set[int] = frozenset(),
    ) -> None:
        """Queue contacts to push (on the event loop thread) and flush after a short batching window."""
        self.pending |= changed
        self.pending_deleted |= deleted
        self.pending_presence |= presence
        self.pending_feed |= feed
        loop = self.loop
        if not self.flush_scheduled and not self.flushing and loop is not None:
            self.flush_scheduled = True
            loop.call_later(BATCH_S, lambda: loop.create_task(self.flush()))

    @contextlib.asynccontextmanager
    async def _registry(self, token: str, cls: type[rx.State]) -> AsyncIterator[Any]:
        """The registry state under its own token, locked while in use."""
        async with self.app.state_manager.modify_state(BaseStateToken(ident=token, cls=cls)) as root:
            yield await root.get_state(cls)

    async def update_viewers(self, contact_id: int, client: str, viewer: Viewer | None) -> tuple[list[Viewer], bool]:
        """Set (or remove) ``client``'s entry; return the pruned list and whether what avatars show changed."""
        async with self._registry(contact_token(contact_id), ContactPulse) as pulse:
            now = time.time()
            before = prune(pulse._viewers, now)
            mine = next((v for v in before if v.client == client), None)
            after = [v for v in before if v.client != client]
            if viewer is not None:
                after.append(viewer)
            changed = shown(after) != shown(pulse._viewers)
            stale = viewer is not None and (mine is None or now - mine.seen >= PRESENCE_REFRESH_S)
            if changed or stale:
                pulse._viewers = after
            return after, changed

    async def mark_open(self, contact_id: int) -> None:
        """Note in the index that the contact is open (refreshed every few seconds, not on every heartbeat)."""
        now = time.time()
        if now - self.marked_open.get(contact_id, 0.0) < PRESENCE_REFRESH_S:
            return
        self.marked_open = {c: t for c, t in self.marked_open.items() if now - t < PRESENCE_REFRESH_S}
        self.marked_open[contact_id] = now
        async with self._registry(OPEN_TOKEN, OpenContacts) as index:
            index._open = {**{c: t for c, t in index._open.items() if now - t < PRESENCE_TTL_S}, contact_id: now}

    async def _open_contacts(self) -> set[int]:
        async with self._registry(OPEN_TOKEN, OpenContacts) as index:
            limit = time.time() - PRESENCE_TTL_S
            return {c for c, t in index._open.items() if t >= limit}

    async def _viewers(self, contact_id: int) -> list[Viewer]:
        async with self._registry(contact_token(contact_id), ContactPulse) as pulse:
            return prune(pulse._viewers)

    async def watch(self, token: str, cls: type[rx.State], client: str) -> None:
        """Add ``client`` to the watchers kept under ``token``."""
        async with self._registry(token, cls) as registry:
            if client not in registry._watchers:
                registry._watchers = {**registry._watchers, client: time.time()}

    async def _connected(self, client: str) -> bool:
        namespace = self.app.event_namespace
        if namespace is None:
            return False
        try:
            return await namespace._token_manager.is_token_connected(client)
        except Exception:
            log.exception("connection check of %s failed", client)
            return True

    async def _push_watchers(
        self,
        token: str,
        cls: type[rx.State],
        target: type[rx.State],
        on_page: Callable[[str], bool],
        method: str,
        *args: object,
    ) -> None:
        """Run ``target.<method>(*args)`` on every watcher still on its page; forget tabs gone for a while."""
        async with self._registry(token, cls) as registry:
            watchers = dict(registry._watchers)
        now, gone, seen = time.time(), set(), {}
        # Closed tabs are noticed by a sweep of the connections every few seconds, not on every push.
        if now - self.swept.get(token, 0.0) >= PRESENCE_REFRESH_S:
            self.swept[token] = now
            for client, last_seen in watchers.items():
                if await self._connected(client):
                    seen[client] = now
                elif now - last_seen > PRESENCE_TTL_S:
                    gone.add(client)

        async def push(client: str) -> None:
            if not await self._run(client, target, lambda state: self._call_if(state, on_page, method, *args)):
                gone.add(client)

        await asyncio.gather(*(push(c) for c in watchers if c not in gone))
        if gone or seen:
            async with self._registry(token, cls) as registry:
                kept = {c: seen.get(c, t) for c, t in registry._watchers.items() if c not in gone}
                if kept != registry._watchers:
                    registry._watchers = kept

    @staticmethod
    async def _call_if(state: rx.State, on_page: Callable[[str], bool], method: str, *args: object) -> bool:
        if not on_page(state.router.url.path):
            return False
        result = getattr(state, method)(*args)
        if inspect.isawaitable(result):
            await result
        return True

    def _session_valid(self, digest: str) -> bool:
        """Whether the session of this digest is still open (remembered for ``SESSION_CHECK_S``)."""
        now = time.monotonic()
        known = self.sessions_checked.get(digest)
        if known is not None and now - known[1] < SESSION_CHECK_S:
            return known[0]
        with session_scope() as db:
            valid = auth_service.validate_session_digest(db, digest=digest) is not None
        if len(self.sessions_checked) > 10_000:
            self.sessions_checked = {d: k for d, k in self.sessions_checked.items() if now - k[1] < SESSION_CHECK_S}
        self.sessions_checked[digest] = (valid, now)
        return valid

    async def _run(self, client: str, cls: type[rx.State], action: Callable[[Any], Awaitable[bool]]) -> bool:
        """Run ``action`` on one tab's ``cls`` state and send the tab the result; False when the tab is elsewhere,
        signed out, or its session ended (nothing is pushed to it then)."""
        if not is_tab_token(client):
            return False
        try:
            async with self.app.modify_state(BaseStateToken(ident=client, cls=cls)) as root:
                session = await root.get_state(SessionState)
                if session.user_id <= 0 or not session._bound or not self._session_valid(session._bound):
                    return False
                return await action(await root.get_state(cls))
        except Exception:
            log.exception("live push to %s failed", client)
            return True

    def _feed_now(self, contact_ids: set[int]) -> set[int]:
        """The contacts whose feeds may be re-read now; the others are re-read once their pause is over."""
        now, due = time.monotonic(), set()
        self.feed_read_at = {c: t for c, t in self.feed_read_at.items() if now - t < FEED_MIN_S}
        for contact_id in contact_ids:
            wait = self.feed_read_at.get(contact_id, 0.0) + FEED_MIN_S - now
            if wait <= 0:
                due.add(contact_id)
                self.feed_read_at[contact_id] = now
            elif contact_id not in self.feed_waiting and self.loop is not None:
                self.feed_waiting.add(contact_id)
                self.loop.call_later(wait, self._feed_pause_over, contact_id)
        return due

    def _feed_pause_over(self, contact_id: int) -> None:
        self.feed_waiting.discard(contact_id)
        self.schedule(feed={contact_id})

    async def _refresh_tab(
        self, client: str, contact_id: int, viewers: list[Viewer], form_changed: bool, feed_changed: bool
    ) -> None:
        """One push to a tab on the contact: new avatars and, when the contact changed, its form and feed."""
        notices: list[str] = []

        async def refresh(editor: Any) -> bool:
            if editor.contact_id != contact_id:
                return False
            banner = editor.remote_banner
            pulse = await editor.get_state(ContactPulse)
            others = people(viewers, editor.user_id)
            if avatars(pulse.viewers) != avatars(others):
                pulse.viewers = others
            targets = [editor] if form_changed else []
            if feed_changed:
                targets.append(await editor.get_state(self.feed))
            for target in targets:
                result = target._pushed_change(contact_id)
                if inspect.isawaitable(result):
                    await result
            if editor.remote_banner and editor.remote_banner != banner:
                notices.append(editor.remote_banner)
            return True

        await self._run(client, self.editor, refresh)
        if notices:
            await self._toast(client, notices[0])

    async def _toast(self, client: str, message: str) -> None:
        """Show a warning toast in one tab (the banner of the file stays; the toast is seen wherever one scrolled)."""
        namespace = self.app.event_namespace
        if namespace is None:
            return
        try:
            await namespace.emit_update(StateUpdate(events=Event.from_event_type(rx.toast.warning(message))), client)
        except Exception:
            log.exception("live notice to %s failed", client)

    async def push_forms(self, kind: str) -> None:
        """Re-render the form of every open contact editor of ``kind``, keeping what was typed."""
        with self.app.set_contexts():
            try:
                await self._push_watchers(
                    FORMS_TOKEN, FormPulse, self.editor, _on_contact_file, "_pushed_form_change", kind
                )
            except Exception:
                log.exception("live push for forms failed")

    async def flush(self) -> None:
        """Push what was queued, one flush at a time; what arrives meanwhile goes out right after."""
        self.flushing = True
        try:
            await self._flush_once()
        finally:
            self.flushing = self.flush_scheduled = False
            if self.pending or self.pending_deleted or self.pending_presence or self.pending_feed or self.pending_list:
                self.schedule()

    async def _flush_once(self) -> None:
        """Push every queued contact to the tabs that have it open, then refresh the open lists."""
        changed, deleted, presence, lists = self.pending, self.pending_deleted, self.pending_presence, self.pending_list
        feed = self.pending_feed
        self.pending, self.pending_deleted, self.pending_presence, self.pending_feed = set(), set(), set(), set()
        self.pending_list = self.flush_scheduled = False
        data = changed | deleted
        with self.app.set_contexts():
            try:
                queued = sorted((data | presence | feed) & await self._open_contacts())
            except Exception:
                log.exception("live push: the index of open contacts could not be read")
                queued = []
            feed_now = self._feed_now(set(queued) & (data | feed))
            for contact_id in queued:
                form_changed, feed_changed = contact_id in data, contact_id in feed_now
                if not (form_changed or feed_changed or contact_id in presence):
                    continue
                try:
                    viewers = await self._viewers(contact_id)
                except Exception:
                    log.exception("live push for contact %s failed", contact_id)
                    continue
                await asyncio.gather(
                    *(self._refresh_tab(v.client, contact_id, viewers, form_changed, feed_changed) for v in viewers)
                )
            if not lists:
                return
            try:
                await self._push_watchers(LIST_TOKEN, ListPulse, self.contact_list, _on_list, "_pushed_change")
            except Exception:
                log.exception("live push for the lists failed")


def install(app: rx.App, *, editor: type[rx.State], feed: type[rx.State], contact_list: type[rx.State]) -> LivePusher:
    """Wire the pusher into the app's lifespan, with the states it refreshes."""
    global _pusher
    pusher = _pusher = LivePusher(app, editor=editor, feed=feed, contact_list=contact_list)
    app.register_lifespan_task(pusher.start)
    return pusher
