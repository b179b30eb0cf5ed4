"""The contact list's reading API: one page of the filtered, searched, sorted list, how many contacts match
(exact or estimated), and the matching ids (exports and bulk actions walk them)."""

from __future__ import annotations

import json
import math
import random
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    func,
    literal,
)
from sqlmodel import Session, select

from crm_app.contacts.models import Contact, ContactSearch
from crm_app.contacts.schemas import ContactPage
from crm_app.contacts.search.expressions import FTS, fts5_expression, fts_match, pg_found
from crm_app.contacts.search.filters import ContactFilter, ContactSort
from crm_app.contacts.search.phases import (
    decode_cursor,
    encode_cursor,
    fetch,
    fingerprint,
    ranked_few,
    ranked_many,
    sorted_few,
    sorted_many,
)
from crm_app.contacts.search.plan import QueryPlan, count_rows, make_plan
from crm_app.contacts.search.rows import page_rows
from crm_app.core.app_settings import get_settings

PAGE_SIZES = (25, 50, 100)
MAX_PAGE_SIZE = 200
EXACT_COUNT_LIMIT = 10_000
ESTIMATE_SAMPLE = 2_000
SELECTIVE_LIMIT = 5_000
RANKED_FEW_LIMIT = 1_000


def clamp_page_size(page_size: Any) -> int:
    """A page size between 1 and MAX_PAGE_SIZE (the UI offers 25, 50 and 100)."""
    try:
        return max(1, min(int(page_size), MAX_PAGE_SIZE))
    except (TypeError, ValueError):
        return 50


def _effective_sort(sort: ContactSort | None, plan: QueryPlan) -> ContactSort:
    if sort is None:
        return ContactSort(field="relevance" if plan.query is not None else "name")
    if sort.field == "relevance" and plan.query is None:
        return ContactSort(field="name", direction=sort.direction)
    return sort


def search_contacts(
    session: Session,
    *,
    filter: ContactFilter,
    sort: ContactSort | None = None,
    page: int = 1,
    page_size: int = 50,
    cursor: str | None = None,
    with_total: bool = True,
    locale: str = "en",
) -> ContactPage:
    """One page of the filtered, searched, sorted list; pass ``next_cursor`` back for a fast next page.

    Without ``sort`` a search is ranked (names starting with the query, then names whose words start with
    the query words, then other matches) and the plain list is sorted by name. ``total`` is -1 when
    ``with_total`` is False (keep the previous figure). A fixed number of queries, whatever the page size.
    """
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        page = 1
    page_size = clamp_page_size(page_size)
    settings = get_settings(session)
    plan = make_plan(session, filter, settings.default_region)
    sort = _effective_sort(sort, plan)
    candidates, _id_col = plan.candidates()
    # Few matches (found once, by the cheapest source) are sorted in one statement; many are walked page by
    # page along an index, checking each contact, which stops as soon as the page is full.
    # Sorting n matches costs about n row reads; walking an index costs about page size x table / n. They
    # break even near n = 5 x sqrt(table size). Ranking walks indexes well sooner, so its threshold is lower.
    size = session.connection().execute(select(func.max(Contact.id))).scalar_one() or 0
    limit = min(SELECTIVE_LIMIT, max(500, int(5 * math.sqrt(size))))
    if sort.field == "relevance":
        limit = min(limit, RANKED_FEW_LIMIT)
    source = plan.source()
    # SQLite counts the few matches and sorts them in SQL straight from their source (the ids never come back
    # to Python); PostgreSQL plans a sort over such a subquery badly, so it is given the ids found, and so is
    # SQLite when a date range is intersected (the intersection would otherwise be built twice).
    few: Any = candidates
    obviously_many = plan.query is None and plan.unfiltered() and size > 2 * limit
    if obviously_many or (
        source is not None and not plan.bare() and count_rows(session, source, 2 * limit + 1) > 2 * limit
    ):
        matched, selective = 0, False
    elif plan.dialect == "sqlite" and not plan.narrow_dates:
        matched = count_rows(session, source if plan.bare() else candidates, limit + 1)
        selective = matched <= limit
    else:
        few = session.connection().execute(candidates.limit(limit + 1)).scalars().all()
        matched = len(few)
        selective = matched <= limit
    if sort.field == "relevance":
        phases = ranked_few(plan, few) if selective else ranked_many(plan)
    else:
        phases = sorted_few(plan, sort, few) if selective else sorted_many(plan, sort)

    state = {"f": fingerprint(filter, sort), "s": int(selective)}
    decoded = decode_cursor(cursor, state, phases) if cursor else None
    if decoded is not None and decoded[0] == page - 1:
        found = fetch(session, phases, start=decoded[1], after=decoded[2], offset=0, limit=page_size + 1)
    else:
        found = fetch(session, phases, start=0, after=None, offset=(page - 1) * page_size, limit=page_size + 1)
    has_more = len(found) > page_size
    found = found[:page_size]
    ids = [row[0] for _phase, row in found]
    next_cursor = None
    if has_more:
        last_phase, last_row = found[-1]
        next_cursor = encode_cursor({**state, "p": page, "ph": last_phase}, list(last_row[1:]))

    rows = page_rows(session, ids, settings, locale)
    total, estimate = -1, False
    if with_total:
        total, estimate = (matched, False) if selective else _count(session, plan)
    return ContactPage(
        rows=rows,
        total=total,
        page=page,
        page_size=page_size,
        total_is_estimate=estimate,
        next_cursor=next_cursor,
    )


def count_contacts(session: Session, *, filter: ContactFilter) -> tuple[int, bool]:
    """How many contacts match: exact up to 10,000 (flag False), a sampled estimate above (flag True)."""
    return _count(session, make_plan(session, filter))


def _many_in_source(session: Session, plan: QueryPlan, limit: int) -> bool:
    """Whether the bare source (search index or tag) surely holds far more than ``limit`` matches."""
    source = plan.source()
    if source is None:
        return False
    if plan.dialect == "postgresql":
        return _pg_planner_rows(session, source) > 3 * limit
    return count_rows(session, source, 2 * limit + 1) > 2 * limit


def _count(session: Session, plan: QueryPlan) -> tuple[int, bool]:
    if plan.bare():
        exact = count_rows(session, plan.source(), EXACT_COUNT_LIMIT + 1)
        if exact <= EXACT_COUNT_LIMIT:
            return int(exact), False
        return max(_estimate(session, plan), EXACT_COUNT_LIMIT + 1), True
    if _many_in_source(session, plan, EXACT_COUNT_LIMIT):
        return max(_estimate(session, plan), EXACT_COUNT_LIMIT + 1), True
    candidates, _id_col = plan.candidates()
    exact = count_rows(session, candidates, EXACT_COUNT_LIMIT + 1)
    if exact <= EXACT_COUNT_LIMIT:
        return int(exact), False
    return max(_estimate(session, plan), EXACT_COUNT_LIMIT + 1), True


def _round_estimate(value: float) -> int:
    if value < 100:
        return round(value)
    magnitude = 10 ** (len(str(int(value))) - 2)
    return int(round(value / magnitude) * magnitude)


def _estimate(session: Session, plan: QueryPlan) -> int:
    """Many matches: the share of a fixed sample of ids (spread over the id range) that passes the filters,
    times the id range, or times the search index's own count when there is a search (stable per table)."""
    low = session.connection().execute(select(func.min(Contact.id))).scalar_one()
    high = session.connection().execute(select(func.max(Contact.id))).scalar_one()
    if low is None:
        return 0
    span = high - low + 1
    size = min(ESTIMATE_SAMPLE, span)
    sample = sorted(random.Random(span).sample(range(low, high + 1), size))
    conditions = plan.conditions(hint=True, with_query=False)
    passes = case((and_(*conditions), 1), else_=0) if conditions else literal(1, Integer)
    existing, passing = (
        session.connection()
        .execute(select(func.count(), func.coalesce(func.sum(passes), 0)).where(Contact.id.in_(sample)))
        .one()
    )
    if plan.query is None:
        return _round_estimate(passing * span / size)
    if plan.dialect == "sqlite":
        found = select(FTS.c.rowid).where(fts_match(fts5_expression(plan.query)))
        in_index = session.connection().execute(select(func.count()).select_from(found.subquery())).scalar_one()
    else:
        in_index = _pg_planner_rows(session, select(ContactSearch.contact_id).where(pg_found(plan.query)))
    return _round_estimate(in_index * passing / max(existing, 1))


def _pg_planner_rows(session: Session, stmt: Any) -> int:
    """PostgreSQL's own row estimate for a statement (counting a GIN match exactly means visiting every row)."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _ordered_candidates(plan: QueryPlan, after_id: int | None, limit: int | None) -> Any:
    candidates, id_col = plan.candidates()
    if after_id is not None:
        candidates = candidates.where(id_col > after_id)
    stmt = candidates.order_by(id_col)
    return stmt.limit(limit) if limit is not None else stmt


def matching_ids(session: Session, *, filter: ContactFilter, limit: int | None = None) -> list[int]:
    """The ids of every contact the filter matches, in id order (at most ``limit``)."""
    plan = make_plan(session, filter)
    stmt = _ordered_candidates(plan, None, max(0, int(limit)) if limit is not None else None)
    return list(session.connection().execute(stmt).scalars().all())


def matching_ids_after(session: Session, *, filter: ContactFilter, after_id: int, limit: int) -> list[int]:
    """The next ``limit`` matching ids above ``after_id``, in id order (bulk actions walk the list with it)."""
    plan = make_plan(session, filter)
    return list(session.connection().execute(_ordered_candidates(plan, after_id, limit)).scalars().all())
