"""Real files from France and Poland: numbers in the row's country, unusable values left out (and listed),
e-mails matched whatever their case or Unicode form, repeated rows skipped, every reason of the dry run."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import AcquisitionChannel, Contact, Email, Phone
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from crm_app.core.errors import ValidationError
from crm_app.db import session_scope
from crm_app.exchange import reports
from crm_app.exchange.imports import deciding, dry_run, lifecycle
from crm_app.exchange.models import ImportRow
from tests.exchange.helpers import contact_count, run, set_options, upload, xlsx_bytes

POLISH_HEADERS = ["Imię", "Nazwisko", "Telefon", "E-mail", "Miasto", "Kraj", "Źródło"]


def _polish_csv(rows: list[list[str]]) -> bytes:
    lines = [";".join(POLISH_HEADERS), *(";".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1250")


def _phones(engine) -> dict[str, list[str]]:
    with session_scope(engine) as s:
        pairs = s.execute(
            select(Contact.last_name, Phone.e164).join(Phone, Phone.contact_id == Contact.id).order_by(Phone.id)
        ).all()
    found: dict[str, list[str]] = {}
    for name, e164 in pairs:
        found.setdefault(name, []).append(e164)
    return found


def _channel(engine, name: str) -> None:
    with session_scope(engine) as s:
        s.add(AcquisitionChannel(name=name))


def test_numbers_without_a_country_code_take_the_country_of_the_row_address(engine):
    data = _polish_csv(
        [
            ["Anna", "Kowalska", "601 000 000", "", "Kraków", "Polska", ""],
            ["Jan", "Nowak", "(48) 601 003 003", "", "Gdańsk", "Pologne", ""],
            ["Ewa", "Wiśniewska", "601 000 002", "", "Poznań", "PL", ""],
            ["Marc", "Durand", "06 12 34 56 78", "", "Lyon", "France", ""],
            ["Zoé", "Sans-Pays", "06 12 34 56 79", "", "", "", ""],
            ["Olga", "Paryska", "+33 6 12 34 56 80", "", "Warszawa", "Poland", ""],
        ]
    )
    job = upload(engine, data, "klienci.csv", locale="pl")
    assert job.options.phone_region == "FR"
    dry = dry_run.dry_run(import_id=job.id, engine=engine)
    assert (dry.create, dry.reject) == (6, 0)
    flagged = [r for r in dry.reasons if r.action == "flagged"]
    assert [(r.column, r.message, r.rows) for r in flagged] == [
        ("Telefon", "+33 6 12 34 56 80: this number is from FR, the address is in PL.", [7])
    ]
    run(engine, job.id)
    assert _phones(engine) == {
        "Kowalska": ["+48601000000"],
        "Nowak": ["+48601003003"],
        "Wiśniewska": ["+48601000002"],
        "Durand": ["+33612345678"],
        "Sans-Pays": ["+33612345679"],
        "Paryska": ["+33612345680"],
    }


def test_a_phone_country_column_comes_first_and_the_wizard_choice_last(engine):
    rows = [
        ["Prénom", "Nom", "Téléphone", "Indicatif", "Pays"],
        ["Anna", "Column", "601 000 000", "+48", "France"],
        ["Jan", "Wizard", "601 000 001", "", ""],
    ]
    job = upload(engine, xlsx_bytes(rows), locale="fr")
    assert [m["target"] for m in job.mapping] == [
        "first_name",
        "last_name",
        "phones",
        "phone_country",
        "address.country",
    ]
    job = set_options(engine, job, phone_region="PL")
    dry_run.dry_run(import_id=job.id, engine=engine)
    run(engine, job.id)
    assert _phones(engine) == {"Column": ["+48601000000"], "Wizard": ["+48601000001"]}


def test_numbers_stored_as_integers_floats_or_text_keep_their_country(engine):
    rows = [
        ["Prénom", "Nom", "Portable", "Pays"],
        ["Int", "Fr", 612345678, "FR"],
        ["Float", "Fr", 33612345679.0, ""],
        ["Int", "Pl", 601000003, "Polska"],
        ["Text", "Pl", "0048601000004", "Pologne"],
    ]
    result = run(engine, _checked(engine, xlsx_bytes(rows)).id)
    assert result.created_count == 4
    assert _phones(engine) == {
        "Fr": ["+33612345678", "+33612345679"],
        "Pl": ["+48601000003", "+48601000004"],
    }


def test_a_number_typed_on_a_contact_whose_main_address_is_abroad_takes_that_country(engine):
    with session_scope(engine) as s:
        read = contacts.create_contact(
            s,
            data=ContactIn(
                first_name="Anna",
                addresses=[AddressIn(city="Kraków", country="PL", is_main=True)],
                phones=[PhoneIn(number="601 000 000")],
            ),
            actor_id=None,
        )
        home = contacts.create_contact(
            s, data=ContactIn(first_name="Marc", phones=[PhoneIn(number="06 12 34 56 78")]), actor_id=None
        )
    assert (read.phones[0].e164, home.phones[0].e164) == ("+48601000000", "+33612345678")


def _checked(engine, data: bytes, name: str = "clients.xlsx", **options):
    job = upload(engine, data, name, locale="fr")
    if options:
        job = set_options(engine, job, **options)
    dry_run.dry_run(import_id=job.id, engine=engine)
    return job


FRENCH = ["Prénom", "Nom", "Téléphone 1", "Téléphone 2", "E-mail", "Campagne", "Remise"]


def test_one_unusable_value_leaves_that_value_out_and_keeps_the_contact(engine):
    _channel(engine, "Salon")
    rows = [
        FRENCH,
        ["Anna", "Bon", "06 12 34 56 78", "06 12", "anna@exemple.fr", "Salon", "10"],
        ["Paul", "Mail", "06 12 34 56 79", "", "paul@@exemple", "Salon", ""],
        ["Léa", "Campagne", "06 12 34 56 80", "", "", "Inconnue", ""],
        ["Hugo", "Remise", "", "", "hugo@exemple.fr", "", "150"],
        ["", "", "06 12", "", "", "", "150"],
    ]
    job = _checked(engine, xlsx_bytes(rows))
    with session_scope(engine) as s:
        dry = lifecycle.get_import(s, import_id=job.id).dry_run
    assert (dry.create, dry.reject, dry.with_dropped) == (4, 1, 4)
    by_kind = {(r.action, r.column, r.message): r.rows for r in dry.reasons}
    assert by_kind[("dropped", "Téléphone 2", "06 12: This phone number is too short for France.")] == [2]
    assert by_kind[("dropped", "Remise", "Discount must be between 0 and 100.")] == [5]
    assert any(k[0] == "dropped" and k[1] == "E-mail" for k in by_kind)
    assert any(k[0] == "dropped" and k[1] == "Campagne" and "Inconnue" in k[2] for k in by_kind)
    # The row without a name is rejected with every one of its problems, each listed once.
    rejected = {k: v for k, v in by_kind.items() if k[0] == "rejected"}
    assert sorted(k[1] for k in rejected) == ["", "Remise", "Téléphone 1"]
    assert all(v == [6] for v in rejected.values())
    result = run(engine, job.id)
    assert (result.created_count, result.rejected_count) == (4, 1)
    with session_scope(engine) as s:
        anna = s.execute(select(Contact).where(Contact.first_name == "Anna")).scalar_one()
        assert [p.e164 for p in s.execute(select(Phone).where(Phone.contact_id == anna.id)).scalars()] == [
            "+33612345678"
        ]
        hugo = s.execute(select(Contact).where(Contact.first_name == "Hugo")).scalar_one()
        assert hugo.discount_percent == 0
        lea = s.execute(select(Contact).where(Contact.first_name == "Léa")).scalar_one()
        assert lea.acquisition_channel_id is None
        kinds = {
            number: sorted({p["kind"] for p in problems})
            for number, _action, _cells, problems in reports.reported_rows(s, import_id=job.id)
        }
    assert kinds == {2: ["dropped"], 3: ["dropped"], 4: ["dropped"], 5: ["dropped"], 6: ["rejected"]}


def test_with_reject_chosen_one_unusable_value_rejects_the_row(engine):
    rows = [FRENCH, ["Anna", "Bon", "06 12 34 56 78", "06 12", "anna@exemple.fr", "", ""]]
    job = _checked(engine, xlsx_bytes(rows), on_bad_value="reject")
    assert run(engine, job.id).rejected_count == 1
    assert contact_count(engine) == 0


def test_an_unusable_type_rejects_the_row_even_when_values_may_be_left_out(engine):
    rows = [["Type", "Nom"], ["Robot", "Dupont"], ["Personne", "Martin"]]
    job = _checked(engine, xlsx_bytes(rows))
    result = run(engine, job.id)
    assert (result.created_count, result.rejected_count) == (1, 1)


def test_e_mails_match_whatever_their_case_and_unicode_form_and_are_stored_as_written(engine):
    with session_scope(engine) as s:
        contacts.create_contact(
            s, data=ContactIn(first_name="Gaëlle", emails=[EmailIn(address="gaëlle1@exemple.fr")]), actor_id=None
        )
    decomposed = "GAE\u0308LLE1@exemple.fr"
    rows = [
        ["Prénom", "E-mail"],
        ["Gaëlle", "GAËLLE1@exemple.fr"],
        ["Élodie", "Élodie.Martin@Exemple.FR"],
        ["Élodie bis", "élodie.martin@exemple.fr"],
        ["Gaëlle bis", decomposed],
    ]
    job = _checked(engine, xlsx_bytes(rows))
    with session_scope(engine) as s:
        dry = lifecycle.get_import(s, import_id=job.id).dry_run
    assert (dry.create, dry.skip, dry.reject) == (1, 3, 0)
    messages = {(r.message, tuple(r.rows)) for r in dry.reasons}
    assert ("Skipped as a duplicate of row 3 (same e-mail address).", (4,)) in messages
    assert ("Skipped as a duplicate of row 2 (same e-mail address).", (5,)) in messages
    run(engine, job.id)
    with session_scope(engine) as s:
        stored = sorted(s.execute(select(Email.address)).scalars())
    assert stored == ["gaëlle1@exemple.fr", "Élodie.Martin@exemple.fr"]


def test_the_dry_run_lists_every_reason_and_says_how_many_more_groups_exist(engine, monkeypatch):
    monkeypatch.setattr(deciding, "MAX_REASONS", 2)
    rows = [["Prénom", "Téléphone"], *[[f"P{i}", f"06 {i:02d}"] for i in range(4)]]
    job = _checked(engine, xlsx_bytes(rows))
    with session_scope(engine) as s:
        dry = lifecycle.get_import(s, import_id=job.id).dry_run
    assert (len(dry.reasons), dry.more_reasons) == (2, 2)


def test_the_dry_run_report_is_the_file_layout_with_result_and_reasons(engine, tmp_path):
    rows = [
        FRENCH,
        ["Anna", "Bon", "06 12 34 56 78", "06 12", "anna@exemple.fr", "", ""],
        ["Anna", "Bis", "", "", "ANNA@exemple.fr", "", ""],
        ["Ok", "Fine", "06 12 34 56 79", "", "", "", ""],
        ["", "", "", "", "", "", "150"],
    ]
    job = _checked(engine, xlsx_bytes(rows))
    path = tmp_path / "dry.xlsx"
    with session_scope(engine) as s:
        name = reports.dry_run_report(s, import_id=job.id, path=path, locale="en")
    assert name == "clients-dry-run.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == [*FRENCH, "Result", "Problems", "Row"]
    assert [(row[7], row[9]) for row in values[1:]] == [("Created", 2), ("Skipped", 3), ("Rejected", 5)]
    assert values[1][8] == "Left out — Téléphone 2: 06 12: This phone number is too short for France."
    assert values[2][8] == "Skipped as a duplicate of row 2 (same e-mail address)."
    assert "Remise: Discount must be between 0 and 100." in values[3][8]
    with session_scope(engine) as s:
        assert s.execute(select(ImportRow)).first() is None


@pytest.mark.parametrize("choice", ["XX", "Pologne", 12, None])
def test_the_phone_country_choice_is_checked(engine, choice):
    job = upload(engine, xlsx_bytes([["Nom"], ["A"]]))
    with pytest.raises(ValidationError):
        set_options(engine, job, phone_region=choice)


def test_an_organisation_row_with_a_person_s_names_keeps_them_in_its_notes_and_says_so(engine):
    rows = [
        ["Type", "Raison sociale", "Prénom", "Nom", "Notes"],
        ["Organisation", "Garage Dupont", "Jean", "Dupont", "Client fidèle"],
        ["Organisation", "Atelier Roux", "", "Roux", ""],
    ]
    job = _checked(engine, xlsx_bytes(rows))
    with session_scope(engine) as s:
        dry = lifecycle.get_import(s, import_id=job.id).dry_run
    flagged = {(r.column, r.message): r.rows for r in dry.reasons if r.action == "flagged"}
    assert flagged == {
        ("Prénom", "Jean Dupont: an organisation has no first or last name; kept in its notes."): [2],
        ("Nom", "Roux: an organisation has no first or last name; kept in its notes."): [3],
    }
    run(engine, job.id)
    with session_scope(engine) as s:
        stored = s.execute(
            select(Contact.company_name, Contact.first_name, Contact.last_name, Contact.memo).order_by(Contact.id)
        ).all()
    # The note is written in the language of the manager who imports (French here).
    assert stored == [
        ("Garage Dupont", "", "", "Client fidèle\nPersonne à contacter : Jean Dupont"),
        ("Atelier Roux", "", "", "Personne à contacter : Roux"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "« Comment le client vous a-t-il trouvé ? »",
        "Comment nous a-t-il trouvé ?",
        "COMMENT NOUS AVEZ-VOUS CONNU",
        "How did you hear about us?",
        "Skąd klient o nas wie?",
        "Źródło pozyskania",
    ],
)
def test_questions_about_how_a_client_came_are_read_as_the_acquisition_channel(header):
    from crm_app.exchange.columns import propose_mapping

    plans = propose_mapping([header], custom=[], phone_type_names=[], channel_defaults={})
    assert plans[0].target == "channel"


def test_a_column_of_formulas_without_saved_values_is_not_proposed_for_a_name(engine):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Nom complet", "Prénom", "Nom de famille", "Téléphone"])
    for row in range(2, 5):
        sheet.append([f'=B{row}&" "&C{row}', f"Anna{row}", f"Nowak{row}", f"06 12 34 56 7{row}"])
    out = io.BytesIO()
    workbook.save(out)
    job = upload(engine, out.getvalue(), locale="fr")
    assert [m["target"] for m in job.mapping] == ["", "first_name", "last_name", "phones"]
    same_with_values = xlsx_bytes([["Nom complet", "Prénom"], ["Anna Nowak", "Anna"]])
    assert [m["target"] for m in upload(engine, same_with_values, locale="fr").mapping] == ["name", "first_name"]


def test_unknown_choice_values_are_left_out_of_the_contact_and_listed(engine):
    from crm_app.fields import definitions
    from crm_app.fields.schemas import FieldCreate

    with session_scope(engine) as s:
        definitions.create_field(
            s, kind="person", data=FieldCreate(label="Coiffeur", type="select", choices=["Ana", "Bo"]), actor_id=None
        )
        definitions.create_field(s, kind="person", data=FieldCreate(label="Anniversaire", type="date"), actor_id=None)
    rows = [["Prénom", "Coiffeur", "Anniversaire"], ["Anna", "Zed", "31/02/1990"], ["Bob", "bo", "31/03/1990"]]
    job = _checked(engine, xlsx_bytes(rows))
    result = run(engine, job.id)
    assert (result.created_count, result.rejected_count) == (2, 0)
    with session_scope(engine) as s:
        custom = dict(s.execute(select(Contact.first_name, Contact.custom)).all())
        reported = list(reports.reported_rows(s, import_id=job.id))
    assert custom["Anna"] == {} and custom["Bob"]["anniversaire"] == "1990-03-31"
    assert [(number, sorted(p["column"] for p in problems)) for number, _a, _c, problems in reported] == [
        (2, ["Anniversaire", "Coiffeur"])
    ]


def test_rows_assigned_to_a_staff_member_are_created_with_them(engine):
    from crm_app.auth import service as auth_service

    with session_scope(engine) as s:
        user, _token = auth_service.create_user(
            s, email="marie@exemple.fr", name="Marie", role="staff", password="long-password-4321", actor_id=None
        )
    job = _checked(engine, xlsx_bytes([["First name", "Assigned to"], ["Anna", "Marie"], ["Bob", "marie@exemple.fr"]]))
    assert run(engine, job.id).created_count == 2
    with session_scope(engine) as s:
        assert set(s.execute(select(Contact.assigned_user_id)).scalars()) == {user.id}
