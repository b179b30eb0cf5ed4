"""Every rule of the contact form, and the bad-input list: errors are collected, nothing is half-saved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from crm_app.contacts import service, texts
from crm_app.contacts.models import PhoneType
from crm_app.contacts.schemas import AddressIn, EmailIn, PhoneIn
from crm_app.core.errors import ValidationError
from tests.contacts.factories import as_input, make_channel, make_user, organisation, person, row_counts

SCRIPT = "<script>alert('x')</script>"
EMOJI_RTL = "Zoë 👩‍🔧 مرحبا שלום"


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def _errors(session: Session, data) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        service.create_contact(session, data=data, actor_id=None)
    return caught.value.errors


# ---------------------------------------------------------------- names and kind


def test_create_contact_rejects_a_person_without_any_name(session) -> None:
    errors = _errors(session, person(first_name="", last_name=""))
    assert errors["first_name"] == "Enter a first or last name."


def test_create_contact_treats_whitespace_only_names_as_empty(session) -> None:
    assert "first_name" in _errors(session, person(first_name="   ", last_name="\u3000"))


def test_create_contact_accepts_a_person_with_only_a_last_name(session) -> None:
    assert service.create_contact(
        session, data=person(first_name="", last_name="Smith"), actor_id=None
    ).display_name == ("Smith")


def test_create_contact_rejects_an_organisation_without_company_name(session) -> None:
    assert _errors(session, organisation(company_name=" "))["company_name"] == "Enter the company name."


def test_create_contact_rejects_an_unknown_kind(session) -> None:
    assert "kind" in _errors(session, person(kind="robot"))


def test_create_contact_trims_names(session) -> None:
    read = service.create_contact(session, data=person(first_name="  Ann ", last_name="\tSmith "), actor_id=None)
    assert (read.first_name, read.last_name) == ("Ann", "Smith")


@pytest.mark.parametrize(
    ("field", "limit"), [("first_name", 200), ("last_name", 200), ("company_name", 300), ("registration_no", 100)]
)
def test_create_contact_rejects_text_longer_than_its_limit(session, field, limit) -> None:
    assert service.create_contact(session, data=person(**{field: "x" * limit}), actor_id=None)
    errors = _errors(session, person(**{field: "x" * (limit + 1)}))
    assert str(limit) in errors[field]


@pytest.mark.parametrize("field", ["first_name", "last_name", "company_name", "registration_no"])
def test_create_contact_rejects_10000_character_fields(session, field) -> None:
    assert field in _errors(session, person(**{field: "y" * 10_000}))


def test_create_contact_keeps_a_10000_character_memo_exactly(session) -> None:
    memo = "  line one\n\tline two  \r\n" + "z" * 10_000
    assert service.create_contact(session, data=person(memo=memo), actor_id=None).memo == memo


def test_create_contact_rejects_a_memo_over_20000_characters(session) -> None:
    assert "memo" in _errors(session, person(memo="m" * 20_001))


def test_create_contact_rejects_control_characters_that_cannot_be_stored(session) -> None:
    errors = _errors(session, person(first_name="Ann\x00", memo="bad \x00 byte"))
    assert set(errors) == {"first_name", "memo"}


def test_create_contact_stores_emoji_and_right_to_left_text_verbatim(db) -> None:
    read = service.create_contact(
        db,
        data=person(first_name=EMOJI_RTL, memo=EMOJI_RTL, tags=[EMOJI_RTL], addresses=[AddressIn(city=EMOJI_RTL)]),
        actor_id=None,
    )
    db.commit()
    read = service.get_contact(db, contact_id=read.id)
    assert (read.first_name, read.memo, read.tags[0].name, read.addresses[0].city) == (EMOJI_RTL,) * 4


def test_create_contact_stores_script_tags_verbatim_in_every_text_field(db) -> None:
    address = {name: SCRIPT[:20] if name == "postcode" else SCRIPT for name in texts.ADDRESS_LIMITS}
    data = person(
        first_name=SCRIPT,
        last_name=SCRIPT,
        company_name=SCRIPT,
        registration_no=SCRIPT,
        memo=SCRIPT,
        tags=[SCRIPT],
        addresses=[AddressIn(**address)],
    )
    created = service.create_contact(db, data=data, actor_id=None)
    db.commit()
    read = service.get_contact(db, contact_id=created.id)
    assert (read.first_name, read.last_name, read.company_name, read.registration_no, read.memo) == (SCRIPT,) * 5
    assert read.tags[0].name == SCRIPT
    stored = read.addresses[0]
    assert [getattr(stored, name) for name in texts.ADDRESS_LIMITS] == list(address.values())
    assert read.display_name == f"{SCRIPT} {SCRIPT}"


# ---------------------------------------------------------------- phones


def test_create_contact_rejects_invalid_phone_with_reason(session) -> None:
    errors = _errors(session, person(phones=[PhoneIn(number="+999 123")]))
    assert errors == {"phones.0.number": "Unknown country code +999."}


def test_create_contact_reports_the_index_of_each_bad_phone(session) -> None:
    errors = _errors(session, person(phones=[PhoneIn(number="0612345678"), PhoneIn(number="abc")]))
    assert errors == {"phones.1.number": "A phone number cannot contain letters."}


def test_create_contact_ignores_empty_phone_rows(session) -> None:
    phones = [PhoneIn(number=" "), PhoneIn(number="0612345678")]
    assert len(service.create_contact(session, data=person(phones=phones), actor_id=None).phones) == 1


def test_create_contact_refuses_the_same_number_twice_in_any_written_form(session) -> None:
    phones = [PhoneIn(number="06 12 34 56 78"), PhoneIn(number="+33612345678")]
    assert _errors(session, person(phones=phones)) == {"phones.1.number": "This number is already in the list."}


def test_create_contact_refuses_an_unknown_phone_type(session) -> None:
    assert "phones.0.type" in _errors(session, person(phones=[PhoneIn(number="0612345678", type="pager")]))


def test_create_contact_accepts_a_phone_type_defined_in_settings(session) -> None:
    session.add(PhoneType(name="Pager"))
    session.flush()
    read = service.create_contact(
        session, data=person(phones=[PhoneIn(number="0612345678", type="pager")]), actor_id=None
    )
    assert read.phones[0].type == "Pager"


# ---------------------------------------------------------------- e-mails


def test_create_contact_rejects_an_email_without_a_proper_domain(session) -> None:
    errors = _errors(session, person(emails=[EmailIn(address="a@b")]))
    assert "domain" in errors["emails.0.address"]


def test_create_contact_refuses_the_same_email_twice(session) -> None:
    emails = [EmailIn(address="ann@example.com"), EmailIn(address="ann@EXAMPLE.com")]
    assert "emails.1.address" in _errors(session, person(emails=emails))


def test_create_contact_ignores_empty_email_rows(session) -> None:
    emails = [EmailIn(address=""), EmailIn(address="Ann@Example.COM")]
    read = service.create_contact(session, data=person(emails=emails), actor_id=None)
    assert [e.address for e in read.emails] == ["Ann@example.com"]


# ---------------------------------------------------------------- discount


@pytest.mark.parametrize("raw", ["101", "-1", "100.01"])
def test_create_contact_rejects_a_discount_outside_0_to_100(session, raw) -> None:
    assert _errors(session, person(discount_percent=raw)) == {"discount_percent": "Discount must be between 0 and 100."}


def test_create_contact_rejects_a_discount_with_three_decimals(session) -> None:
    assert "two decimals" in _errors(session, person(discount_percent="12,345"))["discount_percent"]


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", "1e2", "12.5.1", "12,5,0"])
def test_create_contact_rejects_a_discount_that_is_not_a_number(session, raw) -> None:
    assert "discount_percent" in _errors(session, person(discount_percent=raw))


@pytest.mark.parametrize(
    ("raw", "stored"), [("12,5", "12.5"), ("12.5", "12.5"), ("", "0"), ("100", "100"), ("7 %", "7"), (".5", "0.5")]
)
def test_create_contact_accepts_a_discount_with_comma_or_dot(session, raw, stored) -> None:
    assert service.create_contact(session, data=person(discount_percent=raw), actor_id=None).discount_percent == stored


# ---------------------------------------------------------------- addresses


def test_create_contact_uppercases_the_country_code(session) -> None:
    read = service.create_contact(session, data=person(addresses=[AddressIn(city="Bern", country="ch")]), actor_id=None)
    assert read.addresses[0].country == "CH"


@pytest.mark.parametrize("country", ["XX", "France", "F", "EU"])
def test_create_contact_rejects_a_country_that_is_not_iso_3166_alpha_2(session, country) -> None:
    assert "addresses.0.country" in _errors(session, person(addresses=[AddressIn(city="X", country=country)]))


def test_create_contact_accepts_an_address_without_country(session) -> None:
    read = service.create_contact(session, data=person(addresses=[AddressIn(city="Somewhere")]), actor_id=None)
    assert read.addresses[0].country == ""


def test_create_contact_makes_the_first_address_main_when_none_is_marked(session) -> None:
    addresses = [AddressIn(), AddressIn(city="Lyon"), AddressIn(city="Nice")]
    read = service.create_contact(session, data=person(addresses=addresses), actor_id=None)
    assert [(a.city, a.is_main) for a in read.addresses] == [("Lyon", True), ("Nice", False)]


def test_create_contact_keeps_the_address_marked_main(session) -> None:
    addresses = [AddressIn(city="Lyon"), AddressIn(city="Nice", is_main=True)]
    read = service.create_contact(session, data=person(addresses=addresses), actor_id=None)
    assert [a.is_main for a in read.addresses] == [False, True]


def test_create_contact_refuses_two_main_addresses(session) -> None:
    addresses = [AddressIn(city="Lyon", is_main=True), AddressIn(city="Nice", is_main=True)]
    assert "addresses.1.is_main" in _errors(session, person(addresses=addresses))


@pytest.mark.parametrize("field", list(texts.ADDRESS_LIMITS))
def test_create_contact_limits_the_length_of_address_fields(session, field) -> None:
    assert f"addresses.0.{field}" in _errors(session, person(addresses=[AddressIn(**{field: "a" * 10_000})]))


# ---------------------------------------------------------------- tags, channel, user


def test_create_contact_rejects_a_tag_longer_than_80_characters(session) -> None:
    assert "tags.1" in _errors(session, person(tags=["ok", "t" * 81]))


def test_create_contact_rejects_an_unknown_acquisition_channel(session) -> None:
    assert "acquisition_channel_id" in _errors(session, person(acquisition_channel_id=999))


def test_create_contact_rejects_an_inactive_acquisition_channel(session) -> None:
    channel = make_channel(session, active=False)
    errors = _errors(session, person(acquisition_channel_id=channel.id))
    assert errors["acquisition_channel_id"] == "This acquisition channel is no longer in use."


def test_create_contact_rejects_an_unknown_assigned_user(session) -> None:
    assert "assigned_user_id" in _errors(session, person(assigned_user_id=999))


def test_create_contact_rejects_a_deactivated_assigned_user(session) -> None:
    user = make_user(session, active=False)
    assert _errors(session, person(assigned_user_id=user.id))["assigned_user_id"] == "This user is deactivated."


# ---------------------------------------------------------------- all or nothing


def test_create_contact_collects_every_error_at_once(session) -> None:
    errors = _errors(
        session,
        person(
            first_name="",
            last_name="",
            discount_percent="101",
            memo="m" * 20_001,
            phones=[PhoneIn(number="+999 123")],
            emails=[EmailIn(address="a@b")],
            addresses=[AddressIn(city="X", country="XX")],
            acquisition_channel_id=999,
            assigned_user_id=999,
        ),
    )
    assert set(errors) >= {
        "first_name",
        "discount_percent",
        "memo",
        "phones.0.number",
        "emails.0.address",
        "addresses.0.country",
        "acquisition_channel_id",
        "assigned_user_id",
    }


def test_create_contact_writes_nothing_when_validation_fails(db) -> None:
    before = row_counts(db)
    _errors(db, person(tags=["New tag"], phones=[PhoneIn(number="+999 123")]))
    assert row_counts(db) == before


def test_update_contact_leaves_nothing_half_saved_when_validation_fails(db) -> None:
    created = service.create_contact(db, data=person(tags=["VIP"]), actor_id=None)
    db.commit()
    before = row_counts(db)
    bad = as_input(
        created,
        first_name="Changed",
        tags=["Brand new"],
        phones=[PhoneIn(number="0698765432"), PhoneIn(number="+999 123")],
        emails=[],
        discount_percent="-1",
    )
    with pytest.raises(ValidationError) as caught:
        service.update_contact(db, contact_id=created.id, data=bad, actor_id=None, expected_version=1)
    assert set(caught.value.errors) == {"phones.1.number", "discount_percent"}
    assert row_counts(db) == before
    db.commit()
    assert service.get_contact(db, contact_id=created.id) == created


def test_a_stored_phone_or_email_sent_back_unchanged_is_kept_as_saved(db) -> None:
    """Numbers and addresses saved under earlier rules (another region, older phone metadata) are not judged
    again when the form sends them back untouched; an edited one is."""
    from sqlalchemy import update

    from crm_app.contacts.models import Email, Phone

    created = service.create_contact(
        db,
        data=person(phones=[PhoneIn(number="06 12 34 56 78")], emails=[EmailIn(address="ann@example.com")]),
        actor_id=None,
    )
    # As if saved when these were accepted: a number that no longer parses, an address that no longer passes.
    db.exec(update(Phone).where(Phone.contact_id == created.id).values(raw="+999 123", e164="+999123"))
    db.exec(update(Email).where(Email.contact_id == created.id).values(address="ann@localhost"))
    db.commit()
    stored = service.get_contact(db, contact_id=created.id)
    saved = service.update_contact(
        db, contact_id=created.id, data=as_input(stored, first_name="Annie"), actor_id=None, expected_version=1
    )
    assert (saved.first_name, saved.phones[0].e164, saved.emails[0].address) == ("Annie", "+999123", "ann@localhost")
    edited = as_input(saved, phones=[PhoneIn(id=saved.phones[0].id, number="+999 1234")])
    with pytest.raises(ValidationError) as caught:
        service.update_contact(db, contact_id=created.id, data=edited, actor_id=None, expected_version=2)
    assert set(caught.value.errors) == {"phones.0.number"}
