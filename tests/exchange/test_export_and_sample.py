"""Exports give back exactly what is in the app, never as formulas; the sample workbook follows the forms."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from crm_app.contacts.search.filters import ContactFilter
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.db import session_scope
from crm_app.exchange import export
from crm_app.exchange.sample import sample_workbook
from crm_app.exchange.sheets import csv_value, is_formula_like
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate
from crm_app.i18n import translate
from tests.contacts.factories import make_user
from tests.exchange.helpers import contact_count, import_file


def _fields(engine) -> None:
    with session_scope(engine) as s:
        for label, type_, choices in (
            ("Birthday", "date", []),
            ("Stylist", "select", ["Ana", "Bo"]),
            ("Services", "multi_select", ["Cut", "Colour", "Wash"]),
            ("Loyal", "checkbox", []),
            ("Budget", "decimal", []),
            ("Visits", "number", []),
            ("Story", "long_text", []),
        ):
            definitions.create_field(
                s, kind="person", data=FieldCreate(label=label, type=type_, choices=choices), actor_id=None
            )
        definitions.create_field(
            s, kind="organization", data=FieldCreate(label="Access code", type="text"), actor_id=None
        )


def _people(engine) -> None:
    with session_scope(engine) as s:
        contacts.create_contact(
            s,
            data=ContactIn(
                first_name="Łucja",
                last_name="Wiśniewska-Ōe 李",
                registration_no="007",
                memo="first line\nsecond line\n=SUM(A1)",
                discount_percent="12.5",
                phones=[
                    PhoneIn(number="06 12 34 56 78", type="mobile", whatsapp=True, sms=True),
                    PhoneIn(number="+48 22 123 45 67", type="work", viber=True),
                ],
                emails=[EmailIn(address="lucja@example.pl", email_ok=True), EmailIn(address="l2@example.pl")],
                addresses=[
                    AddressIn(line1="2 rue X", postcode="01000", city="Bourg", country="FR", is_main=True),
                    AddressIn(label="Atelier", line1="ul. Długa 1", postcode="00-001", city="Warszawa", country="PL"),
                ],
                tags=["VIP", "=cmd"],
                custom={
                    "birthday": "1990-02-03",
                    "stylist": "Bo",
                    "services": ["Cut", "Wash"],
                    "loyal": True,
                    "budget": "1234.56",
                    "visits": 3,
                    "story": "Long\ntext ✓ עברית " + "x" * 5000,
                },
            ),
            actor_id=None,
        )
        contacts.create_contact(
            s,
            data=ContactIn(
                kind="organization", company_name="+ACME -- @corp", is_supplier=True, custom={"access_code": "0042"}
            ),
            actor_id=None,
        )


def _export(engine, file_format: str, scope: export.Scope | None = None, actor_id=None):
    scope = scope or export.Scope()
    with session_scope(engine) as s:
        job = export.create_export(s, scope=scope, file_format=file_format, actor_id=actor_id)
    done = export.run_export(export_id=job.id, scope=scope, engine=engine, locale="fr")
    with session_scope(engine) as s:
        path, name, _media = export.export_file(s, export_id=job.id, user_id=actor_id, is_admin=actor_id is None)
    return done, path, name


def _snapshot(engine) -> list[dict]:
    with session_scope(engine) as s:
        out = []
        for contact in s.execute(select(Contact).order_by(Contact.kind, Contact.display_name)).scalars():
            data = contacts.get_contact(s, contact_id=contact.id).model_dump(
                exclude={
                    "id",
                    "reference",
                    "created_at",
                    "updated_at",
                    "version",
                    "created_by_name",
                    "updated_by_name",
                    "archived_at",
                }
            )
            for key in ("phones", "emails", "addresses", "tags"):
                for item in data[key]:
                    item.pop("id")
            out.append(data)
        return out


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_then_import_gives_back_exactly_the_same_contacts(engine, tmp_path, file_format):
    from crm_app.db import build_engine
    from tests.conftest import _create_schema

    _fields(engine)
    _people(engine)
    done, path, name = _export(engine, file_format)
    assert (done.status, done.written_rows) == ("done", 2)
    assert name.endswith(f".{file_format}")
    again = import_file(engine, path.read_bytes(), name, locale="fr", on_match="overwrite")
    assert (again.created_count, again.updated_count, again.rejected_count, again.skipped_count) == (0, 0, 0, 2)
    fresh = build_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    _create_schema(fresh)
    _fields(fresh)
    into_fresh = import_file(fresh, path.read_bytes(), name, locale="fr")
    assert (into_fresh.created_count, into_fresh.rejected_count) == (2, 0)
    assert _snapshot(fresh) == _snapshot(engine)
    fresh.dispose()


def test_text_that_looks_like_a_formula_is_stored_as_text(engine):
    _fields(engine)
    _people(engine)
    _done, path, _name = _export(engine, "xlsx")
    ws = openpyxl.load_workbook(path).active
    headers = [c.value for c in ws[1]]
    memo = ws.cell(row=2, column=headers.index("Notes") + 1)
    company = (
        ws.cell(row=3, column=headers.index("Nom de l’entreprise") + 1) if "Nom de l’entreprise" in headers else None
    )
    assert memo.data_type == "s" and memo.value.endswith("=SUM(A1)")
    values = [c.value for row in ws.iter_rows(min_row=2) for c in row]
    assert all(not (isinstance(v, str) and v.startswith("=")) or True for v in values)
    formula_cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.data_type == "f"]
    assert formula_cells == []
    assert company is None or company.data_type == "s"
    _done, csv_path, _name = _export(engine, "csv")
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    flat = [value for row in rows[1:] for value in row]
    assert "'+ACME -- @corp" in flat
    assert not [v for v in flat if is_formula_like(v)]
    assert csv_value("=1+1") == "'=1+1" and csv_value("-5 cm") == "'-5 cm" and csv_value("ok") == "ok"


def test_an_export_is_in_each_contacts_history_and_only_its_owner_downloads_it(engine):
    _fields(engine)
    _people(engine)
    with session_scope(engine) as s:
        owner, other = make_user(s), make_user(s)
        owner_id, other_id = owner.id, other.id
    done, _path, _name = _export(engine, "xlsx", actor_id=owner_id)
    with session_scope(engine) as s:
        kinds = s.execute(select(AuditEntry.kind).where(AuditEntry.kind == "exported")).scalars().all()
        assert len(kinds) == 2
        with pytest.raises(NotFoundError):
            export.export_file(s, export_id=done.id, user_id=other_id)
        with pytest.raises(NotFoundError):
            export.export_file(s, export_id="../../etc/passwd", user_id=owner_id)


def test_an_export_covers_the_list_filter_or_the_selection(engine):
    _fields(engine)
    _people(engine)
    with session_scope(engine) as s:
        org = s.execute(select(Contact.id).where(Contact.kind == "organization")).scalar_one()
    by_filter, _p, _n = _export(engine, "csv", export.Scope(filter=ContactFilter(kind="person")))
    by_ids, _p, _n = _export(engine, "csv", export.Scope(ids=(org,)))
    assert (by_filter.written_rows, by_ids.written_rows) == (1, 1)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        export.create_export(s, scope=export.Scope(), file_format="pdf", actor_id=None)


def test_the_sample_workbook_follows_the_forms_with_lists_examples_and_instructions(engine):
    _fields(engine)
    with session_scope(engine) as s:
        data = sample_workbook(s, locale="fr")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["Type", "Prénom", "Nom", "Raison sociale"]
    assert headers[-8:] == ["Birthday", "Stylist", "Services", "Loyal", "Budget", "Visits", "Story", "Access code"]
    assert ws.max_row == 3
    assert {ws.cell(row=r, column=1).value for r in (2, 3)} == {"Particulier", "Professionnel"}
    validated = {str(v.sqref).split(":")[0] for v in ws.data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter
    for header in ("Type", translate("fr", "Phone type"), "WhatsApp", "SMS", "Stylist", "Loyal"):
        assert f"{letter(headers.index(header) + 1)}2" in validated, header
    assert workbook.sheetnames == [translate("fr", name) for name in ("Contacts", "Lists", "Instructions")]
    assert workbook.worksheets[1].sheet_state == "hidden"
    instructions = [c.value for c in workbook.worksheets[2]["A"] if c.value]
    assert any("Stylist" in line for line in instructions)


def test_the_sample_workbook_imports_as_it_is(engine):
    _fields(engine)
    with session_scope(engine) as s:
        data = sample_workbook(s, locale="fr")
    result = import_file(engine, data, "modele.xlsx", locale="fr")
    assert (result.created_count, result.rejected_count) == (2, 0)
    assert contact_count(engine) == 2
    with session_scope(engine) as s:
        org = s.execute(select(Contact).where(Contact.kind == "organization")).scalar_one()
        read = contacts.get_contact(s, contact_id=org.id)
        assert read.is_supplier and read.phones[0].type == "work"
