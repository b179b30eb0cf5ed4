"""My account in a real browser, and the running server's websocket refusing pages of other sites."""

from __future__ import annotations

import base64
import os
import socket
import uuid
from urllib.parse import urlparse

from playwright.sync_api import expect
from sqlmodel import select

from crm_app.auth.models import User
from tests.e2e.helpers import make_user, menu_action, sign_in


def _locale_of(app_server, email: str) -> str:
    with app_server.session() as db:
        return db.exec(select(User.locale).where(User.email == email)).one()


def test_the_language_chosen_on_my_account_is_kept_after_signing_out_and_in_again(app_server, desktop, browser):
    email = make_user(app_server, "staff")
    sign_in(desktop, email)
    desktop.goto("/account")
    expect(desktop.get_by_role("heading", name="My account")).to_be_visible()
    expect(desktop).to_have_title("My account · crm_app")
    desktop.locator("#account-language").click()
    desktop.get_by_role("option", name="Français").click()
    expect(desktop.get_by_role("heading", name="Mon compte")).to_be_visible()
    expect(desktop).to_have_title("Mon compte · crm_app")
    expect(desktop.get_by_text("Mes tâches").first).to_be_visible()
    desktop.screenshot(path="test-results/account-french-desktop.png")
    assert _locale_of(app_server, email) == "fr"

    menu_action(desktop, "#user-menu >> visible=true", "#sign-out")
    desktop.wait_for_url("**/signin**")
    expect(desktop.get_by_role("heading", name="Se connecter")).to_be_visible()

    # Another browser, nothing remembered: the language comes back with the account.
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, email)
        expect(page.get_by_text("Mes tâches").first).to_be_visible()
        page.goto("/settings")
        expect(page.get_by_role("heading", name="Paramètres")).to_be_visible()
        expect(page).to_have_title("Paramètres · crm_app")
    finally:
        context.close()


def test_my_account_on_a_phone_switches_to_polish(app_server, phone):
    email = make_user(app_server, "viewer")
    sign_in(phone, email)
    phone.goto("/account")
    phone.locator("#account-language").click()
    phone.get_by_role("option", name="Polski").click()
    expect(phone.get_by_role("heading", name="Moje konto")).to_be_visible()
    expect(phone.locator("#current_password")).to_be_visible()
    phone.screenshot(path="test-results/account-polish-phone.png", full_page=True)
    assert _locale_of(app_server, email) == "pl"


def _websocket_handshake(app_server, origin: str) -> str:
    """The status line the running server answers a websocket upgrade of /_event with."""
    url = urlparse(app_server.url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /_event/?EIO=4&transport=websocket&token={uuid.uuid4()} HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n"
        "\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=15) as conn:
        conn.sendall(request.encode())
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode("latin-1")


def test_the_running_server_refuses_an_event_websocket_from_another_site(app_server):
    assert " 101 " in _websocket_handshake(app_server, app_server.url)
    refused = _websocket_handshake(app_server, "https://evil.example")
    assert " 101 " not in refused
    assert " 403 " in refused or refused == ""
