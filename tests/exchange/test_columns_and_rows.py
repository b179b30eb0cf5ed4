"""Headers are mapped the way people write them; cells are read the way people fill them."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from crm_app.exchange.columns import ColumnPlan, CustomColumn, check_mapping, normalise_header, propose_mapping
from crm_app.exchange.parse import (
    ParseContext,
    context_fingerprint,
    country_lookup,
    parse_kind,
    parse_yes_no,
    read_row,
    row_data,
    row_from_data,
)

CUSTOM = [
    CustomColumn("device_brand", "Device brand", "select", ("organization",), ("Apple", "Samsung")),
    CustomColumn("birthday", "Birthday", "date", ("person",)),
    CustomColumn("services", "Services", "multi_select", ("person",), ("Cut", "Wash")),
    CustomColumn("loyal", "Loyal", "checkbox", ("person",)),
    CustomColumn("visits", "Visits", "number", ("person",)),
    CustomColumn("story", "Story", "long_text", ("person",)),
]


def _targets(headers: list[str], **kwargs) -> list[str]:
    plans = propose_mapping(
        headers, custom=CUSTOM, phone_type_names=kwargs.get("types", []), channel_defaults=kwargs.get("defaults", {})
    )
    return [plan.target for plan in plans]


def test_headers_are_compared_without_case_accents_or_punctuation():
    assert normalise_header("  Prénom*: ") == "prenom"
    assert normalise_header("E-MAIL") == "e mail"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["First name", "Last name", "Company", "Phone", "Email"],
            ["first_name", "last_name", "company_name", "phones", "emails"],
        ),
        (
            ["Prénom", "NOM", "Société", "Téléphone portable", "Courriel", "Code postal", "Ville", "Pays"],
            [
                "first_name",
                "last_name",
                "company_name",
                "phones",
                "emails",
                "address.postcode",
                "address.city",
                "address.country",
            ],
        ),
        (
            ["Imię", "Nazwisko", "Nazwa firmy", "Telefon", "Adres e-mail", "Miasto", "Kod pocztowy", "NIP"],
            [
                "first_name",
                "last_name",
                "company_name",
                "phones",
                "emails",
                "address.city",
                "address.postcode",
                "registration_no",
            ],
        ),
    ],
)
def test_english_french_and_polish_headers_are_proposed(headers, expected):
    assert _targets(headers) == expected


def test_custom_fields_are_found_by_label_and_key():
    assert _targets(["device brand", "BIRTHDAY"]) == ["custom.device_brand", "custom.birthday"]


def test_several_phone_and_email_columns_are_allowed_and_typed_from_their_header():
    plans = propose_mapping(
        ["Mobile", "Téléphone bureau", "Tel domicile", "E-mail", "E-mail 2"],
        custom=[],
        phone_type_names=[],
        channel_defaults={"sms": True},
    )
    assert [p.target for p in plans] == ["phones", "phones", "phones", "emails", "emails"]
    assert [p.phone_type for p in plans[:3]] == ["mobile", "work", "home"]
    assert plans[0].sms is True and plans[0].whatsapp is False


def test_a_field_mapped_twice_keeps_the_first_column_and_says_why():
    plans = propose_mapping(["City", "Town"], custom=[], phone_type_names=[], channel_defaults={})
    assert [p.target for p in plans] == ["address.city", ""]
    assert "already mapped" in plans[1].note


def test_numbered_address_columns_fill_further_addresses_and_export_columns_are_left_out():
    assert _targets(["Street", "City", "Street (2)", "City (2)", "Created at", "Problems", "Row"]) == [
        "address.line1",
        "address.city",
        "address2.line1",
        "address2.city",
        "",
        "",
        "",
    ]


def test_near_misses_are_matched_and_strangers_are_not():
    assert _targets(["Telephon", "Favourite colour"]) == ["phones", ""]


def test_a_hand_made_mapping_is_checked():
    plans = [ColumnPlan(target="first_name"), ColumnPlan(target="first_name"), ColumnPlan(target="nope")]
    problems = check_mapping(plans, valid_targets={"first_name"})
    assert set(problems) == {1, 2}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("Oui", True),
        ("TAK", True),
        ("x", True),
        ("non", False),
        ("Nie", False),
        ("0", False),
        ("", None),
        (None, None),
        (1, True),
    ],
)
def test_yes_and_no_are_understood_in_three_languages(text, value):
    assert parse_yes_no(text) is value


def test_kind_words_and_the_apps_own_labels_are_understood():
    assert parse_kind("Particulier") == "person"
    assert parse_kind("Entreprise") == "organization"
    assert parse_kind("Osoba prywatna") == "person"
    assert parse_kind("Firma") == "organization"
    with pytest.raises(ValueError):
        parse_kind("Cat")


def _context(headers: list[str], targets: list[str], **plan_values) -> ParseContext:
    plans = [ColumnPlan(target=t, **plan_values) for t in targets]
    return ParseContext(
        headers=headers,
        plans=plans,
        region="FR",
        locale="fr",
        phone_types={"mobile": "mobile", "work": "work", "travail": "work", "home": "home", "atelier": "Atelier"},
        users={"anna@example.com": 7},
        channels={"salon": 3},
        custom={c.key: c for c in CUSTOM},
        countries=country_lookup(),
    )


def test_a_cell_with_several_numbers_and_notes_gives_each_its_type_and_consents():
    ctx = _context(["Phones"], ["phones"], sms=True)
    row = read_row(ctx, 2, ("06 12 34 56 78 (Mobile, WhatsApp); 01 42 68 53 00 (Travail), +48 601 234 567",))
    assert [(p.e164, p.type, p.consents) for p in row.phones] == [
        ("+33612345678", "mobile", {"whatsapp": True, "viber": False, "sms": False}),
        ("+33142685300", "work", {"whatsapp": False, "viber": False, "sms": False}),
        ("+48601234567", None, {}),
    ]
    assert row.phones[2].column_defaults["sms"] is True
    assert not row.problems


def test_phones_turned_into_numbers_by_excel_are_read_or_refused_with_the_reason():
    ctx = _context(["Phone"], ["phones"])
    assert read_row(ctx, 2, (612345678,)).phones[0].e164 == "+33612345678"
    assert read_row(ctx, 2, (48601234567,)).phones[0].e164 == "+48601234567"
    lost = read_row(ctx, 2, (33600000000.0,))
    assert "last digits are probably lost" in lost.problems[0].message
    written = read_row(ctx, 2, ("3,36123E+10",))
    assert "scientific notation" in written.problems[0].message
    assert written.problems[0].column == "Phone"


def test_a_wrong_number_names_its_column_and_says_why():
    row = read_row(_context(["Tel"], ["phones"]), 5, ("06 12",))
    assert row.problems[0].column == "Tel"
    assert "too short" in row.problems[0].message


def test_emails_with_consent_notes_and_bad_addresses():
    ctx = _context(["E-mails", "Consent"], ["emails", "email_ok"])
    row = read_row(ctx, 2, ("a@example.com (consentement); b@example.com, bad@", "non"))
    assert [(e.address, e.consent) for e in row.emails] == [("a@example.com", True), ("b@example.com", False)]
    assert "bad@" in row.problems[0].message


def test_a_full_name_column_is_split_and_companies_keep_it_whole():
    ctx = _context(["Type", "Name"], ["kind", "name"])
    assert read_row(ctx, 2, ("Particulier", "Anna Maria Nowak")).scalars == {
        "first_name": "Anna Maria",
        "last_name": "Nowak",
    }
    assert read_row(ctx, 2, ("", "Nowak, Anna")).scalars == {"first_name": "Anna", "last_name": "Nowak"}
    assert read_row(ctx, 2, ("Entreprise", "ACME SA")).scalars == {"company_name": "ACME SA"}


def test_staff_channels_countries_and_excel_errors():
    ctx = _context(["Owner", "Source", "Pays", "Calc"], ["assigned", "channel", "address.country", "first_name"])
    row = read_row(ctx, 2, ("ANNA@example.com", "Salon", "Pologne", "#N/A"))
    assert row.scalars["assigned_user_id"] == 7
    assert row.scalars["acquisition_channel_id"] == 3
    assert row.addresses == {1: {"country": "PL"}}
    assert "#N/A" in row.problems[0].message
    unknown = read_row(ctx, 2, ("bob@example.com", "TV", "Atlantis", "x"))
    assert [p.column for p in unknown.problems] == ["Owner", "Source", "Pays"]


def test_custom_values_keep_dates_and_choices_for_validation():
    ctx = _context(["Brand", "Birthday"], ["custom.device_brand", "custom.birthday"])
    row = read_row(ctx, 2, ("Samsung", datetime(1990, 3, 31)))
    assert row.custom == {"device_brand": "Samsung", "birthday": datetime(1990, 3, 31).date()}


def test_kind_is_guessed_from_the_names_when_no_column_says_it():
    ctx = _context(["Company"], ["company_name"])
    assert read_row(ctx, 2, ("ACME",)).kind == "organization"


ROUND_TRIP_TARGETS = [
    "kind",
    "reference",
    "name",
    "phones",
    "phone_type",
    "sms",
    "emails",
    "email_ok",
    "address.line1",
    "address.country",
    "address2.city",
    "tags",
    "memo",
    "discount",
    "assigned",
    "channel",
    "is_supplier",
    "archived",
    "custom.birthday",
    "custom.services",
    "custom.loyal",
    "custom.visits",
    "custom.story",
    "custom.device_brand",
]


@pytest.mark.parametrize(
    "cells",
    [
        (
            "Particulier",
            "c-12",
            "Anna Maria Nowak",
            "06 12 34 56 78 (Mobile, WhatsApp); +48 601 234 567",
            "Atelier",
            "oui",
            "a@example.com (consentement); b@example.com",
            "non",
            "2 rue X",
            "Pologne",
            "Lyon",
            "VIP; Nouveau",
            "ligne 1\r\nligne 2",
            7.5,
            "anna@example.com",
            "Salon",
            "non",
            "oui",
            "31/03/1990",
            "Cut; Wash",
            "x",
            3,
            "Long ✓ " + "y" * 300,
            "Samsung",
        ),
        (
            "Entreprise",
            None,
            "ACME SA",
            "06 12",
            "Cat",
            "peut-être",
            "bad@",
            None,
            None,
            "Atlantis",
            None,
            None,
            None,
            "12,5 %",
            "bob@example.com",
            "TV",
            "1",
            None,
            datetime(1990, 3, 31, 0, 0),
            None,
            "maybe",
            "12.50",
            None,
            None,
        ),
        (None,) * 18 + (time(12, 30), None, None, 2.5, None, None),
        (None,) * 18 + (timedelta(hours=30), None, True, None, None, None),
        (None,) * 18 + ("#N/A", None, None, None, None, None),
    ],
)
def test_what_a_row_says_survives_its_json_form_unchanged(cells):
    ctx = _context([f"H{i}" for i in range(len(ROUND_TRIP_TARGETS))], ROUND_TRIP_TARGETS)
    row = read_row(ctx, 9, cells)
    data = json.loads(json.dumps(row_data(row), ensure_ascii=False))
    assert row_from_data(9, cells, data) == row


def test_a_row_holding_a_value_without_json_form_is_not_kept():
    ctx = _context(["Birthday"], ["custom.birthday"])
    assert row_data(read_row(ctx, 2, (Decimal("1.5"),))) is None


def test_the_fingerprint_of_reading_changes_with_the_mapping_and_the_settings_it_reads():
    ctx = _context(["Phone"], ["phones"])
    same = _context(["Phone"], ["phones"])
    assert context_fingerprint(ctx) == context_fingerprint(same)
    assert context_fingerprint(ctx) != context_fingerprint(_context(["Phone"], ["phones"], sms=True))
    for change in ({"region": "PL"}, {"phone_types": {}}, {"users": {}}, {"channels": {}}, {"custom": {}}):
        changed = _context(["Phone"], ["phones"])
        for name, value in change.items():
            setattr(changed, name, value)
        assert context_fingerprint(changed) != context_fingerprint(ctx), change


def test_the_fields_are_offered_by_section_with_addresses_2_to_5_folded():
    from crm_app.exchange.columns import BUILTIN_HEADERS, all_targets

    targets = all_targets([], "en")
    groups = list(dict.fromkeys(t.group for t in targets))
    assert groups == [
        "",
        "Identity",
        "Phones and e-mails",
        "Follow-up",
        "Main address",
        "Address 2",
        "Address 3",
        "Address 4",
        "Address 5",
    ]
    assert {t.value for t in targets if t.group in ("Identity", "Phones and e-mails", "Follow-up")} == set(
        BUILTIN_HEADERS
    )
    assert {t.group for t in targets if t.extra} == {"Address 2", "Address 3", "Address 4", "Address 5"}
