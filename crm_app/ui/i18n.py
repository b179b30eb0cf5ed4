"""``t("Text")`` in components: the text in the tab's language, switchable at run time."""

import reflex as rx

from crm_app.ui.state.session import SessionState


def t(msgid: str) -> rx.Var:
    """The translation of ``msgid`` for the current user (the msgid itself in English)."""
    return SessionState.messages.get(msgid, msgid).to(str)
