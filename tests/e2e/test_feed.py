"""The event feed on a contact, at desktop and phone sizes: safe links, own comments edited, calls logged for a
colleague, tasks assigned and completed through My tasks, images in a viewer, PDFs downloaded, older entries
loaded as the feed scrolls, and the upload endpoint's server-side body limit."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from reflex_base.utils.format import format_event_handler

from crm_app.auth import service as auth_service
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from crm_app.feed import service as feed_service
from crm_app.ui.state.feed import ContactFeedState
from tests.e2e.conftest import RESULTS
from tests.e2e.helpers import make_user, sign_in
from tests.e2e.raw_socket import post_upload_headers

VIEWPORTS = ["desktop", "phone"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _contact(app_server, first: str, last: str, memo: str = "") -> int:
    with app_server.session() as db:
        data = ContactIn(first_name=first, last_name=last, memo=memo)
        return contacts.create_contact(db, data=data, actor_id=None).id


def _user_id(app_server, email: str) -> int:
    with app_server.session() as db:
        return next(u.id for u in auth_service.list_users(db) if u.email == email)


def _open_feed(page: Page, viewport: str, contact_id: int):
    """The contact's feed; on a phone it is the second tab."""
    page.goto(f"/contacts/{contact_id}")
    feed = page.locator("#history")
    if viewport == "phone":
        expect(page.locator("#tab-feed")).to_be_visible()
        page.locator("#tab-feed").click()
    expect(feed).to_be_visible()
    return feed


def _shot(page: Page, name: str, viewport: str, focus: str = "#history .feed-entry >> nth=0") -> None:
    """Desktop: the whole page from the top. Phone: the screen around ``focus`` (a full-page capture of a
    scrolled phone page draws its fixed top and bottom bars mid-page)."""
    RESULTS.mkdir(exist_ok=True)
    path = str(RESULTS / f"feed-{name}-{viewport}.png")
    if viewport == "phone":
        target = page.locator(focus)
        if target.count():
            target.first.scroll_into_view_if_needed()
        page.screenshot(path=path)
    else:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=path, full_page=True)


def _same_kind_of_page(browser: Browser, app_server, viewport: str) -> Page:
    if viewport == "phone":
        context = browser.new_context(
            base_url=app_server.url,
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
        )
    else:
        context = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 800})
    return context.new_page()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_on_a_phone_the_details_and_the_feed_are_tabs_and_on_a_desktop_side_by_side(app_server, request, viewport):
    page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Tabs", viewport)
    sign_in(page, make_user(app_server, "staff"))
    page.goto(f"/contacts/{contact_id}")
    details, feed = page.locator("#f-first_name"), page.locator("#history")
    expect(details).to_be_visible()
    if viewport == "phone":
        expect(feed).to_be_hidden()
        page.locator("#f-first_name").fill("Tabbed")
        page.locator("#tab-feed").click()
        expect(feed).to_be_visible()
        expect(details).to_be_hidden()
        _shot(page, "tab", viewport, focus="#tab-feed")
        page.locator("#tab-details").click()
        expect(details).to_have_value("Tabbed")
    else:
        expect(page.locator("#tab-feed")).to_be_hidden()
        expect(feed).to_be_visible()
        feed_box, details_box = feed.bounding_box(), details.bounding_box()
        assert feed_box["x"] > details_box["x"] + details_box["width"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_comment_link_opens_safely_and_my_own_comment_can_be_edited(app_server, request, viewport):
    page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Links", viewport, memo="Gate code 4321")
    colleague = make_user(app_server, "staff", name=f"Colleague {viewport}")
    with app_server.session() as db:
        feed_service.add_comment(
            db, contact_id=contact_id, body="A colleague's note", actor_id=_user_id(app_server, colleague)
        )
    sign_in(page, make_user(app_server, "staff"))
    feed = _open_feed(page, viewport, contact_id)
    expect(page.locator("#pinned-memo")).to_contain_text("Gate code 4321")

    target = f"{app_server.url}/ping"
    page.locator("#comment-body").fill(f"Quote at {target}, not javascript:alert(1)\n<b>bold?</b>")
    page.locator("#comment-submit").click()
    entry = feed.locator(".feed-entry", has_text="Quote at")
    expect(entry.locator(".feed-body")).to_have_text(f"Quote at {target}, not javascript:alert(1)\n<b>bold?</b>")
    link = entry.locator("a.feed-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", target)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"(?=.*noopener)(?=.*noreferrer)"))
    assert entry.locator("b").count() == 0
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url.rstrip("/") == target
    assert popup.evaluate("window.opener === null")
    popup.close()

    theirs = feed.locator(".feed-entry", has_text="A colleague's note")
    expect(theirs).to_be_visible()
    expect(theirs.locator(".comment-edit")).to_have_count(0)

    entry.locator(".comment-edit").click()
    page.locator("#comment-edit-body").fill("Quote sent, see https://example.com/q")
    page.locator("#comment-edit-save").click()
    edited = feed.locator(".feed-entry", has_text="Quote sent")
    expect(edited.locator("a.feed-link")).to_have_attribute("href", "https://example.com/q")
    history = edited.locator(".comment-history")
    expect(history).to_contain_text("edited")
    expect(history.locator(".comment-version")).to_be_hidden()
    history.locator("summary").click()
    expect(history.locator(".comment-version")).to_contain_text(f"Quote at {target}")
    _shot(page, "comments", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_call_is_logged_with_its_duration_for_another_staff_member(app_server, request, viewport):
    page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Calls", viewport)
    colleague_name = f"Caller {viewport}"
    make_user(app_server, "staff", name=colleague_name)
    sign_in(page, make_user(app_server, "staff", name=f"Me {viewport}"))
    feed = _open_feed(page, viewport, contact_id)
    page.locator("#tab-activity").click()
    expect(page.locator("#activity-staff")).to_have_value(re.compile(r"\d+"))
    assert page.locator("#activity-staff option").first.inner_text() == f"Me {viewport}"
    page.locator("#activity-kind").select_option("call_out")
    page.locator("#activity-staff").select_option(label=colleague_name)
    page.locator("#activity-duration").fill("12")
    page.locator("#activity-summary").fill("Agreed on the date")
    page.locator("#activity-submit").click()
    entry = feed.locator(".feed-entry", has_text="Outgoing call · 12 min")
    expect(entry).to_contain_text(colleague_name)
    expect(entry).to_contain_text("Agreed on the date")
    expect(page.locator("#activity-staff option").first).to_have_text(f"Me {viewport}")
    _shot(page, "call", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_task_for_a_colleague_shows_on_their_my_tasks_and_leaves_it_when_done(app_server, request, browser, viewport):
    page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Tasks", viewport)
    colleague_name = f"Assignee {viewport}"
    colleague = make_user(app_server, "staff", name=colleague_name)
    sign_in(page, make_user(app_server, "staff"))
    feed = _open_feed(page, viewport, contact_id)
    page.locator("#tab-task").click()
    page.locator("#task-title").fill(f"Send quote {viewport}")
    page.locator("#task-due").fill("2020-01-01T09:00")
    page.locator("#task-assignee").select_option(label=colleague_name)
    page.locator("#task-submit").click()
    entry = feed.locator(".feed-entry", has_text=f"Send quote {viewport}")
    expect(entry.locator(".task-assignee")).to_have_text(colleague_name)
    expect(entry.locator(".overdue")).to_be_visible()

    entry.locator(".task-edit").click()
    page.locator("#task-edit-title").fill(f"Send the signed quote {viewport}")
    page.locator("#task-edit-save").click()
    expect(feed.locator(".task-title").first).to_have_text(f"Send the signed quote {viewport}")
    _shot(page, "task", viewport)
    page.goto("/tasks")
    expect(page.locator(".my-task", has_text="Send the signed quote")).to_have_count(0)

    theirs = _same_kind_of_page(browser, app_server, viewport)
    try:
        sign_in(theirs, colleague)
        theirs.goto("/tasks")
        task = theirs.locator(".my-task", has_text=f"Send the signed quote {viewport}")
        expect(task).to_be_visible()
        _shot(theirs, "my-tasks", viewport, focus=".my-task")
        task.locator(".my-task-done").click()
        expect(task).to_have_count(0)
    finally:
        theirs.context.close()
    feed = _open_feed(page, viewport, contact_id)
    expect(feed.locator(".feed-entry", has_text="Task done").first).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_image_opens_in_the_viewer_and_a_pdf_downloads(app_server, request, viewport):
    page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Files", viewport)
    sign_in(page, make_user(app_server, "staff"))
    feed = _open_feed(page, viewport, contact_id)
    page.locator("#tab-file").click()
    picker = page.locator("#feed-upload input[type=file]")
    assert "image/*" in (picker.get_attribute("accept") or "")
    assert picker.get_attribute("multiple") is not None
    if viewport == "phone":
        expect(page.locator("#feed-camera")).to_be_visible()
        expect(page.locator("#feed-camera input[type=file]")).to_have_attribute("capture", "environment")
    else:
        expect(page.locator("#feed-camera")).to_be_hidden()
    picker.set_input_files(
        [
            {"name": "photo.png", "mimeType": "image/png", "buffer": _png()},
            {"name": "quote.pdf", "mimeType": "application/pdf", "buffer": PDF},
        ]
    )
    thumb = feed.locator(".feed-thumb").first
    expect(thumb).to_be_visible(timeout=15_000)
    expect(thumb).to_have_js_property("naturalWidth", 320)
    expect(page.locator("#upload-progress")).to_be_hidden()

    feed.locator(".feed-thumb-open").first.click()
    viewer = page.locator("#image-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".viewer-image")).to_have_js_property("naturalWidth", 640)
    _shot(page, "viewer", viewport, focus="#image-viewer")
    with page.expect_download() as image_download:
        viewer.locator(".viewer-download").click()
    assert image_download.value.suggested_filename == "photo.png"
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)

    with page.expect_download() as pdf_download:
        feed.locator(".feed-download").first.click()
    assert pdf_download.value.suggested_filename == "quote.pdf"
    assert pdf_download.value.path().read_bytes() == PDF
    _shot(page, "files", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_older_entries_load_as_the_end_of_the_feed_scrolls_into_view(app_server, request, viewport):
    page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Scroll", viewport)
    with app_server.session() as db:
        for n in range(1, 76):
            feed_service.add_comment(db, contact_id=contact_id, body=f"Note number {n}", actor_id=None)
    sign_in(page, make_user(app_server, "staff"))
    feed = _open_feed(page, viewport, contact_id)
    entries = feed.locator(".feed-entry")
    expect(entries).to_have_count(30)
    expect(entries.first).to_contain_text("Note number 75")
    page.locator("#feed-end").scroll_into_view_if_needed()
    expect(entries).to_have_count(60)
    page.locator("#feed-end").scroll_into_view_if_needed()
    expect(entries).to_have_count(76)
    expect(entries.last).to_contain_text("Created")
    expect(page.locator("#feed-more")).to_have_count(0)


def test_a_slow_upload_shows_its_progress_until_the_server_has_the_files(app_server, desktop):
    contact_id = _contact(app_server, "Slow", "Upload")
    sign_in(desktop, make_user(app_server, "staff"))
    _open_feed(desktop, "desktop", contact_id)
    desktop.locator("#tab-file").click()
    noise = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    cdp = desktop.context.new_cdp_session(desktop)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    desktop.locator("#feed-upload input[type=file]").set_input_files(
        [{"name": "noise.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    progress = desktop.locator("#upload-progress")
    expect(progress).to_be_visible(timeout=10_000)
    expect(progress.locator(".upload-percent")).not_to_have_text("0", timeout=10_000)
    _shot(desktop, "progress", "desktop", focus="#upload-progress")
    expect(progress).to_be_hidden(timeout=30_000)
    expect(desktop.locator("#history .feed-thumb").first).to_be_visible()
    # A progress tick that reaches the page after the server's answer does not bring the bar back.
    desktop.evaluate("window.crmFeedUploadProgress(1)")
    expect(progress).to_be_hidden()


def test_files_are_private_to_signed_in_users(app_server, browser):
    ctx = browser.new_context(base_url=app_server.url)
    response = ctx.request.get("/api/files/1")
    assert response.status == 401
    ctx.close()


def test_the_upload_endpoint_refuses_an_oversized_body_before_reading_it(app_server, desktop):
    contact_id = _contact(app_server, "Big", "Upload")
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto(f"/contacts/{contact_id}")
    expect(desktop.locator("#f-first_name")).to_have_value("Big")
    tab = desktop.evaluate("() => window.sessionStorage.getItem('token')")
    cookie = next(c["value"] for c in desktop.context.cookies() if c["name"] == "crm_session")
    handler = format_event_handler(ContactFeedState.event_handlers["upload"])
    for identity, expected in (
        ({}, 403),  # a stranger: refused before anything, without a tab token
        ({"reflex-client-token": tab, "reflex-event-handler": handler, "Cookie": f"crm_session={cookie}"}, 413),
    ):
        status, body = post_upload_headers(app_server.url, identity, 50 * 1024**3)
        assert status == expected, (identity.keys(), status, body)
    assert "too large" in body.get("message", "")


def test_an_exe_renamed_jpg_is_refused_with_a_message(app_server, desktop):
    contact_id = _contact(app_server, "Exe", "Check")
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto(f"/contacts/{contact_id}")
    desktop.locator("#tab-file").click()
    desktop.locator("#feed-upload input[type=file]").set_input_files(
        [{"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\x00" * 200}]
    )
    expect(desktop.locator("#upload-error")).to_contain_text(re.compile("holiday.jpg"))
