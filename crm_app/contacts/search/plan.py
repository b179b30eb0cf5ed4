"""Query planning: a ``ContactFilter`` becomes a ``QueryPlan``, its search query and the SQL that finds its
contacts on this engine (conditions on ``contact``, the full-text match with its filter tokens, the candidates
read from the smallest sources)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    false,
    func,
    intersect,
    or_,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from crm_app.contacts.models import CONFLICT_KEY, Contact, ContactSearch, ContactTag, Tag
from crm_app.contacts.search.custom_fields import FILTER_TYPES, custom_condition
from crm_app.contacts.search.expressions import (
    FTS,
    SearchQuery,
    fts5_expression,
    fts_match,
    index_matches,
    parse_query,
    per_row,
    pg_found,
    same,
    unindexed,
    with_near_words,
)
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.tokens import (
    ARCHIVED_TOKEN,
    CREATED_KEY,
    SUPPLIER_TOKEN,
    channel_token,
    custom_filter_tokens,
    date_range_tokens,
    kind_token,
    tag_token,
    user_token,
    uses_filter_tokens,
)
from crm_app.core.app_settings import get_settings
from crm_app.core.timeutil import as_utc
from crm_app.fields.models import FieldDefinition


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


def in_range(column_: Any, start: date | None, end: date | None, wrap: Callable[[Any], Any]) -> list[Any]:
    """SQL: ``column_`` (a timestamp) falls on a day from ``start`` to ``end`` (either may be open)."""
    conditions = []
    if start is not None:
        conditions.append(wrap(column_) >= _day_start(start))
    if end is not None and end < date.max:
        conditions.append(wrap(column_) < _day_start(end + timedelta(days=1)))
    return conditions


def _created_span(session: Session, start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """A half-open created range closed where the contacts end: at the 1st of the first creation's month or
    the last day of the last one's (read from the index); as it was when there are no contacts."""
    column_ = func.min(Contact.created_at) if start is None else func.max(Contact.created_at)
    found = session.connection().execute(select(column_)).scalar()
    if found is None:
        return start, end
    day = as_utc(found).date() if isinstance(found, datetime) else date.fromisoformat(str(found)[:10])
    if start is None:
        return min(day, end).replace(day=1), end
    last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, max(last, start)


# A created or updated range holding at most this many contacts is intersected with the full-text match.
NARROW_DATE_LIMIT = 50_000


@dataclass
class QueryPlan:
    """A parsed filter: its search query and the SQL conditions on ``contact``."""

    filter: ContactFilter
    query: SearchQuery | None
    dialect: str
    conflict_id: int | None = None
    custom_types: dict[str, str] = field(default_factory=dict)
    # SQLite: the created/updated ranges few enough contacts fall in that their index is intersected with the
    # full-text match (``candidates``) instead of reading every matching contact to check its date.
    narrow_dates: tuple[str, ...] = ()
    # SQLite: a half-open created range closed at the first or last creation day's month (no contact lies
    # beyond), so that its tokens answer it.
    created_span: tuple[date | None, date | None] | None = None

    def conditions(
        self,
        *,
        hint: bool,
        with_query: bool = True,
        with_tags: bool = True,
        with_tokens: bool = True,
        with_narrow_dates: bool = True,
    ) -> list[ColumnElement[bool]]:
        """WHERE terms on ``contact``; with ``hint`` (SQLite) filters never drive the plan, the sort index does.
        Without ``with_tokens`` the filters the full-text match answers (``token_phrases``) are left out, without
        ``with_narrow_dates`` the ``narrow_dates`` ranges."""
        f = self.filter
        sqlite = self.dialect == "sqlite"
        u = unindexed if hint and sqlite else same
        conditions: list[ColumnElement[bool]] = []
        if not with_tokens and self.tokens:
            with_tags = False
        tokens = with_tokens or not self.tokens
        if f.archived == "hide" and tokens:
            # Most contacts are not archived: an index on archived_at never helps (SQLite's stats think it does).
            conditions.append((unindexed if sqlite else same)(Contact.archived_at).is_(None))
        elif f.archived == "only" and tokens:
            conditions.append(u(Contact.archived_at).is_not(None))
        if f.kind and (tokens or not self._kind_in_fts()):
            conditions.append(u(Contact.kind) == f.kind)
        if f.suppliers_only and tokens:
            conditions.append(u(Contact.is_supplier).is_(True))
        if f.conflict_only and (with_tags or self.conflict_id is None):
            conditions.append(self._tags([self.conflict_id], hint) if self.conflict_id is not None else false())
        if f.tag_ids and with_tags:
            if f.tag_mode == "all":
                conditions.extend(self._tags([tag_id], hint) for tag_id in f.tag_ids)
            else:
                conditions.append(self._tags(f.tag_ids, hint))
        if f.channel_ids and tokens:
            conditions.append(u(Contact.acquisition_channel_id).in_(f.channel_ids))
        if (f.assigned_user_ids or f.unassigned) and tokens:
            choices = []
            if f.assigned_user_ids:
                choices.append(u(Contact.assigned_user_id).in_(f.assigned_user_ids))
            if f.unassigned:
                choices.append(u(Contact.assigned_user_id).is_(None))
            conditions.append(or_(*choices))
        for name, column_, start, end in self._date_ranges():
            if column_ is Contact.created_at and not tokens and self._created_tokens()[1]:
                continue
            if not with_narrow_dates and name in self.narrow_dates:
                continue
            conditions.extend(in_range(column_, start, end, u))
        for item in f.custom:
            type_ = self.custom_types.get(item.key)
            if not tokens and custom_filter_tokens(item, type_)[1]:
                continue
            custom = custom_condition(self.dialect, item, type_) if type_ else None
            if custom is not None:
                conditions.append(custom)
        if with_query and self.query is not None:
            conditions.append(u(Contact.id).in_(index_matches(self.dialect, self.query)))
        return conditions

    @property
    def tokens(self) -> bool:
        return uses_filter_tokens(self.dialect)

    def token_phrases(self) -> list[str]:
        """SQLite: FTS5 phrases for the filters search documents carry as tokens (archived aside: ``fts``)."""
        if not self.tokens:
            return []
        f = self.filter

        def any_of(tokens: Iterable[str]) -> str:
            quoted = [f'"{token}"' for token in dict.fromkeys(tokens)]
            return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"

        phrases = []
        if f.archived == "only":
            phrases.append(any_of([ARCHIVED_TOKEN]))
        if self._kind_in_fts():
            phrases.append(any_of([kind_token(f.kind)]))
        if f.suppliers_only:
            phrases.append(any_of([SUPPLIER_TOKEN]))
        if f.conflict_only and self.conflict_id is not None:
            phrases.append(any_of([tag_token(self.conflict_id)]))
        if f.tag_ids:
            if f.tag_mode == "all":
                phrases.extend(any_of([tag_token(tag_id)]) for tag_id in f.tag_ids)
            else:
                phrases.append(any_of(tag_token(tag_id) for tag_id in f.tag_ids))
        if f.channel_ids:
            phrases.append(any_of(channel_token(channel_id) for channel_id in f.channel_ids))
        if f.assigned_user_ids or f.unassigned:
            users = [user_token(user_id) for user_id in f.assigned_user_ids]
            phrases.append(any_of([*users, user_token(None)] if f.unassigned else users))
        for item in f.custom:
            tokens, _exact = custom_filter_tokens(item, self.custom_types.get(item.key))
            if tokens:
                phrases.append(any_of(tokens))
        created, _exact = self._created_tokens()
        if created:
            phrases.append(any_of(created))
        return phrases

    def _date_ranges(self) -> list[tuple[str, Any, date | None, date | None]]:
        """The created and updated ranges of the filter: (name, column, first day, last day)."""
        f = self.filter
        ranges = (
            ("created", Contact.created_at, f.created_from, f.created_to),
            ("updated", Contact.updated_at, f.updated_from, f.updated_to),
        )
        return [item for item in ranges if item[2] is not None or item[3] is not None]

    def narrow_date_ids(self) -> list[Any]:
        """SELECTs of the ids in each ``narrow_dates`` range, read from its index."""
        return [
            select(Contact.id.label("id")).where(*in_range(column_, start, end, same))
            for name, column_, start, end in self._date_ranges()
            if name in self.narrow_dates
        ]

    def _created_tokens(self) -> tuple[list[str], bool]:
        start, end = self.created_span or (self.filter.created_from, self.filter.created_to)
        return date_range_tokens(CREATED_KEY, start, end)

    def _kind_in_fts(self) -> bool:
        """Whether the kind filter goes into the full-text match: only when nothing else does (a kind holds most
        contacts, so intersecting its id list costs more than checking the few other matches one by one)."""
        f = self.filter
        if not (self.tokens and f.kind) or self.query is not None:
            return False
        others = (f.archived == "only", f.suppliers_only, f.conflict_only, f.tag_ids, f.channel_ids)
        customs = any(custom_filter_tokens(item, self.custom_types.get(item.key))[0] for item in f.custom)
        created = bool(self._created_tokens()[0])
        return not (any(others) or f.assigned_user_ids or f.unassigned or customs or created)

    def fts(self, query: str | None, *, without: str | None = None) -> str | None:
        """SQLite: one FTS5 MATCH text for ``query`` (an FTS5 expression of the search) and every token filter,
        minus archived contacts when they are hidden and minus ``without``; None when nothing is positive."""
        positive = ([f"({query})"] if query else []) + self.token_phrases()
        if not positive:
            return None
        expression = " AND ".join(positive)
        negatives = ([f'"{ARCHIVED_TOKEN}"'] if self.tokens and self.filter.archived == "hide" else []) + (
            [f"({without})"] if without else []
        )
        for negative in negatives:
            expression = f"({expression}) NOT {negative}"
        return expression

    def checks(self) -> list[ColumnElement[bool]]:
        """The per-contact conditions left once the full-text match (search and tokens) has found candidates."""
        return self.conditions(hint=True, with_query=False, with_tokens=False)

    def _tags(self, tag_ids: Sequence[int], hint: bool) -> ColumnElement[bool]:
        if hint:
            return per_row(self.dialect, ContactTag.contact_id == Contact.id, ContactTag.tag_id.in_(tag_ids))
        return Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag_id.in_(tag_ids)))

    def contact_matches(self, id_expr: Any, *, with_tags: bool = True) -> ColumnElement[bool]:
        """EXISTS: the contact ``id_expr`` passes every filter (not the search query)."""
        conditions = self.conditions(hint=True, with_query=False, with_tags=with_tags)
        return per_row(self.dialect, Contact.id == id_expr, *conditions)

    def _tag_groups(self) -> list[list[int]]:
        """Tag conditions as groups: a contact needs one tag of every group."""
        groups = []
        if self.filter.conflict_only and self.conflict_id is not None:
            groups.append([self.conflict_id])
        if self.filter.tag_ids:
            if self.filter.tag_mode == "all":
                groups.extend([tag_id] for tag_id in self.filter.tag_ids)
            else:
                groups.append(list(self.filter.tag_ids))
        return groups

    def _little_else(self, *, tags_in_source: bool) -> bool:
        """Whether nothing but the source (search or tags) and hiding archived contacts narrows the list."""
        f = self.filter
        others = (
            f.kind,
            f.suppliers_only,
            f.channel_ids,
            f.assigned_user_ids,
            f.unassigned,
            f.archived == "only",
            f.custom,
        )
        dates = (f.created_from, f.created_to, f.updated_from, f.updated_to)
        tags = () if tags_in_source else (f.tag_ids, f.conflict_only)
        return not any((*others, *dates, *tags))

    def unfiltered(self) -> bool:
        """Whether nothing but the search (if any) and hiding or including archived contacts narrows the list."""
        return self._little_else(tags_in_source=False)

    def bare(self) -> bool:
        """Whether the candidates are the source itself, with nothing left to check per contact (SQLite)."""
        return self.tokens and self.source() is not None

    def source(self) -> Any | None:
        """The bare source of the candidates (no per-contact checks) when the checks hardly narrow it, else None:
        counting it is cheap, and many source rows then mean many matches."""
        if self.tokens:
            expression = self.fts(fts5_expression(self.query) if self.query is not None else None)
            if expression is None or self.checks():
                return None
            return select(FTS.c.rowid).where(fts_match(expression))
        if self.query is not None:
            if not self._little_else(tags_in_source=False):
                return None
            if self.dialect == "sqlite":
                return select(FTS.c.rowid).where(fts_match(fts5_expression(self.query)))
            return select(ContactSearch.contact_id).where(pg_found(self.query))
        groups = self._tag_groups()
        if len(groups) == 1 and self._little_else(tags_in_source=True):
            return select(ContactTag.contact_id).where(ContactTag.tag_id.in_(groups[0]))
        return None

    def candidates(self) -> tuple[Any, Any]:
        """(SELECT of matching ids, its id column), read from the smallest sources: the search index and the tags
        (intersected, with the assigned staff when there are tags), else the contact table; the other conditions
        are checked per candidate. A single source streams, so a LIMIT stops it early. On SQLite the search and
        every token filter are one full-text match (its index intersects them), checked per candidate only for
        what it cannot answer (date ranges, "not ticked")."""
        if self.tokens:
            expression = self.fts(fts5_expression(self.query) if self.query is not None else None)
            if expression is not None:
                matched = select(FTS.c.rowid.label("id")).where(fts_match(expression))
                narrow = self.narrow_date_ids()
                found = (intersect(matched, *narrow) if narrow else matched).subquery()
                checks = self.conditions(hint=True, with_query=False, with_tokens=False, with_narrow_dates=False)
                if checks:
                    return select(found.c.id).where(per_row(self.dialect, Contact.id == found.c.id, *checks)), (
                        found.c.id
                    )
                return select(found.c.id), found.c.id
        parts = []
        if self.query is not None:
            if self.dialect == "sqlite":
                parts.append(select(FTS.c.rowid.label("id")).where(fts_match(fts5_expression(self.query))))
            else:
                parts.append(select(ContactSearch.contact_id.label("id")).where(pg_found(self.query)))
        groups = self._tag_groups()
        for group in groups:
            tagged = select(ContactTag.contact_id.label("id")).where(ContactTag.tag_id.in_(group))
            parts.append(tagged.distinct() if len(group) > 1 and len(parts) == 0 and len(groups) == 1 else tagged)
        if groups and self.filter.assigned_user_ids and not self.filter.unassigned:
            parts.append(
                select(Contact.id.label("id")).where(Contact.assigned_user_id.in_(self.filter.assigned_user_ids))
            )
        if not parts:
            return select(Contact.id).where(*self.conditions(hint=False, with_query=False)), Contact.id
        source = parts[0].subquery() if len(parts) == 1 else intersect(*parts).subquery()
        id_col = source.c.id
        checks = self.conditions(hint=True, with_query=False, with_tags=not groups)
        return select(id_col).where(per_row(self.dialect, Contact.id == id_col, *checks)), id_col


SQLITE_CACHE_KIB = 65_536


SQLITE_MMAP_BYTES = 2 << 30


def _tune_connection(session: Session) -> None:
    """SQLite: a 64 MiB page cache for this connection (the default 2 MiB re-reads the list's indexes each time)
    and the file memory-mapped (pages shared by every connection, no copy per page read)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.info.get("crm_search_cache"):
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        connection.exec_driver_sql(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        connection.info["crm_search_cache"] = True


def make_plan(session: Session, filter: ContactFilter, region: str | None = None) -> QueryPlan:
    """The plan of a filter on this session's database (reads what it needs: tag and field ids, range sizes)."""
    session.flush()
    _tune_connection(session)
    dialect = session.get_bind().dialect.name
    query = None
    if filter.query:
        if region is None:
            region = get_settings(session).default_region
        query = parse_query(filter.query, region)
        if query is not None and not query.phone:
            query = with_near_words(session.connection(), query)
    conflict_id = None
    if filter.conflict_only:
        conflict_id = session.connection().execute(select(Tag.id).where(Tag.system_key == CONFLICT_KEY)).scalar()
    custom_types: dict[str, str] = {}
    if filter.custom:
        keys = [item.key for item in filter.custom]
        for key, type_ in session.connection().execute(
            select(FieldDefinition.key, FieldDefinition.type).where(
                FieldDefinition.builtin.is_(False),
                FieldDefinition.key.in_(keys),
                FieldDefinition.type.in_(FILTER_TYPES),
            )
        ):
            custom_types.setdefault(key, type_)
    plan = QueryPlan(filter=filter, query=query, dialect=dialect, conflict_id=conflict_id, custom_types=custom_types)
    if plan.tokens and (filter.created_from is None) != (filter.created_to is None):
        plan.created_span = _created_span(session, filter.created_from, filter.created_to)
    if plan.tokens and plan.fts(fts5_expression(query) if query is not None else None) is not None:
        # A range is narrow when its index holds few enough ids (counted, at most the limit, from the index alone);
        # created ranges the tokens answer exactly need nothing more.
        narrow = []
        for name, column_, start, end in plan._date_ranges():
            if name == "created" and plan._created_tokens()[1]:
                continue
            ids = select(Contact.id).where(*in_range(column_, start, end, same))
            if count_rows(session, ids, NARROW_DATE_LIMIT + 1) <= NARROW_DATE_LIMIT:
                narrow.append(name)
        plan.narrow_dates = tuple(narrow)
    return plan


def count_rows(session: Session, stmt: Any, limit: int) -> int:
    """How many rows ``stmt`` gives, counting at most ``limit``."""
    return session.connection().execute(select(func.count()).select_from(stmt.limit(limit).subquery())).scalar_one()
