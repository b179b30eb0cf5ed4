"""Contact list search at scale: folding, phone forms, filters, sorts, ranking, pages, counts, URL params, views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, update
from sqlmodel import Session, delete, select

from crm_app.auth.models import User
from crm_app.contacts import service, tags
from crm_app.contacts.models import Contact, ContactSearch
from crm_app.contacts.schemas import AddressIn, EmailIn, PhoneIn
from crm_app.contacts.search import plan as search_plan
from crm_app.contacts.search import query as search_query
from crm_app.contacts.search.custom_fields import CustomField, list_fields
from crm_app.contacts.search.documents import reindex_contacts, reindex_custom_field
from crm_app.contacts.search.filters import (
    ContactFilter,
    ContactSort,
    CustomFilter,
    filter_from_params,
    filter_to_params,
    is_custom_param,
    sort_from_params,
    sort_to_params,
)
from crm_app.contacts.search.pickers import tag_choices, user_choices
from crm_app.contacts.search.plan import make_plan
from crm_app.contacts.search.query import MAX_PAGE_SIZE, count_contacts, matching_ids, search_contacts
from crm_app.contacts.search.rows import page_rows
from crm_app.contacts.search.structures import (
    DOCUMENTS_VERSION,
    DOCUMENTS_VERSION_KEY,
    FTS_TABLE,
    ensure_search_documents,
    index_loaded_rows,
    rebuild_search_index,
    resume_index_sync,
    suspend_index_sync,
)
from crm_app.contacts.search.tokens import (
    _custom_date_tokens,
    _value_token,
    date_range_tokens,
    filter_tokens,
    uses_filter_tokens,
)
from crm_app.contacts.search.views import delete_view, list_views, save_view
from crm_app.contacts.search.words import normalise_query
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AppSetting
from crm_app.fields import choices as field_choices
from crm_app.fields import definitions, stored_values
from crm_app.fields.schemas import FieldCreate, FieldRead, FieldUpdate
from tests.contacts.factories import make_channel, make_user, organisation, person


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture(params=["few matches", "many matches"])
def mode(request, monkeypatch) -> str:
    """Run a test on both query plans: rank/sort every match at once, or walk an index page by page."""
    if request.param == "many matches":
        monkeypatch.setattr(search_query, "SELECTIVE_LIMIT", 0)
    return request.param


def _add(db: Session, first: str, last: str = "", **overrides):
    values = {"first_name": first, "last_name": last, "phones": [], "emails": [], "addresses": []}
    values.update(overrides)
    return service.create_contact(db, data=person(**values), actor_id=None)


def _names(db: Session, query: str = "", sort: ContactSort | None = None, **filters) -> list[str]:
    page = search_contacts(db, filter=ContactFilter(query=query, **filters), sort=sort, page_size=200)
    return [row.display_name for row in page.rows]


def _tag_ids(db: Session, *names: str) -> tuple[int, ...]:
    by_name = {tag.name: tag.id for tag in tags.list_tags(db)}
    return tuple(by_name[name] for name in names)


@contextmanager
def _count_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def listen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


# ---------------------------------------------------------------- query normalisation


def test_normalise_query_folds_accents_case_and_spacing() -> None:
    assert normalise_query("  Lefèbvre   WIŚNIEWSKI ") == "lefebvre wisniewski"


def test_normalise_query_turns_letters_unicode_cannot_decompose_into_plain_letters() -> None:
    assert normalise_query("Łódź Øre Straße Œuvre") == "lodz ore strasse oeuvre"


def test_normalise_query_splits_on_punctuation() -> None:
    assert normalise_query("Jean-Pierre O'Brien, ann@example.com") == "jean pierre o brien ann example com"


# ---------------------------------------------------------------- what the search finds


def test_search_finds_names_without_their_accents_and_in_any_case(db) -> None:
    _add(db, "Jan", "Wiśniewski")
    _add(db, "Marie", "Lefèbvre")
    _add(db, "Zoé", "Łukasik")
    assert _names(db, "Wisniewski") == ["Jan Wiśniewski"]
    assert _names(db, "lefebvre") == ["Marie Lefèbvre"]
    assert _names(db, "LEFÈBVRE") == ["Marie Lefèbvre"]
    assert _names(db, "zoe lukasik") == ["Zoé Łukasik"]


def test_search_matches_word_prefixes_of_names_and_company_names(db) -> None:
    _add(db, "Jean", "Martin")
    _add(db, "Paul", "Dupont", company_name="Marchand SARL")
    service.create_contact(db, data=organisation(company_name="Boulangerie Mareuil"), actor_id=None)
    _add(db, "Anne", "Lamarre")
    assert sorted(_names(db, "mar")) == ["Boulangerie Mareuil", "Jean Martin", "Paul Dupont"]
    assert _names(db, "boul") == ["Boulangerie Mareuil"]


def test_search_needs_every_word_to_match(db) -> None:
    _add(db, "Jean", "Martin")
    _add(db, "Jean", "Dupont")
    _add(db, "Paul", "Martin")
    assert _names(db, "jean mar") == ["Jean Martin"]
    assert _names(db, "mar jean") == ["Jean Martin"]


def test_search_finds_email_addresses_whole_or_by_part(db) -> None:
    _add(db, "Ann", "Lee", emails=[EmailIn(address="ann.lee@example.com")])
    _add(db, "Bob", "Ray", emails=[EmailIn(address="bob@other.org")])
    for query in ("ann.lee@example.com", "ann.lee@exa", "ann.lee", "example.com", "exam"):
        assert _names(db, query) == ["Ann Lee"], query


def test_search_finds_reference_and_registration_numbers(db) -> None:
    first = _add(db, "Ann")
    service.create_contact(db, data=organisation(company_name="Acme", registration_no="FR 123 456 789"), actor_id=None)
    assert _names(db, first.reference) == ["Ann"]
    assert _names(db, first.reference.replace("-", "")) == ["Ann"]
    assert _names(db, "123 456 789") == ["Acme"]
    assert _names(db, "fr123456789") == ["Acme"]


def test_search_finds_city_and_tag_names(db) -> None:
    _add(db, "Ann", addresses=[AddressIn(city="Kraków", country="PL")], tags=["Grossiste"])
    _add(db, "Bob", addresses=[AddressIn(city="Lyon", country="FR")])
    assert _names(db, "krakow") == ["Ann"]
    assert _names(db, "gros") == ["Ann"]


@pytest.mark.parametrize(
    "query",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 6 12",
        "0033612",
        "0033 6 12 34 56 78",
        "5678",
        "345678",
        "06 12",
    ],
)
def test_search_finds_a_phone_number_written_in_any_form(db, query: str) -> None:
    _add(db, "Ann", phones=[PhoneIn(number="06 12 34 56 78")])
    _add(db, "Bob", phones=[PhoneIn(number="07 81 22 33 44")])
    assert _names(db, query) == ["Ann"]


def test_search_finds_foreign_numbers_by_their_international_form(db) -> None:
    _add(db, "Ola", phones=[PhoneIn(number="+48 512 345 678")])
    _add(db, "Ann", phones=[PhoneIn(number="06 12 34 56 78")])
    assert _names(db, "+48 512") == ["Ola"]
    assert _names(db, "0048512345678") == ["Ola"]
    assert _names(db, "512 345") == ["Ola"]
    assert sorted(_names(db, "345 678")) == ["Ann", "Ola"]


def test_search_combines_a_name_and_the_last_digits_of_a_phone(db) -> None:
    _add(db, "Ann", "Lee", phones=[PhoneIn(number="06 12 34 56 78")])
    _add(db, "Ann", "Ray", phones=[PhoneIn(number="07 81 22 33 44")])
    assert _names(db, "ann 3344") == ["Ann Ray"]


def test_search_finds_nothing_for_unknown_words(db) -> None:
    _add(db, "Ann", "Lee")
    assert _names(db, "zzz") == []


def test_search_ignores_a_query_without_letters_or_digits(db) -> None:
    _add(db, "Ann")
    assert _names(db, " @ - ") == ["Ann"]


# ---------------------------------------------------------------- names typed another way, and typos


def test_search_finds_umlauts_and_nordic_letters_written_out_and_plain(db) -> None:
    _add(db, "Hans", "Müller")
    _add(db, "Åse", "Jørgensen")
    _add(db, "Anna", "Mäkinen", addresses=[AddressIn(city="Köln", country="DE")])
    service.create_contact(db, data=organisation(company_name="Café Straße"), actor_id=None)
    for query in ("mueller", "muller", "müller", "hans mueller", "MUELLER"):
        assert _names(db, query) == ["Hans Müller"], query
    for query in ("aase joergensen", "ase jorgensen", "joerg"):
        assert _names(db, query) == ["Åse Jørgensen"], query
    assert _names(db, "maekinen") == _names(db, "makinen") == _names(db, "koeln") == ["Anna Mäkinen"]
    assert _names(db, "strasse") == _names(db, "straße") == ["Café Straße"]


def test_search_finds_names_with_apostrophes_hyphens_and_spaces_joined_and_apart(db) -> None:
    _add(db, "Awa", "N'Diaye")
    _add(db, "Yann", "Le Goff")
    _add(db, "Ewa", "Kowalska-Nowak")
    _add(db, "Jean", "de la Fontaine")
    for query in ("ndiaye", "n'diaye", "diaye", "awa ndiay"):
        assert _names(db, query) == ["Awa N'Diaye"], query
    for query in ("legoff", "le goff", "goff", "yann legof"):
        assert _names(db, query) == ["Yann Le Goff"], query
    for query in ("kowalskanowak", "kowalska-nowak", "kowalska nowak", "nowak"):
        assert _names(db, query) == ["Ewa Kowalska-Nowak"], query
    assert _names(db, "lafontaine") == _names(db, "delafontaine") == ["Jean de la Fontaine"]


def test_search_finds_names_typed_with_one_typo_from_five_letters_and_two_from_nine(db, mode) -> None:
    _add(db, "Marie", "Lefebvre")
    _add(db, "Ewa", "Wiśniewska")
    _add(db, "Jan", "Kowalski")
    _add(db, "Anne", "Martin")
    db.commit()
    for query in ("lefebre", "lefbevre", "lefebvrr", "marie lefebre"):
        assert _names(db, query) == ["Marie Lefebvre"], query
    for query in ("wisnewska", "wysnewska", "ewa wisniewsla"):
        assert _names(db, query) == ["Ewa Wiśniewska"], query
    assert _names(db, "kowalsky") == ["Jan Kowalski"]
    assert _names(db, "mrtin") == ["Anne Martin"]
    # Too short for a typo, too many typos for the length, or a typo in the first letter.
    for query in ("mrtn", "lfebvrr", "lefebrr", "wysnewsla", "nartin"):
        assert _names(db, query) == [], query


def test_search_looks_for_no_typo_when_a_name_starts_with_the_word(db, mode) -> None:
    _add(db, "Marie", "Lefebvre")
    _add(db, "Jean", "Lefevre")
    db.commit()
    assert _names(db, "lefevre") == ["Jean Lefevre"]
    assert _names(db, "lefebre") == ["Jean Lefevre", "Marie Lefebvre"]


def test_search_ranks_typo_matches_after_every_exact_match(db, mode) -> None:
    _add(db, "Marie", "Lefebvre")
    _add(db, "Paul", "Dupont", emails=[EmailIn(address="lefebre@example.com")])
    _add(db, "Jean", "Lefevre")
    _add(db, "Zoe", "Lefebvre")
    db.commit()
    assert _names(db, "lefebre") == ["Paul Dupont", "Zoe Lefebvre", "Jean Lefevre", "Marie Lefebvre"]
    assert count_contacts(db, filter=ContactFilter(query="lefebre")) == (4, False)


def test_search_ranks_typo_matches_in_names_before_typo_matches_elsewhere(db, mode) -> None:
    _add(db, "Marie", "Lefebvre")
    service.create_contact(
        db,
        data=organisation(company_name="Lefebvre SARL", emails=[EmailIn(address="marie@example.com")]),
        actor_id=None,
    )
    _add(db, "Marie", "Dupont", emails=[EmailIn(address="lefebre@example.com")])
    _add(db, "Anne", "Lefebvre")
    db.commit()
    assert _names(db, "marie lefebre") == ["Marie Dupont", "Marie Lefebvre", "Lefebvre SARL"]


def test_next_page_cursors_walk_typo_matches_after_exact_ones_like_page_numbers(db, mode) -> None:
    for index, last in enumerate(["Lefebvre", "Martin", "Lefevre", "Lefebvre", "Dupont", "Lefebvre", "Lefevre"]):
        emails = [EmailIn(address=f"lefebre{index}@example.com")] if last in ("Martin", "Dupont") else []
        _add(db, f"P{index}", last, emails=emails)
    db.commit()
    filter = ContactFilter(query="lefebre")
    by_cursor = _walk(db, filter, None, 2)
    by_number = []
    for number in range(1, 5):
        page = search_contacts(db, filter=filter, page=number, page_size=2, with_total=False)
        by_number.extend(row.display_name for row in page.rows)
    assert by_cursor == by_number == _names(db, "lefebre")
    assert by_cursor == [
        "P4 Dupont",
        "P1 Martin",
        "P6 Lefevre",
        "P5 Lefebvre",
        "P3 Lefebvre",
        "P2 Lefevre",
        "P0 Lefebvre",
    ]


# ---------------------------------------------------------------- ranking


def test_search_ranks_the_exact_name_then_name_prefixes_then_name_words_then_other_fields(db, mode) -> None:
    _add(db, "Paul", "Dupont", emails=[EmailIn(address="mar@example.com")])
    _add(db, "Anne", "Martin")
    _add(db, "Marie", "Curie")
    _add(db, "Mar")
    _add(db, "Marc", "Aubry")
    db.commit()
    assert _names(db, "mar") == ["Mar", "Marc Aubry", "Marie Curie", "Anne Martin", "Paul Dupont"]


def test_search_ranks_newest_first_among_matches_outside_the_name_prefix(db, mode) -> None:
    _add(db, "Anne", "Martin")
    _add(db, "Paul", "Martinez")
    _add(db, "Zoe", "Martinet")
    db.commit()
    assert _names(db, "martin") == ["Zoe Martinet", "Paul Martinez", "Anne Martin"]


def test_search_can_be_sorted_by_a_column_instead_of_relevance(db, mode) -> None:
    _add(db, "Marie", "Curie")
    _add(db, "Anne", "Martin")
    _add(db, "Mar")
    db.commit()
    assert _names(db, "mar", sort=ContactSort(field="name")) == ["Anne Martin", "Mar", "Marie Curie"]
    assert _names(db, "mar", sort=ContactSort(field="name", direction="desc")) == ["Marie Curie", "Mar", "Anne Martin"]


# ---------------------------------------------------------------- filters


def test_filter_by_kind(db, mode) -> None:
    _add(db, "Ann")
    service.create_contact(db, data=organisation(company_name="Acme"), actor_id=None)
    assert _names(db, kind="organization") == ["Acme"]
    assert _names(db, kind="person") == ["Ann"]


def test_filter_suppliers_only(db, mode) -> None:
    _add(db, "Ann")
    service.create_contact(db, data=organisation(company_name="Acme", is_supplier=True), actor_id=None)
    assert _names(db, suppliers_only=True) == ["Acme"]


def test_filter_conflict_only(db, mode) -> None:
    ann = _add(db, "Ann")
    _add(db, "Bob")
    assert _names(db, conflict_only=True) == []
    service.flag_conflict(db, contact_id=ann.id, conflict=True, actor_id=None)
    assert _names(db, conflict_only=True) == ["Ann"]


def test_filter_tags_any_or_all(db, mode) -> None:
    _add(db, "Ann", tags=["VIP", "Export"])
    _add(db, "Bob", tags=["VIP"])
    _add(db, "Cid", tags=["Export"])
    _add(db, "Dan")
    by_name = {tag.name: tag.id for tag in tags.list_tags(db)}
    both = (by_name["VIP"], by_name["Export"])
    assert _names(db, tag_ids=both) == ["Ann", "Bob", "Cid"]
    assert _names(db, tag_ids=both, tag_mode="all") == ["Ann"]


@pytest.mark.parametrize(("archived", "expected"), [("hide", ["Ann"]), ("only", ["Bob"]), ("include", ["Ann", "Bob"])])
def test_filter_archived_contacts_are_hidden_by_default_shown_alone_or_included(
    db, mode, archived: str, expected: list[str]
) -> None:
    _add(db, "Ann")
    bob = _add(db, "Bob")
    service.archive_contact(db, contact_id=bob.id, actor_id=None)
    assert _names(db, archived=archived) == expected


def test_filter_by_acquisition_channel(db, mode) -> None:
    flyer, web = make_channel(db, name="Flyer"), make_channel(db, name="Web")
    _add(db, "Ann", acquisition_channel_id=flyer.id)
    _add(db, "Bob", acquisition_channel_id=web.id)
    _add(db, "Cid")
    assert _names(db, channel_ids=(flyer.id,)) == ["Ann"]
    assert _names(db, channel_ids=(flyer.id, web.id)) == ["Ann", "Bob"]


def test_filter_by_assigned_staff_or_nobody(db, mode) -> None:
    alice, bruno = make_user(db, name="Alice"), make_user(db, name="Bruno")
    _add(db, "Ann", assigned_user_id=alice.id)
    _add(db, "Bob", assigned_user_id=bruno.id)
    _add(db, "Cid")
    assert _names(db, assigned_user_ids=(alice.id,)) == ["Ann"]
    assert _names(db, unassigned=True) == ["Cid"]
    assert _names(db, assigned_user_ids=(bruno.id,), unassigned=True) == ["Bob", "Cid"]


@pytest.mark.parametrize("narrow_limit", [50_000, 0], ids=["range_intersected", "range_checked_per_contact"])
def test_a_search_within_an_updated_or_open_created_range(db, mode, monkeypatch, narrow_limit) -> None:
    monkeypatch.setattr(search_plan, "NARROW_DATE_LIMIT", narrow_limit)
    stamps = {
        "Ann": (datetime(2024, 1, 5, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
        "Bea": (datetime(2024, 5, 5, tzinfo=UTC), datetime(2024, 6, 30, 23, 59, tzinfo=UTC)),
        "Cid": (datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC)),
    }
    for first, (created, updated) in stamps.items():
        contact = _add(db, first, "Rangefind")
        db.exec(update(Contact).where(Contact.id == contact.id).values(created_at=created, updated_at=updated))
        reindex_contacts(db, contact_ids=[contact.id])
    _add(db, "Dan", "Elsewhere")
    assert _names(db, "rangefind", updated_from=date(2024, 6, 1), updated_to=date(2024, 6, 30)) == ["Bea Rangefind"]
    by_name = ContactSort()
    assert _names(db, "rangefind", by_name, updated_to=date(2024, 6, 30)) == ["Ann Rangefind", "Bea Rangefind"]
    assert _names(db, "rangefind", by_name, created_from=date(2024, 5, 5)) == ["Bea Rangefind", "Cid Rangefind"]
    assert _names(db, "rangefind", created_from=date(2024, 5, 6), updated_from=date(2024, 1, 1)) == ["Cid Rangefind"]
    counted = count_contacts(db, filter=ContactFilter(query="rangefind", updated_from=date(2024, 6, 30)))
    assert counted == (2, False)
    plan = make_plan(db, ContactFilter(query="rangefind", updated_from=date(2024, 6, 1)))
    expected = ("updated",) if narrow_limit and db.get_bind().dialect.name == "sqlite" else ()
    assert plan.narrow_dates == expected


def test_a_half_open_created_range_is_closed_where_the_contacts_end(db, mode) -> None:
    stamps = {"Ann": datetime(2023, 11, 30, 23, 59, tzinfo=UTC), "Bea": datetime(2024, 2, 29, 23, 59, tzinfo=UTC)}
    for first, created in stamps.items():
        contact = _add(db, first, "Spanfind")
        db.exec(update(Contact).where(Contact.id == contact.id).values(created_at=created))
        reindex_contacts(db, contact_ids=[contact.id])
    by_name = ContactSort()
    assert _names(db, "spanfind", by_name, created_from=date(2023, 11, 30)) == ["Ann Spanfind", "Bea Spanfind"]
    assert _names(db, "spanfind", by_name, created_from=date(2023, 12, 1)) == ["Bea Spanfind"]
    assert _names(db, "spanfind", by_name, created_from=date(2024, 3, 1)) == []
    assert _names(db, "spanfind", by_name, created_to=date(2024, 2, 28)) == ["Ann Spanfind"]
    assert _names(db, "spanfind", by_name, created_to=date(2023, 11, 29)) == []
    plan = make_plan(db, ContactFilter(created_from=date(2023, 12, 15)))
    if db.get_bind().dialect.name == "sqlite":
        latest = max(row.created_at for row in db.exec(select(Contact)).all())
        assert plan.created_span is not None and plan.created_span[0] == date(2023, 12, 15)
        assert plan.created_span[1] >= latest.date() and (plan.created_span[1] + timedelta(days=1)).day == 1
        assert plan._created_tokens()[0]  # answered by the full-text match
    else:
        assert plan.created_span is None


def test_filter_by_created_and_updated_date_ranges(db, mode) -> None:
    old, new = _add(db, "Old"), _add(db, "New")
    db.exec(
        update(Contact)
        .where(Contact.id == old.id)
        .values(created_at=datetime(2024, 1, 10, 23, 30, tzinfo=UTC), updated_at=datetime(2024, 6, 1, tzinfo=UTC))
    )
    db.exec(
        update(Contact)
        .where(Contact.id == new.id)
        .values(created_at=datetime(2024, 3, 1, tzinfo=UTC), updated_at=datetime(2024, 3, 2, tzinfo=UTC))
    )
    reindex_contacts(db, contact_ids=[old.id, new.id])
    assert _names(db, created_from=date(2024, 1, 10), created_to=date(2024, 1, 10)) == ["Old"]
    assert _names(db, created_from=date(2024, 3, 1), created_to=date(2024, 3, 31)) == ["New"]
    assert _names(db, created_from=date(2024, 1, 1), created_to=date(2024, 12, 31)) == ["New", "Old"]
    assert _names(db, created_from=date(2024, 1, 11), created_to=date(2024, 12, 31)) == ["New"]
    assert _names(db, created_from=date(2024, 2, 1)) == ["New"]
    assert _names(db, updated_to=date(2024, 3, 31)) == ["New"]
    assert _names(db, created_to=date(2024, 1, 9)) == []


def test_filters_combine_with_each_other_and_with_the_search(db, mode) -> None:
    alice = make_user(db, name="Alice")
    _add(db, "Ann", "Martin", assigned_user_id=alice.id, tags=["VIP"])
    _add(db, "Bob", "Martin", tags=["VIP"])
    _add(db, "Cid", "Martin", assigned_user_id=alice.id)
    vip = next(tag.id for tag in tags.list_tags(db) if tag.name == "VIP")
    assert _names(db, "martin", tag_ids=(vip,), assigned_user_ids=(alice.id,)) == ["Ann Martin"]


# ---------------------------------------------------------------- sorts


def _sort_fixture(db: Session) -> None:
    zed, amy = make_user(db, name="Zed"), make_user(db, name="Amy")
    _add(
        db,
        "Bob",
        phones=[PhoneIn(number="06 00 00 00 02")],
        emails=[EmailIn(address="c@example.com")],
        addresses=[AddressIn(city="Lyon", country="FR")],
        assigned_user_id=zed.id,
    )
    service.create_contact(
        db,
        data=organisation(
            company_name="Acme",
            phones=[PhoneIn(number="06 00 00 00 03")],
            emails=[EmailIn(address="a@example.com")],
            addresses=[AddressIn(city="Paris", country="FR")],
            assigned_user_id=amy.id,
        ),
        actor_id=None,
    )
    _add(
        db,
        "Cid",
        phones=[PhoneIn(number="06 00 00 00 01")],
        emails=[EmailIn(address="b@example.com")],
        addresses=[AddressIn(city="Dijon", country="FR")],
    )
    db.commit()


@pytest.mark.parametrize(
    ("field", "ascending"),
    [
        ("name", ["Acme", "Bob", "Cid"]),
        ("reference", ["Bob", "Acme", "Cid"]),
        ("kind", ["Acme", "Bob", "Cid"]),
        ("city", ["Cid", "Bob", "Acme"]),
        ("created", ["Bob", "Acme", "Cid"]),
        ("updated", ["Bob", "Acme", "Cid"]),
        ("assigned", ["Cid", "Acme", "Bob"]),
        ("email", ["Acme", "Cid", "Bob"]),
        ("phone", ["Cid", "Bob", "Acme"]),
    ],
)
def test_list_sorts_by_each_column_both_ways(db, mode, field: str, ascending: list[str]) -> None:
    _sort_fixture(db)
    assert _names(db, sort=ContactSort(field=field)) == ascending
    assert _names(db, sort=ContactSort(field=field, direction="desc")) == ascending[::-1]


def test_list_without_a_sort_is_ordered_by_name_ignoring_case_and_accents(db, mode) -> None:
    for name in ("fred", "Élodie", "Eddy", "zoé", "Ann"):
        _add(db, name)
    db.commit()
    assert _names(db) == ["Ann", "Eddy", "Élodie", "fred", "zoé"]


# ---------------------------------------------------------------- pages and counts


def _walk(db: Session, filter: ContactFilter, sort: ContactSort | None, size: int) -> list[str]:
    names: list[str] = []
    cursor = None
    page_number = 1
    while True:
        page = search_contacts(
            db, filter=filter, sort=sort, page=page_number, page_size=size, cursor=cursor, with_total=False
        )
        names.extend(row.display_name for row in page.rows)
        if page.next_cursor is None:
            return names
        cursor = page.next_cursor
        page_number += 1


@pytest.mark.parametrize(
    ("query", "sort"),
    [
        ("", None),
        ("", ContactSort(field="city", direction="desc")),
        ("", ContactSort(field="updated")),
        ("ma", None),
        ("ma", ContactSort(field="name", direction="desc")),
    ],
)
def test_next_page_cursors_walk_the_same_rows_as_page_numbers(db, mode, query: str, sort) -> None:
    for index, last in enumerate(["Martin", "Marchand", "Dupont", "Mazur", "Malinowski", "Nowak", "Martinez"]):
        _add(db, f"Ma{index}", last, addresses=[AddressIn(city=f"City {index % 3}", country="FR")])
    db.commit()
    filter = ContactFilter(query=query)
    by_cursor = _walk(db, filter, sort, 2)
    by_number = []
    for number in range(1, 6):
        page = search_contacts(db, filter=filter, sort=sort, page=number, page_size=2, with_total=False)
        by_number.extend(row.display_name for row in page.rows)
    everything = [row.display_name for row in search_contacts(db, filter=filter, sort=sort).rows]
    assert by_cursor == by_number == everything
    assert len(everything) == 7


def test_a_cursor_from_another_list_or_junk_falls_back_to_the_page_number(db) -> None:
    for name in ("Ann", "Bob", "Cid", "Dan"):
        _add(db, name)
    db.commit()
    other = search_contacts(db, filter=ContactFilter(query="zzz x"), page_size=1)
    first = search_contacts(db, filter=ContactFilter(), page_size=1)
    for cursor in (first.next_cursor + "x", "!!", "e30", other.next_cursor or "", "eyJmIjogMX0"):
        page = search_contacts(db, filter=ContactFilter(), page=2, page_size=1, cursor=cursor)
        assert [row.display_name for row in page.rows] == ["Bob"]


def test_search_contacts_clamps_page_and_page_size(db) -> None:
    _add(db, "Ann")
    page = search_contacts(db, filter=ContactFilter(), page=-3, page_size=100_000)
    assert (page.page, page.page_size, len(page.rows)) == (1, MAX_PAGE_SIZE, 1)
    assert search_contacts(db, filter=ContactFilter(), page_size=0).page_size == 1


def test_search_contacts_reports_the_total_and_whether_it_is_estimated(db) -> None:
    for name in ("Ann", "Bob", "Cid"):
        _add(db, name)
    page = search_contacts(db, filter=ContactFilter(), page_size=2)
    assert (page.total, page.total_is_estimate, page.next_cursor is not None) == (3, False, True)
    assert search_contacts(db, filter=ContactFilter(), with_total=False).total == -1


def test_count_is_exact_up_to_the_limit_and_an_estimate_above(db, monkeypatch) -> None:
    for index in range(6):
        _add(db, f"Name {index}", tags=["VIP"] if index % 2 else [])
    db.commit()
    assert count_contacts(db, filter=ContactFilter()) == (6, False)
    monkeypatch.setattr(search_query, "EXACT_COUNT_LIMIT", 3)
    assert count_contacts(db, filter=ContactFilter()) == (6, True)
    assert count_contacts(db, filter=ContactFilter(query="name 1")) == (1, False)
    monkeypatch.setattr(search_query, "SELECTIVE_LIMIT", 2)
    page = search_contacts(db, filter=ContactFilter(), page_size=2)
    assert (page.total, page.total_is_estimate) == (6, True)


def test_the_estimate_scales_a_sample_of_the_id_range(db, monkeypatch) -> None:
    for index in range(40):
        _add(db, f"Name {index}", kind="organization" if index % 4 == 0 else "person", company_name="Co")
    db.commit()
    monkeypatch.setattr(search_query, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(search_query, "ESTIMATE_SAMPLE", 20)
    total, estimated = count_contacts(db, filter=ContactFilter(kind="person"))
    assert estimated
    assert 15 <= total <= 45


def test_one_page_takes_a_fixed_number_of_queries_whatever_its_size(db, mode) -> None:
    for index in range(30):
        _add(
            db,
            f"Name {index}",
            phones=[PhoneIn(number=f"06 12 34 56 {index:02d}")],
            emails=[EmailIn(address=f"n{index}@example.com")],
            tags=["VIP"],
        )
    db.commit()
    search_contacts(db, filter=ContactFilter(query="name"), page_size=1)
    counts = []
    for size in (5, 25):
        db.commit()
        with _count_queries(db) as statements:
            search_contacts(db, filter=ContactFilter(query="name"), page_size=size)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_matching_ids_lists_every_match_in_id_order(db) -> None:
    ids = [_add(db, name, "Martin").id for name in ("Ann", "Bob", "Cid")]
    _add(db, "Dan", "Nowak")
    assert matching_ids(db, filter=ContactFilter(query="martin")) == ids
    assert matching_ids(db, filter=ContactFilter(query="martin"), limit=2) == ids[:2]


# ---------------------------------------------------------------- URL parameters


def test_filter_params_round_trip() -> None:
    filter = ContactFilter(
        query="jean mar",
        kind="person",
        suppliers_only=True,
        conflict_only=True,
        tag_ids=(3, 1),
        tag_mode="all",
        archived="include",
        channel_ids=(2,),
        assigned_user_ids=(5, 6),
        unassigned=True,
        created_from=date(2024, 1, 1),
        created_to=date(2024, 12, 31),
        updated_from=date(2025, 2, 1),
        updated_to=date(2025, 2, 28),
    )
    params = filter_to_params(filter)
    assert all(isinstance(value, str) for value in params.values())
    assert filter_from_params(params) == filter


def test_default_filter_has_no_params() -> None:
    assert filter_to_params(ContactFilter()) == {}
    assert filter_from_params({}) == ContactFilter()


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "robot"},
        {"tags": "x,-1,,99999999999999999999999"},
        {"tag_mode": "some"},
        {"archived": "yes please"},
        {"created_from": "2024-13-45"},
        {"updated_to": "yesterday"},
        {"supplier": "maybe"},
        {"channels": "1;2"},
        {"q": "\x00\x01"},
        {"unknown": "1"},
        {"q": ["a", "b"]},
        {"assigned": None},
    ],
)
def test_filter_from_params_drops_junk_without_raising(params) -> None:
    filter = filter_from_params(params)
    assert isinstance(filter, ContactFilter)
    assert filter_from_params(filter_to_params(filter)) == filter


def test_filter_from_params_keeps_the_good_values_beside_bad_ones() -> None:
    filter = filter_from_params({"kind": "robot", "tags": "4,x,2", "archived": "only", "q": " ann "})
    assert (filter.kind, filter.tag_ids, filter.archived, filter.query) == (None, (4, 2), "only", "ann")


def test_sort_params_round_trip_and_fall_back_to_name() -> None:
    sort = ContactSort(field="city", direction="desc")
    assert sort_from_params(sort_to_params(sort)) == sort
    assert sort_to_params(ContactSort()) == {}
    assert sort_from_params({"sort": "password", "dir": "sideways"}) == ContactSort()


# ---------------------------------------------------------------- keeping the index in sync


def test_editing_a_contact_reindexes_it(db) -> None:
    from tests.contacts.factories import as_input

    ann = _add(db, "Ann", "Lee")
    service.update_contact(db, contact_id=ann.id, data=as_input(ann, last_name="Wójcik"), actor_id=None)
    assert _names(db, "wojcik") == ["Ann Wójcik"]
    assert _names(db, "lee") == []


def test_converting_a_contact_reindexes_it(db) -> None:
    ann = service.create_contact(db, data=organisation(company_name="Acme Holding"), actor_id=None)
    service.convert_kind(db, contact_id=ann.id, to_kind="person", actor_id=None)
    assert _names(db, "acme hol", kind="person") == ["Acme Holding"]


def test_renaming_merging_and_deleting_tags_reindexes_their_contacts(db) -> None:
    _add(db, "Ann", tags=["Gold"])
    _add(db, "Bob", tags=["Silver"])
    by_name = {tag.name: tag.id for tag in tags.list_tags(db)}
    tags.rename_tag(db, tag_id=by_name["Gold"], name="Platinum", actor_id=None)
    assert _names(db, "platinum") == ["Ann"]
    assert _names(db, "gold") == []
    tags.merge_tags(db, source_ids=[by_name["Silver"]], target_id=by_name["Gold"], actor_id=None)
    assert sorted(_names(db, "platinum")) == ["Ann", "Bob"]
    tags.delete_tag(db, tag_id=by_name["Gold"], actor_id=None)
    assert _names(db, "platinum") == []


def test_deleting_a_contact_removes_its_search_row(db) -> None:
    ann = _add(db, "Ann")
    service.delete_contact(db, contact_id=ann.id, actor_id=None)
    assert db.exec(select(ContactSearch)).all() == []
    assert _names(db, "ann") == []


def test_rebuild_search_index_recreates_every_search_row(db) -> None:
    _add(db, "Ann", "Wiśniewska", phones=[PhoneIn(number="06 12 34 56 78")], tags=["VIP"])
    _add(db, "Bob", "Lee")
    before = sorted(tuple(row) for row in db.exec(select(ContactSearch.contact_id, ContactSearch.body_doc)).all())
    db.exec(delete(ContactSearch))
    assert rebuild_search_index(db) == 2
    after = sorted(tuple(row) for row in db.exec(select(ContactSearch.contact_id, ContactSearch.body_doc)).all())
    assert after == before
    assert _names(db, "wisniewska 5678") == ["Ann Wiśniewska"]


def _documents_version(db: Session) -> object:
    row = db.get(AppSetting, DOCUMENTS_VERSION_KEY)
    return None if row is None else row.value


def test_start_up_records_the_layout_of_an_empty_database_and_rebuilds_only_rows_of_another_layout(db) -> None:
    assert ensure_search_documents(db) is None
    assert _documents_version(db) == DOCUMENTS_VERSION
    _field(db, "Next service", "date")
    _add(db, "Ann", "Lee", custom={"next_service": "2031-05-01"})
    _add(db, "Bob", "Ray", custom={"next_service": "2020-05-01"})
    db.commit()
    assert ensure_search_documents(db) is None
    # Rows written by earlier code: the layout before custom dates carried their decade, century and millennium.
    old_layout = DOCUMENTS_VERSION - 1
    db.get(AppSetting, DOCUMENTS_VERSION_KEY).value = old_layout
    for row in db.exec(select(ContactSearch)).all():
        blocks = {_value_token("next_service", block) for block in ("d203", "c20", "k2", "d202")}
        row.body_doc = " ".join(word for word in row.body_doc.split() if word not in blocks)
        db.add(row)
    db.commit()
    after_2030 = _custom(next_service={"date_from": date(2030, 1, 1)})
    tokens = uses_filter_tokens(db.get_bind().dialect.name)
    assert _names(db, custom=after_2030) == ([] if tokens else ["Ann Lee"])
    assert ensure_search_documents(db) == 2
    db.commit()
    assert _documents_version(db) == DOCUMENTS_VERSION
    assert _names(db, custom=after_2030) == ["Ann Lee"]
    assert ensure_search_documents(db) is None


def test_start_up_rebuilds_the_rows_of_an_upgraded_database_that_recorded_no_layout(db) -> None:
    _add(db, "Ann", "Lee")
    db.exec(delete(ContactSearch))
    db.commit()
    assert _documents_version(db) is None
    assert ensure_search_documents(db) == 1
    assert _names(db, "lee") == ["Ann Lee"]
    assert _documents_version(db) == DOCUMENTS_VERSION


def test_a_loader_can_index_rows_as_they_land_and_resume_without_a_rebuild(db) -> None:
    """The bulk path bench/seed.py takes on SQLite: sync suspended, each part's rows indexed, one final merge."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL indexes its generated column itself")
    ann = _add(db, "Ann", "Wiśniewska", phones=[PhoneIn(number="06 12 34 56 78")], tags=["VIP"]).id
    connection = db.connection()
    suspend_index_sync(connection)
    connection.exec_driver_sql(f"DELETE FROM {FTS_TABLE}")
    cursor = connection.connection.driver_connection.cursor()
    index_loaded_rows(
        cursor.execute, f"SELECT contact_id, name_doc, body_doc FROM contact_search WHERE contact_id = {ann}"
    )
    resume_index_sync(connection, rebuild=False)
    _add(db, "Bob", "Lee")
    assert (_names(db, "wisniewska 5678"), _names(db, "lee")) == (["Ann Wiśniewska"], ["Bob Lee"])
    assert [row.id for row in search_contacts(db, filter=ContactFilter(tag_ids=_tag_ids(db, "VIP"))).rows] == [ann]
    config = dict(connection.exec_driver_sql(f"SELECT k, v FROM {FTS_TABLE}_config").all())
    assert (config["automerge"], config["crisismerge"]) == (4, 16)


# ---------------------------------------------------------------- saved views


def test_saved_views_keep_a_cleaned_filter_set_per_user(db) -> None:
    alice, bruno = make_user(db, name="Alice"), make_user(db, name="Bruno")
    view = save_view(
        db, user_id=alice.id, name="  My VIPs ", params={"tags": "1,x", "kind": "robot", "sort": "city", "evil": "1"}
    )
    assert (view.name, view.params) == ("My VIPs", {"tags": "1", "sort": "city"})
    save_view(db, user_id=alice.id, name="Archive", params={"archived": "only"})
    save_view(db, user_id=bruno.id, name="Mine", params={})
    assert [v.name for v in list_views(db, user_id=alice.id)] == ["Archive", "My VIPs"]
    assert [v.name for v in list_views(db, user_id=bruno.id)] == ["Mine"]


def test_saving_a_view_under_an_existing_name_replaces_it(db) -> None:
    alice = make_user(db)
    first = save_view(db, user_id=alice.id, name="Leads", params={"kind": "person"})
    second = save_view(db, user_id=alice.id, name="LEADS", params={"kind": "organization"})
    assert second.id == first.id
    assert [(v.name, v.params) for v in list_views(db, user_id=alice.id)] == [("LEADS", {"kind": "organization"})]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "bad\x00name"])
def test_saving_a_view_rejects_bad_names(db, name: str) -> None:
    alice = make_user(db)
    with pytest.raises(ValidationError):
        save_view(db, user_id=alice.id, name=name, params={})


def test_users_can_only_delete_their_own_views(db) -> None:
    alice, bruno = make_user(db, name="Alice"), make_user(db, name="Bruno")
    view = save_view(db, user_id=alice.id, name="Leads", params={})
    with pytest.raises(NotFoundError):
        delete_view(db, user_id=bruno.id, view_id=view.id)
    delete_view(db, user_id=alice.id, view_id=view.id)
    assert list_views(db, user_id=alice.id) == []
    with pytest.raises(NotFoundError):
        delete_view(db, user_id=alice.id, view_id=view.id)


def test_deleting_a_user_deletes_their_views(db) -> None:
    alice = make_user(db)
    save_view(db, user_id=alice.id, name="Leads", params={})
    db.commit()
    db.exec(delete(User).where(User.id == alice.id))
    db.commit()
    assert list_views(db, user_id=alice.id) == []


def test_a_saved_view_gives_back_the_filter_it_was_saved_with(db) -> None:
    alice = make_user(db)
    filter = ContactFilter(query="ann", tag_ids=(2,), created_from=date.today() - timedelta(days=7))
    params = {**filter_to_params(filter), **sort_to_params(ContactSort(field="updated"))}
    view = save_view(db, user_id=alice.id, name="Recent Anns", params=params)
    assert filter_from_params(view.params) == filter
    assert sort_from_params(view.params) == ContactSort(field="updated")


def test_list_rows_carry_the_main_phone_email_city_tags_user_and_flags(db) -> None:
    from crm_app.core.app_settings import get_settings, update_settings

    update_settings(db, actor_id=None, phone_display="national")
    alice = make_user(db, name="Alice")
    ann = _add(
        db,
        "Ann",
        "Lee",
        phones=[PhoneIn(number="06 12 34 56 78"), PhoneIn(number="+48 512 345 678")],
        emails=[EmailIn(address="ann@example.com"), EmailIn(address="lee@example.com")],
        addresses=[AddressIn(city="Lyon", country="FR"), AddressIn(city="Paris", country="FR", is_main=True)],
        tags=["VIP", "Export"],
        assigned_user_id=alice.id,
    )
    service.flag_conflict(db, contact_id=ann.id, conflict=True, actor_id=None)
    bob = service.create_contact(db, data=organisation(company_name="Acme", is_supplier=True), actor_id=None)
    service.archive_contact(db, contact_id=bob.id, actor_id=None)
    acme, lee = page_rows(db, [bob.id, ann.id], get_settings(db))
    assert (acme.display_name, acme.is_supplier, acme.archived, acme.is_conflict) == ("Acme", True, True, False)
    assert (acme.main_phone, acme.main_email, acme.city, acme.tags, acme.assigned_user_name) == ("", "", "", [], "")
    assert (lee.display_name, lee.is_supplier, lee.archived, lee.is_conflict) == ("Ann Lee", False, False, True)
    assert (lee.main_phone, lee.main_phone_tel) == ("06 12 34 56 78", "tel:+33612345678")
    assert (lee.main_email, lee.city, lee.tags, lee.assigned_user_name) == (
        "ann@example.com",
        "Paris",
        ["Conflict", "Export", "VIP"],
        "Alice",
    )


# ---------------------------------------------------------------- custom fields in the list


def _field(db: Session, label: str, type_: str = "text", *, kind: str = "person", **flags) -> FieldRead:
    return definitions.create_field(db, kind=kind, data=FieldCreate(label=label, type=type_, **flags), actor_id=None)


def _choice(field: FieldRead, label: str) -> str:
    return next(choice.id for choice in field.choices if choice.label == label)


def _custom(**values) -> tuple[CustomFilter, ...]:
    return tuple(CustomFilter(key=key, **spec) for key, spec in values.items())


def test_search_finds_custom_text_values_of_searchable_fields_only(db) -> None:
    _field(db, "Site access code", searchable=True)
    _field(db, "Private note")
    _add(db, "Ann", "Lee", custom={"site_access_code": "Gate Zorbulak", "private_note": "Quixotry"})
    _add(db, "Bob", "Ray")
    db.commit()
    assert _names(db, "zorbul") == ["Ann Lee"]
    assert _names(db, "quixotry") == []


def test_search_finds_choice_labels_e_mails_and_phones_of_searchable_custom_fields(db) -> None:
    brand = _field(db, "Device brand", "select", kind="organization", choices=["Grundig", "Philips"], searchable=True)
    _field(db, "Billing e-mail", "email", kind="organization", searchable=True)
    _field(db, "Site phone", "phone", kind="organization", searchable=True)
    service.create_contact(
        db,
        data=organisation(
            company_name="Acme",
            phones=[],
            emails=[],
            addresses=[],
            custom={
                "device_brand": _choice(brand, "Grundig"),
                "billing_e_mail": "ledger@quarkmail.example",
                "site_phone": "04 78 00 11 22",
            },
        ),
        actor_id=None,
    )
    db.commit()
    for typed in ("grundig", "quarkmail", "0478001122", "+33 4 78 00 11 22", "1122"):
        assert _names(db, typed) == ["Acme"], typed


def test_making_a_field_searchable_reindexes_the_contacts_that_hold_a_value(db) -> None:
    code = _field(db, "Site access code")
    _add(db, "Ann", "Lee", custom={"site_access_code": "Wombat42"})
    db.commit()
    assert _names(db, "wombat42") == []
    definitions.update_field(db, field_id=code.id, data=FieldUpdate(searchable=True), actor_id=None)
    db.commit()
    assert _names(db, "wombat42") == ["Ann Lee"]
    definitions.update_field(db, field_id=code.id, data=FieldUpdate(searchable=False), actor_id=None)
    db.commit()
    assert _names(db, "wombat42") == []


def test_reindexing_a_custom_field_walks_its_contacts_in_batches(db) -> None:
    _field(db, "Site access code", searchable=True)
    for index in range(5):
        _add(db, f"Name{index}", custom={"site_access_code": f"Code{index}"})
    _add(db, "Other")
    db.commit()
    db.execute(update(ContactSearch).values(body_doc=""))
    with _count_queries(db) as statements:
        visited = reindex_custom_field(db, key="site_access_code", batch_size=2)
    assert visited == 5
    assert sum("FROM contact_search" in s or "INTO contact_search" in s for s in statements) >= 3
    assert _names(db, "code3") == ["Name3"]


def test_a_deactivated_searchable_field_no_longer_finds_its_contacts(db) -> None:
    code = _field(db, "Site access code", searchable=True)
    _add(db, "Ann", "Lee", custom={"site_access_code": "Wombat42"})
    definitions.set_active(db, field_id=code.id, active=False, actor_id=None)
    db.commit()
    assert _names(db, "wombat42") == []


def test_list_filters_by_a_single_choice_field(db, mode) -> None:
    brand = _field(db, "Brand", "select", choices=["Apple", "Samsung", "Other"])
    _add(db, "Ann", custom={"brand": _choice(brand, "Apple")})
    _add(db, "Bob", custom={"brand": _choice(brand, "Samsung")})
    _add(db, "Cid", custom={"brand": _choice(brand, "Other")})
    _add(db, "Dan")
    db.commit()
    apple, samsung = _choice(brand, "Apple"), _choice(brand, "Samsung")
    assert _names(db, custom=_custom(brand={"values": (apple,)})) == ["Ann"]
    assert _names(db, custom=_custom(brand={"values": (apple, samsung)})) == ["Ann", "Bob"]


def test_list_filters_by_a_multiple_choice_field_matching_any_chosen_option(db, mode) -> None:
    skills = _field(db, "Skills", "multi_select", choices=["Plumbing", "Wiring", "Roofing"])
    plumbing, wiring, roofing = (_choice(skills, label) for label in ("Plumbing", "Wiring", "Roofing"))
    _add(db, "Ann", custom={"skills": [plumbing, wiring]})
    _add(db, "Bob", custom={"skills": [roofing]})
    _add(db, "Cid")
    db.commit()
    assert _names(db, custom=_custom(skills={"values": (wiring,)})) == ["Ann"]
    assert _names(db, custom=_custom(skills={"values": (wiring, roofing)})) == ["Ann", "Bob"]


def test_list_filters_by_a_ticked_or_unticked_checkbox(db, mode) -> None:
    _field(db, "Newsletter", "checkbox")
    _add(db, "Ann", custom={"newsletter": True})
    _add(db, "Bob", custom={"newsletter": False})
    _add(db, "Cid")
    db.commit()
    assert _names(db, custom=_custom(newsletter={"values": ("1",)})) == ["Ann"]
    assert _names(db, custom=_custom(newsletter={"values": ("0",)})) == ["Bob", "Cid"]
    assert _names(db, custom=_custom(newsletter={"values": ("0", "1")})) == ["Ann", "Bob", "Cid"]


def test_list_filters_by_a_date_field_range_with_both_ends_included(db, mode) -> None:
    _field(db, "Next service", "date")
    for name, day in (("Ann", "2026-03-01"), ("Bob", "2026-03-31"), ("Cid", "2026-04-01"), ("Dan", "2025-12-31")):
        _add(db, name, custom={"next_service": day})
    _add(db, "Eve")
    db.commit()
    march = _custom(next_service={"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)})
    assert _names(db, custom=march) == ["Ann", "Bob"]
    assert _names(db, custom=_custom(next_service={"date_from": date(2026, 3, 2)})) == ["Bob", "Cid"]
    assert _names(db, custom=_custom(next_service={"date_to": date(2025, 12, 31)})) == ["Dan"]


def test_a_date_field_range_across_years_and_part_months_keeps_exactly_its_days(db, mode) -> None:
    _field(db, "Next service", "date")
    days = ("2024-11-30", "2024-12-01", "2025-01-01", "2025-07-14", "2025-12-31", "2026-02-10", "2026-02-11")
    for index, day in enumerate(days):
        _add(db, f"N{index}", custom={"next_service": day})
    db.commit()

    def between(start: date, end: date) -> list[str]:
        return _names(db, custom=_custom(next_service={"date_from": start, "date_to": end}))

    assert between(date(2024, 12, 1), date(2026, 2, 10)) == ["N1", "N2", "N3", "N4", "N5"]
    assert between(date(2025, 1, 1), date(2025, 12, 31)) == ["N2", "N3", "N4"]
    assert between(date(2024, 11, 30), date(2024, 11, 30)) == ["N0"]
    assert between(date(2020, 1, 1), date(2029, 12, 31)) == [f"N{index}" for index in range(7)]
    assert between(date(1900, 1, 2), date(2099, 12, 30)) == [f"N{index}" for index in range(7)]


def test_date_range_tokens_cover_whole_years_and_months_and_say_when_they_are_exact() -> None:
    year = _value_token("d", "y2025")
    months = [_value_token("d", f"m{m}") for m in ("2024-12", "2026-01", "2026-02")]
    assert date_range_tokens("d", date(2024, 12, 1), date(2026, 2, 28)) == (
        [months[0], year, *months[1:]],
        True,
    )
    assert date_range_tokens("d", date(2024, 12, 2), date(2026, 2, 28))[1] is False
    assert date_range_tokens("d", date(2024, 12, 1), None) == ([], False)
    assert date_range_tokens("d", date(1900, 1, 2), date(2099, 12, 30)) == ([], False)


def test_custom_date_tokens_cover_any_range_open_or_closed_with_few_aligned_blocks() -> None:
    def token(text: str) -> str:
        return _value_token("d", text)

    assert _custom_date_tokens("d", date(2024, 12, 1), date(2026, 2, 28)) == (
        [token("m2024-12"), token("y2025"), token("m2026-01"), token("m2026-02")],
        True,
    )
    # Open at the end: the rest of 2026, the years to the decade's end, decades, centuries, millennia.
    after = [token("m2026-12"), *(token(f"y{y}") for y in (2027, 2028, 2029))]
    after += [*(token(f"d20{d}") for d in range(3, 10)), *(token(f"c2{c}") for c in range(1, 10))]
    after += [token(f"k{k}") for k in range(3, 10)]
    assert _custom_date_tokens("d", date(2026, 12, 2), None) == (after, False)
    # Open at the start: everything before 2025 in four blocks and five years, then January.
    before = [token("k0"), token("k1"), token("d200"), token("d201"), *(token(f"y{y}") for y in range(2020, 2025))]
    assert _custom_date_tokens("d", None, date(2025, 1, 31)) == ([*before, token("m2025-01")], True)
    assert _custom_date_tokens("d", date(2026, 3, 1), date(2026, 2, 1)) == ([], False)
    worst = _custom_date_tokens("d", date(1, 2, 1), date(9999, 11, 30))[0]
    assert len(worst) <= 90


def test_open_and_very_long_date_ranges_find_exactly_their_days_across_centuries(db, mode) -> None:
    _field(db, "Next service", "date")
    days = ("1000-05-01", "1899-12-31", "1900-01-01", "2025-12-31", "2026-12-02", "2030-01-01", "9999-12-31")
    for index, day in enumerate(days):
        _add(db, f"N{index}", custom={"next_service": day})
    _add(db, "None")
    db.commit()

    def names(start: date | None, end: date | None) -> list[str]:
        spec = {key: value for key, value in (("date_from", start), ("date_to", end)) if value is not None}
        return _names(db, custom=_custom(next_service=spec))

    def expected(start: date | None, end: date | None) -> list[str]:
        low, high = (start or date.min).isoformat(), (end or date.max).isoformat()
        return [f"N{index}" for index, day in enumerate(days) if low <= day <= high]

    ranges = [
        (date(2026, 12, 2), None),
        (date(2026, 12, 3), None),
        (None, date(1899, 12, 31)),
        (None, date(1899, 12, 30)),
        (date(1000, 5, 2), None),
        (None, date(9999, 12, 30)),
        (date(1900, 1, 1), date(2030, 1, 1)),
        (date(1, 1, 1), date(9999, 12, 31)),
        (date(2026, 1, 1), None),
    ]
    for start, end in ranges:
        assert names(start, end) == expected(start, end), (start, end)
    until_2025 = ContactFilter(custom=_custom(next_service={"date_to": date(2025, 12, 31)}))
    assert count_contacts(db, filter=until_2025) == (4, False)


def test_custom_filters_combine_with_search_tags_and_other_filters(db, mode) -> None:
    brand = _field(db, "Brand", "select", choices=["Apple", "Samsung"])
    apple = _choice(brand, "Apple")
    _add(db, "Ann", "Martin", custom={"brand": apple}, tags=["VIP"])
    _add(db, "Bob", "Martin", custom={"brand": apple})
    _add(db, "Cid", "Martin", custom={"brand": _choice(brand, "Samsung")}, tags=["VIP"])
    _add(db, "Dan", "Nowak", custom={"brand": apple}, tags=["VIP"])
    db.commit()
    vip = tags.search_tags(db, prefix="VIP")[0].id
    only_apple = _custom(brand={"values": (apple,)})
    by_name = ContactSort(field="name")
    assert _names(db, "martin", by_name, custom=only_apple) == ["Ann Martin", "Bob Martin"]
    assert _names(db, custom=only_apple, tag_ids=(vip,)) == ["Ann Martin", "Dan Nowak"]
    assert _names(db, "martin", custom=only_apple, tag_ids=(vip,)) == ["Ann Martin"]
    page = search_contacts(db, filter=ContactFilter(custom=only_apple, tag_ids=(vip,)))
    assert (page.total, page.total_is_estimate) == (2, False)
    assert count_contacts(db, filter=ContactFilter(query="martin", custom=only_apple)) == (2, False)


def test_a_filter_on_an_unknown_custom_field_is_ignored(db) -> None:
    _add(db, "Ann")
    db.commit()
    assert _names(db, custom=_custom(nothing_here={"values": ("x",)})) == ["Ann"]


def test_custom_filters_round_trip_through_url_parameters(db) -> None:
    filter = ContactFilter(
        kind="person",
        custom=_custom(
            brand={"values": ("apple", "samsung")},
            next_service={"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)},
            newsletter={"values": ("1",)},
        ),
    )
    params = filter_to_params(filter)
    assert params == {
        "kind": "person",
        "cf.brand": "apple,samsung",
        "cf.newsletter": "1",
        "cf.next_service.from": "2026-03-01",
        "cf.next_service.to": "2026-03-31",
    }
    assert filter_from_params(params) == filter
    assert all(is_custom_param(name) for name in params if name.startswith("cf."))


def test_bad_custom_filter_parameters_are_dropped_without_an_error(db) -> None:
    params = {
        "cf.Bad-Key": "x",
        "cf.brand": "apple,<script>,samsung",
        "cf.when.from": "yesterday",
        "cf.when.middle": "2026-01-01",
        "q": "ann",
    }
    filter = filter_from_params(params)
    assert filter.query == "ann"
    assert filter.custom == _custom(brand={"values": ("apple", "samsung")})
    assert not is_custom_param("cf.when.middle")


def test_list_columns_show_custom_values_formatted_for_people(db) -> None:
    brand = _field(db, "Brand", "select", choices=["Apple", "Samsung"], show_in_list=True)
    _field(db, "Next service", "date", show_in_list=True)
    _field(db, "Hidden code", show_in_list=False)
    _add(db, "Ann", custom={"brand": _choice(brand, "Apple"), "next_service": "2026-03-15", "hidden_code": "x"})
    _add(db, "Bob")
    db.commit()
    listed = list_fields(db)
    assert [(c.key, c.label) for c in listed.columns] == [("brand", "Brand"), ("next_service", "Next service")]
    assert [f.key for f in listed.filters] == ["brand", "next_service"]
    rows = search_contacts(db, filter=ContactFilter()).rows
    assert rows[0].custom == {"brand": "Apple", "next_service": "Mar 15, 2026"}
    assert rows[1].custom == {"brand": "", "next_service": ""}
    french = search_contacts(db, filter=ContactFilter(), locale="fr").rows
    assert french[0].custom["next_service"] == "15 mars 2026"


# ---------------------------------------------------------------- filter pickers


def test_tag_choices_offer_the_chosen_tags_then_a_few_matching_ones(db) -> None:
    ids = {name: tags.create_tag(db, name=name, actor_id=None).id for name in ("Alpha", "alps", "Beta", "Al_pha")}
    assert [name for _id, name in tag_choices(db, prefix="al")] == ["Al_pha", "Alpha", "alps"]
    assert [name for _id, name in tag_choices(db, prefix="al_")] == ["Al_pha"]
    chosen = tag_choices(db, prefix="al", selected=[ids["Beta"]], limit=2)
    assert [name for _id, name in chosen] == ["Beta", "Al_pha", "Alpha"]


def test_user_choices_offer_active_staff_by_name_or_e_mail_prefix(db) -> None:
    make_user(db, name="Ann Martin")
    bob = make_user(db, name="Bob Nowak")
    gone = make_user(db, name="Anne Gone", active=False)
    assert [name for _id, name in user_choices(db, prefix="ann")] == ["Ann Martin"]
    assert len(user_choices(db, prefix="user")) == 2
    assert [uid for uid, _name in user_choices(db, prefix="bob", selected=[gone.id])] == [gone.id, bob.id]


# ---------------------------------------------------------------- sort by tags


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_list_sorts_by_first_tag_name_and_pages_the_same_way_with_cursors(db, mode, direction) -> None:
    for first, labels in (
        ("Ann", ["Wholesale", "Export"]),
        ("Bob", []),
        ("Cid", ["Alpha"]),
        ("Dan", ["Export"]),
        ("Eve", ["Zulu", "Beta"]),
        ("Fay", []),
        ("Gus", ["Alpha", "Zulu"]),
    ):
        _add(db, first, "Tagsort", tags=labels)
    db.commit()
    sort = ContactSort(field="tags", direction=direction)
    filter = ContactFilter(query="tagsort")
    order = ["Bob", "Fay", "Cid", "Gus", "Eve", "Ann", "Dan"]
    expected = [f"{name} Tagsort" for name in (order if direction == "asc" else order[::-1])]
    everything = [row.display_name for row in search_contacts(db, filter=filter, sort=sort).rows]
    assert everything == expected
    assert _walk(db, filter, sort, 2) == everything
    assert sort_from_params(sort_to_params(sort)) == sort


def test_renaming_a_choice_of_a_searchable_field_finds_contacts_by_the_new_label(db) -> None:
    brand = _field(db, "Brand", "select", choices=["Grundig", "Philips"], searchable=True)
    _add(db, "Ann", custom={"brand": _choice(brand, "Grundig")})
    db.commit()
    field_choices.rename_choice(
        db, field_id=brand.id, choice_id=_choice(brand, "Grundig"), label="Telefunken", actor_id=None
    )
    db.commit()
    assert (_names(db, "telefunken"), _names(db, "grundig")) == (["Ann"], [])


def test_deleting_a_searchable_field_takes_its_values_out_of_the_search(db) -> None:
    code = _field(db, "Site access code", searchable=True)
    _add(db, "Ann", custom={"site_access_code": "Wombat42"})
    db.commit()
    stored_values.delete_field(db, field_id=code.id, actor_id=None, confirm=True)
    db.commit()
    assert _names(db, "wombat42") == []


def test_filter_tokens_name_every_filter_a_contact_passes() -> None:
    fields = [
        CustomField(key="brand", label="", type="select", kind="person"),
        CustomField(key="skills", label="", type="multi_select", kind="person"),
        CustomField(key="newsletter", label="", type="checkbox", kind="person"),
    ]
    contact = {
        "kind": "person",
        "is_supplier": True,
        "archived_at": datetime(2026, 1, 1, tzinfo=UTC),
        "assigned_user_id": 7,
        "acquisition_channel_id": 3,
        "custom": {"brand": "c1", "skills": ["c2", "c3"], "newsletter": True},
    }
    tokens = filter_tokens(contact, tag_ids=[5, 2, 5], fields=fields)
    assert tokens[:7] == ["_kperson", "_u7", "_s", "_a", "_c3", "_t2", "_t5"]
    assert len(set(tokens[7:])) == 4 and all(token.startswith("_v") for token in tokens[7:])
    bare = {"kind": "organization", "custom": {"newsletter": False}}
    assert filter_tokens(bare, tag_ids=[], fields=fields) == ["_korganization", "_u0"]


def test_a_typed_search_never_matches_a_filter_token(db) -> None:
    staff = make_user(db, name="Zed Quill")
    bob = _add(db, "Bob", tags=["VIP"], assigned_user_id=staff.id)
    service.archive_contact(db, contact_id=bob.id, actor_id=None)
    vip = next(tag.id for tag in tags.list_tags(db) if tag.name == "VIP")
    for query in (f"t{vip}", f"_t{vip}", f"u{staff.id}", "kperson", "_a", "_u", "k"):
        assert _names(db, query, archived="include") == [], query
    assert _names(db, "bob", archived="include") == ["Bob"]
