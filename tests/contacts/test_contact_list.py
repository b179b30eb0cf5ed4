"""The contact list: order, paging, filters, search, row contents, a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session

from crm_app.contacts import service
from crm_app.contacts.schemas import AddressIn, EmailIn, PhoneIn
from crm_app.core.app_settings import update_settings
from tests.contacts.factories import make_user, organisation, person


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def _names(page) -> list[str]:
    return [row.display_name for row in page.rows]


def _add(session: Session, first: str, **overrides):
    values = {"first_name": first, "last_name": "", "phones": [], "emails": [], "addresses": []}
    values.update(overrides)
    return service.create_contact(session, data=person(**values), actor_id=None)


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


def test_list_contacts_sorts_by_name_ignoring_case_and_accents(db) -> None:
    for name in ("fred", "Élodie", "Eddy", "zoé", "Ann"):
        _add(db, name)
    db.commit()
    assert _names(service.list_contacts(db)) == ["Ann", "Eddy", "Élodie", "fred", "zoé"]


def test_list_contacts_pages_through_rows_and_reports_the_total(db) -> None:
    for index in range(7):
        _add(db, f"Name {index}")
    db.commit()
    page = service.list_contacts(db, page=2, page_size=3)
    assert (_names(page), page.total, page.page, page.page_size) == (["Name 3", "Name 4", "Name 5"], 7, 2, 3)


def test_list_contacts_clamps_silly_paging_values(db) -> None:
    _add(db, "Ann")
    page = service.list_contacts(db, page=-4, page_size=100_000)
    assert (page.page, page.page_size, len(page.rows)) == (1, service.MAX_PAGE_SIZE, 1)


def test_list_contacts_leaves_out_archived_contacts_unless_asked(db) -> None:
    _add(db, "Ann")
    gone = _add(db, "Bob")
    service.archive_contact(db, contact_id=gone.id, actor_id=None)
    assert _names(service.list_contacts(db)) == ["Ann"]
    page = service.list_contacts(db, include_archived=True)
    assert [(r.display_name, r.archived) for r in page.rows] == [("Ann", False), ("Bob", True)]


def test_list_contacts_can_show_suppliers_only(db) -> None:
    _add(db, "Ann")
    service.create_contact(db, data=organisation(company_name="Parts Ltd", is_supplier=True), actor_id=None)
    assert _names(service.list_contacts(db, suppliers_only=True)) == ["Parts Ltd"]


def test_list_contacts_finds_a_name_by_prefix_ignoring_case_and_accents(db) -> None:
    _add(db, "Élodie")
    _add(db, "Eddy")
    assert _names(service.list_contacts(db, query="elo")) == ["Élodie"]


def test_list_contacts_finds_a_reference(db) -> None:
    _add(db, "Ann")
    bob = _add(db, "Bob")
    assert _names(service.list_contacts(db, query=bob.reference.lower())) == ["Bob"]


@pytest.mark.parametrize("query", ["06 12 34", "+33 6 12 34 56 78", "0033612345678", "345678"])
def test_list_contacts_finds_a_phone_in_any_written_form(db, query) -> None:
    _add(db, "Ann", phones=[PhoneIn(number="06 12 34 56 78")])
    _add(db, "Bob", phones=[PhoneIn(number="01 45 45 45 45")])
    assert _names(service.list_contacts(db, query=query)) == ["Ann"]


def test_list_contacts_finds_an_email_by_prefix(db) -> None:
    _add(db, "Ann", emails=[EmailIn(address="Ann.Smith@Example.com")])
    _add(db, "Bob", emails=[EmailIn(address="bob@example.com")])
    assert _names(service.list_contacts(db, query="ann.smith@")) == ["Ann"]


def test_list_contacts_treats_like_wildcards_in_the_query_literally(db) -> None:
    _add(db, "Ann")
    _add(db, "50% off")
    assert _names(service.list_contacts(db, query="%")) == []
    assert _names(service.list_contacts(db, query="50%")) == ["50% off"]
    assert _names(service.list_contacts(db, query="_")) == []


def test_list_contacts_rows_carry_the_main_phone_email_city_tags_and_user(db) -> None:
    update_settings(db, actor_id=None, phone_display="national")
    user = make_user(db, name="Bob")
    _add(
        db,
        "Ann",
        assigned_user_id=user.id,
        phones=[PhoneIn(number="06 12 34 56 78"), PhoneIn(number="01 45 45 45 45")],
        emails=[EmailIn(address="first@example.com"), EmailIn(address="second@example.com")],
        addresses=[AddressIn(city="Lyon"), AddressIn(city="Paris", is_main=True)],
        tags=["VIP", "Blue"],
    )
    row = service.list_contacts(db).rows[0]
    assert (row.main_phone, row.main_phone_tel) == ("06 12 34 56 78", "tel:+33612345678")
    assert (row.main_email, row.city, row.tags, row.assigned_user_name) == (
        "first@example.com",
        "Paris",
        ["Blue", "VIP"],
        "Bob",
    )
    assert row.is_conflict is False


def test_list_contacts_marks_conflict_rows(db) -> None:
    ann = _add(db, "Ann")
    service.flag_conflict(db, contact_id=ann.id, conflict=True, actor_id=None)
    assert service.list_contacts(db).rows[0].is_conflict is True


def test_list_contacts_runs_the_same_number_of_queries_for_2_or_20_rows(db) -> None:
    user = make_user(db)

    def add(count: int, offset: int) -> None:
        for index in range(count):
            _add(
                db,
                f"P{offset + index:03d}",
                assigned_user_id=user.id,
                phones=[PhoneIn(number=f"06 12 34 {56 + (offset + index) // 100:02d} {(offset + index) % 100:02d}")],
                emails=[EmailIn(address=f"p{offset + index}@example.com")],
                addresses=[AddressIn(city="Lyon")],
                tags=["VIP"],
            )
        db.commit()

    add(2, 0)
    with _count_queries(db) as few:
        assert len(service.list_contacts(db).rows) == 2
    add(18, 2)
    with _count_queries(db) as many:
        assert len(service.list_contacts(db).rows) == 20
    assert len(few) == len(many)
    assert len(many) <= 9
