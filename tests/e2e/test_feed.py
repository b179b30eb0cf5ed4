"""The event feed on a contact: comments, logged calls, tasks (and My tasks), images and PDFs."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from tests.e2e.helpers import make_user, sign_in


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_comment_call_task_and_files_on_the_feed(app_server, request, viewport):
    page = request.getfixturevalue(viewport)
    with app_server.session() as db:
        contact = contacts.create_contact(
            db, data=ContactIn(first_name="Feed", last_name=viewport, memo="Gate code 4321"), actor_id=None
        )
    sign_in(page, make_user(app_server, "staff"))
    page.goto(f"/contacts/{contact.id}")
    feed = page.locator("#history")
    expect(page.locator("#pinned-memo")).to_contain_text("Gate code 4321")

    page.locator("#comment-body").fill("Called back,\nwill come <b>Monday</b>")
    page.locator("#comment-submit").click()
    expect(feed.locator(".feed-body").first).to_have_text("Called back,\nwill come <b>Monday</b>")

    page.locator("#tab-activity").click()
    page.locator("#activity-kind").select_option("call_in")
    page.locator("#activity-duration").fill("7")
    page.locator("#activity-summary").fill("Asked for a quote")
    page.locator("#activity-submit").click()
    expect(feed).to_contain_text("Incoming call · 7 min")

    page.locator("#tab-task").click()
    page.locator("#task-title").fill(f"Send quote {viewport}")
    page.locator("#task-due").fill("2020-01-01T09:00")
    page.locator("#task-submit").click()
    expect(feed.locator(".overdue").first).to_be_visible()
    page.goto("/tasks")
    task = page.locator(".my-task", has_text=f"Send quote {viewport}")
    expect(task).to_be_visible()
    task.locator(".my-task-done").click()
    expect(task).to_have_count(0)

    page.goto(f"/contacts/{contact.id}")
    page.locator("#tab-file").click()
    page.locator("#feed-upload input[type=file]").set_input_files(
        [
            {"name": "photo.png", "mimeType": "image/png", "buffer": _png()},
            {"name": "quote.pdf", "mimeType": "application/pdf", "buffer": PDF},
        ]
    )
    expect(feed.locator(".feed-thumb").first).to_be_visible(timeout=15_000)
    thumb = feed.locator(".feed-thumb").first
    expect(thumb).to_have_js_property("naturalWidth", 320)
    download_link = feed.locator(".feed-download").first
    href = download_link.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert "attachment" in response.headers["content-disposition"]
    page.screenshot(path=f"test-results/feed-{viewport}.png", full_page=True)


def test_files_are_private_to_signed_in_users(app_server, browser):
    ctx = browser.new_context(base_url=app_server.url)
    response = ctx.request.get("/api/files/1")
    assert response.status == 401
    ctx.close()


def test_an_exe_renamed_jpg_is_refused_with_a_message(app_server, desktop):
    with app_server.session() as db:
        contact = contacts.create_contact(db, data=ContactIn(first_name="Exe", last_name="Check"), actor_id=None)
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto(f"/contacts/{contact.id}")
    desktop.locator("#tab-file").click()
    desktop.locator("#feed-upload input[type=file]").set_input_files(
        [{"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\x00" * 200}]
    )
    expect(desktop.locator("#upload-error")).to_contain_text(re.compile("holiday.jpg"))
