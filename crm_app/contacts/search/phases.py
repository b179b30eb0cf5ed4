"""Pages of ordered rows: the phases a list is read in (ranked or sorted, few matches in one statement or many
walked along an index), fetching a page across them, and the cursors that resume at the next page."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    and_,
    bindparam,
    case,
    literal,
    true,
    tuple_,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from crm_app.contacts.models import Contact, ContactSearch
from crm_app.contacts.search.expressions import (
    FTS,
    fts5_expression,
    fts5_name_expression,
    fts_match,
    name_prefix,
    name_words_match,
    per_row,
    pg_found,
    pg_name_found,
    unindexed,
)
from crm_app.contacts.search.filters import ContactFilter, ContactSort, filter_to_params
from crm_app.contacts.search.plan import QueryPlan, count_rows

_CONTACT_SORTS: dict[str, Callable[[], list[Any]]] = {
    "name": lambda: [Contact.sort_name, Contact.id],
    "reference": lambda: [Contact.reference, Contact.id],
    "kind": lambda: [Contact.kind, Contact.sort_name, Contact.id],
    "updated": lambda: [Contact.updated_at, Contact.id],
    "created": lambda: [Contact.created_at, Contact.id],
}
_SEARCH_SORTS = {
    "city": "city_key",
    "email": "email_key",
    "phone": "phone_key",
    "assigned": "assigned_key",
    "tags": "tag_key",
}


@dataclass
class Phase:
    """Rows in one order: ``stmt`` selects the contact id then the sort ``keys`` (all in one direction); a phase
    may instead ``build`` its statement when it is first read (later phases are often never reached)."""

    stmt: Any
    keys: list[Any]
    descending: bool = False
    force_sort: bool = False
    build: Callable[[], Any] | None = None

    def statement(self) -> Any:
        """The phase's SELECT, built now if it was left for later."""
        if self.stmt is None and self.build is not None:
            self.stmt = self.build()
        return self.stmt

    def after(self, values: list[Any]) -> ColumnElement[bool]:
        left = tuple_(*self.keys)
        right = tuple_(*(bindparam(None, v, type_=k.type) for k, v in zip(self.keys, values, strict=True)))
        return left < right if self.descending else left > right

    def ordered(self, stmt: Any) -> Any:
        keys = [unindexed(key) for key in self.keys] if self.force_sort else self.keys
        return stmt.order_by(*(key.desc() if self.descending else key.asc() for key in keys))


def _exact_match(plan: QueryPlan, found: Any) -> ColumnElement[bool]:
    """The search row ``found`` matches the query without the words its typos may have meant (checked per row)."""
    assert plan.query is not None
    exact = plan.query.exact()
    if plan.dialect == "sqlite":
        return found.in_(select(FTS.c.rowid).where(fts_match(fts5_expression(exact))))
    return pg_found(exact, indexed=False)


def ranked_few(plan: QueryPlan, ids: Any) -> list[Phase]:
    """Rank a few matches (their ids, or a SELECT of them) in one statement, from their search rows alone; the
    contacts found only through the words a typo may have meant come last, those with them in their names first."""
    query = plan.query
    assert query is not None
    name_key, name_doc, found = ContactSearch.name_key, ContactSearch.name_doc, ContactSearch.contact_id
    whens: list[tuple[Any, int]] = []
    if not any(term.digits for term in query.terms):
        whens.append((name_prefix(query, name_key), 0))
    words_match = name_words_match(query.exact(), name_doc)
    if words_match is not None:
        whens.append((words_match, 1))
    last = 2
    if query.typos and words_match is not None:
        whens.append((_exact_match(plan, found), 2))
        whens.append((name_words_match(query, name_doc), 3))
        last = 4
    tier = case(*whens, else_=last) if whens else literal(last, Integer)
    first = tier == 0
    key = case((first, name_key), else_=literal(""))
    order_id = case((first, found), else_=-found)
    stmt = select(found, tier, key, order_id).where(found.in_(ids))
    return [Phase(stmt=stmt, keys=[tier, key, order_id], force_sort=plan.dialect == "sqlite")]


def ranked_many(plan: QueryPlan) -> list[Phase]:
    """Many matches, ranked in index-driven phases: names starting with the query (A-Z), then names
    whose words start with the query words, then matches elsewhere (e-mail, phone, city, tag...), newest first;
    then the matches found only through the words a typo may have meant, in names then elsewhere, newest first."""
    assert plan.query is not None
    query = plan.query.exact()
    search = ContactSearch
    phases: list[Phase] = []
    typos: list[Any] = []
    prefix_ok = not any(term.digits for term in query.terms)
    if prefix_ok:
        stmt = select(search.contact_id, search.name_key, search.contact_id).where(
            name_prefix(query, search.name_key), plan.contact_matches(search.contact_id)
        )
        phases.append(Phase(stmt=stmt, keys=[search.name_key, search.contact_id]))

    def outside_prefix(key: Any) -> ColumnElement[bool]:
        return ~name_prefix(query, key) if prefix_ok else true()

    if plan.dialect == "sqlite":
        found = FTS.c.rowid
        checks = plan.checks()
        base = select(found, found)
        if checks:
            base = base.where(per_row(plan.dialect, Contact.id == found, *checks))
        names = fts5_name_expression(query)
        everything = fts5_expression(query)
        if names is None:
            return [*phases, Phase(stmt=base.where(fts_match(plan.fts(everything))), keys=[found], descending=True)]
        not_first = per_row(plan.dialect, search.contact_id == found, outside_prefix(search.name_key))
        in_names = base.where(fts_match(plan.fts(names)), not_first)
        elsewhere = base.where(fts_match(plan.fts(everything, without=names)))
        if plan.query.typos:
            typos_in_names = fts5_name_expression(plan.query)
            typos.append(base.where(fts_match(plan.fts(typos_in_names, without=everything))))
            typos.append(
                base.where(
                    fts_match(plan.fts(fts5_expression(plan.query), without=f"({everything}) OR ({typos_in_names})"))
                )
            )
    else:
        found = search.contact_id
        base = select(found, found).where(plan.contact_matches(found))
        names_found = pg_name_found(query)
        if names_found is None:
            return [*phases, Phase(stmt=base.where(pg_found(query)), keys=[found], descending=True)]
        # A name match is a match when every word is a name word; the name index alone then finds them.
        in_names = base.where(names_found, outside_prefix(search.name_key))
        if any(term.digits for term in query.terms):
            in_names = in_names.where(pg_found(query))
        # The other matches, newest first, are many (this is the many-matches plan): walking the contacts
        # backwards and checking each (a function PostgreSQL cannot answer from an index) stops at the page,
        # where the index would collect every match of an e-mail domain or a tag before sorting them. With
        # typos the many matches are those of the words meant: the exact ones are few, the index finds them.
        elsewhere = base.where(pg_found(query, indexed=plan.query.typos), ~names_found)
        if plan.query.typos:
            # The exact matches are few (a typo starts no name word): their ids, from the index, are left out.
            typo_names = pg_name_found(plan.query)
            assert typo_names is not None
            exact_ids = select(search.contact_id).where(pg_found(query)).correlate(None)
            not_exact = base.where(found.not_in(exact_ids))
            if any(term.digits for term in query.terms):
                typo_names = and_(typo_names, pg_found(plan.query))
            typos.append(not_exact.where(typo_names))
            typos.append(not_exact.where(pg_found(plan.query), ~typo_names))
    phases.append(Phase(stmt=in_names, keys=[found], descending=True))
    phases.append(Phase(stmt=elsewhere, keys=[found], descending=True))
    phases.extend(Phase(stmt=stmt, keys=[found], descending=True) for stmt in typos)
    return phases


def sorted_few(plan: QueryPlan, sort: ContactSort, ids: Any) -> list[Phase]:
    """A few matches (their ids, or a SELECT of them) sorted by a column in one statement."""
    descending = sort.direction == "desc"
    if sort.field in _CONTACT_SORTS:
        keys = _CONTACT_SORTS[sort.field]()
        stmt = select(Contact.id, *keys).where(Contact.id.in_(ids))
    else:
        keys = [ContactSearch.__table__.c[_SEARCH_SORTS[sort.field]], ContactSearch.contact_id]
        stmt = select(ContactSearch.contact_id, *keys).where(ContactSearch.contact_id.in_(ids))
    return [Phase(stmt=stmt, keys=keys, descending=descending, force_sort=plan.dialect == "sqlite")]


def sorted_many(plan: QueryPlan, sort: ContactSort) -> list[Phase]:
    """Many matches sorted by a column: walk that column's index and check each contact (stops at the page)."""
    descending = sort.direction == "desc"
    if plan.tokens and plan.query is not None:
        # The search and the token filters as one id list (read once), the rest checked per contact.
        found = select(FTS.c.rowid).where(fts_match(plan.fts(fts5_expression(plan.query))))
        checks = plan.checks()
        if sort.field in _CONTACT_SORTS:
            keys = _CONTACT_SORTS[sort.field]()
            stmt = select(Contact.id, *keys).where(unindexed(Contact.id).in_(found), *checks)
            return [Phase(stmt=stmt, keys=keys, descending=descending)]
        keys = [ContactSearch.__table__.c[_SEARCH_SORTS[sort.field]], ContactSearch.contact_id]
        stmt = select(ContactSearch.contact_id, *keys).where(unindexed(ContactSearch.contact_id).in_(found))
        if checks:
            stmt = stmt.where(per_row(plan.dialect, Contact.id == ContactSearch.contact_id, *checks))
        return [Phase(stmt=stmt, keys=keys, descending=descending)]
    if sort.field in _CONTACT_SORTS:
        keys = _CONTACT_SORTS[sort.field]()
        stmt = select(Contact.id, *keys).where(*plan.conditions(hint=True))
        return [Phase(stmt=stmt, keys=keys, descending=descending)]
    keys = [ContactSearch.__table__.c[_SEARCH_SORTS[sort.field]], ContactSearch.contact_id]
    matches = per_row(plan.dialect, Contact.id == ContactSearch.contact_id, *plan.conditions(hint=True))
    stmt = select(ContactSearch.contact_id, *keys).where(matches)
    return [Phase(stmt=stmt, keys=keys, descending=descending)]


def fetch(
    session: Session, phases: list[Phase], *, start: int, after: list[Any] | None, offset: int, limit: int
) -> list[tuple[int, Any]]:
    """``limit`` rows after skipping ``offset``, walking the phases in order from ``start`` (after a cursor)."""
    found: list[tuple[int, Any]] = []
    for index in range(start, len(phases)):
        phase = phases[index]
        stmt = phase.statement()
        if index == start and after is not None:
            stmt = stmt.where(phase.after(after))
        if offset:
            size = count_rows(session, stmt, offset + limit)
            if size <= offset:
                offset -= size
                continue
        rows = session.connection().execute(phase.ordered(stmt).offset(offset).limit(limit)).all()
        offset = 0
        found.extend((index, row) for row in rows)
        limit -= len(rows)
        if limit <= 0:
            break
    return found


def fingerprint(filter: ContactFilter, sort: ContactSort) -> str:
    """A short digest of the filter and sort a cursor belongs to."""
    key = json.dumps([filter_to_params(filter), sort.field, sort.direction], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _is_datetime(col: Any) -> bool:
    return isinstance(getattr(col.type, "impl", col.type), DateTime)


def encode_cursor(state: dict[str, Any], values: Sequence[Any]) -> str:
    """A cursor: the list state and the sort values of the last row shown, URL-safe."""
    encoded = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({**state, "v": encoded}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, state: dict[str, Any], phases: list[Phase]) -> tuple[int, int, list[Any]] | None:
    """(page, phase, last sort values) of a cursor; None when it is junk or belongs to another list."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if any(data.get(key) != value for key, value in state.items()):
            return None
        phase_index = int(data["ph"])
        keys = phases[phase_index].keys
        if len(data["v"]) != len(keys):
            return None
        values = []
        for value, key in zip(data["v"], keys, strict=True):
            if _is_datetime(key):
                parsed = datetime.fromisoformat(value)
                value = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            elif not isinstance(value, int | str) or isinstance(value, bool):
                return None
            values.append(value)
        return int(data["p"]), phase_index, values
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
