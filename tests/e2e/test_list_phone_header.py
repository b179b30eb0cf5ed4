"""The list's header on a phone: the search box takes the whole width, Suppliers, Filters and Select are chips."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import make_user, sign_in


def test_a_phone_gets_a_full_width_search_and_a_row_of_chips(app_server, phone):
    sign_in(phone, make_user(app_server, "staff"))
    expect(phone.locator("#empty-state").or_(phone.locator("#range-label"))).to_be_visible()
    phone.wait_for_timeout(500)
    search = phone.locator("#contact-search").evaluate(
        "input => { const r = input.closest('.rt-TextFieldRoot').getBoundingClientRect();"
        " return {y: r.y, width: r.width, height: r.height}; }"
    )
    assert search["width"] >= 390 - 2 * 28, search
    chips = [phone.locator(sel).bounding_box() for sel in ("#filter-suppliers", "#open-filters", "#select-mode")]
    assert len({round(box["y"]) for box in chips}) == 1, chips
    assert all(box["y"] > search["y"] + search["height"] for box in chips)
    assert all(box["height"] <= 36 for box in chips), chips
    expect(phone.locator("#filter-suppliers")).to_have_css("border-radius", "9999px")
    phone.screenshot(path="test-results/list-header-phone.png")


def test_a_desktop_keeps_search_and_buttons_on_one_row(app_server, desktop):
    sign_in(desktop, make_user(app_server, "staff"))
    search = desktop.locator("#contact-search").bounding_box()
    filters = desktop.locator("#open-filters").bounding_box()
    assert abs(filters["y"] - search["y"]) < 10 and filters["height"] >= 36
