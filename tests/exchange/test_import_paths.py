"""The fast paths of imports give the same results as the plain ones.

The run reuses the rows the dry run read only while everything reading them depended on is unchanged, and a
big workbook read by a child process gives the same rows, the same refusals and leaves no process or file
behind, even when the child dies.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crm_app.contacts import batch
from crm_app.contacts.models import Contact, Email, Phone, PhoneType
from crm_app.core.errors import ValidationError
from crm_app.db import session_scope
from crm_app.exchange.imports import deciding, dry_run, lifecycle, mapping, rows, running
from crm_app.exchange.models import ImportRow
from crm_app.exchange.reading import ReaderFailed, _Share, rows_read_apart
from crm_app.settings import settings
from tests.exchange.helpers import run, set_options, upload, write, xlsx_bytes

HEADERS = ["Prénom", "Nom", "Téléphone", "E-mail"]


def _rows(n: int) -> list[list[object]]:
    return [[f"Anna{i}", f"Nowak{i}", f"+48 601 000 {i:03d}", f"anna{i}@example.pl"] for i in range(n)]


def _counting_reads(monkeypatch) -> list[int]:
    """The numbers of the rows read from their cells from now on (by the dry run or the run)."""
    calls: list[int] = []
    real = rows.read_row

    def counted(ctx, number, cells):
        calls.append(number)
        return real(ctx, number, cells)

    monkeypatch.setattr(rows, "read_row", counted)
    monkeypatch.setattr(dry_run, "read_row", counted)
    return calls


def _children() -> set[str]:
    """This process's child processes (running or not yet waited for)."""
    found: set[str] = set()
    for task in Path("/proc/self/task").iterdir():
        found |= set((task / "children").read_text().split())
    return found


def _kept_files(folder: Path) -> list[str]:
    return sorted(p.name.split(".", 1)[1] for p in (folder / "imports").iterdir() if "." in p.name)


def _counting_checks(monkeypatch) -> list[int]:
    """One entry per row validated as a new contact from now on."""
    calls: list[int] = []
    real = batch.validate_new

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "validate_new", counted)
    return calls


def test_the_run_reuses_the_rows_the_dry_run_read_and_its_verdicts(engine, monkeypatch):
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(5)]))
    dry_run.dry_run(import_id=job.id, engine=engine)
    reads, checks = _counting_reads(monkeypatch), _counting_checks(monkeypatch)
    done = run(engine, job.id)
    assert reads == [] and checks == []
    assert (done.status, done.created_count) == ("done", 5)
    with session_scope(engine) as s:
        pairs = s.execute(select(Contact.first_name, Phone.e164).join(Phone, Phone.contact_id == Contact.id)).all()
    assert sorted(pairs) == [(f"Anna{i}", f"+48601000{i:03d}") for i in range(5)]


def test_rows_are_read_again_when_what_reading_depends_on_changed_since_the_dry_run(engine, monkeypatch):
    job = upload(engine, xlsx_bytes([HEADERS, ["Anna", "Nowak", "06 12 34 56 78 (Atelier)", "anna@example.pl"]]))
    job = set_options(engine, job, on_bad_value="reject")
    dry = dry_run.dry_run(import_id=job.id, engine=engine)
    assert (dry.create, dry.reject) == (0, 1)
    with session_scope(engine) as s:
        s.add(PhoneType(name="Atelier"))
    reads = _counting_reads(monkeypatch)
    done = run(engine, job.id)
    assert reads == [2]
    assert (done.created_count, done.rejected_count) == (1, 0)
    with session_scope(engine) as s:
        assert s.execute(select(Phone.type)).scalar_one() == "Atelier"


def test_rows_are_checked_again_when_what_validating_them_reads_changed_since_the_dry_run(engine, monkeypatch):
    from crm_app.fields.definitions import BUILTIN_TYPE
    from crm_app.fields.models import FieldDefinition

    data = [HEADERS, *_rows(3), ["Memo", "Filled", "", "memo@example.pl"]]
    job = upload(engine, xlsx_bytes([[*data[0], "Notes"], *[[*row, ""] for row in data[1:4]], [*data[4], "kept"]]))
    dry = dry_run.dry_run(import_id=job.id, engine=engine)
    assert (dry.create, dry.reject) == (4, 0)
    with session_scope(engine) as s:
        s.add(FieldDefinition(kind="person", key="memo", label="Memo", type=BUILTIN_TYPE, builtin=True, required=True))
    reads, checks = _counting_reads(monkeypatch), _counting_checks(monkeypatch)
    done = run(engine, job.id)
    assert reads == [] and len(checks) == 4
    assert (done.created_count, done.rejected_count) == (1, 3)
    with session_scope(engine) as s:
        assert s.execute(select(Contact.first_name)).scalars().all() == ["Memo"]


def test_a_new_dry_run_after_a_mapping_change_replaces_the_rows_kept(engine, monkeypatch):
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(3)]))
    dry_run.dry_run(import_id=job.id, engine=engine)
    without_last_name = [dict(m, target="") if m["target"] == "last_name" else m for m in job.mapping]
    with session_scope(engine) as s:
        mapping.update_mapping(s, import_id=job.id, mapping=without_last_name, options={}, actor_id=None)
    dry_run.dry_run(import_id=job.id, engine=engine)
    reads = _counting_reads(monkeypatch)
    done = run(engine, job.id)
    assert reads == [] and done.created_count == 3
    with session_scope(engine) as s:
        assert set(s.execute(select(Contact.last_name)).scalars()) == {""}


def test_a_resumed_run_takes_up_the_kept_rows_where_it_stopped(engine, monkeypatch):
    monkeypatch.setattr(settings, "import_batch_size", 10)
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(25)]))
    dry_run.dry_run(import_id=job.id, engine=engine)
    reads = _counting_reads(monkeypatch)
    first = run(engine, job.id, stop_after_batches=1)
    assert first.processed_rows == 10
    done = running.run_import(import_id=job.id, worker="test-worker", engine=engine)
    assert reads == []
    assert (done.status, done.processed_rows, done.created_count) == ("done", 25, 25)
    with session_scope(engine) as s:
        pairs = s.execute(select(Contact.first_name, Email.address).join(Email, Email.contact_id == Contact.id)).all()
    assert sorted(pairs) == sorted((f"Anna{i}", f"anna{i}@example.pl") for i in range(25))


def _stored_job(engine, import_id: int):
    with session_scope(engine) as s:
        job = lifecycle.import_job(s, import_id)
        s.expunge(job)
        return job


@pytest.fixture
def read_apart(monkeypatch):
    """Every workbook is read by a child process, whatever its size."""
    monkeypatch.setattr(rows, "READ_APART_FROM_BYTES", 0)


ODD_ROWS = [
    ["Prénom", "Nom", "Notes", "Anniversaire", "Remise", "Fournisseur"],
    ["Łucja", "Wiśniewska-Ōe 李", "=SUM(A1)\nsecond line", datetime(1990, 2, 3), 12.5, True],
    [None, None, None, None, None, None],
    ["007", "  Nowak ", "x" * 5000, date(2001, 1, 31), 3, False],
    ["Anna", None, "+48 ok", datetime(2020, 5, 6, 7, 8, 9), "7,5", None],
]


def test_a_workbook_read_by_a_child_process_gives_the_same_rows_and_outcome(engine, exchange_folder, monkeypatch):
    data = xlsx_bytes(ODD_ROWS)
    here = upload(engine, data)
    expected = dry_run.dry_run(import_id=here.id, engine=engine)
    cached = rows._cache_path(_stored_job(engine, here.id)).read_text(encoding="utf-8")
    monkeypatch.setattr(rows, "READ_APART_FROM_BYTES", 0)
    started: list[object] = []
    real = rows.rows_read_apart

    def recorded(*args, **kwargs):
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(rows, "rows_read_apart", recorded)
    apart = upload(engine, data, "again.xlsx")
    result = dry_run.dry_run(import_id=apart.id, engine=engine)
    assert len(started) == 1
    assert result.model_dump(exclude={"seconds"}) == expected.model_dump(exclude={"seconds"})
    assert rows._cache_path(_stored_job(engine, apart.id)).read_text(encoding="utf-8") == cached
    done = run(engine, apart.id)
    assert (done.created_count, done.rejected_count) == (expected.create, expected.reject)
    assert not _children()


def test_a_refusal_found_by_the_child_reads_like_one_found_here(engine, exchange_folder, read_apart, monkeypatch):
    monkeypatch.setattr(settings, "max_import_rows", 3)
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(5)]))
    with pytest.raises(ValidationError) as info:
        dry_run.dry_run(import_id=job.id, engine=engine)
    assert "more than 3 rows" in info.value.message
    stored = _stored_job(engine, job.id)
    assert stored.status == "uploaded"
    assert stored.dry_run["state"] == "failed" and "more than 3 rows" in stored.dry_run["error"]
    assert _kept_files(exchange_folder) == ["xlsx"]
    assert not _children()


def test_a_child_that_dies_fails_the_dry_run_with_a_clear_error(engine, exchange_folder, read_apart, monkeypatch):
    dying = write(exchange_folder.parent / "dying.sh", b"#!/bin/sh\necho 'reader crashed' >&2\nkill -9 $$\n")
    dying.chmod(0o755)
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(5)]))
    monkeypatch.setattr(sys, "executable", str(dying))
    with pytest.raises(ReaderFailed, match=r"exit code -9\).*reader crashed"):
        dry_run.dry_run(import_id=job.id, engine=engine)
    with session_scope(engine) as s:
        read = lifecycle.get_import(s, import_id=job.id)
    assert (read.status, read.dry_run.state) == ("uploaded", "failed")
    assert _kept_files(exchange_folder) == ["xlsx"]
    assert not _children()


def test_a_child_that_cannot_start_leaves_the_reading_here(engine, exchange_folder, read_apart, monkeypatch):
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(5)]))
    monkeypatch.setattr(sys, "executable", str(exchange_folder.parent / "no-such-python"))
    result = dry_run.dry_run(import_id=job.id, engine=engine)
    assert (result.rows, result.create) == (5, 5)
    assert _kept_files(exchange_folder) == ["xlsx", "xlsx.dry", "xlsx.parsed", "xlsx.rows"]


def test_leaving_the_rows_early_stops_the_child(tmp_path):
    path = write(tmp_path / "big.xlsx", xlsx_bytes([HEADERS, *_rows(3000)]))
    config = {
        "path": str(path),
        "file_format": "xlsx",
        "cache": str(tmp_path / "rows.part"),
        "max_rows": 10_000,
        "batch": 100,
        "database": None,
    }
    with rows_read_apart(config, context=None) as rows:
        assert next(rows) == (2, ("Anna0", "Nowak0", "+48 601 000 000", "anna0@example.pl"), None)
        assert _children()
    assert not _children()


def test_a_run_without_kept_rows_reads_the_file_and_fails_with_the_reason_it_gives(engine, monkeypatch):
    monkeypatch.setattr(settings, "import_batch_size", 2)
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(5)]))
    dry_run.dry_run(import_id=job.id, engine=engine)
    rows.drop_kept_files(_stored_job(engine, job.id))
    monkeypatch.setattr(settings, "max_import_rows", 3)
    failed = run(engine, job.id)
    assert (failed.status, failed.processed_rows) == ("failed", 2)
    assert "more than 3 rows" in failed.error


MIXED = [
    HEADERS,
    *_rows(60),
    ["", "", "", "nameless@example.pl"],
    ["Bad", "Phone", "06 12", "bad.phone@example.pl"],
    ["Twin", "Row", "+48 601 000 001", "twin@example.pl"],
    ["Known", "Person", "", "known@example.pl"],
    *_rows(60)[55:],
]


def _outcome(engine, data: bytes, monkeypatch, *patches) -> tuple[list, list]:
    """Import ``data`` into a fresh database: (every row's account, every contact with its phones and e-mails);
    ``patches`` are (module, name, value) set meanwhile."""
    from crm_app.contacts import service as contacts
    from crm_app.contacts.schemas import ContactIn, EmailIn

    with monkeypatch.context() as patched:
        for module, name, value in patches:
            patched.setattr(module, name, value)
        patched.setattr(settings, "import_batch_size", 8)
        with session_scope(engine) as s:
            contacts.create_contact(
                s, data=ContactIn(first_name="Old", emails=[EmailIn(address="known@example.pl")]), actor_id=None
            )
        job = upload(engine, xlsx_bytes(data) if isinstance(data, list) else data, "clients.csv")
        dry_run.dry_run(import_id=job.id, engine=engine)
        done = run(engine, job.id)
    assert done.status == "done"
    with session_scope(engine) as s:
        accounts = [
            (r.row_number, r.action, r.problems, r.cells)
            for r in s.execute(select(ImportRow).order_by(ImportRow.row_number)).scalars()
        ]
        people = sorted(
            s.execute(
                select(Contact.first_name, Contact.last_name, Phone.e164, Email.address)
                .outerjoin(Phone, Phone.contact_id == Contact.id)
                .outerjoin(Email, Email.contact_id == Contact.id)
            ).all(),
            key=repr,
        )
    return accounts, people


def _fresh_engine(tmp_path, name: str):
    from crm_app.db import build_engine
    from tests.conftest import _create_schema

    eng = build_engine(f"sqlite:///{tmp_path / name}")
    _create_schema(eng)
    return eng


def _csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue().encode()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_rows_checked_by_a_child_process_give_the_same_accounts_as_rows_checked_here(
    tmp_path, monkeypatch, file_format
):
    data = MIXED if file_format == "xlsx" else _csv_bytes(MIXED)
    here = _fresh_engine(tmp_path, "here.db")
    expected = _outcome(here, data, monkeypatch)
    here.dispose()
    slow_decide = deciding.Planner.decide

    def behind(self, *args, **kwargs):
        if not self.write:
            time.sleep(0.4)  # the dry run falls behind: the child checks the next batches itself
        return slow_decide(self, *args, **kwargs)

    apart = _fresh_engine(tmp_path, "apart.db")
    reads, validated = _counting_reads(monkeypatch), _counting_checks(monkeypatch)
    got = _outcome(apart, data, monkeypatch, (rows, "READ_APART_FROM_BYTES", 0), (dry_run, "Planner", _planner(behind)))
    apart.dispose()
    assert got == expected
    assert expected[0] and any(action == "rejected" for _n, action, _p, _c in expected[0])
    assert len(reads) < len(MIXED) - 1, "the child read and checked some rows of the dry run"
    assert len(validated) < len(MIXED) - 1, "the child checked some rows, the run reused the verdicts"
    assert not _children()


def _planner(decide):
    return type("SlowPlanner", (deciding.Planner,), {"decide": decide})


def test_a_validated_new_contact_survives_its_json_form_unchanged(engine):
    import json
    from decimal import Decimal

    from crm_app.contacts import batch
    from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
    from crm_app.core.app_settings import get_settings

    data = ContactIn(
        first_name="Łucja",
        last_name="Nowak",
        discount_percent="7,5",
        memo="line\nline",
        phones=[PhoneIn(number="06 12 34 56 78", whatsapp=True), PhoneIn(number="+48 601 234 567", type="work")],
        emails=[EmailIn(address="l@example.pl", email_ok=True)],
        addresses=[AddressIn(line1="2 rue X", city="Lyon", country="FR", is_main=True), AddressIn(city="Kraków")],
        tags=["VIP", "Nouveau"],
    )
    with session_scope(engine) as s:
        plan = batch.validate_new(s, data=data, settings=get_settings(s))
    assert isinstance(plan.scalars["discount_percent"], Decimal)
    back = batch.validated_from_json(json.loads(json.dumps(batch.validated_json(plan))))
    assert back == plan
    plan.custom["odd"] = object()
    assert batch.validated_json(plan) is None


def test_rows_are_not_kept_when_what_validating_them_reads_changed_during_the_dry_run(engine, monkeypatch):
    monkeypatch.setattr(settings, "import_batch_size", 2)
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(5)]))
    real = deciding.Planner.decide

    def changing(self, *args, **kwargs):
        if not self.write and not getattr(self, "changed", False):
            self.changed = True
            with session_scope(engine) as s:
                s.add(PhoneType(name="Atelier"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(dry_run, "Planner", _planner(changing))
    dry_run.dry_run(import_id=job.id, engine=engine)
    assert not rows._parsed_path(_stored_job(engine, job.id)).exists()
    reads = _counting_reads(monkeypatch)
    assert run(engine, job.id).created_count == 5
    assert len(reads) == 5


def test_a_reading_child_that_cannot_reach_the_import_leaves_the_checking_here(tmp_path, monkeypatch):
    here = _fresh_engine(tmp_path, "here.db")
    expected = _outcome(here, MIXED, monkeypatch)
    here.dispose()
    slow_decide = deciding.Planner.decide

    def behind(self, *args, **kwargs):
        if not self.write:
            time.sleep(0.3)
        return slow_decide(self, *args, **kwargs)

    elsewhere = _fresh_engine(tmp_path, "elsewhere.db")
    apart = _fresh_engine(tmp_path, "apart.db")
    reads = _counting_reads(monkeypatch)
    got = _outcome(
        apart,
        MIXED,
        monkeypatch,
        (rows, "READ_APART_FROM_BYTES", 0),
        (dry_run, "Planner", _planner(behind)),
        (rows, "_helper_database", lambda _engine: elsewhere.url.render_as_string(hide_password=False)),
    )
    assert got == expected
    assert len(reads) == len(MIXED) - 1
    assert not _children()
    apart.dispose()
    elsewhere.dispose()


def test_the_reading_child_checks_more_of_each_batch_while_the_dry_run_is_behind_and_less_once_it_waits():
    share = _Share()
    first = share.of(1000, caller_behind=True)
    assert first == 600
    assert [share.of(1000, caller_behind=True) for _ in range(6)][-1] == 1000
    assert share.of(1000, caller_behind=False) == 900
    assert [share.of(1000, caller_behind=False) for _ in range(12)][-1] == 0
