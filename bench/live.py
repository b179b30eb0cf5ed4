"""Live propagation latency: save in browser A, see the change in browser B (prints JSON).

Starts the real app (``reflex run --env prod``) on a fresh SQLite database, or on PostgreSQL
and Redis with two app processes of one backend worker each when ``--scaled`` is given (browser A
on one, B on the other).
Usage: ``python -m bench.live [--rounds 30] [--scaled]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text

from crm_app.auth import service as auth_service
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from crm_app.db import normalise_url
from tests.e2e.conftest import CHROMIUM_ARGS, running_app

PASSWORD = "bench-password-2026"


def _user(server, email: str, role: str) -> None:
    with server.session() as db:
        auth_service.create_user(db, email=email, name=email.split("@")[0], role=role, password=PASSWORD, actor_id=None)


def _open(browser, server, email: str, contact_id: int):
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto("/signin")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url("**/contacts**")
    page.goto(f"/contacts/{contact_id}")
    page.wait_for_selector("#f-last_name")
    return page


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(server_a, server_b, rounds: int) -> dict:
    """Median and p95 from save click in A to the new value in B's input."""
    _user(server_a, "a@bench.example.com", "staff")
    _user(server_a if server_b is server_a else server_b, "b@bench.example.com", "staff")
    with server_a.session() as db:
        contact = contacts.create_contact(db, data=ContactIn(first_name="Bench", last_name="Start"), actor_id=None)
    latencies = []
    with sync_playwright() as pw:
        exe = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium")
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        a = _open(browser, server_a, "a@bench.example.com", contact.id)
        b = _open(browser, server_b, "b@bench.example.com", contact.id)
        for i in range(rounds):
            value = f"Value-{i}-{uuid.uuid4().hex[:6]}"
            a.fill("#f-last_name", value)
            a.wait_for_function("() => document.getElementById('unsaved') !== null")
            # Both timestamps are taken inside the browsers (one machine, one clock), not around Playwright calls.
            start = a.evaluate("() => { const t = Date.now(); document.getElementById('save').click(); return t; }")
            seen = b.wait_for_function(
                "v => document.getElementById('f-last_name').value === v ? Date.now() : false",
                arg=value,
                polling="raf",
                timeout=10_000,
            ).json_value()
            latencies.append(float(seen - start))
            a.wait_for_function("() => document.getElementById('unsaved') === null")
        browser.close()
    return {
        "rounds": rounds,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
    }


def main() -> None:
    """Run the chosen set-up and print one JSON object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--scaled", action="store_true", help="two app processes on PostgreSQL + Redis")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-live-"))
    result: dict = {"bench": "live_propagation"}
    if not args.scaled:
        (tmp / "a").mkdir()
        with running_app(tmp / "a", f"sqlite:///{tmp / 'crm.db'}") as server:
            result["single_worker_sqlite"] = measure(server, server, args.rounds)
    else:
        pg = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        redis = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        name = f"crm_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = pg.rsplit("/", 1)[0] + "/" + name
        try:
            env = {"REFLEX_REDIS_URL": redis, "GRANIAN_WORKERS": "1"}
            (tmp / "a").mkdir()
            (tmp / "b").mkdir()
            with running_app(tmp / "a", url, env) as a, running_app(tmp / "b", url, env) as b:
                result["two_workers_postgres_redis"] = measure(a, b, args.rounds)
        finally:
            with admin.connect() as conn, contextlib.suppress(Exception):
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    shutil.rmtree(tmp, ignore_errors=True)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
