"""A browser tab's state as a socket opened with a session cookie leaves it, for state tests without a server."""

from __future__ import annotations

import dataclasses

from reflex.istate.data import RouterData
from reflex.state import BaseState

from crm_app.auth.service import SESSION_COOKIE, token_hash
from crm_app.ui.state.session import SessionState

TAB_TOKEN = "3f2b8c1a-9d4e-4f6a-8b2c-7e1d5a9c0b3f"


def router(path: str, *, query: dict | None = None, session_token: str = "", client_token: str = TAB_TOKEN):
    """The router of a tab on ``path`` whose connection carries ``session_token``'s cookie."""
    pathname, _, raw = path.partition("?")
    if query is None:
        query = dict(part.split("=", 1) for part in raw.split("&") if "=" in part)
    headers = {"cookie": f"{SESSION_COOKIE}={session_token}"} if session_token else {}
    return RouterData.from_router_data(
        {"pathname": pathname, "asPath": path, "query": query, "headers": headers, "token": client_token}
    )


def _session(state: BaseState) -> SessionState:
    root = state._get_root_state()
    return root.get_substate(SessionState.get_full_name().split(".")[1:])


def sign_in_tab(state: BaseState, session_token: object) -> None:
    """Give the tab's connection the cookie of ``session_token`` (kept on the page it shows) and bind the tab."""
    root = state._get_root_state()
    cookie = f"{SESSION_COOKIE}={session_token}" if isinstance(session_token, str) and session_token else ""
    current = root.router
    headers = dataclasses.replace(current.headers, cookie=cookie)
    session = dataclasses.replace(current.session, client_token=current.session.client_token or TAB_TOKEN)
    root.router = dataclasses.replace(current, headers=headers, session=session)
    _session(state)._bound = token_hash(session_token) if cookie else ""


def open_page(state: BaseState, path: str) -> None:
    """The tab shows ``path`` now, on the same connection (its cookie kept)."""
    root = state._get_root_state()
    cookie = root.router.headers.cookie
    token = cookie.partition("=")[2] if cookie else ""
    root.router = router(path, session_token=token, client_token=root.router.session.client_token or TAB_TOKEN)
