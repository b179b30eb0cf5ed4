"""Simulated editors over websockets, no browsers: lost updates, server errors, latency, memory (prints JSON).

Starts the real app (``reflex run --env prod``) on a fresh SQLite database, or with ``--scaled`` two app
processes (one backend worker each) on PostgreSQL and Redis, the editors split between them. Each editor is
its own user with a session opened through ``crm_app.auth.service.sign_in``; it speaks Reflex's socket.io
protocol (engine.io v4 over a plain websocket, built on ``wsproto``, which Reflex's python-engineio already
installs): it connects with the session token in the ``crm_session`` cookie, hydrates the contact list,
opens a contact (``on_load_internal``, as a browser does when a row is clicked), then edits one field and
saves, again and again, answering the conflict dialog when one opens. The browser's heartbeats (on open,
when the form becomes dirty or clean, every 15 s) are sent too.

Every save is written in a ledger. At the end the ledgers are reconciled with the contacts' audit entries
and values: a change counts as lost when the editor was told it was saved and it is not in the history,
when a write the editor was not told about is in the history, or when a save overwrote a value its author
never saw (neither in the form nor in a conflict dialog). The server log is scanned for errors, and the
resident memory of the server processes is read before and after the editors connect.

Usage: ``python -m bench.live_load [--clients 100] [--contacts 10] [--duration 60] [--scaled]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import importlib.metadata
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
from sqlalchemy import create_engine, text
from sqlmodel import col, select
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from crm_app.auth import service as auth_service
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from crm_app.core.models import AuditEntry
from crm_app.db import normalise_url
from tests.e2e.conftest import running_app

PASSWORD = "bench-load-password-2026"
FIELDS = ("first_name", "last_name", "company_name", "registration_no", "memo")
HEARTBEAT_S = 15.0
EVENT_TIMEOUT_S = 30.0
MAX_SAVE_TRIES = 3

# Names of the states and handlers as the compiled front end sends them.
ROOT = "reflex___state____state"
SESSION = f"{ROOT}.crm_app___ui___state___session____session_state"
EDIT = f"{SESSION}.crm_app___ui___state___contact_edit____contact_edit_state"
HYDRATE = f"{ROOT}.hydrate_and_load"
ON_LOAD = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
NAMESPACE = "/_event"
TOAST = re.compile(r"""\["(success|warning|error|info)"\]\("(.*)"\)""")


def _var(name: str) -> str:
    return f"{name}_rx_state_"


class WebSocket:
    """A minimal asyncio websocket client (text frames only) on ``wsproto``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = WSConnection(ConnectionType.CLIENT)
        self.accepted = False
        self.messages: collections.deque[str] = collections.deque()
        self._parts: list[str] = []

    @classmethod
    async def open(cls, host: str, port: int, target: str, headers: list[tuple[str, str]]) -> WebSocket:
        """Connect and finish the opening handshake."""
        reader, writer = await asyncio.open_connection(host, port)
        ws = cls(reader, writer)
        subprotocol = importlib.metadata.version("reflex")
        request = Request(
            host=f"localhost:{port}",
            target=target,
            extra_headers=[(k.encode(), v.encode()) for k, v in headers],
            subprotocols=[subprotocol],
        )
        writer.write(ws.conn.send(request))
        await writer.drain()
        while not ws.accepted:
            await ws._pump()
        return ws

    async def _pump(self) -> None:
        data = await self.reader.read(1 << 16)
        if not data:
            raise ConnectionError("websocket closed by the server")
        self.conn.receive_data(data)
        for event in self.conn.events():
            if isinstance(event, AcceptConnection):
                self.accepted = True
            elif isinstance(event, RejectConnection | RejectData):
                raise ConnectionError(f"websocket refused: {getattr(event, 'status_code', '')}")
            elif isinstance(event, TextMessage):
                self._parts.append(event.data)
                if event.message_finished:
                    self.messages.append("".join(self._parts))
                    self._parts = []
            elif isinstance(event, Ping):
                self.writer.write(self.conn.send(event.response()))
            elif isinstance(event, CloseConnection):
                raise ConnectionError("websocket closed by the server")

    async def recv(self) -> str:
        """The next text message."""
        while not self.messages:
            await self._pump()
        return self.messages.popleft()

    async def send(self, data: str) -> None:
        """Send one text message."""
        self.writer.write(self.conn.send(Message(data=data)))
        await self.writer.drain()

    async def close(self) -> None:
        """Close the connection (without waiting for the server's close frame)."""
        with contextlib.suppress(Exception):
            self.writer.write(self.conn.send(CloseConnection(code=1000)))
            await self.writer.drain()
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


class ReflexClient:
    """One browser tab as the backend sees it: a socket.io connection carrying Reflex events."""

    def __init__(self, base_url: str, session_token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = "127.0.0.1", int(parts.port or 80)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.session_token = session_token
        self.tab_token = str(uuid.uuid4())
        self.ws: WebSocket | None = None
        self.form: dict[str, Any] = {}
        self.waiters: list[tuple[Any, asyncio.Future]] = []
        self.reader: asyncio.Task | None = None
        self.failures: list[str] = []
        self.closing = False
        self.watched: tuple[str, list[str]] | None = None
        self.frames = 0
        self.bare_frames = 0

    def _router(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"pathname": path, "asPath": path}
        if query:
            data["query"] = query
        return data

    async def connect(self, path: str) -> None:
        """Open the socket with the hydrate event in the CONNECT packet, as the front end does."""
        target = f"{NAMESPACE}/?token={self.tab_token}&EIO=4&transport=websocket"
        headers = [("Origin", self.origin), ("Cookie", f"crm_session={self.session_token}")]
        self.ws = await WebSocket.open(self.host, self.port, target, headers)
        opened = await self.ws.recv()
        if not opened.startswith("0"):
            raise ConnectionError(f"unexpected engine.io greeting {opened[:80]!r}")
        boot = {
            "name": HYDRATE,
            "payload": {},
            "router_data": self._router(path),
        }
        hydrated = self.expect(lambda m: m.get("delta", {}).get(ROOT, {}).get(_var("is_hydrated")) is True)
        await self.ws.send(f"40{NAMESPACE},{json.dumps({'event': boot})}")
        self.reader = asyncio.create_task(self._read())
        await self.wait(hydrated)

    def expect(self, predicate) -> asyncio.Future:
        """A future resolved with the first update (from now on) that satisfies ``predicate``."""
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((predicate, future))
        return future

    async def wait(self, future: asyncio.Future) -> dict[str, Any]:
        """Wait for an expected update (a timeout is a failure)."""
        try:
            return await asyncio.wait_for(future, EVENT_TIMEOUT_S)
        finally:
            self.waiters = [(p, f) for p, f in self.waiters if f is not future]

    async def emit(self, name: str, payload: dict[str, Any] | None, router: dict[str, Any]) -> None:
        """Send one event (``name`` is the full handler name)."""
        event: dict[str, Any] = {"name": name, "router_data": router}
        if payload is not None:
            event["payload"] = payload
        assert self.ws is not None
        await self.ws.send(f"42{NAMESPACE},{json.dumps(['event', event])}")

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            while True:
                raw = await self.ws.recv()
                if raw == "2":
                    await self.ws.send("3")
                elif raw.startswith(f"42{NAMESPACE},"):
                    _, body = json.loads(raw[len(NAMESPACE) + 3 :])
                    self._handle(body)
                elif raw.startswith(("44", "41")):
                    self.failures.append(f"socket.io {raw[:120]}")
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as err:
            if not self.closing:
                self._fail(f"connection lost: {err}")
        except asyncio.CancelledError:
            raise

    def _fail(self, reason: str) -> None:
        self.failures.append(reason)
        for _, future in self.waiters:
            if not future.done():
                future.set_exception(ConnectionError(reason))

    def _handle(self, body: dict[str, Any]) -> None:
        self.frames += 1
        if set(body.get("delta", {})) <= {ROOT} and not body.get("events"):
            self.bare_frames += 1
        form = body.get("delta", {}).get(EDIT)
        if form:
            self.form.update(form)
            if self.watched is not None and self.watched[0] in form:
                self.watched[1].append(_norm(form[self.watched[0]]))
        for event in body.get("events", []):
            if event.get("name") == "_redirect" and "/signin" in str(event.get("payload", {}).get("path", "")):
                self.failures.append("sent to the sign-in page")
        for predicate, future in self.waiters:
            if not future.done() and predicate(body):
                future.set_result(body)

    async def close(self) -> None:
        """Say goodbye to socket.io and close the socket."""
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.send(f"41{NAMESPACE},")
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


def _toast(body: dict[str, Any]) -> tuple[str, str] | None:
    for event in body.get("events", []):
        if event.get("name") == "_call_function":
            found = TOAST.search(str(event.get("payload", {}).get("function", "")))
            if found:
                return found.group(1), found.group(2)
    return None


@dataclasses.dataclass
class SaveRecord:
    """One attempt of an editor to change a field, and what the app told them."""

    user_id: int
    contact_id: int
    field: str
    value: str
    seen_before: str
    outcome: str = "pending"
    kept_theirs: bool = False
    shown_theirs: list[str] = dataclasses.field(default_factory=list)
    # Values of the field that reached this editor's form after its edit was sent (pushes in flight).
    arrived_later: list[str] = dataclasses.field(default_factory=list)


class Editor:
    """A simulated person editing one field of one contact, over and over."""

    def __init__(self, index: int, server_url: str, user_id: int, token: str, contact_id: int, field: str) -> None:
        self.index, self.user_id, self.contact_id, self.field = index, user_id, contact_id, field
        self.client = ReflexClient(server_url, token)
        self.path = f"/contacts/{contact_id}"
        self.router = self.client._router(self.path, {"contact_id": str(contact_id)})
        self.ledger: list[SaveRecord] = []
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: list[str] = []
        self.conflict_dialogs = 0
        self.retry_warnings = 0
        self.rng = random.Random(index)
        self.last_heartbeat = 0.0

    async def _timed(self, kind: str, name: str, payload: dict[str, Any] | None, predicate) -> dict[str, Any]:
        future = self.client.expect(predicate)
        start = time.perf_counter()
        await self.client.emit(f"{EDIT}.{name}", payload, self.router)
        body = await self.client.wait(future)
        self.latencies[kind].append((time.perf_counter() - start) * 1000)
        return body

    async def _heartbeat(self) -> None:
        self.last_heartbeat = time.monotonic()
        await self.client.emit(f"{EDIT}.heartbeat", None, self.router)

    async def open(self) -> None:
        """Hydrate the contact list, then open the contact as a click on its row does."""
        start = time.perf_counter()
        await self.client.connect("/contacts")
        self.latencies["hydrate"].append((time.perf_counter() - start) * 1000)
        future = self.client.expect(lambda m: m.get("delta", {}).get(ROOT, {}).get(_var("is_hydrated")) is True)
        start = time.perf_counter()
        await self.client.emit(ON_LOAD, None, self.router)
        await self.client.wait(future)
        self.latencies["open"].append((time.perf_counter() - start) * 1000)
        if self.client.form.get(_var("contact_id")) != self.contact_id:
            raise RuntimeError(f"editor {self.index} did not open contact {self.contact_id}")
        await self._heartbeat()

    async def _think(self, think_s: float) -> None:
        await asyncio.sleep(think_s * self.rng.uniform(0.5, 1.5))
        if time.monotonic() - self.last_heartbeat >= HEARTBEAT_S:
            await self._heartbeat()

    async def run(self, deadline: float, think_s: float) -> None:
        """Edit and save until the deadline; every outcome goes to the ledger."""
        n = 0
        while time.monotonic() < deadline and not self.client.failures:
            n += 1
            await self._think(think_s)
            value = f"{self.field[:3]}-e{self.index:03d}-r{n}"
            record = SaveRecord(
                user_id=self.user_id,
                contact_id=self.contact_id,
                field=self.field,
                value=value,
                seen_before=str(self.client.form.get(_var(self.field)) or ""),
            )
            self.ledger.append(record)
            self.client.watched = (_var(self.field), record.arrived_later)
            try:
                await self._edit_and_save(record, think_s)
            except (TimeoutError, ConnectionError) as err:
                record.outcome = "no answer"
                self.errors.append(f"{type(err).__name__}: {err}")
                return

    async def _edit_and_save(self, record: SaveRecord, think_s: float) -> None:
        key = _var(self.field)
        await self._timed(
            "edit",
            "edit_field",
            {"name": self.field, "value": record.value},
            lambda m: m.get("delta", {}).get(EDIT, {}).get(key) == record.value,
        )
        await self._heartbeat()
        await self._think(think_s)
        for _ in range(MAX_SAVE_TRIES):
            body = await self._timed("save", "save", None, self._save_answered)
            if self._dialog(body):
                self.conflict_dialogs += 1
                body = await self._resolve(record, body)
            answer = _toast(body)
            if answer is None:
                continue
            kind, message = answer
            if kind == "success":
                record.outcome = "kept theirs" if record.kept_theirs else "accepted"
                await self._heartbeat()
                return
            if kind == "warning" and "changed again" in message:
                self.retry_warnings += 1
                record.outcome = "reported"
                continue
            record.outcome = "refused"
            self.errors.append(f"{kind} toast: {message}")
            return
        await self._timed(
            "discard", "discard", None, lambda m: m.get("delta", {}).get(EDIT, {}).get(_var("dirty")) is False
        )
        await self._heartbeat()

    @staticmethod
    def _dialog(body: dict[str, Any]) -> bool:
        return body.get("delta", {}).get(EDIT, {}).get(_var("show_conflicts")) is True

    def _save_answered(self, body: dict[str, Any]) -> bool:
        return _toast(body) is not None or self._dialog(body)

    async def _resolve(self, record: SaveRecord, dialog: dict[str, Any]) -> dict[str, Any]:
        """Keep mine or take theirs for my field (other rows keep their default), then save."""
        rows = dialog["delta"][EDIT].get(_var("conflicts")) or self.client.form.get(_var("conflicts")) or []
        for row in rows:
            if row.get("field") == self.field:
                record.shown_theirs.append("" if row.get("theirs") == "—" else str(row.get("theirs")))
        side = "mine" if self.rng.random() < 0.5 else "theirs"
        if side == "theirs":
            record.kept_theirs = True
            await self.client.emit(f"{EDIT}.choose_side", {"field": self.field, "side": "theirs"}, self.router)
        return await self._timed("resolve", "resolve_conflicts", None, lambda m: _toast(m) is not None)

    async def leave(self) -> None:
        """Leave the presence list and close the socket."""
        with contextlib.suppress(Exception):
            await self.client.emit(f"{EDIT}.leave", None, self.router)
            await asyncio.sleep(0.2)
        await self.client.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(_percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def _cpu_seconds() -> float:
    """CPU time used so far by the app servers (every process this bench started)."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def _server_memory() -> dict[str, float]:
    """Resident and unique memory (MiB) of every process this bench started (the app servers)."""
    rss = uss = 0
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            rss += info.rss
            uss += info.uss
    return {"rss_mib": round(rss / 2**20, 1), "uss_mib": round(uss / 2**20, 1)}


def _log_of(server) -> Path:
    """The server's log, read through its process's stdout (the file may be unlinked meanwhile)."""
    port = str(urlsplit(server.url).port)
    for proc in psutil.Process().children():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.environ().get("CRM_PORT") == port:
                return Path(f"/proc/{proc.pid}/fd/1")
    return server.log_path


ERROR_LINE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Exception\b")


def _scan_log(path: Path, offset: int) -> dict[str, Any]:
    with path.open(errors="replace") as log:
        log.seek(offset)
        lines = log.read().splitlines()
    errors = [line for line in lines if ERROR_LINE.search(line)]
    warnings = collections.Counter(
        re.sub(r"[0-9a-f-]{36}|\b\d+(\.\d+)?\b", "#", line)[:160]
        for line in lines
        if "WARNING" in line or "Warning" in line
    )
    start = next((i for i, line in enumerate(lines) if "Traceback" in line), None)
    return {
        "error_lines": len(errors),
        "first_errors": [line[:300] for line in errors[:5]],
        "first_traceback": [line[:300] for line in lines[start : start + 40]] if start is not None else [],
        "warning_lines": sum(warnings.values()),
        "top_warnings": dict(warnings.most_common(5)),
    }


def _norm(value: Any) -> str:
    return "" if value is None else str(value)


def reconcile(server, contact_ids: list[int], initial: dict[tuple[int, str], str], editors: list[Editor]) -> dict:
    """Compare every ledger with the audit trail and the stored values."""
    records = [r for e in editors for r in e.ledger]
    by_write = {(r.user_id, r.contact_id, r.field, r.value): r for r in records}
    with server.session() as db:
        entries = db.exec(
            select(AuditEntry)
            .where(col(AuditEntry.contact_id).in_(contact_ids), col(AuditEntry.field).in_(FIELDS))
            .order_by(col(AuditEntry.id))
        ).all()
        stored = {c: contacts.get_contact(db, contact_id=c) for c in contact_ids}
        history = [(e.actor_id, e.contact_id, e.field, _norm(e.old), _norm(e.new)) for e in entries]
    written: set[tuple] = set()
    unacknowledged, unseen_overwrites = [], []
    last: dict[tuple[int, str], str] = dict(initial)
    for actor, contact_id, field, old, new in history:
        key = (actor, contact_id, field, new)
        written.add(key)
        last[(contact_id, field)] = new
        record = by_write.get(key)
        if record is None or record.outcome != "accepted":
            unacknowledged.append(
                {"contact": contact_id, "field": field, "new": new, "told": getattr(record, "outcome", None)}
            )
        elif old not in (record.seen_before, *record.shown_theirs):
            unseen_overwrites.append(
                {
                    "contact": contact_id,
                    "field": field,
                    "overwrote": old,
                    "with": new,
                    "reached_the_form_after_the_edit_was_sent": old in record.arrived_later,
                }
            )
    accepted = [r for r in records if r.outcome == "accepted"]
    missing = [dataclasses.asdict(r) for r in accepted if (r.user_id, r.contact_id, r.field, r.value) not in written]
    final_mismatch = [
        {"contact": c, "field": f, "stored": _norm(getattr(stored[c], f)), "last_saved": v}
        for (c, f), v in last.items()
        if _norm(getattr(stored[c], f)) != v
    ]
    outcomes = collections.Counter(r.outcome for r in records)
    return {
        "saves_attempted": len(records),
        "outcomes": dict(outcomes),
        "audit_changes": len(history),
        "accepted_missing_from_history": len(missing),
        "writes_the_editor_was_not_told_about": len(unacknowledged),
        "overwrote_a_value_its_author_never_saw": len(unseen_overwrites),
        "final_value_differs_from_last_saved": len(final_mismatch),
        "lost_updates": len(missing) + len(unacknowledged) + len(unseen_overwrites) + len(final_mismatch),
        "examples": (missing + unacknowledged + unseen_overwrites + final_mismatch)[:5],
    }


def _prepare(server, clients: int, n_contacts: int) -> tuple[list[int], list[tuple[int, str]], dict]:
    """Contacts, users and one open session per editor (through the services the app uses)."""
    with server.session() as db:
        ids = [
            contacts.create_contact(
                db, data=ContactIn(first_name=f"Load{i}", last_name="Contact", memo="start"), actor_id=None
            ).id
            for i in range(n_contacts)
        ]
        initial = {(c, f): _norm(getattr(contacts.get_contact(db, contact_id=c), f)) for c in ids for f in FIELDS}
    sessions = []
    for i in range(clients):
        email = f"editor{i:03d}@load.example.com"
        with server.session() as db:
            user, _ = auth_service.create_user(
                db, email=email, name=f"Editor {i:03d}", role="staff", password=PASSWORD, actor_id=None
            )
        with server.session() as db:
            _, token = auth_service.sign_in(db, email=email, password=PASSWORD, client_ip=f"10.0.{i // 250}.{i % 250}")
        sessions.append((user.id, token))
    return ids, sessions, initial


async def _load(servers: list, clients: int, n_contacts: int, duration: float, think_s: float, ramp_s: float) -> dict:
    ids, sessions, initial = _prepare(servers[0], clients, n_contacts)
    log_paths = [_log_of(s) for s in servers]
    offsets = [path.stat().st_size for path in log_paths]
    editors = [
        Editor(
            i,
            servers[i % len(servers)].url,
            user_id,
            token,
            ids[i % n_contacts],
            FIELDS[(i // n_contacts) % len(FIELDS)],
        )
        for i, (user_id, token) in enumerate(sessions)
    ]

    async def opened(editor: Editor, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await editor.open()
        except (TimeoutError, ConnectionError, RuntimeError, OSError) as err:
            editor.errors.append(f"open: {type(err).__name__}: {err}")

    # The first editor warms the server up (imports, caches, pools) before the baseline is read.
    await opened(editors[0], 0)
    await asyncio.sleep(1)
    memory_before = _server_memory()
    rest = editors[1:]
    await asyncio.gather(*(opened(e, ramp_s * i / max(1, len(rest))) for i, e in enumerate(rest)))
    await asyncio.sleep(2)
    memory_connected = _server_memory()
    connected = sum(1 for e in editors if not e.errors)
    started, cpu_before = time.monotonic(), _cpu_seconds()
    deadline = started + duration
    await asyncio.gather(*(e.run(deadline, think_s) for e in editors if not e.errors))
    elapsed, server_cpu = time.monotonic() - started, _cpu_seconds() - cpu_before
    memory_after = _server_memory()
    await asyncio.gather(*(e.leave() for e in editors))
    await asyncio.sleep(1)
    memory_disconnected = _server_memory()

    samples: dict[str, list[float]] = collections.defaultdict(list)
    for e in editors:
        for kind, values in e.latencies.items():
            samples[kind].extend(values)
    events = samples["edit"] + samples["save"] + samples["resolve"] + samples["discard"]
    logs = [_scan_log(path, off) for path, off in zip(log_paths, offsets, strict=True)]
    client_errors = [err for e in editors for err in [*e.errors, *e.client.failures]]
    opened_after_baseline = max(1, sum(1 for e in rest if not e.errors))
    per_client = {
        key: round((memory_connected[key] - memory_before[key]) * 1024 / opened_after_baseline, 1)
        for key in ("rss_mib", "uss_mib")
    }
    writes = len(samples["save"]) + len(samples["resolve"])
    return {
        "editors_connected": connected,
        "editing_s": round(elapsed, 1),
        "writes_per_s": round(writes / elapsed, 1),
        # CPU the servers got while the editors worked, in cores (the machine's other load shows as a shortfall).
        "server_cpu_cores": round(server_cpu / elapsed, 2),
        "machine_load_1min": round(os.getloadavg()[0], 2),
        "latency_event": _summary(events),
        "latency_by_kind": {k: _summary(v) for k, v in sorted(samples.items())},
        "ledger": reconcile(servers[0], ids, initial, editors),
        "conflict_dialogs": sum(e.conflict_dialogs for e in editors),
        "changed_again_warnings": sum(e.retry_warnings for e in editors),
        "server_errors": sum(log["error_lines"] for log in logs),
        "server_log": logs,
        "frames_received": sum(e.client.frames for e in editors),
        "frames_without_app_changes": sum(e.client.bare_frames for e in editors),
        "client_errors": len(client_errors),
        "client_error_examples": client_errors[:5],
        "memory": {
            "before": memory_before,
            "connected": memory_connected,
            "after_run": memory_after,
            "after_disconnect": memory_disconnected,
            "per_connected_client_kib": {"rss": per_client["rss_mib"], "uss": per_client["uss_mib"]},
        },
    }


def _verdict(result: dict) -> dict[str, bool]:
    return {
        "zero_lost_updates": result["ledger"]["lost_updates"] == 0,
        "zero_server_errors": result["server_errors"] == 0 and result["client_errors"] == 0,
        "p95_le_300ms": result["latency_event"].get("p95_ms", 1e9) <= 300,
    }


@contextlib.contextmanager
def _scaled_servers(tmp: Path):
    pg = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg.rsplit("/", 1)[0] + "/" + name
    env = {"REFLEX_REDIS_URL": redis, "GRANIAN_WORKERS": "1"}
    try:
        (tmp / "a").mkdir()
        (tmp / "b").mkdir()
        with running_app(tmp / "a", url, env) as a, running_app(tmp / "b", url, env) as b:
            yield [a, b]
    finally:
        with admin.connect() as conn, contextlib.suppress(Exception):
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    """Run the chosen set-up and print one JSON object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--contacts", type=int, default=10)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of editing")
    parser.add_argument("--think", type=float, default=5.0, help="mean pause (s) before each edit and each save")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the editors connect")
    parser.add_argument("--scaled", action="store_true", help="two app processes on PostgreSQL + Redis")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-load-"))
    result: dict[str, Any] = {
        "bench": "live_load",
        "setup": "two_workers_postgres_redis" if args.scaled else "single_worker_sqlite",
        "clients": args.clients,
        "contacts": args.contacts,
        "duration_s": args.duration,
        "think_s": args.think,
        "fields": list(FIELDS),
    }
    try:
        if args.scaled:
            with _scaled_servers(tmp) as servers:
                result.update(
                    asyncio.run(_load(servers, args.clients, args.contacts, args.duration, args.think, args.ramp))
                )
        else:
            (tmp / "a").mkdir()
            with running_app(tmp / "a", f"sqlite:///{tmp / 'crm.db'}") as server:
                result.update(
                    asyncio.run(_load([server], args.clients, args.contacts, args.duration, args.think, args.ramp))
                )
        result["targets_met"] = _verdict(result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
