"""The first save of a new contact in a fresh browser session, and the saves after it (prints JSON).

Starts the real app (``reflex run --env prod``) on a fresh SQLite database. Each round is a new browser
session: sign in, open a new person, type the names, save; then change the memo and save again. The time
runs inside the browser from the click on Save until the page shows the saved contact (its address and no
unsaved mark). Usage: ``python -m bench.first_save [--rounds 12]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from crm_app.auth import service as auth_service
from tests.e2e.conftest import CHROMIUM_ARGS, running_app

PASSWORD = "bench-password-2026"
SAVED = "() => /\\/contacts\\/\\d+$/.test(location.pathname) && document.getElementById('unsaved') === null"
CLEAN = "() => document.getElementById('unsaved') === null ? Date.now() : false"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(_percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def _click_save(page) -> float:
    return page.evaluate("() => { const t = Date.now(); document.getElementById('save').click(); return t; }")


def measure(server, rounds: int) -> dict:
    """First save and second save, each round in a new browser session of a new user."""
    first, later = [], []
    with sync_playwright() as pw:
        exe = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium")
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        for i in range(rounds):
            email = f"saver{i}@bench.example.com"
            with server.session() as db:
                auth_service.create_user(
                    db, email=email, name=f"Saver {i}", role="staff", password=PASSWORD, actor_id=None
                )
            ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto("/signin")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            page.click("#signin-submit")
            page.wait_for_url("**/contacts**")
            page.goto("/contacts/new?kind=person")
            page.fill("#f-first_name", f"First{i}")
            page.fill("#f-last_name", f"Save{i}")
            page.wait_for_function("() => document.getElementById('unsaved') !== null")
            start = _click_save(page)
            page.wait_for_function(SAVED, timeout=30_000)
            first.append(float(page.evaluate("() => Date.now()") - start))
            page.fill("#f-memo", f"Second save {i}")
            page.wait_for_function("() => document.getElementById('unsaved') !== null")
            start = _click_save(page)
            done = page.wait_for_function(CLEAN, polling="raf", timeout=30_000).json_value()
            later.append(float(done - start))
            ctx.close()
        browser.close()
    return {"first_save": _summary(first), "second_save": _summary(later)}


def main() -> None:
    """Run the rounds and print one JSON object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-first-save-"))
    with running_app(tmp, f"sqlite:///{tmp / 'crm.db'}") as server:
        result = {"bench": "first_save", "single_worker_sqlite": measure(server, args.rounds)}
    shutil.rmtree(tmp, ignore_errors=True)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
