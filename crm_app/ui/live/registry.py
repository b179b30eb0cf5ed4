"""Who has what open: the small registries live pushes read, each a state under a token of its own.

``contact-<id>``: the viewers of one contact (``ContactPulse``); ``open-contacts``: which contacts have viewers
at all; ``contacts`` and ``forms``: the tabs showing the list or a contact file. They are read and written by
token through the state manager (``crm_app.ui.live.pusher``), so with Redis every worker sees the same
registries. The presence avatars a tab shows come from its own copy of ``ContactPulse.viewers``.
"""

from __future__ import annotations

import dataclasses
import time

import reflex as rx

LIST_TOKEN = "contacts"
FORMS_TOKEN = "forms"
OPEN_TOKEN = "open-contacts"
PRESENCE_TTL_S = 45.0
# A tab refreshes its presence entry at most this often when nothing else about it changed.
PRESENCE_REFRESH_S = 10.0


def contact_token(contact_id: int) -> str:
    """The registry token of one contact (no underscores allowed)."""
    return f"contact-{int(contact_id)}"


@dataclasses.dataclass
class Viewer:
    """One tab that has the contact open: a registry entry, kept on the server only (``client`` is a secret)."""

    client: str
    user_id: int
    name: str
    initials: str
    editing: bool
    seen: float


@dataclasses.dataclass
class Presence:
    """One avatar as a browser sees it: a person, never a tab or its token."""

    user_id: int
    name: str
    initials: str
    editing: bool


def people(viewers: list[Viewer], user_id: int) -> list[Presence]:
    """One avatar per other person: a tab shows neither its own user nor someone twice (several tabs,
    or an old tab token Reflex replaced after a fast reconnect); editing when any of their tabs is."""
    by_user: dict[int, Presence] = {}
    for viewer in sorted(viewers, key=lambda v: v.seen):
        if viewer.user_id == user_id:
            continue
        earlier = by_user.get(viewer.user_id)
        by_user[viewer.user_id] = Presence(
            user_id=viewer.user_id,
            name=viewer.name,
            initials=viewer.initials,
            editing=viewer.editing or (earlier is not None and earlier.editing),
        )
    return sorted(by_user.values(), key=lambda v: (v.name, v.user_id))


def shown(viewers: list[Viewer]) -> list[tuple]:
    """What the avatars of a registry show, tab by tab (not when each tab was last seen)."""
    return sorted((v.client, v.user_id, v.name, v.initials, v.editing) for v in viewers)


def avatars(people: list[Presence]) -> list[tuple]:
    return [(p.user_id, p.name, p.initials, p.editing) for p in people]


class ContactPulse(rx.SharedState):
    """Who has a contact open. Under ``contact-<id>`` (a registry no socket can claim: see ``ui/tabs.py``) every
    tab in ``_viewers``, on the server only; in a tab's own copy, ``viewers``: the other people, as avatars."""

    viewers: list[Presence] = []
    _viewers: list[Viewer] = []


class ListPulse(rx.SharedState):
    """Under ``contacts``: the tabs that opened the contact list, with when each was last seen connected."""

    _watchers: dict[str, float] = {}


class FormPulse(rx.SharedState):
    """Under ``forms``: the tabs that opened a contact file, with when each was last seen connected."""

    _watchers: dict[str, float] = {}


class OpenContacts(rx.SharedState):
    """Under ``open-contacts``: the contacts someone has open, so a bulk change skips all the others."""

    _open: dict[int, float] = {}


def prune(viewers: list[Viewer], now: float | None = None) -> list[Viewer]:
    """Drop viewers not seen for a while (closed tabs, lost phones)."""
    limit = (now or time.time()) - PRESENCE_TTL_S
    return [v for v in viewers if v.seen >= limit]
