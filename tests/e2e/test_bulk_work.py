"""Bulk work: the bar floats over the rows, the selection stays, tag and assign are undone from the toast."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from crm_app.auth.models import User
from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact, ContactTag, Tag
from crm_app.contacts.schemas import ContactIn
from tests.e2e.helpers import make_user, sign_in


@pytest.fixture(scope="module")
def crew(app_server) -> list[int]:
    """Four people found by searching "Bulkcrew"."""
    with app_server.session() as db:
        return [
            contacts.create_contact(db, data=ContactIn(first_name=f"Crew{n}", last_name="Bulkcrew"), actor_id=None).id
            for n in range(4)
        ]


def _tagged(app_server, name: str) -> int:
    with app_server.session() as db:
        tag = db.exec(select(Tag).where(Tag.name == name)).first()
        return 0 if tag is None else len(db.exec(select(ContactTag).where(ContactTag.tag_id == tag.id)).all())


def _toast(page: Page, text: str):
    toast = page.locator("[data-sonner-toast]", has_text=text).last
    expect(toast).to_be_visible()
    return toast


def test_the_bar_floats_the_selection_stays_and_tag_and_assign_are_undone(app_server, desktop, crew):
    staff = make_user(app_server, "staff", name="Bulk Staff")
    sign_in(desktop, staff)
    desktop.goto("/contacts?q=Bulkcrew")
    rows = desktop.locator(".contact-row")
    expect(rows).to_have_count(4)
    first_row_top = rows.first.bounding_box()["y"]
    desktop.locator("#export-menu").click()
    expect(desktop.locator("#export-scope")).to_have_text("Export all 4 matching")
    desktop.keyboard.press("Escape")
    for n in range(3):
        rows.nth(n).locator(".row-select").click()
    expect(desktop.locator("#selection-count")).to_have_text("3 selected")
    assert rows.first.bounding_box()["y"] == first_row_top, "the bulk bar pushed the rows down"
    bar = desktop.locator("#bulk-bar").bounding_box()
    assert bar["y"] + bar["height"] <= 800
    desktop.locator("#export-menu").click()
    expect(desktop.locator("#export-scope")).to_have_text("Export 3 selected")
    desktop.keyboard.press("Escape")
    desktop.screenshot(path="test-results/bulk-bar-desktop.png")

    desktop.locator("#bulk-tag").fill("Crewtag")
    desktop.locator("#bulk-add-tag").click()
    toast = _toast(desktop, "Tag added to 3 contacts.")
    expect(desktop.locator("#selection-count")).to_have_text("3 selected")
    assert _tagged(app_server, "Crewtag") == 3
    toast.get_by_role("button", name="Undo").click()
    _toast(desktop, "Undone for 3 contacts.")
    assert _tagged(app_server, "Crewtag") == 0

    with app_server.session() as db:
        staff_id = db.exec(select(User.id).where(User.email == staff)).one()
    desktop.locator("#bulk-assign").select_option(label="Bulk Staff")
    toast = _toast(desktop, "3 contacts assigned.")
    with app_server.session() as db:
        assert [db.get(Contact, cid).assigned_user_id for cid in crew].count(staff_id) == 3
    toast.get_by_role("button", name="Undo").click()
    _toast(desktop, "Undone for 3 contacts.")
    with app_server.session() as db:
        assert [db.get(Contact, cid).assigned_user_id for cid in crew] == [None] * 4
    desktop.locator("#clear-selection").click()
    expect(desktop.locator("#bulk-bar")).to_have_count(0)


def test_a_phone_selects_cards_in_select_mode(app_server, phone, crew):
    sign_in(phone, make_user(app_server, "staff"))
    phone.goto("/contacts?q=Bulkcrew")
    cards = phone.locator(".contact-card")
    expect(cards).to_have_count(4)
    expect(phone.locator(".contact-card .row-select")).to_have_count(0)
    phone.locator("#select-mode").click()
    cards.nth(0).locator(".row-select").click()
    cards.nth(2).locator(".row-select").click()
    expect(phone.locator("#selection-count")).to_have_text("2 selected")
    box = cards.nth(0).locator(".card-select").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    phone.screenshot(path="test-results/bulk-select-phone.png")
    phone.locator("#select-mode").click()
    expect(phone.locator("#bulk-bar")).to_have_count(0)
