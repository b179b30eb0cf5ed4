"""Scale-out: two app processes sharing PostgreSQL and Redis; a change made on one reaches a browser on the other."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from crm_app.db import normalise_url
from tests.e2e.conftest import running_app
from tests.e2e.helpers import make_user, sign_in

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "")


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """Two servers (separate processes, separate ports) on one PostgreSQL database and one Redis."""
    if not (POSTGRES_URL and REDIS_URL):
        pytest.skip("CRM_TEST_POSTGRES_URL and CRM_TEST_REDIS_URL are needed for the scale-out test")
    name = f"crm_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    # Two backend workers in each process: several workers on one Redis, without starving this 2-core machine.
    env = {"REFLEX_REDIS_URL": REDIS_URL, "GRANIAN_WORKERS": "2"}
    try:
        with (
            running_app(tmp_path_factory.mktemp("worker-a"), database_url, env) as a,
            running_app(tmp_path_factory.mktemp("worker-b"), database_url, env) as b,
        ):
            yield a, b
    finally:
        with admin.connect() as conn, contextlib.suppress(Exception):
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_change_on_one_worker_reaches_a_browser_on_the_other(two_workers, browser):
    a, b = two_workers
    with a.session() as db:
        created = contacts.create_contact(db, data=ContactIn(first_name="Ewa", last_name="Scaled"), actor_id=None)
    pages = []
    for server, role in ((a, "manager"), (b, "staff")):
        ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        sign_in(page, make_user(server, role))
        page.goto(f"/contacts/{created.id}")
        # The first load on a cold worker (PostgreSQL pool, Redis state) can take a few seconds.
        expect(page.locator("#f-last_name")).to_have_value("Scaled", timeout=20_000)
        pages.append(page)
    on_a, on_b = pages
    expect(on_b.locator("#presence .presence")).to_have_count(1, timeout=10_000)
    on_a.locator("#f-last_name").fill("Scaled-Out")
    on_a.locator("#save").click()
    expect(on_b.locator("#f-last_name")).to_have_value("Scaled-Out", timeout=5_000)
    on_b.goto("/contacts")
    on_b.locator("#contact-search").fill("Ewa")
    expect(on_b.locator(".contact-row", has_text="Scaled-Out")).to_be_visible()
    on_a.locator("#f-first_name").fill("Ewa Maria")
    on_a.locator("#save").click()
    expect(on_b.locator(".contact-row", has_text="Ewa Maria")).to_be_visible(timeout=5_000)
