"""Browser-test fixtures: the real app on a free port with its own database, and Chromium pages.

The server is ``reflex run --env prod --single-port`` (what ``make run`` starts), on a fresh SQLite
database migrated with Alembic. Chromium is launched by path (Debian's ``chromium`` or
``$CRM_CHROMIUM``) through Playwright's sync API; pytest-playwright's own browser is not used.
Every test in this directory is marked ``e2e``; run them apart from the async unit tests:
``pytest -m e2e -p no:playwright -p no:asyncio`` (see the Makefile).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import Engine
from sqlmodel import Session

from crm_app.db import build_engine, session_scope

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
E2E_DIR = Path(__file__).resolve().parent
START_TIMEOUT_S = 300
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PAGE_FIXTURES = ("desktop", "phone")


@dataclass
class AppServer:
    """A running app: its URL, its database, and a way to reach that database from the test."""

    url: str
    database_url: str
    upload_dir: Path
    log_path: Path
    _engine: Engine | None = field(default=None, repr=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the app's database; commits on exit (rolls back on error)."""
        if self._engine is None:
            self._engine = build_engine(self.database_url)
        with session_scope(self._engine) as s:
            yield s

    def dispose(self) -> None:
        """Close the test's own database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``e2e``, before pytest's ``-m`` deselection runs."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Save a full-page screenshot of each open page when a test fails."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        funcargs = getattr(item, "funcargs", {})
        pages = [(name, funcargs[name]) for name in PAGE_FIXTURES if isinstance(funcargs.get(name), Page)]
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name).strip("_")
        for name, page in pages:
            path = RESULTS / (f"{base}.png" if len(pages) == 1 else f"{base}-{name}.png")
            with contextlib.suppress(Exception):
                RESULTS.mkdir(exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
                report.sections.append(("screenshot", str(path)))
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    """An executable of this virtualenv (the one running pytest), else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found next to {sys.executable} or on PATH")
    return found


def _server_env(port: int, database_url: str, upload_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    bun_dir = ROOT / ".tools" / "node_modules" / ".bin"
    env.update(
        PATH=f"{bun_dir}{os.pathsep}{env.get('PATH', '')}",
        CRM_PORT=str(port),
        CRM_DATABASE_URL=database_url,
        CRM_UPLOAD_DIR=str(upload_dir),
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        NEXT_TELEMETRY_DISABLED="1",
        PYTHONUNBUFFERED="1",
    )
    for name in ("REFLEX_REDIS_URL", "GRANIAN_WORKERS", "CRM_PUBLIC_URL", "CRM_ALLOWED_ORIGINS"):
        env.pop(name, None)
    return env


def _log_tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _wait_until_up(proc: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app server exited with {proc.returncode}; {log_path} ends with:\n{_log_tail(log_path)}")
        if _answers(f"{base}/ping") and _answers(f"{base}/"):
            return
        time.sleep(0.5)
    pytest.fail(f"app server not up after {START_TIMEOUT_S} s; {log_path} ends with:\n{_log_tail(log_path)}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server's whole process group, then any child that escaped it."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_app(tmp: Path, database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[AppServer]:
    """Migrate ``database_url`` and serve the app on a free port with its own build folder until exit."""
    port = _free_port()
    upload_dir = tmp / "files"
    upload_dir.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    log_path = RESULTS / f"e2e-server-{port}.log"
    env = _server_env(port, database_url, upload_dir)
    # A build folder of its own, so several test runs (and `make run`) never share one.
    env["REFLEX_WEB_WORKDIR"] = str(tmp / ".web")
    env["REFLEX_STATES_WORKDIR"] = str(tmp / ".states")
    env.update(extra_env or {})

    migrated = subprocess.run(
        [_bin("alembic"), "upgrade", "head"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if migrated.returncode != 0:
        pytest.fail(f"alembic upgrade head failed:\n{migrated.stdout}\n{migrated.stderr}")

    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [_bin("reflex"), "run", "--env", "prod", "--single-port"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = AppServer(
        url=f"http://localhost:{port}", database_url=database_url, upload_dir=upload_dir, log_path=log_path
    )
    try:
        _wait_until_up(proc, f"http://127.0.0.1:{port}", log_path)
        yield server
    finally:
        server.dispose()
        _stop(proc)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app served by ``reflex run --env prod --single-port`` on a free port and a fresh database."""
    tmp = tmp_path_factory.mktemp("e2e")
    with running_app(tmp, f"sqlite:///{tmp / 'crm.db'}") as server:
        yield server


@pytest.fixture(scope="session")
def playwright_sync() -> Iterator[Playwright]:
    """Playwright's sync API for the whole session."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_sync: Playwright) -> Iterator[Browser]:
    """Headless Chromium: ``$CRM_CHROMIUM`` or the system ``chromium``."""
    executable = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("no Chromium: run `make chromium` (Debian's chromium) or set CRM_CHROMIUM to a browser binary")
    browser = playwright_sync.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def desktop(browser: Browser, app_server: AppServer) -> Iterator[Page]:
    """A fresh desktop page (1280x800) whose relative URLs go to the app."""
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser, app_server: AppServer) -> Iterator[Page]:
    """A fresh phone page (390x844, touch, 2x pixels) whose relative URLs go to the app."""
    context = browser.new_context(
        base_url=app_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    yield context.new_page()
    context.close()
