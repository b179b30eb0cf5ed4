"""The vocabulary of name words and the words a mistyped search word may have meant, on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, delete, select

from crm_app.contacts import name_words, service
from crm_app.contacts.models import ContactNameWord
from crm_app.contacts.search.structures import rebuild_search_index
from tests.contacts.factories import organisation, person


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def _add(db: Session, first: str, last: str) -> None:
    data = person(first_name=first, last_name=last, phones=[], emails=[], addresses=[])
    service.create_contact(db, data=data, actor_id=None)


def _vocabulary(db: Session) -> list[str]:
    return list(db.exec(select(ContactNameWord.word).order_by(ContactNameWord.word)).all())


def test_saving_a_contact_adds_its_name_words_of_four_letters_or_more_and_their_spellings(db) -> None:
    _add(db, "Jan", "Müller")
    service.create_contact(db, data=organisation(company_name="Le Goff 1990"), actor_id=None)
    assert _vocabulary(db) == ["goff", "goff1990", "legoff1990", "mueller", "muller"]


def test_near_words_are_the_name_words_within_the_allowed_edits_closest_first(db) -> None:
    for last in ("Lefebvre", "Lefevre", "Lefebure", "Lefort", "Wiśniewska", "Wiśniewski", "Kefebvre"):
        _add(db, "Ann", last)
    connection = db.connection()
    assert name_words.near_words(connection, word="lefebre") == ("lefebure", "lefebvre", "lefevre")
    assert name_words.near_words(connection, word="wysnewska") == ("wisniewska",)
    assert name_words.near_words(connection, word="wisnewski") == ("wisniewski", "wisniewska")
    # A name word starts with it, it is too short, or holds a digit: no typo.
    for word in ("lefeb", "lefe", "lef3bvre"):
        assert name_words.near_words(connection, word=word) == (), word


def test_rebuilding_the_search_rows_refills_the_vocabulary(db) -> None:
    _add(db, "Marie", "Lefebvre")
    db.exec(delete(ContactNameWord))
    db.commit()
    assert name_words.near_words(db.connection(), word="lefebre") == ()
    assert rebuild_search_index(db) == 1
    assert _vocabulary(db) == ["lefebvre", "marie"]
    assert name_words.near_words(db.connection(), word="lefebre") == ("lefebvre",)
