"""Imports: every row accounted for, nothing written before the run, duplicates found, batches whole, undo."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact, Email, Phone
from crm_app.contacts.schemas import ContactIn, EmailIn, PhoneIn
from crm_app.core.errors import ValidationError
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import utcnow
from crm_app.db import session_scope
from crm_app.exchange import reports
from crm_app.exchange.imports import dry_run, lifecycle, mapping, running, undo
from crm_app.exchange.models import ImportJob, ImportRow
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate
from tests.exchange.helpers import contact_count, import_file, run, set_options, upload, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
HEADERS = ["Prénom", "Nom", "Téléphone", "E-mail", "Ville", "Tags"]


def _rows(n: int, start: int = 0) -> list[list[object]]:
    return [
        [
            f"Anna{i}",
            f"Nowak{i}",
            f"+48 601 {i // 1000 % 1000:03d} {i % 1000:03d}",
            f"anna{i}@example.pl",
            "Kraków",
            "VIP",
        ]
        for i in range(start, start + n)
    ]


def _existing(engine, **values) -> int:
    data = {"first_name": "Jean", "last_name": "Martin", **values}
    with session_scope(engine) as s:
        return contacts.create_contact(s, data=ContactIn(**data), actor_id=None).id


def test_the_dry_run_counts_every_row_and_writes_nothing(any_engine):
    data = xlsx_bytes(
        [HEADERS, *_rows(3), ["", "", "06 12", "bad@", "", ""], ["Anna0", "Bis", "", "anna0@example.pl", "", ""]]
    )
    job = upload(any_engine, data)
    result = dry_run.dry_run(import_id=job.id, engine=any_engine)
    assert (result.rows, result.create, result.reject, result.skip) == (5, 3, 1, 1)
    messages = {(r.action, r.column, r.message) for r in result.reasons}
    assert ("rejected", "Téléphone", "06 12: This phone number is too short for France.") in messages
    assert ("skipped", "", "Skipped as a duplicate of row 2 (same e-mail address).") in messages
    assert contact_count(any_engine) == 0
    with session_scope(any_engine) as s:
        assert s.execute(select(func.count()).select_from(ImportRow)).scalar_one() == 0
        assert lifecycle.get_import(s, import_id=job.id).status == "checked"


def test_the_run_creates_contacts_with_their_phones_emails_addresses_tags_and_history(any_engine):
    result = import_file(any_engine, xlsx_bytes([HEADERS, *_rows(3)]))
    assert (result.status, result.created_count, result.rejected_count) == ("done", 3, 0)
    with session_scope(any_engine) as s:
        contact = s.execute(select(Contact).where(Contact.first_name == "Anna1")).scalar_one()
        read = contacts.get_contact(s, contact_id=contact.id)
        assert read.phones[0].e164 == "+48601000001"
        assert read.emails[0].address == "anna1@example.pl"
        assert read.addresses[0].city == "Kraków" and read.addresses[0].is_main
        assert [t.name for t in read.tags] == ["VIP"]
        assert read.reference.startswith("C-")
        history = s.execute(select(AuditEntry.kind, AuditEntry.new).where(AuditEntry.contact_id == contact.id)).all()
        assert history[0][0] == "created" and f"import #{result.id}" in history[0][1]


def test_the_run_refuses_to_start_before_a_dry_run_or_after_the_options_changed(engine):
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(1)]))
    with session_scope(engine) as s, pytest.raises(ValidationError, match="dry run"):
        lifecycle.start_import(s, import_id=job.id, actor_id=None, worker="w")
    dry_run.dry_run(import_id=job.id, engine=engine)
    job = set_options(engine, job, on_match="overwrite")
    with session_scope(engine) as s, pytest.raises(ValidationError, match="dry run"):
        lifecycle.start_import(s, import_id=job.id, actor_id=None, worker="w")


def test_rows_matching_existing_contacts_follow_the_duplicate_rule(any_engine):
    kept = _existing(any_engine, emails=[EmailIn(address="anna0@example.pl")], registration_no="")
    full = _existing(any_engine, first_name="Zofia", last_name="Old", phones=[PhoneIn(number="+48 601 000 001")])
    data = xlsx_bytes([HEADERS, *_rows(2)])
    skipped = import_file(any_engine, data, on_match="skip")
    assert (skipped.created_count, skipped.updated_count, skipped.skipped_count) == (0, 0, 2)
    filled = import_file(any_engine, data, name="again.xlsx", on_match="fill")
    assert (filled.created_count, filled.updated_count) == (0, 2)
    with session_scope(any_engine) as s:
        first = contacts.get_contact(s, contact_id=kept)
        assert (first.first_name, first.last_name) == ("Jean", "Martin")
        assert [p.e164 for p in first.phones] == ["+48601000000"]
        assert first.addresses[0].city == "Kraków"
        second = contacts.get_contact(s, contact_id=full)
        assert second.last_name == "Old"
        assert [e.address for e in second.emails] == ["anna1@example.pl"]
    overwritten = import_file(any_engine, data, name="third.xlsx", on_match="overwrite")
    assert overwritten.updated_count == 2
    with session_scope(any_engine) as s:
        second = contacts.get_contact(s, contact_id=full)
        assert (second.first_name, second.last_name) == ("Anna1", "Nowak1")
        assert [p.e164 for p in second.phones] == ["+48601000001"]
    assert contact_count(any_engine) == 2


def test_running_the_same_file_twice_creates_nobody_twice(engine):
    data = xlsx_bytes([HEADERS, *_rows(20)])
    first = import_file(engine, data)
    again = upload(engine, data, "copy.xlsx")
    dry = dry_run.dry_run(import_id=again.id, engine=engine)
    assert any("already imported" in w for w in dry.warnings)
    second = run(engine, again.id)
    assert (first.created_count, second.created_count, second.skipped_count) == (20, 0, 20)
    assert contact_count(engine) == 20


def test_a_row_matching_two_contacts_is_rejected_and_a_repeated_row_skipped_with_the_reason(engine):
    _existing(engine, emails=[EmailIn(address="anna0@example.pl")])
    _existing(engine, first_name="Other", phones=[PhoneIn(number="+48 601 000 000")])
    rows = [HEADERS, *_rows(1), ["Bob", "Twin", "+48 601 000 005", "anna0@example.pl", "", ""]]
    result = import_file(engine, xlsx_bytes(rows))
    with session_scope(engine) as s:
        problems = [
            r.problems[0]["message"] for r in s.execute(select(ImportRow).order_by(ImportRow.row_number)).scalars()
        ]
    assert problems == [
        "This row matches several existing contacts: merge them first.",
        "Skipped as a duplicate of row 2 (same e-mail address).",
    ]
    assert (result.rejected_count, result.skipped_count) == (1, 1)


def test_rejected_rows_keep_their_cells_for_the_error_report(engine):
    data = xlsx_bytes([HEADERS, ["", "", "06 12", "", "", ""], ["Ok", "Row", "", "ok@example.com", "", ""]])
    result = import_file(engine, data)
    with session_scope(engine) as s:
        report = list(reports.reported_rows(s, import_id=result.id))
    assert report == [
        (
            2,
            "rejected",
            [None, None, "06 12", None, None, None],
            [
                {
                    "column": "Téléphone",
                    "message": "06 12: This phone number is too short for France.",
                    "kind": "rejected",
                },
                {"column": "", "message": "Enter a first or last name.", "kind": "rejected"},
            ],
        )
    ]


def test_custom_fields_are_validated_by_their_type_and_dates_may_be_text(engine):
    with session_scope(engine) as s:
        definitions.create_field(s, kind="person", data=FieldCreate(label="Anniversaire", type="date"), actor_id=None)
        definitions.create_field(
            s, kind="person", data=FieldCreate(label="Coiffeur", type="select", choices=["Ana", "Bo"]), actor_id=None
        )
    rows = [["Prénom", "Anniversaire", "Coiffeur"], ["Anna", "31/03/1990", "bo"], ["Bob", "31/02/1990", "Zed"]]
    result = import_file(engine, xlsx_bytes(rows), locale="fr", on_bad_value="reject")
    assert (result.created_count, result.rejected_count) == (1, 1)
    with session_scope(engine) as s:
        anna = s.execute(select(Contact).where(Contact.first_name == "Anna")).scalar_one()
        assert anna.custom["anniversaire"] == "1990-03-31"
        problems = s.execute(select(ImportRow.problems).where(ImportRow.action == "rejected")).scalar_one()
    assert {p["column"] for p in problems} == {"Anniversaire", "Coiffeur"}


def test_cancel_stops_after_a_whole_batch_and_the_import_resumes_where_it_stopped(engine, monkeypatch):
    from crm_app.settings import settings

    monkeypatch.setattr(settings, "import_batch_size", 10)
    job = upload(engine, xlsx_bytes([HEADERS, *_rows(35)]))
    dry_run.dry_run(import_id=job.id, engine=engine)
    first = run(engine, job.id, stop_after_batches=1)
    assert (first.status, first.processed_rows, first.created_count) == ("running", 10, 10)
    with session_scope(engine) as s:
        lifecycle.request_cancel(s, import_id=job.id)
    cancelled = running.run_import(import_id=job.id, worker="test-worker", engine=engine)
    assert (cancelled.status, cancelled.processed_rows) == ("cancelled", 10)
    done = run(engine, job.id)
    assert (done.status, done.processed_rows, done.created_count) == ("done", 35, 35)
    assert contact_count(engine) == 35


def test_an_import_killed_half_way_resumes_from_its_last_batch_with_exact_counts(tmp_path, exchange_folder):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    from crm_app.db import build_engine
    from tests.conftest import _create_schema

    engine = build_engine(url)
    _create_schema(engine)
    rows = _rows(3000)
    rows[1500][0] = rows[1500][1] = ""
    job = upload(engine, xlsx_bytes([HEADERS, *rows]))
    dry_run.dry_run(import_id=job.id, engine=engine)
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_UPLOAD_DIR": str(exchange_folder), "CRM_IMPORT_BATCH_SIZE": "50"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_app.cli", "imports", "run", str(job.id)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    processed = 0
    # A plain reader (WAL): the app's sessions begin IMMEDIATE and would queue behind the importer's batches.
    watcher = sqlite3.connect(tmp_path / "crash.db")
    while time.monotonic() < deadline and processed < 500:
        processed = watcher.execute("SELECT processed_rows FROM import_job WHERE id = ?", (job.id,)).fetchone()[0]
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    watcher.close()
    proc.wait(timeout=10)
    with session_scope(engine) as s:
        stopped = s.get(ImportJob, job.id)
        assert stopped.status == "running" and 500 <= stopped.processed_rows < 3000
        assert stopped.processed_rows % 50 == 0
        assert s.execute(select(func.count()).select_from(ImportRow)).scalar_one() == stopped.processed_rows
        created_so_far = s.execute(select(func.count()).select_from(Contact)).scalar_one()
        assert created_so_far == stopped.created_count
    with session_scope(engine) as s, pytest.raises(ValidationError, match="already running"):
        lifecycle.start_import(s, import_id=job.id, actor_id=None, worker="second")
    with session_scope(engine) as s:
        s.execute(update(ImportJob).where(ImportJob.id == job.id).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    done = run(engine, job.id, worker="second")
    assert (done.status, done.processed_rows, done.created_count, done.rejected_count) == ("done", 3000, 2999, 1)
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(Contact)).scalar_one() == 2999
        assert s.execute(select(func.count(func.distinct(Email.address)))).scalar_one() == 2999
        assert s.execute(select(func.count()).select_from(ImportRow)).scalar_one() == 3000
    engine.dispose()


def test_undo_removes_created_contacts_restores_overwritten_values_and_keeps_contacts_changed_since(any_engine):
    updated_id = _existing(any_engine, emails=[EmailIn(address="anna0@example.pl")])
    result = import_file(any_engine, xlsx_bytes([HEADERS, *_rows(3)]), on_match="overwrite")
    assert (result.created_count, result.updated_count) == (2, 1)
    with session_scope(any_engine) as s:
        changed = s.execute(select(Contact).where(Contact.first_name == "Anna2")).scalar_one()
        contacts.update_contact(
            s, contact_id=changed.id, data=ContactIn(first_name="Anna2", last_name="Edited"), actor_id=None
        )
    report = undo.undo_import(import_id=result.id, actor_id=None, engine=any_engine)
    assert (report["removed"], report["restored"], report["kept_count"]) == (1, 1, 1)
    assert "Edited" in report["kept"][0]["label"]
    with session_scope(any_engine) as s:
        restored = contacts.get_contact(s, contact_id=updated_id)
        assert (restored.first_name, restored.last_name) == ("Jean", "Martin")
        assert [p.e164 for p in restored.phones] == []
        assert restored.addresses == [] and restored.tags == []
        names = sorted(s.execute(select(Contact.last_name)).scalars())
        assert names == ["Edited", "Martin"]
        assert lifecycle.get_import(s, import_id=result.id).status == "undone"
        kinds = s.execute(select(AuditEntry.kind).where(AuditEntry.contact_id == updated_id)).scalars().all()
        assert "imported" in kinds and "import_undone" in kinds


def test_a_mapping_must_name_existing_fields_once(engine):
    job = upload(engine, xlsx_bytes([["Prénom", "Nom"], ["a", "b"]]))
    bad = [dict(m, target="first_name") for m in job.mapping]
    with session_scope(engine) as s, pytest.raises(ValidationError) as info:
        mapping.update_mapping(s, import_id=job.id, mapping=bad, options={}, actor_id=None)
    assert "mapping.1" in info.value.errors
    with session_scope(engine) as s, pytest.raises(ValidationError):
        mapping.update_mapping(s, import_id=job.id, mapping=[{"target": "custom.nope"}] * 2, options={}, actor_id=None)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        mapping.update_mapping(s, import_id=job.id, mapping="all", options={}, actor_id=None)


def test_phones_already_on_a_contact_keep_their_consents_unless_the_row_states_them(engine):
    cid = _existing(engine, phones=[PhoneIn(number="06 12 34 56 78", whatsapp=True)])
    rows = [["Prénom", "Téléphone", "SMS"], ["Jean", "06 12 34 56 78", "oui"]]
    import_file(engine, xlsx_bytes(rows), on_match="fill")
    with session_scope(engine) as s:
        phone = s.execute(select(Phone).where(Phone.contact_id == cid)).scalar_one()
        assert (phone.whatsapp, phone.sms, phone.raw) == (True, True, "06 12 34 56 78")


def test_imported_contacts_get_the_same_search_rows_a_full_reindex_gives(any_engine):
    from crm_app.contacts.models import ContactSearch
    from crm_app.contacts.search.documents import reindex_contacts
    from crm_app.contacts.service import get_or_create_tags

    with session_scope(any_engine) as s:
        get_or_create_tags(s, ["Vip"])
        definitions.create_field(
            s, kind="person", data=FieldCreate(label="Brand", type="text", searchable=True), actor_id=None
        )
    rows = [[*HEADERS, "Brand", "Rue"], *[[*r, f"QX{i}", f"{i} rue Haute"] for i, r in enumerate(_rows(5))]]
    rows[2][5] = "vip; Nouveau"
    import_file(any_engine, xlsx_bytes(rows))

    def snapshot():
        with session_scope(any_engine) as s:
            return sorted(tuple(r) for r in s.execute(select(ContactSearch.__table__)).all())

    before = snapshot()
    assert any("qx1" in row[3] and "vip" in row[3] for row in before)
    with session_scope(any_engine) as s:
        reindex_contacts(s, contact_ids=s.execute(select(Contact.id)).scalars().all())
    assert snapshot() == before
