"""The contact list in real Chromium on a seeded database: keystroke to updated rows, state size; prints JSON.

    python -m bench.seed --contacts 100000 --fresh     # first: bench/results/bench.db
    python -m bench.list_browser [--rounds 30] [--database-url sqlite:///...]

Starts the real app (``reflex run --env prod``, the browser tests' ``running_app``) on a copy of the seeded
SQLite database, signs a staff user in and types searches (surname prefixes from the data) into the list's
search box. Times are taken inside the page with ``performance.now()``: from the last keystroke (an ``input``
listener) to the first change of the table rows (a ``MutationObserver``), so Playwright's own round trips do not
count. The search box waits ``SEARCH_DEBOUNCE_MS`` after the last key before it asks the server; the figures are
given with that wait and without it.

State per connected list: the JSON of every ``ContactListState`` var the server sent to the page (read from the
websocket frames, the latest value of each var) and, when the server keeps its states on disk, the size of the
pickled ``ContactListState`` of that tab.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from hashlib import md5
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, WebSocket, sync_playwright
from sqlmodel import Session, func, select

from bench.seed import DEFAULT_SQLITE
from crm_app.auth import service as auth_service
from crm_app.contacts.models import Contact
from crm_app.db import build_engine
from crm_app.ui.pages.contacts import SEARCH_DEBOUNCE_MS
from tests.e2e.conftest import CHROMIUM_ARGS, ROOT, running_app

PASSWORD = "bench-list-password-2026"
EMAIL = "list-bench@example.com"
TARGET_P50_MS = 200
TARGET_STATE_BYTES = 50_000
LIST_STATE = "contact_list_state"

_OBSERVE = """() => {
  window.__keys = [];
  window.__rows = [];
  const input = document.getElementById('contact-search');
  input.addEventListener('input', () => window.__keys.push(performance.now()), true);
  const inRows = (node) => {
    const element = node && (node.nodeType === 1 ? node : node.parentElement);
    return !!(element && element.closest && element.closest('tbody, #range-label'));
  };
  new MutationObserver((records) => {
    if (records.some((r) => inRows(r.target))) window.__rows.push(performance.now());
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""

# Before any page script: when each search left over the websocket and when each list delta came back.
_SOCKET = """(() => {
  window.__sent = [];
  window.__received = [];
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (typeof event.data === 'string' && event.data.includes('contact_list_state')) {
          window.__received.push(performance.now());
        }
      });
    }
    send(data) {
      if (typeof data === 'string' && data.includes('contact_list_state.search')) window.__sent.push(performance.now());
      return super.send(data);
    }
  };
})();"""

_SETTLED = """(since) => window.__rows.some((t) => t > since)"""

_LATENCY = """() => {
  const last = Math.max(...window.__keys);
  const after = (times, since) => times.find((t) => t > since);
  const rows = after(window.__rows, last);
  if (rows === undefined) return null;
  const sent = after(window.__sent, last);
  const received = sent === undefined ? undefined : after(window.__received, sent);
  if (received === undefined || received > rows) return {total: rows - last};
  return {total: rows - last, send: sent - last, server: received - sent, render: rows - received};
}"""


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "max": round(ordered[-1], 1)}


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the seeded database (SQLite's online backup), stamped as migrated."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{target}"}
    alembic = Path(sys.executable).parent / "alembic"
    subprocess.run([str(alembic), "stamp", "head"], cwd=ROOT, env=env, check=True, capture_output=True)


def _queries(database_url: str, count: int, seed: int) -> list[str]:
    """Surname prefixes (4 to 6 letters) of contacts spread over the table, all different."""
    rng = random.Random(seed)
    engine = build_engine(database_url)
    try:
        with Session(engine) as session:
            high = session.exec(select(func.max(Contact.id))).one() or 1
            ids = [rng.randrange(1, high + 1) for _ in range(count * 20)]
            names = session.exec(select(Contact.last_name).where(Contact.id.in_(ids), Contact.last_name != "")).all()
    finally:
        engine.dispose()
    found: list[str] = []
    for name in names:
        word = name.split()[0]
        prefix = word[: rng.choice((4, 5, 6))]
        if len(prefix) >= 4 and prefix.lower() not in {q.lower() for q in found}:
            found.append(prefix)
        if len(found) == count:
            break
    return found


class Frames:
    """The latest value of every ContactListState var the server sent over the websocket."""

    def __init__(self) -> None:
        self.vars: dict[str, Any] = {}
        self.bytes = 0

    def watch(self, ws: WebSocket) -> None:
        ws.on("framereceived", self.receive)

    def receive(self, payload: str | bytes) -> None:
        text = payload.decode(errors="replace") if isinstance(payload, bytes) else payload
        self.bytes += len(text.encode())
        start = text.find("[")
        if start < 0:
            return
        try:
            message = json.loads(text[start:])
        except ValueError:
            return
        for item in message[1:] if isinstance(message, list) else []:
            update = json.loads(item) if isinstance(item, str) else item
            delta = update.get("delta") if isinstance(update, dict) else None
            for name, values in (delta or {}).items():
                if name.endswith(LIST_STATE) and isinstance(values, dict):
                    self.vars.update(values)

    def size(self) -> int:
        return len(json.dumps(self.vars, separators=(",", ":"), default=str).encode())


def _sign_in(page: Page) -> None:
    page.goto("/signin")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url("**/contacts**")


def _pickled_size(states_dir: Path, client_token: str | None) -> int | None:
    """Bytes of the tab's pickled ContactListState when the server keeps states on disk (else None)."""
    if not client_token or not states_dir.is_dir():
        return None
    from reflex.istate.manager.token import BaseStateToken

    from crm_app.ui.state.contact_list import ContactListState

    token = BaseStateToken(ident=client_token, cls=ContactListState)
    path = states_dir / f"{md5(str(token).encode()).hexdigest()}.pkl"
    return path.stat().st_size if path.exists() else None


def measure(server: Any, states_dir: Path, queries: list[str]) -> dict[str, Any]:
    """Type every query into the list's search box; latency figures and the state size."""
    with server.session() as db:
        auth_service.create_user(db, email=EMAIL, name="List Bench", role="staff", password=PASSWORD, actor_id=None)
    frames = Frames()
    latencies: list[float] = []
    phases: dict[str, list[float]] = {"send": [], "server": [], "render": []}
    with sync_playwright() as pw:
        executable = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium")
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800}).new_page()
        page.on("websocket", frames.watch)
        page.add_init_script(_SOCKET)
        _sign_in(page)
        page.goto("/contacts")
        page.wait_for_function("() => document.getElementById('range-label').textContent.includes('of')")
        page.wait_for_function("() => !document.getElementById('contact-search').readOnly")
        first_load_bytes = frames.bytes
        page.evaluate(_OBSERVE)
        search = page.locator("#contact-search")
        for query in queries:
            search.fill("")
            page.wait_for_timeout(SEARCH_DEBOUNCE_MS + 400)
            search.click()
            since = page.evaluate("() => performance.now()")
            page.keyboard.type(query, delay=40)
            page.wait_for_function(_SETTLED, arg=since, timeout=15_000)
            page.wait_for_timeout(250)
            latency = page.evaluate(_LATENCY)
            if latency is not None:
                latencies.append(float(latency["total"]))
                for name, values in phases.items():
                    if name in latency:
                        values.append(float(latency[name]))
        client_token = page.evaluate("() => window.sessionStorage.getItem('token')")
        browser.close()
    with_wait = _percentiles(latencies)
    without_wait = _percentiles([max(0.0, value - SEARCH_DEBOUNCE_MS) for value in latencies])
    state_bytes = frames.size()
    return {
        "rounds": len(latencies),
        "debounce_ms": SEARCH_DEBOUNCE_MS,
        "keystroke_to_rows_ms": with_wait,
        "after_debounce_ms": without_wait,
        # Last key to the search leaving (the wait included), its round trip to the first list delta, and that
        # delta to the rows drawn.
        "phases_ms": {name: _percentiles(values) for name, values in phases.items() if values},
        "list_state_json_bytes": state_bytes,
        "list_state_pickle_bytes": _pickled_size(states_dir, client_token),
        "first_load_websocket_bytes": first_load_bytes,
        "targets": {
            "keystroke_to_rows_p50_ms": {
                "value": with_wait["p50"],
                "target": TARGET_P50_MS,
                "met": with_wait["p50"] <= TARGET_P50_MS,
            },
            "list_state_bytes": {
                "value": state_bytes,
                "target": TARGET_STATE_BYTES,
                "met": state_bytes <= TARGET_STATE_BYTES,
            },
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=f"sqlite:///{DEFAULT_SQLITE}", help="a seeded SQLite database")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    source = Path(args.database_url.removeprefix("sqlite:///"))
    if not source.exists():
        parser.error(f"{source} does not exist: run `python -m bench.seed` first")
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-list-"))
    started = time.perf_counter()
    try:
        copy = tmp / "crm.db"
        _copy_database(source, copy)
        database_url = f"sqlite:///{copy}"
        queries = _queries(database_url, args.rounds, args.seed)
        engine = build_engine(database_url)
        with Session(engine) as session:
            contacts = session.exec(select(func.count()).select_from(Contact)).one()
        engine.dispose()
        with running_app(tmp, database_url) as server:
            result = measure(server, tmp / ".states", queries)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "list_browser",
                "contacts": contacts,
                "elapsed_s": round(time.perf_counter() - started, 1),
                **result,
            }
        )
    )


if __name__ == "__main__":
    main()
