"""Small glitches fixed: avatar initials, one H1 a page, names that wrap between words, wording, the field switch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm_app.contacts.schemas import ContactIn
from crm_app.contacts.service import create_contact
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate
from tests.e2e.helpers import make_user, sign_in


@pytest.fixture(scope="module")
def people(app_server) -> dict[str, int]:
    with app_server.session() as db:
        org = create_contact(
            db, data=ContactIn(kind="organization", company_name="Boulangerie Dupont SARL"), actor_id=None
        )
        person = create_contact(db, data=ContactIn(first_name="Anna-Maria", last_name="Nowicka-Zając"), actor_id=None)
    return {"org": org.id, "person": person.id}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_avatars_show_initials_and_each_page_has_one_h1(app_server, request, viewport, people):
    page: Page = request.getfixturevalue(viewport)
    sign_in(page, make_user(app_server, "staff"))
    expect(page.locator("h1")).to_have_count(1)
    page.goto(f"/contacts/{people['org']}")
    expect(page.locator("#contact-avatar")).to_have_text("BD")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Boulangerie Dupont SARL")
    page.goto(f"/contacts/{people['person']}")
    expect(page.locator("#contact-avatar")).to_have_text("AN")
    heading = page.locator("h1")
    expect(heading).to_have_text("Anna-Maria Nowicka-Zając")
    lines = heading.evaluate(
        "h => Math.round(h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight))"
    )
    page.screenshot(path=f"test-results/contact-heading-{viewport}.png")
    assert lines <= 2, f"the name takes {lines} lines"
    for path in ("/tasks", "/settings"):
        page.goto(path)
        expect(page.locator("h1")).to_have_count(1)


def test_the_desktop_upload_box_says_click_and_the_phone_says_tap(app_server, desktop, phone, people):
    for page, words in ((desktop, "click to choose"), (phone, "Tap to choose")):
        sign_in(page, make_user(app_server, "staff"))
        page.goto(f"/contacts/{people['person']}")
        if page is phone:
            page.locator("#tab-feed").click()
        page.locator("#tab-file").click()
        expect(page.get_by_text(words)).to_be_visible()


def test_a_hidden_fields_switch_is_drawn_off(app_server, desktop):
    with app_server.session() as db:
        field = definitions.create_field(db, kind="person", data=FieldCreate(label="Glitch probe"), actor_id=None)
        definitions.set_active(db, field_id=field.id, active=False, actor_id=None)
    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto("/settings/forms")
    switch = desktop.locator(".field-row[data-key='glitch_probe'] .field-active")
    expect(switch).to_have_attribute("data-state", "unchecked")
    switch.hover()
    desktop.wait_for_timeout(800)
    expect(switch).to_have_attribute("data-state", "unchecked")


def test_toasts_on_a_phone_stay_below_the_top_bar(app_server, phone, people):
    sign_in(phone, make_user(app_server, "staff"))
    phone.goto(f"/contacts/{people['org']}")
    phone.locator("#f-company_name").fill("Boulangerie Dupont")
    phone.locator("#save").click()
    toast = phone.locator("[data-sonner-toast]").first
    expect(toast).to_be_visible()
    phone.wait_for_timeout(600)
    bar = phone.locator("#top-bar").bounding_box()
    assert toast.bounding_box()["y"] >= bar["y"] + bar["height"]
    phone.screenshot(path="test-results/toast-below-top-bar-phone.png")
