"""The vocabulary of contacts' name words, and the words a mistyped search word may have meant.

``contact_name_word`` holds every distinct word of four letters or more found in the search rows' names
(``contact_search.name_doc``: folded words, umlauts spelled out, words joined), with its length. A search word
of five letters or more that starts no name word is compared with the vocabulary words that begin with the
same letter and are at most one letter shorter or longer (two for words of nine letters or more): those within
one edit (two) are the names it may have meant ("lefebre" -> "lefebvre", "lefevre"). The lookup reads one
index range per length, never the contacts.

Words are added as search rows are written and never removed one by one (a renamed contact's old word stays
until the next rebuild of the search rows, and finds nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import Connection, delete, select, text

from crm_app.contacts.models import ContactNameWord, ContactSearch

MIN_WORD_LENGTH = 4
MIN_TYPO_LENGTH = 5
TWO_TYPOS_LENGTH = 9
MAX_NEAR_WORDS = 8
_INSERT = text("INSERT INTO contact_name_word (word, length) VALUES (:word, :length) ON CONFLICT (word) DO NOTHING")
_READ_ROWS = 20_000


def next_prefix(text_: str) -> str:
    """The smallest string greater than every string that starts with ``text_``."""
    return text_[:-1] + chr(ord(text_[-1]) + 1)


def _words(name_docs: Iterable[str]) -> set[str]:
    return {word for doc in name_docs for word in doc.split() if len(word) >= MIN_WORD_LENGTH and not word.isdigit()}


def _insert(connection: Connection, words: set[str]) -> None:
    if words:
        connection.execute(_INSERT, [{"word": word, "length": len(word)} for word in sorted(words)])


def record_name_words(connection: Connection, *, name_docs: Iterable[str]) -> None:
    """Add the words of these names (``name_doc`` texts) to the vocabulary, if new."""
    _insert(connection, _words(name_docs))


def rebuild_name_words(connection: Connection) -> None:
    """Refill the vocabulary from every search row's names."""
    connection.execute(delete(ContactNameWord))
    found: set[str] = set()
    rows = connection.execute(select(ContactSearch.name_doc).execution_options(yield_per=_READ_ROWS))
    for docs in rows.scalars().partitions():
        found |= _words(docs)
    _insert(connection, found)


def near_words(connection: Connection, *, word: str) -> tuple[str, ...]:
    """Name words one edit away from a folded ``word`` (two from nine letters on), closest first; none when the
    word is short, or when a name word starts with it (it is then no typo)."""
    if len(word) < MIN_TYPO_LENGTH or not word.isalpha():
        return ()
    vocabulary = ContactNameWord
    starts = select(vocabulary.word).where(vocabulary.word >= word, vocabulary.word < next_prefix(word)).limit(1)
    if connection.execute(starts).first() is not None:
        return ()
    edits = 2 if len(word) >= TWO_TYPOS_LENGTH else 1
    candidates = connection.execute(
        select(vocabulary.word).where(
            vocabulary.length.in_(range(len(word) - edits, len(word) + edits + 1)),
            vocabulary.word >= word[0],
            vocabulary.word < next_prefix(word[0]),
        )
    ).scalars()
    found = process.extract(word, list(candidates), scorer=OSA.distance, score_cutoff=edits, limit=None)
    return tuple(choice for choice, _distance, _index in sorted(found, key=lambda hit: (hit[1], hit[0])))[
        :MAX_NEAR_WORDS
    ]
