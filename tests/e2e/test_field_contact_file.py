"""The contact file in the field: a header with one-tap Call, Message and Directions, 44 px targets, data folded."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm_app.contacts.schemas import AddressIn, ContactIn, PhoneIn
from crm_app.contacts.service import create_contact
from tests.e2e.helpers import make_user, sign_in


@pytest.fixture(scope="module")
def client(app_server) -> int:
    with app_server.session() as db:
        return create_contact(
            db,
            data=ContactIn(
                first_name="Fabien",
                last_name="Fieldwork",
                phones=[PhoneIn(number="+33 6 11 22 33 44", sms=True)],
                addresses=[AddressIn(line1="3 rue du Port", city="Nantes", country="FR", is_main=True)],
            ),
            actor_id=None,
        ).id


def _box(page: Page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on screen"
    return box


def test_a_phone_gets_one_tap_actions_big_targets_and_folded_details(app_server, phone, client):
    sign_in(phone, make_user(app_server, "staff"))
    phone.goto(f"/contacts/{client}")
    expect(phone.locator("h1")).to_have_text("Fabien Fieldwork")
    expect(phone.locator("#quick-call")).to_have_attribute("href", "tel:+33611223344")
    expect(phone.locator("#quick-message")).to_have_attribute("href", "sms:+33611223344")
    expect(phone.locator("#quick-directions")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/search\?query=3%20rue%20du%20Port")
    )
    for selector in ("#quick-call", "#quick-message", "#quick-directions", ".phone-call", ".phone-remove button"):
        box = _box(phone, selector)
        assert box["width"] >= 44 and box["height"] >= 44, (selector, box)
    call, remove = _box(phone, ".phone-call"), _box(phone, ".phone-remove button")
    apart = max(remove["y"] - (call["y"] + call["height"]), call["y"] - (remove["y"] + remove["height"]))
    assert apart >= 8, f"the bin is {apart} px from the call button"
    expect(phone.locator("#identity-details")).to_be_hidden()
    header_bottom = _box(phone, "#quick-actions")["y"]
    assert header_bottom < 844, "the one-tap actions are below the fold"
    phone.screenshot(path="test-results/field-contact-file-phone.png")
    phone.locator("#toggle-details").click()
    expect(phone.locator("#identity-details")).to_be_visible()
    expect(phone.locator("#reference")).to_contain_text("C-")


def test_a_desktop_shows_the_details_and_the_same_actions(app_server, desktop, client):
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto(f"/contacts/{client}")
    expect(desktop.locator("#identity-details")).to_be_visible()
    expect(desktop.locator("#toggle-details")).to_be_hidden()
    expect(desktop.locator("#quick-call")).to_be_visible()
    desktop.screenshot(path="test-results/field-contact-file-desktop.png")
