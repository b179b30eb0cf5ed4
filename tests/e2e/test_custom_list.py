"""Custom fields in the contact list: searchable values, choice and date filters in the URL, list columns."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate
from tests.e2e.helpers import make_user, sign_in


@pytest.fixture(scope="module")
def custom_listed(app_server) -> dict[str, str]:
    """Three people with a searchable bench code (a list column), an appliance make and a next visit date."""
    with app_server.session() as db:
        definitions.ensure_builtin_fields(db)
        definitions.create_field(
            db,
            kind="person",
            data=FieldCreate(label="Repair bench code", type="text", searchable=True, show_in_list=True),
            actor_id=None,
        )
        make = definitions.create_field(
            db,
            kind="person",
            data=FieldCreate(label="Appliance make", type="select", choices=["Grundig", "Philips"]),
            actor_id=None,
        )
        definitions.create_field(db, kind="person", data=FieldCreate(label="Next visit", type="date"), actor_id=None)
        ids = {choice.label: choice.id for choice in make.choices}
        people = (
            ("Alpha", {"repair_bench_code": "QZX-7781", "appliance_make": ids["Grundig"], "next_visit": "2026-03-15"}),
            ("Beta", {"appliance_make": ids["Philips"], "next_visit": "2026-05-20"}),
            ("Gamma", {"appliance_make": ids["Grundig"], "next_visit": "2026-06-02"}),
        )
        for first, custom in people:
            contacts.create_contact(
                db, data=ContactIn(first_name=first, last_name="Custlist", custom=custom), actor_id=None
            )
    return ids


def _rows(page: Page):
    return page.locator(".contact-row")


def _search(page: Page, text: str) -> None:
    expect(page.locator("#range-label")).to_be_visible()
    page.locator("#contact-search").fill(text)


def test_a_searchable_custom_value_is_found_and_shown_in_its_list_column(app_server, desktop, custom_listed):
    sign_in(desktop, make_user(app_server, "staff"))
    _search(desktop, "qzx 7781")
    expect(_rows(desktop)).to_have_count(1)
    row = _rows(desktop).first
    expect(row).to_contain_text("Alpha Custlist")
    expect(desktop.locator("th.custom-column", has_text="Repair bench code")).to_be_visible()
    expect(row.locator(".custom-cell-repair_bench_code")).to_have_text("QZX-7781")
    desktop.screenshot(path="test-results/custom-list-column-desktop.png")


def test_choice_and_date_filters_narrow_the_list_and_survive_a_reload(app_server, desktop, custom_listed):
    sign_in(desktop, make_user(app_server, "staff"))
    _search(desktop, "Custlist")
    expect(_rows(desktop)).to_have_count(3)
    desktop.locator("#open-filters").click()
    desktop.locator("#filter-cf-appliance_make .filter-choice", has_text="Grundig").click()
    expect(_rows(desktop)).to_have_count(2)
    expect(_rows(desktop).filter(has_text="Beta Custlist")).to_have_count(0)
    desktop.locator("#filter-cf-next_visit-from").fill("2026-03-01")
    desktop.locator("#filter-cf-next_visit-to").fill("2026-03-31")
    expect(_rows(desktop)).to_have_count(1)
    expect(_rows(desktop).first).to_contain_text("Alpha Custlist")
    desktop.screenshot(path="test-results/custom-list-filters-desktop.png")
    desktop.keyboard.press("Escape")
    grundig = custom_listed["Grundig"]
    expect(desktop).to_have_url(
        re.compile(rf"(?=.*cf\.appliance_make={grundig})(?=.*cf\.next_visit\.from=2026-03-01)(?=.*cf\.next_visit\.to=)")
    )
    desktop.reload()
    expect(_rows(desktop)).to_have_count(1)
    expect(_rows(desktop).first).to_contain_text("Alpha Custlist")
    desktop.goto("/contacts?q=Custlist&cf.next_visit.from=2026-05-01")
    expect(_rows(desktop)).to_have_count(2)
    expect(_rows(desktop).filter(has_text="Alpha Custlist")).to_have_count(0)


def test_custom_filters_fit_the_phone_drawer(app_server, phone, custom_listed):
    sign_in(phone, make_user(app_server, "staff"))
    phone.goto("/contacts?q=Custlist&cf.appliance_make=" + custom_listed["Philips"])
    expect(phone.locator(".contact-card")).to_have_count(1)
    expect(phone.locator(".contact-card").first).to_contain_text("Beta Custlist")
    phone.locator("#open-filters").click()
    expect(phone.locator("#filter-cf-next_visit-from")).to_be_visible()
    phone.wait_for_function(
        "() => Math.abs(document.getElementById('filters-drawer').getBoundingClientRect().left) < 1"
    )
    phone.screenshot(path="test-results/custom-list-filters-phone.png")
