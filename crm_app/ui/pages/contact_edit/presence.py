"""Who else has this contact open, and the invisible helpers that keep this tab in that list."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.live import ContactPulse, Presence


def presence() -> rx.Component:
    """The avatars of the colleagues who have this contact open, amber while they edit it."""

    def viewer(v: Presence) -> rx.Component:
        return rx.tooltip(
            rx.box(
                rx.avatar(
                    fallback=v.initials,
                    size="2",
                    radius="full",
                    color_scheme=rx.cond(v.editing, "amber", "gray"),
                    variant="solid",
                ),
                class_name=rx.cond(v.editing, "presence presence-editing", "presence"),
            ),
            content=rx.cond(v.editing, v.name + " · " + t("editing"), v.name + " · " + t("viewing")),
        )

    return rx.hstack(rx.foreach(ContactPulse.viewers, viewer), spacing="1", id="presence")


def live_triggers() -> rx.Component:
    """Invisible helpers that keep this tab in the presence list (changes are pushed by the server)."""
    return rx.fragment(
        # Two different boxes, so that starting (or ending) an edit mounts one and says so at once.
        rx.cond(
            ContactEditState.dirty,
            rx.box(on_mount=ContactEditState.heartbeat, display="none", id="presence-editing-trigger"),
            rx.box(on_mount=ContactEditState.heartbeat, display="none", id="presence-viewing-trigger"),
        ),
        rx.moment(interval=15_000, on_change=ContactEditState.heartbeat, display="none"),
        rx.box(on_unmount=ContactEditState.leave, display="none"),
    )
