"""The takeover of issue 16, tried end to end against the real server: every form of it must fail.

A stranger reads no registry, learns no other tab's token, cannot replay a token on a socket or on
``/_upload``, and a reconnect that skips hydrate gets nothing; no frame a tab receives holds another tab's
client token or any session token, and no script can read the session cookie.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from reflex_base.utils.format import format_event_handler
from sqlmodel import select

from crm_app.auth.models import User
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn, PhoneIn
from crm_app.ui.state.feed import ContactFeedState
from crm_app.ui.state.users import UsersState
from tests.e2e.helpers import make_user, sign_in
from tests.e2e.raw_socket import RawTab, Refused, post_upload_headers

UPLOAD = format_event_handler(ContactFeedState.event_handlers["upload"])
CREATE_USER = format_event_handler(UsersState.event_handlers["create"])
HYDRATE = "reflex___state____state.hydrate"


def _tab_token(page: Page) -> str:
    return page.evaluate("() => window.sessionStorage.getItem('token')")


def _session_token(page: Page) -> str:
    cookies = {c["name"]: c for c in page.context.cookies()}
    cookie = cookies["crm_session"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    return cookie["value"]


def _recording(page: Page) -> list[str]:
    """Every websocket frame the page receives from now on."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


@pytest.fixture
def victim(app_server, browser):
    """An administrator with a contact file open in a browser, and a staff member's browser on the same file."""
    with app_server.session() as db:
        created = contacts.create_contact(
            db,
            data=ContactIn(first_name="Ewa", last_name="Secret", phones=[PhoneIn(number="+48 601 555 000")]),
            actor_id=None,
        )
    contexts, pages = [], []
    for name, role, viewport in (
        ("Ada Admin", "admin", (1280, 800)),
        ("Sam Staff", "staff", (390, 844)),
        ("Max Manager", "manager", (1280, 800)),
        ("Val Viewer", "viewer", (390, 844)),
    ):
        ctx = browser.new_context(base_url=app_server.url, viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(ctx)
        page = ctx.new_page()
        frames = _recording(page)
        sign_in(page, make_user(app_server, role, name=name))
        page.goto(f"/contacts/{created.id}")
        expect(page.locator("#f-first_name")).to_have_value("Ewa")
        pages.append((page, frames))
    yield created.id, pages
    for ctx in contexts:
        ctx.close()


def test_no_script_reads_the_session_cookie_and_no_frame_carries_another_tabs_secret(victim, app_server):
    contact_id, tabs = victim
    roles = ["admin", "staff", "manager", "viewer"]
    for page, _frames in tabs:
        expect(page.locator("#presence .presence")).to_have_count(3)
        assert "crm_session" not in page.evaluate("() => document.cookie")
    secrets = {}
    for role, (page, _frames) in zip(roles, tabs, strict=True):
        secrets[f"{role} tab"] = _tab_token(page)
        secrets[f"{role} session"] = _session_token(page)
    stranger = RawTab(app_server.url, str(uuid.uuid4()))
    stranger.send(HYDRATE, path=f"/contacts/{contact_id}")
    stranger_frames = stranger.listen(3)
    stranger.close()
    received = [(role, frames, {f"{role} tab"}) for role, (_page, frames) in zip(roles, tabs, strict=True)]
    for owner, frames, own in [*received, ("stranger", stranger_frames, set())]:
        assert frames, f"the {owner} received nothing at all"
        for name, secret in secrets.items():
            if name in own:
                continue
            leaked = [f[:200] for f in frames if secret in f]
            assert not leaked, f"the {owner} received the {name} token: {leaked}"


@pytest.mark.parametrize("registry", ["contact-{id}", "contacts", "open-contacts", "forms"])
def test_a_stranger_cannot_open_a_socket_under_a_registry_token(victim, app_server, registry):
    contact_id, _pages = victim
    with pytest.raises(Refused):
        RawTab(app_server.url, registry.format(id=contact_id))


def test_a_token_replayed_while_its_tab_is_connected_is_refused(victim, app_server):
    _contact_id, [(admin, _frames), *_others] = victim
    with pytest.raises(Refused):
        RawTab(app_server.url, _tab_token(admin))


def test_an_upload_with_a_replayed_token_is_refused_before_its_body_is_read(victim, app_server):
    _contact_id, [(admin, _frames), (staff, _staff_frames), *_others] = victim
    token = _tab_token(admin)
    huge = 400 * 1024 * 1024
    status, body = post_upload_headers(
        app_server.url, {"reflex-client-token": token, "reflex-event-handler": UPLOAD}, huge
    )
    assert (status, body.get("error")) == (401, "not_signed_in")
    staff_cookie = f"crm_session={_session_token(staff)}"
    status, body = post_upload_headers(
        app_server.url, {"reflex-client-token": token, "reflex-event-handler": UPLOAD, "Cookie": staff_cookie}, huge
    )
    assert (status, body.get("error")) == (403, "not_your_tab")
    status, body = post_upload_headers(
        app_server.url,
        {"reflex-client-token": token, "reflex-event-handler": "no.such.handler", "Cookie": staff_cookie},
        10,
    )
    assert (status, body.get("error")) == (404, "unknown_handler")
    status, body = post_upload_headers(
        app_server.url, {"reflex-client-token": "contact-1", "reflex-event-handler": UPLOAD, "Cookie": staff_cookie}, 10
    )
    assert (status, body.get("error")) == (403, "not_a_tab")


def test_a_token_replayed_after_its_tab_closed_opens_an_empty_tab_that_can_do_nothing(victim, app_server):
    contact_id, [(admin, _frames), (staff, _staff_frames), *_others] = victim
    token = _tab_token(admin)
    admin.context.close()
    with app_server.session() as db:
        admins_before = db.exec(select(User.id).where(User.role == "admin")).all()
    replay = None
    for _ in range(20):  # the server notices the closed socket within a moment
        try:
            replay = RawTab(app_server.url, token)
            break
        except Refused:
            staff.wait_for_timeout(250)
    assert replay is not None, "the replayed token was never let in, even after the tab closed"
    quiet = replay.listen(2)
    staff.locator("#f-memo").fill("Changed while a stranger listens")
    staff.locator("#save").click()
    expect(staff.locator("#unsaved")).to_have_count(0)
    quiet += replay.listen(2)
    assert not any("Secret" in f or "Ada Admin" in f or "Changed while" in f for f in quiet), quiet[:3]
    replay.send(
        CREATE_USER, {"form": {"email": "intruder@example.com", "name": "Intruder", "role": "admin"}}, "/settings/users"
    )
    answered = replay.listen(3)
    replay.send(HYDRATE, path=f"/contacts/{contact_id}")
    answered += replay.listen(3)
    replay.close()
    assert any("/signin" in f for f in answered), answered[:3]
    assert not any(re.search(r"Ada Admin|admin\d+@example\.com|Secret", f) for f in answered), answered[:3]
    with app_server.session() as db:
        assert db.exec(select(User.id).where(User.role == "admin")).all() == admins_before
        assert db.exec(select(User).where(User.email == "intruder@example.com")).first() is None


def test_a_huge_id_in_a_file_route_is_simply_not_found(victim, app_server):
    _contact_id, [(admin, _frames), *_others] = victim
    for path in ("/api/files/" + "9" * 30, "/api/files/9999999999999999999", "/api/exports/" + "1" * 25):
        response = admin.request.get(path)
        assert response.status == 404, (path, response.status)
