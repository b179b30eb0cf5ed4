"""Filter tokens (SQLite): every list filter also written as words of the search document.

"_t12" for tag 12, "_u3" for staff 3, "_a" for archived, the months, years... of a custom date: the FTS5 index
answers tags, staff, channel, kind, supplier, archived, choice and custom date filters (created and updated
ranges: see ``date_range_tokens`` and ``QueryPlan.narrow_dates``), with or without a search, by merging its sorted
id lists instead of looking up every candidate contact (a random row read each). The tokens hold "_": the
tokenizer keeps it in words (tokenchars) and a typed search never does (``words`` splits at it), so they never
match what a user types. PostgreSQL combines its indexes itself (bitmap scans) and gets no tokens."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlmodel import Session, select

from crm_app.contacts.search.custom_fields import CHOICE_TYPES, CustomField
from crm_app.contacts.search.filters import CHECKED, CustomFilter
from crm_app.core.timeutil import as_utc
from crm_app.fields.models import FieldDefinition

FILTER_TOKEN_DIALECTS = ("sqlite",)
TOKEN_TYPES = ("select", "multi_select", "checkbox", "date")
MAX_DATE_TOKENS = 40  # created ranges (custom date ranges need at most about 80 tokens: ``_custom_date_tokens``)
CREATED_KEY = "~created"
SUPPLIER_TOKEN = "_s"
ARCHIVED_TOKEN = "_a"
_TICKED = "\x01ticked"


def tag_token(tag_id: int) -> str:
    """The filter token of a tag."""
    return f"_t{int(tag_id)}"


def user_token(user_id: int | None) -> str:
    """The filter token of an assigned staff member (``None``: unassigned)."""
    return f"_u{int(user_id or 0)}"


def channel_token(channel_id: int) -> str:
    """The filter token of an acquisition channel."""
    return f"_c{int(channel_id)}"


def kind_token(kind: str) -> str:
    """The filter token of a contact kind."""
    return f"_k{kind}"


@lru_cache(maxsize=65536)
def _value_token(key: str, value: str) -> str:
    """The token of one custom choice (or of a ticked checkbox): a short digest, whatever the choice id holds."""
    return "_v" + hashlib.blake2b(f"{key}\0{value}".encode(), digest_size=6).hexdigest()


def uses_filter_tokens(dialect: str) -> bool:
    """Whether search documents carry filter tokens on this database."""
    return dialect in FILTER_TOKEN_DIALECTS


def token_fields(session: Session) -> dict[str, list[CustomField]]:
    """The custom fields (active or not) whose values become filter tokens, by contact kind."""
    by_kind: dict[str, list[CustomField]] = defaultdict(list)
    rows = session.connection().execute(
        select(FieldDefinition.key, FieldDefinition.type, FieldDefinition.kind).where(
            FieldDefinition.builtin.is_(False), FieldDefinition.type.in_(TOKEN_TYPES)
        )
    )
    for key, type_, kind in rows:
        by_kind[kind].append(CustomField(key=key, label="", type=type_, kind=kind))
    return dict(by_kind)


def filter_tokens(contact: Mapping[str, Any], *, tag_ids: Iterable[int], fields: Sequence[CustomField]) -> list[str]:
    """The filter tokens of a contact: ``contact`` holds kind, is_supplier, archived_at, assigned_user_id,
    acquisition_channel_id, created_at (a datetime, or ISO text in UTC) and custom (values); ``fields`` are the
    ``token_fields`` of its kind."""
    tokens = [kind_token(contact["kind"]), user_token(contact.get("assigned_user_id"))]
    if contact.get("is_supplier"):
        tokens.append(SUPPLIER_TOKEN)
    if contact.get("archived_at") is not None:
        tokens.append(ARCHIVED_TOKEN)
    if contact.get("acquisition_channel_id") is not None:
        tokens.append(channel_token(contact["acquisition_channel_id"]))
    tokens.extend(tag_token(tag_id) for tag_id in sorted(set(tag_ids)))
    created = contact.get("created_at")
    if isinstance(created, datetime):
        created = as_utc(created).date().isoformat()
    if isinstance(created, str) and len(created) >= 7:
        tokens.extend(_date_tokens(CREATED_KEY, created))
    custom = contact.get("custom")
    if isinstance(custom, Mapping):
        for item in fields:
            value = custom.get(item.key)
            if item.type == "select" and isinstance(value, str):
                tokens.append(_value_token(item.key, value))
            elif item.type == "multi_select" and isinstance(value, list):
                tokens.extend(_value_token(item.key, v) for v in dict.fromkeys(value) if isinstance(v, str))
            elif item.type == "checkbox" and value is True:
                tokens.append(_value_token(item.key, _TICKED))
            elif item.type == "date" and isinstance(value, str) and len(value) >= 7:
                tokens.extend(_date_tokens(item.key, value))
                tokens.extend(_date_block_tokens(item.key, value))
    return tokens


def _date_tokens(key: str, value: str) -> list[str]:
    """A date value's tokens: its year and its month ("2026-01-15" -> y2026, m2026-01)."""
    return [_value_token(key, f"y{value[:4]}"), _value_token(key, f"m{value[:7]}")]


# A custom date value also carries the decade, century and millennium it falls in ("2026-01-15" -> d202, c20,
# k2), so that any range of months, closed or open at either end, is the union of at most about 80 blocks
# (months, years, decades, centuries, millennia): ``_custom_date_tokens``.
_DATE_BLOCKS = ((12_000, "k", 1), (1_200, "c", 2), (120, "d", 3), (12, "y", 4))  # (months, letter, year digits)
_LAST_MONTH = 9999 * 12 + 11  # December 9999, the last month a date holds


def _date_block_tokens(key: str, value: str) -> list[str]:
    """The decade, century and millennium tokens of a date value (ISO text); none when its year is not digits."""
    year = value[:4]
    if not (len(year) == 4 and year.isdigit()):
        return []
    return [_value_token(key, f"{letter}{year[:digits]}") for _months, letter, digits in _DATE_BLOCKS[:3]]


def _custom_date_tokens(key: str, start: date | None, end: date | None) -> tuple[list[str], bool]:
    """Tokens of the largest aligned blocks (millennia down to months) that together cover the months of a date
    range, each end open or not (any of them may hold a match), and whether they cover it exactly (it starts on
    the 1st of a month and ends on the last day of one, or is open there)."""
    if start is not None and end is not None and end < start:
        return [], False
    low = start.year * 12 + start.month - 1 if start is not None else 0
    high = end.year * 12 + end.month - 1 if end is not None else _LAST_MONTH
    tokens: list[str] = []
    while low <= high:
        year = f"{low // 12:04d}"
        for months, letter, digits in _DATE_BLOCKS:
            if low % months == 0 and low + months - 1 <= high:
                tokens.append(_value_token(key, f"{letter}{year[:digits]}"))
                low += months
                break
        else:
            tokens.append(_value_token(key, f"m{year}-{low % 12 + 1:02d}"))
            low += 1
    exact_start = start is None or start.day == 1
    exact_end = end is None or end == date.max or (end + timedelta(days=1)).day == 1
    return tokens, exact_start and exact_end


def date_range_tokens(key: str, start: date | None, end: date | None) -> tuple[list[str], bool]:
    """Tokens of the whole years and months a closed date range touches (any of them may hold a match), and
    whether they cover it exactly (it starts on the 1st and ends on the last day of a month); none when the
    range is open or spans too many of them."""
    if start is None or end is None or end < start:
        return [], False
    tokens: list[str] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month) and len(tokens) <= MAX_DATE_TOKENS:
        if month == 1 and (year < end.year or end.month == 12):
            tokens.append(_value_token(key, f"y{year:04d}"))
            year += 1
            continue
        tokens.append(_value_token(key, f"m{year:04d}-{month:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if len(tokens) > MAX_DATE_TOKENS:
        return [], False
    return tokens, start.day == 1 and (end + timedelta(days=1)).day == 1


def custom_filter_tokens(item: CustomFilter, type_: str | None) -> tuple[list[str], bool]:
    """The filter tokens of this custom-field filter (a match holds one of them) and whether they answer it
    exactly (else its condition is also checked per contact); none for "not ticked" and open date ranges."""
    if type_ in CHOICE_TYPES and item.values:
        return [_value_token(item.key, value) for value in item.values], True
    if type_ == "checkbox" and set(item.values) == {CHECKED}:
        return [_value_token(item.key, _TICKED)], True
    if type_ == "date" and (item.date_from is not None or item.date_to is not None):
        return _custom_date_tokens(item.key, item.date_from, item.date_to)
    return [], False
