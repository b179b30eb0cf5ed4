"""The typed search as a query (terms, alternatives, the name words a typo may have meant) and as SQL: FTS5 MATCH
and tsquery texts and the conditions that match them on either engine."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    and_,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    table,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import select

from crm_app.contacts.models import ContactSearch
from crm_app.contacts.name_words import near_words, next_prefix
from crm_app.contacts.search.structures import FTS_TABLE, PG_NAME_VECTOR_COLUMN, PG_VECTOR_COLUMN
from crm_app.contacts.search.words import (
    MAX_QUERY_LENGTH,
    MIN_DIGITS,
    REVERSED_PREFIX,
    digits_of,
    normalise_query,
    words,
)
from crm_app.core.phones import search_forms

MAX_QUERY_TERMS = 8
_PHONE_QUERY_RE = re.compile(r"^[0-9+\-\s().\/]+$")


@dataclass(frozen=True)
class Term:
    """One thing the search must find: any of the alternatives, each a phrase whose last word is a prefix, or
    (ranked after them) any of the ``near`` name words, when the typed word is a typo for them."""

    alternatives: tuple[tuple[str, ...], ...]
    digits: bool = False
    near: tuple[str, ...] = ()

    @property
    def every(self) -> tuple[tuple[str, ...], ...]:
        """The alternatives and the near words: what the term matches."""
        return self.alternatives + tuple((word,) for word in self.near)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: its normalised text, its terms, and whether it is a phone number (digits only)."""

    text: str
    terms: tuple[Term, ...]
    phone: bool

    @property
    def typos(self) -> bool:
        """Whether a word of the query is also looked for as the name words it may be a typo for."""
        return any(term.near for term in self.terms)

    def exact(self) -> SearchQuery:
        """The query without the words its typos may have meant."""
        return replace(self, terms=tuple(replace(term, near=()) for term in self.terms))


def _digit_term(digits: str, region: str, raw: str) -> Term:
    forms = search_forms(raw, region) if region else [digits]
    alternatives = [(form,) for form in dict.fromkeys([digits, *forms]) if len(form) >= MIN_DIGITS]
    alternatives.append((REVERSED_PREFIX + digits[::-1],))
    return Term(alternatives=tuple(alternatives), digits=True)


def parse_query(raw: str, region: str) -> SearchQuery | None:
    """The search text as terms (digit words also in their phone forms); None when it holds no word."""
    text = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    normalised = normalise_query(text)
    if not normalised:
        return None
    digits = digits_of(text)
    if _PHONE_QUERY_RE.match(text) and len(digits) >= MIN_DIGITS:
        return SearchQuery(text=normalised, terms=(_digit_term(digits, region, text),), phone=True)
    terms: list[Term] = []
    for typed in text.split(" "):
        parts = tuple(words(typed))
        if not parts:
            continue
        if len(parts) == 1 and parts[0].isascii() and parts[0].isdigit() and len(parts[0]) >= MIN_DIGITS:
            terms.append(_digit_term(parts[0], region, typed))
        else:
            terms.append(Term(alternatives=(parts,)))
    if not terms:
        return None
    return SearchQuery(text=normalised, terms=tuple(terms[:MAX_QUERY_TERMS]), phone=all(t.digits for t in terms))


def with_near_words(connection: Connection, query: SearchQuery) -> SearchQuery:
    """The query whose single words starting no name word also find the name words they may be typos for."""
    terms = []
    for term in query.terms:
        single = not term.digits and len(term.alternatives) == 1 and len(term.alternatives[0]) == 1
        terms.append(replace(term, near=near_words(connection, word=term.alternatives[0][0]) if single else ()))
    return replace(query, terms=tuple(terms))


def _fts5_terms(terms: Iterable[Term]) -> str:
    def phrase(tokens: tuple[str, ...]) -> str:
        return '"' + " ".join(tokens) + '"*'

    parts = []
    for term in terms:
        alts = [phrase(alt) for alt in term.every]
        parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    return "(" + " AND ".join(parts) + ")"


def fts5_expression(query: SearchQuery) -> str:
    """FTS5 MATCH text: every term, each a phrase prefix ("jean-pi" -> "jean pi"*), alternatives OR-ed."""
    return _fts5_terms(query.terms)


def fts5_name_expression(query: SearchQuery) -> str | None:
    """FTS5 MATCH text for "every word of the query starts a word of the names" (None without words)."""
    names = [term for term in query.terms if not term.digits]
    if not names:
        return None
    expression = "{name_doc} : " + _fts5_terms(names)
    digits = [term for term in query.terms if term.digits]
    return f"{expression} AND {_fts5_terms(digits)}" if digits else expression


def _tsquery_terms(terms: Iterable[Term]) -> str:
    def phrase(tokens: tuple[str, ...]) -> str:
        quoted = [f"'{token}'" for token in tokens]
        quoted[-1] += ":*"
        return quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")"

    parts = []
    for term in terms:
        alts = [phrase(alt) for alt in term.every]
        parts.append(alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")")
    return " & ".join(parts)


def _tsquery_expression(query: SearchQuery) -> str:
    """PostgreSQL tsquery text with the same meaning as the FTS5 expression."""
    return _tsquery_terms(query.terms)


FTS = table(FTS_TABLE, column("rowid", Integer), column(FTS_TABLE))
_PG_VECTOR = literal_column(f"contact_search.{PG_VECTOR_COLUMN}")
_PG_NAME_VECTOR = literal_column(f"contact_search.{PG_NAME_VECTOR_COLUMN}")
_PG_CONFIG = literal_column("'simple'::regconfig")


class unindexed(FunctionElement):
    """``+expr`` on SQLite: the same value, but the planner will not answer it from an index (plain elsewhere)."""

    inherit_cache = True

    def __init__(self, expr: Any):
        super().__init__(expr)
        self.type = expr.type


@compiles(unindexed)
def _compile_unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(next(iter(element.clauses)), **kw)


@compiles(unindexed, "postgresql")
def _compile_unindexed_postgresql(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


def same(expr: Any) -> Any:
    """The expression as it is (``unindexed``'s counterpart where the index may drive the plan)."""
    return expr


def per_row(dialect: str, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """True when a row passes ``where`` (correlated to the outer row), checked row by row as rows stream.

    SQLite: ``EXISTS (...) IS TRUE``. PostgreSQL turns any EXISTS, even behind ``IS TRUE``, into a join or a
    hashed subplan over the whole inner table (a full scan before the first row, defeating LIMIT), so it gets
    ``COALESCE((SELECT true ... LIMIT 1), false)``: a scalar subquery is run per outer row.
    """
    if dialect == "postgresql":
        return func.coalesce(select(true()).where(*where).limit(1).scalar_subquery(), false())
    return exists().where(*where).is_(true())


def index_matches(dialect: str, query: SearchQuery) -> Any:
    """SELECT of the ids the full-text index finds for the query."""
    if dialect == "sqlite":
        return select(FTS.c.rowid).where(FTS.c[FTS_TABLE].op("MATCH")(fts5_expression(query)))
    if dialect == "postgresql":
        return select(ContactSearch.contact_id).where(pg_found(query))
    raise NotImplementedError(f"contact search does not support the {dialect} dialect")


def pg_found(query: SearchQuery, *, indexed: bool = True) -> ColumnElement[bool]:
    """PostgreSQL: the search row matches the query (from the GIN index, or checked row by row)."""
    tsquery = func.to_tsquery(_PG_CONFIG, _tsquery_expression(query))
    if indexed:
        return _PG_VECTOR.op("@@")(tsquery)
    return func.ts_match_vq(_PG_VECTOR, tsquery, type_=Boolean)


def pg_name_found(query: SearchQuery) -> ColumnElement[bool] | None:
    """PostgreSQL: every word of the query starts a name word (None when it has no words)."""
    names = [term for term in query.terms if not term.digits]
    if not names:
        return None
    return _PG_NAME_VECTOR.op("@@")(func.to_tsquery(_PG_CONFIG, _tsquery_terms(names)))


def fts_match(expression: str) -> ColumnElement[bool]:
    """SQLite: the FTS5 table matches this MATCH text."""
    return FTS.c[FTS_TABLE].op("MATCH")(expression)


def name_prefix(query: SearchQuery, name_key: Any) -> ColumnElement[bool]:
    """The display name starts with the whole query ("jean mar" -> "Jean Martin"), as an index range."""
    return and_(name_key >= query.text, name_key < next_prefix(query.text))


def name_words_match(query: SearchQuery, name_doc: Any) -> ColumnElement[bool] | None:
    """Every word of the query starts a word of the names (None when the query has no words, only digits)."""
    padded = literal(" ") + name_doc
    terms = [
        or_(*(padded.like("% " + " ".join(alt) + "%") for alt in term.every)) for term in query.terms if not term.digits
    ]
    return and_(*terms) if terms else None
