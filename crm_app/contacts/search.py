"""The contact list at scale: filters, sorts, ranked word-prefix search, counts, URL parameters.

Every contact has one ``contact_search`` row: ``name_doc`` (words of its names), ``body_doc`` (reference,
registration number, e-mails, cities, tags and phone digit forms), ``name_key`` (its display name, folded)
and the sort keys of the columns that live in other tables (city, e-mail, phone, assigned staff). Words are
folded: lower case, no accents, "ł" -> "l", so "wisniewski" finds "Wiśniewski". A phone adds three tokens:
the E.164 digits, the national digits and ``x`` + its digits reversed, so "last digits" become a prefix query.

SQLite indexes those documents with the FTS5 table ``contact_fts`` (external content, kept in sync by
triggers on ``contact_search``, word prefixes up to six letters indexed); PostgreSQL with a generated
``tsvector`` column and a GIN index. Both answer word-prefix queries from an index; the service API is the
same, the dialect picks the SQL.

On SQLite the documents also carry filter tokens (see ``filter_tokens``): the list filters become part of the
same full-text match, which FTS5 answers by merging sorted id lists, so a search with filters, or several
filters together, never reads each candidate contact. ``tag_key`` (the first tag, folded) sorts by tags along
an index on both engines.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    exists,
    false,
    func,
    intersect,
    literal,
    literal_column,
    or_,
    table,
    true,
    tuple_,
    update,
)
from sqlalchemy import insert as core_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.models import Address, Contact, ContactSearch, ContactTag, Email, Phone, SavedView, Tag
from crm_app.contacts.name_words import near_words, next_prefix, rebuild_name_words, record_name_words
from crm_app.contacts.phones import format_phone, parse_phone, phone_links, search_forms
from crm_app.contacts.schemas import KINDS, ContactPage, ContactRow
from crm_app.core.app_settings import AccountSettings, get_settings
from crm_app.core.errors import DomainError, NotFoundError, ValidationError
from crm_app.core.models import AppSetting
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.db import session_scope
from crm_app.fields.models import FieldDefinition
from crm_app.fields.types import Choice, choices_from_options, get_type

SortField = Literal[
    "relevance", "name", "reference", "kind", "city", "updated", "created", "assigned", "email", "phone", "tags"
]
SORT_FIELDS: tuple[str, ...] = SortField.__args__
PAGE_SIZES = (25, 50, 100)
MAX_PAGE_SIZE = 200
EXACT_COUNT_LIMIT = 10_000
ESTIMATE_SAMPLE = 2_000
SELECTIVE_LIMIT = 5_000
RANKED_FEW_LIMIT = 1_000
MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 8
MAX_LIST_FILTER = 50
MIN_DIGITS = 3
REVERSED_PREFIX = "x"
CONFLICT_KEY = "conflict"
FTS_TABLE = "contact_fts"
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")
PG_VECTOR_COLUMN = "search_vector"
PG_NAME_VECTOR_COLUMN = "name_vector"
PG_VECTOR_INDEX = "ix_contact_search_vector"
PG_NAME_VECTOR_INDEX = "ix_contact_search_name_vector"
_BATCH = 1000

# Letters Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ı": "i",
        "þ": "th",
        "ð": "d",
        "ħ": "h",
        "ŀ": "l",
        "ŧ": "t",
    }
)
# Letters also written out as two (German, Nordic): "Müller" is "Mueller" too, "Åse" "Aase" ("ß" folds to "ss").
_SPELLED_OUT = str.maketrans(
    {
        "ü": "ue",
        "ö": "oe",
        "ä": "ae",
        "ø": "oe",
        "å": "aa",
        "æ": "ae",
        "Ü": "Ue",
        "Ö": "Oe",
        "Ä": "Ae",
        "Ø": "Oe",
        "Å": "Aa",
        "Æ": "Ae",
    }
)
MAX_JOINED_WORDS = 4
_WORD_RE = re.compile(r"[^\W_]+")
_PHONE_QUERY_RE = re.compile(r"^[0-9+\-\s().\/]+$")
_DIGITS_RE = re.compile(r"[^0-9]")

ArchivedMode = Literal["hide", "only", "include"]
TagMode = Literal["any", "all"]
Direction = Literal["asc", "desc"]


# ---------------------------------------------------------------- text folding


def fold(text: str) -> str:
    """Lower case without accents ("Wiśniewski" -> "wisniewski", "Łódź" -> "lodz")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_FOLD)


@lru_cache(maxsize=65536)
def _cached_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD_RE.findall(fold(text)))


def words(text: str) -> list[str]:
    """The folded words of a text: letters and digits, split at everything else."""
    if len(text) <= 40:
        return list(_cached_words(text))
    return _WORD_RE.findall(fold(text))


def spellings(text: str) -> list[str]:
    """The other folded words a name is found by: umlauts written out ("Müller" -> "mueller") and its words
    joined from each word on ("N'Diaye" -> "ndiaye", "Le Goff" -> "legoff", "Kowalska-Nowak" -> "kowalskanowak")."""
    plain = words(text)
    forms = [plain]
    if not text.isascii():
        spelled = words(unicodedata.normalize("NFC", text).translate(_SPELLED_OUT))
        if spelled != plain:
            forms.append(spelled)
    found = list(forms[1]) if len(forms) > 1 else []
    for parts in forms:
        found.extend("".join(parts[start : start + MAX_JOINED_WORDS]) for start in range(len(parts) - 1))
    return [word for word in dict.fromkeys(found) if word not in plain]


def normalise_query(text: str) -> str:
    """A search text as folded words separated by single spaces ("  Lefèbvre,  J " -> "lefebvre j")."""
    return " ".join(words((text or "")[:MAX_QUERY_LENGTH]))


def _digits(text: str) -> str:
    return _DIGITS_RE.sub("", text or "")


# ---------------------------------------------------------------- filter, sort, URL parameters


CUSTOM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_CHOICE_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,60}$")
CUSTOM_PARAM_PREFIX = "cf."
_CUSTOM_PARAM_RE = re.compile(r"^cf\.([a-z][a-z0-9_]{0,59})(?:\.(from|to))?$")
MAX_CUSTOM_FILTERS = 10
CHECKED, UNCHECKED = "1", "0"


class CustomFilter(BaseModel):
    """A filter on one custom field: any of these choice ids, a ticked ("1") or unticked ("0") checkbox, or a
    date range (both ends included)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    key: str
    values: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        if not CUSTOM_KEY_RE.match(value):
            raise ValueError("not a custom field key")
        return value

    @field_validator("values")
    @classmethod
    def _check_values(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for v in value if _CHOICE_ID_RE.match(v)))[:MAX_LIST_FILTER]

    @property
    def is_empty(self) -> bool:
        """Whether this filter lets every contact through."""
        return not self.values and self.date_from is None and self.date_to is None


class ContactFilter(BaseModel):
    """What the contact list shows: search text plus filters that combine with AND."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    query: str = ""
    kind: Literal["person", "organization"] | None = None
    suppliers_only: bool = False
    conflict_only: bool = False
    tag_ids: tuple[int, ...] = ()
    tag_mode: TagMode = "any"
    archived: ArchivedMode = "hide"
    channel_ids: tuple[int, ...] = ()
    assigned_user_ids: tuple[int, ...] = ()
    unassigned: bool = False
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    custom: tuple[CustomFilter, ...] = ()

    @field_validator("query")
    @classmethod
    def _trim_query(cls, value: str) -> str:
        return " ".join(value.split())[:MAX_QUERY_LENGTH]

    @field_validator("tag_ids", "channel_ids", "assigned_user_ids")
    @classmethod
    def _unique_ids(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(dict.fromkeys(v for v in value if v > 0))[:MAX_LIST_FILTER]

    @field_validator("custom")
    @classmethod
    def _one_per_field(cls, value: tuple[CustomFilter, ...]) -> tuple[CustomFilter, ...]:
        by_key = {item.key: item for item in value if not item.is_empty}
        return tuple(by_key[key] for key in sorted(by_key))[:MAX_CUSTOM_FILTERS]


class ContactSort(BaseModel):
    """The list order: a column and a direction (``relevance`` ranks search results, else it is ``name``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    field: SortField = "name"
    direction: Direction = "asc"


_BOOL_PARAMS = {"suppliers_only": "supplier", "conflict_only": "conflict", "unassigned": "unassigned"}
_ID_PARAMS = {"tag_ids": "tags", "channel_ids": "channels", "assigned_user_ids": "assigned"}
_DATE_PARAMS = ("created_from", "created_to", "updated_from", "updated_to")
_TRUE_WORDS = {"1", "true", "yes", "on"}


def filter_to_params(filter: ContactFilter) -> dict[str, str]:
    """The filter as short URL query parameters; defaults are left out."""
    params: dict[str, str] = {}
    if filter.query:
        params["q"] = filter.query
    if filter.kind:
        params["kind"] = filter.kind
    for name, key in _BOOL_PARAMS.items():
        if getattr(filter, name):
            params[key] = "1"
    for name, key in _ID_PARAMS.items():
        ids = getattr(filter, name)
        if ids:
            params[key] = ",".join(str(i) for i in ids)
    if filter.tag_ids and filter.tag_mode != "any":
        params["tag_mode"] = filter.tag_mode
    if filter.archived != "hide":
        params["archived"] = filter.archived
    for name in _DATE_PARAMS:
        value = getattr(filter, name)
        if value is not None:
            params[name] = value.isoformat()
    for item in filter.custom:
        name = CUSTOM_PARAM_PREFIX + item.key
        if item.values:
            params[name] = ",".join(item.values)
        if item.date_from is not None:
            params[name + ".from"] = item.date_from.isoformat()
        if item.date_to is not None:
            params[name + ".to"] = item.date_to.isoformat()
    return params


def is_custom_param(name: str) -> bool:
    """Whether a URL parameter name is a custom-field filter (``cf.<key>``, ``cf.<key>.from``, ``cf.<key>.to``)."""
    return isinstance(name, str) and _CUSTOM_PARAM_RE.match(name) is not None


def _custom_from_params(params: Mapping[str, Any]) -> tuple[CustomFilter, ...]:
    found: dict[str, dict[str, Any]] = {}
    for name in params:
        match = _CUSTOM_PARAM_RE.match(name) if isinstance(name, str) else None
        if match is None:
            continue
        key, end = match.groups()
        text = _param(params, name)
        if end is None:
            values = tuple(part.strip() for part in text.split(",") if part.strip())
            if values:
                found.setdefault(key, {})["values"] = values
        elif (parsed := _date(text)) is not None:
            found.setdefault(key, {})["date_from" if end == "from" else "date_to"] = parsed
        if len(found) > MAX_CUSTOM_FILTERS:
            break
    return tuple(CustomFilter(key=key, **values) for key, values in found.items())


def _param(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _ids(text: str) -> tuple[int, ...]:
    found = []
    for part in text.split(","):
        part = part.strip()
        if part.isascii() and part.isdigit() and len(part) <= 18:
            found.append(int(part))
    return tuple(found)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


def filter_from_params(params: Mapping[str, Any]) -> ContactFilter:
    """A filter from URL query parameters; unknown keys and bad values are dropped, never an error."""
    values: dict[str, Any] = {}
    query = _param(params, "q")
    if query and not any(unicodedata.category(ch) == "Cc" for ch in query):
        values["query"] = query
    if _param(params, "kind") in KINDS:
        values["kind"] = _param(params, "kind")
    for name, key in _BOOL_PARAMS.items():
        if _param(params, key).lower() in _TRUE_WORDS:
            values[name] = True
    for name, key in _ID_PARAMS.items():
        ids = _ids(_param(params, key))
        if ids:
            values[name] = ids
    if _param(params, "tag_mode") in TagMode.__args__:
        values["tag_mode"] = _param(params, "tag_mode")
    if _param(params, "archived") in ArchivedMode.__args__:
        values["archived"] = _param(params, "archived")
    for name in _DATE_PARAMS:
        parsed = _date(_param(params, name))
        if parsed is not None:
            values[name] = parsed
    custom = _custom_from_params(params)
    if custom:
        values["custom"] = custom
    try:
        return ContactFilter(**values)
    except ValueError:
        return ContactFilter()


def sort_to_params(sort: ContactSort) -> dict[str, str]:
    """The sort as URL parameters (``sort=city&dir=desc``); the default order is left out."""
    params = {}
    if sort.field != "name":
        params["sort"] = sort.field
    if sort.direction != "asc":
        params["dir"] = sort.direction
    return params


def sort_from_params(params: Mapping[str, Any]) -> ContactSort:
    """A sort from URL parameters; bad values fall back to the default."""
    field_ = _param(params, "sort")
    direction = _param(params, "dir")
    return ContactSort(
        field=field_ if field_ in SORT_FIELDS else "name",
        direction=direction if direction in Direction.__args__ else "asc",
    )


# ---------------------------------------------------------------- custom fields in the list

SEARCHABLE_TYPES = ("text", "long_text", "email", "phone", "url", "select", "multi_select")
FILTER_TYPES = ("select", "multi_select", "checkbox", "date")
CHOICE_TYPES = ("select", "multi_select")
MAX_TOKENS_PER_VALUE = 200
MAX_LIST_FIELDS = 30


@dataclass(frozen=True)
class CustomField:
    """A custom field as the list needs it (a column, a filter or a searchable value)."""

    key: str
    label: str
    type: str
    kind: str
    choices: tuple[Choice, ...] = ()

    def choice_label(self, choice_id: Any) -> str:
        """The label of a stored choice id ("" when unknown)."""
        return next((c.label for c in self.choices if c.id == choice_id), "")


@dataclass(frozen=True)
class ListFields:
    """The custom fields the list shows as columns and offers as filters, one per key, in form order."""

    columns: list[CustomField]
    filters: list[CustomField]


def _custom_fields(session: Session, *conditions: Any) -> list[CustomField]:
    rows = _core(session).execute(
        select(
            FieldDefinition.key,
            FieldDefinition.label,
            FieldDefinition.type,
            FieldDefinition.kind,
            FieldDefinition.options,
        )
        .where(FieldDefinition.builtin.is_(False), FieldDefinition.active.is_(True), *conditions)
        .order_by(FieldDefinition.kind.desc(), FieldDefinition.position, FieldDefinition.id)
    )
    return [
        CustomField(key=key, label=label, type=type_, kind=kind, choices=tuple(choices_from_options(options)))
        for key, label, type_, kind, options in rows
    ]


def _one_per_key(fields: Iterable[CustomField]) -> list[CustomField]:
    return list({f.key: f for f in reversed(list(fields))}.values())[::-1][:MAX_LIST_FIELDS]


def list_fields(session: Session) -> ListFields:
    """The active custom fields shown as list columns and those the list can filter by (choice, checkbox, date)."""
    return ListFields(
        columns=_one_per_key(_custom_fields(session, FieldDefinition.show_in_list.is_(True))),
        filters=_one_per_key(_custom_fields(session, FieldDefinition.type.in_(FILTER_TYPES))),
    )


def _searchable_fields(session: Session) -> dict[str, list[CustomField]]:
    """The active searchable custom fields of each contact kind."""
    by_kind: dict[str, list[CustomField]] = defaultdict(list)
    for item in _custom_fields(
        session, FieldDefinition.searchable.is_(True), FieldDefinition.type.in_(SEARCHABLE_TYPES)
    ):
        by_kind[item.kind].append(item)
    return dict(by_kind)


@lru_cache(maxsize=4096)
def _custom_phone_tokens(e164: str, region: str) -> tuple[str, ...]:
    try:
        national = parse_phone(e164, region).national_digits
    except DomainError:
        national = ""
    return tuple(_phone_tokens(e164, national))


def custom_tokens(custom: Mapping[str, Any] | None, fields: Sequence[CustomField], region: str = "FR") -> list[str]:
    """The search words of a contact's custom values for these (searchable) fields; choices by their labels."""
    tokens: list[str] = []
    values = custom if isinstance(custom, Mapping) else {}
    for item in fields:
        value = values.get(item.key)
        if value is None:
            continue
        if item.type in CHOICE_TYPES:
            texts = [item.choice_label(v) for v in (value if isinstance(value, list) else [value])]
        elif item.type == "phone":
            if isinstance(value, str) and value.startswith("+"):
                tokens.extend(_custom_phone_tokens(value, region))
            continue
        else:
            texts = [value] if isinstance(value, str) else []
        for text in texts:
            tokens.extend(words(text)[:MAX_TOKENS_PER_VALUE])
    return tokens


# ---------------------------------------------------------------- filter tokens (SQLite)

# On SQLite every list filter is also written as words of the search document ("_t12" for tag 12, "_u3" for
# staff 3, "_a" for archived, the months, years... of a custom date), so the FTS5 index answers tags, staff,
# channel, kind, supplier, archived, choice and custom date filters (created and updated ranges: see
# ``_date_range_tokens`` and ``narrow_dates``), with or without a search, by merging its sorted id lists instead of
# looking up every candidate contact (a random row read each). The tokens hold "_": the tokenizer keeps it in
# words (tokenchars) and a typed search never does (``words`` splits at it), so they never match what a user
# types. PostgreSQL combines its indexes itself (bitmap scans) and gets no tokens.
FILTER_TOKEN_DIALECTS = ("sqlite",)
TOKEN_TYPES = ("select", "multi_select", "checkbox", "date")
MAX_DATE_TOKENS = 40  # created ranges (custom date ranges need at most about 80 tokens: ``_custom_date_tokens``)
CREATED_KEY = "~created"
SUPPLIER_TOKEN = "_s"
ARCHIVED_TOKEN = "_a"
_TICKED = "\x01ticked"


def _tag_token(tag_id: int) -> str:
    return f"_t{int(tag_id)}"


def _user_token(user_id: int | None) -> str:
    return f"_u{int(user_id or 0)}"


def _channel_token(channel_id: int) -> str:
    return f"_c{int(channel_id)}"


def _kind_token(kind: str) -> str:
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
    rows = _core(session).execute(
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
    tokens = [_kind_token(contact["kind"]), _user_token(contact.get("assigned_user_id"))]
    if contact.get("is_supplier"):
        tokens.append(SUPPLIER_TOKEN)
    if contact.get("archived_at") is not None:
        tokens.append(ARCHIVED_TOKEN)
    if contact.get("acquisition_channel_id") is not None:
        tokens.append(_channel_token(contact["acquisition_channel_id"]))
    tokens.extend(_tag_token(tag_id) for tag_id in sorted(set(tag_ids)))
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


def _date_range_tokens(key: str, start: date | None, end: date | None) -> tuple[list[str], bool]:
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


def _custom_value(dialect: str, key: str) -> Any:
    """SQL: the custom value under ``key`` as text (a choice id, an ISO date, 'true'...), NULL when absent."""
    if dialect == "postgresql":
        return Contact.custom.op("->>", return_type=String)(literal(key, String))
    return func.json_extract(Contact.custom, literal(_json_path(key), String), type_=String)


def _json_path(key: str) -> str:
    return f'$."{key}"'


def _custom_condition(dialect: str, item: CustomFilter, type_: str) -> ColumnElement[bool] | None:
    """SQL: the contact passes this custom-field filter (checked row by row: JSON values are not indexed)."""
    value = _custom_value(dialect, item.key)
    conditions: list[ColumnElement[bool]] = []
    if type_ == "select" and item.values:
        conditions.append(value.in_(item.values))
    elif type_ == "multi_select" and item.values:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB, array

            listed = cast(Contact.custom.op("->", return_type=JSONB)(literal(item.key, String)), JSONB)
            conditions.append(listed.op("?|", return_type=Boolean)(array(list(item.values))))
        else:
            conditions.append(or_(*(func.instr(value, f'"{choice}"') > 0 for choice in item.values)))
    elif type_ == "checkbox" and len(set(item.values) & {CHECKED, UNCHECKED}) == 1:
        if dialect == "postgresql":
            ticked = func.coalesce(value, "") == "true"
        else:
            ticked = func.coalesce(func.json_type(Contact.custom, literal(_json_path(item.key), String)), "") == "true"
        conditions.append(ticked if CHECKED in item.values else ~ticked)
    elif type_ == "date":
        text_value = value.collate("C") if dialect == "postgresql" else value
        if item.date_from is not None:
            conditions.append(text_value >= item.date_from.isoformat())
        if item.date_to is not None:
            conditions.append(text_value <= item.date_to.isoformat())
    return and_(*conditions) if conditions else None


def _custom_tokens(item: CustomFilter, type_: str | None) -> tuple[list[str], bool]:
    """The filter tokens of this custom-field filter (a match holds one of them) and whether they answer it
    exactly (else its condition is also checked per contact); none for "not ticked" and open date ranges."""
    if type_ in CHOICE_TYPES and item.values:
        return [_value_token(item.key, value) for value in item.values], True
    if type_ == "checkbox" and set(item.values) == {CHECKED}:
        return [_value_token(item.key, _TICKED)], True
    if type_ == "date" and (item.date_from is not None or item.date_to is not None):
        return _custom_date_tokens(item.key, item.date_from, item.date_to)
    return [], False


def custom_value_holders(session: Session, *, key: str) -> list[int]:
    """The ids of the contacts holding a value for this custom field key (before its values are removed)."""
    if not CUSTOM_KEY_RE.match(key or ""):
        return []
    session.flush()
    present = _custom_value(session.get_bind().dialect.name, key).is_not(None)
    return list(_core(session).execute(select(Contact.id).where(present).order_by(Contact.id)).scalars())


def reindex_custom_field(session: Session, *, key: str, batch_size: int = _BATCH) -> int:
    """Rebuild the search rows of every contact holding a value for this custom field key, batch by batch.

    Call it when a field becomes searchable or stops being searchable; returns how many contacts it visited.
    """
    if not CUSTOM_KEY_RE.match(key or ""):
        return 0
    session.flush()
    dialect = session.get_bind().dialect.name
    present = _custom_value(dialect, key).is_not(None)
    last, visited = 0, 0
    while True:
        ids = list(
            _core(session)
            .execute(select(Contact.id).where(Contact.id > last, present).order_by(Contact.id).limit(batch_size))
            .scalars()
        )
        if not ids:
            return visited
        reindex_contacts(session, contact_ids=ids)
        visited += len(ids)
        last = ids[-1]


# ---------------------------------------------------------------- search documents


@dataclass
class _Sources:
    contact: dict[str, Any]
    phones: list[tuple[str, str]] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    cities: list[tuple[bool, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    assigned: str = ""
    custom: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)


def _phone_tokens(e164: str, national_digits: str) -> list[str]:
    digits = _digits(e164)
    tokens = [digits, national_digits] if national_digits and national_digits != digits else [digits]
    return [*tokens, REVERSED_PREFIX + digits[::-1]]


def document_row(
    contact: Mapping[str, Any],
    *,
    phones: Sequence[tuple[str, str]] = (),
    emails: Sequence[str] = (),
    cities: Sequence[tuple[bool, str]] = (),
    tags: Sequence[str] = (),
    assigned: str = "",
    custom: Sequence[str] = (),
    filters: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``contact_search`` row of a contact (``contact`` holds id, names, display_name, reference, registration_no).

    ``phones`` are (e164, national digits) pairs and ``cities`` (is_main, city) pairs, in list order; ``custom``
    holds the words of its searchable custom values (``custom_tokens``) and ``filters`` its filter tokens
    (``filter_tokens``, SQLite only).
    """
    return _document(
        _Sources(
            contact=dict(contact),
            phones=list(phones),
            emails=list(emails),
            cities=list(cities),
            tags=list(tags),
            assigned=assigned,
            custom=list(custom),
            filters=list(filters),
        )
    )


def _document(src: _Sources) -> dict[str, Any]:
    contact = src.contact
    names = (contact["first_name"], contact["last_name"], contact["company_name"])
    name_words = [word for name in names for word in words(name)]
    # Other spellings after every plain word: a phrase typed with separators ("le goff") still finds its words
    # side by side.
    other = dict.fromkeys(word for name in names for word in spellings(name))
    name_words.extend(word for word in other if word not in name_words)
    body: list[str] = []
    for value in (contact["reference"], contact["registration_no"]):
        parts = words(value)
        body.extend(parts)
        if len(parts) > 1:
            body.append("".join(parts))
        digits = _digits(value)
        if len(digits) >= MIN_DIGITS and digits not in parts:
            body.append(digits)
    for address in src.emails:
        body.extend(words(address))
    cities = list({fold(city).strip(): city.strip() for _main, city in src.cities if city.strip()}.values())
    for city in cities:
        body.extend(words(city))
        body.extend(spellings(city))
    for tag in src.tags:
        body.extend(words(tag))
    for e164, national in src.phones:
        body.extend(_phone_tokens(e164, national))
    body.extend(src.custom)
    body.extend(src.filters)
    main_city = next((city for main, city in src.cities if main), "")
    return {
        "contact_id": contact["id"],
        "name_key": " ".join(words(contact["display_name"])),
        "name_doc": " ".join(name_words),
        "body_doc": " ".join(body),
        "city_key": " ".join(words(main_city)),
        "email_key": src.emails[0].lower() if src.emails else "",
        "phone_key": src.phones[0][0] if src.phones else "",
        "assigned_key": " ".join(words(src.assigned)),
        "tag_key": min((tag_key(tag) for tag in src.tags), default=""),
    }


def tag_key(name: str) -> str:
    """A tag name as the tag sort compares it (folded words): a contact sorts under its first tag this way."""
    return " ".join(words(name))


def _load_sources(session: Session, cond: Callable[[Any], ColumnElement[bool]]) -> list[_Sources]:
    """Everything the search documents need, for the contacts whose id column satisfies ``cond``."""
    searchable = _searchable_fields(session)
    tokens = uses_filter_tokens(session.get_bind().dialect.name)
    extra = (
        (Contact.is_supplier, Contact.archived_at, Contact.acquisition_channel_id, Contact.created_at) if tokens else ()
    )
    contacts = (
        _core(session)
        .execute(
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.company_name,
                Contact.display_name,
                Contact.reference,
                Contact.registration_no,
                Contact.assigned_user_id,
                Contact.kind,
                Contact.custom,
                *extra,
            )
            .where(cond(Contact.id))
            .order_by(Contact.id)
        )
        .all()
    )
    if not contacts:
        return []
    by_id = {row[0]: _Sources(contact=dict(row._mapping)) for row in contacts}
    if searchable:
        region = get_settings(session).default_region
        for src in by_id.values():
            fields = searchable.get(src.contact["kind"], [])
            src.custom = custom_tokens(src.contact["custom"], fields, region) if fields else []
    for contact_id, e164, national in _core(session).execute(
        select(Phone.contact_id, Phone.e164, Phone.national_digits)
        .where(cond(Phone.contact_id))
        .order_by(Phone.contact_id, Phone.position, Phone.id)
    ):
        if contact_id in by_id:
            by_id[contact_id].phones.append((e164, national or ""))
    for contact_id, address in _core(session).execute(
        select(Email.contact_id, Email.address)
        .where(cond(Email.contact_id))
        .order_by(Email.contact_id, Email.position, Email.id)
    ):
        if contact_id in by_id:
            by_id[contact_id].emails.append(address)
    for contact_id, is_main, city in _core(session).execute(
        select(Address.contact_id, Address.is_main, Address.city)
        .where(cond(Address.contact_id))
        .order_by(Address.contact_id, Address.position, Address.id)
    ):
        if contact_id in by_id:
            by_id[contact_id].cities.append((bool(is_main), city or ""))
    tag_ids: dict[int, list[int]] = defaultdict(list)
    for contact_id, tag_id, name in _core(session).execute(
        select(ContactTag.contact_id, Tag.id, Tag.name)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(cond(ContactTag.contact_id))
        .order_by(ContactTag.contact_id, Tag.name)
    ):
        if contact_id in by_id:
            by_id[contact_id].tags.append(name)
            tag_ids[contact_id].append(tag_id)
    if tokens:
        fields_of = token_fields(session)
        for contact_id, src in by_id.items():
            src.filters = filter_tokens(
                src.contact, tag_ids=tag_ids.get(contact_id, ()), fields=fields_of.get(src.contact["kind"], [])
            )
    user_ids = {src.contact["assigned_user_id"] for src in by_id.values()} - {None}
    if user_ids:
        names = {
            uid: (name or email)
            for uid, name, email in _core(session).execute(
                select(User.id, User.name, User.email).where(User.id.in_(user_ids))
            )
        }
        for src in by_id.values():
            src.assigned = names.get(src.contact["assigned_user_id"], "")
    return list(by_id.values())


_DOC_COLUMNS = ("name_key", "name_doc", "body_doc", "city_key", "email_key", "phone_key", "assigned_key", "tag_key")


_UPSERT_ROWS = 500


@lru_cache(maxsize=16)
def _upsert_sql(dialect: str, paramstyle: str, count: int) -> str:
    """``INSERT ... ON CONFLICT DO UPDATE ... WHERE changed`` for ``count`` rows, as driver SQL (compiled once)."""
    columns = ("contact_id", *_DOC_COLUMNS)
    mark = "?" if paramstyle == "qmark" else "%s"
    values = ", ".join(["(" + ", ".join([mark] * len(columns)) + ")"] * count)
    changed = " OR ".join(f"contact_search.{name} <> excluded.{name}" for name in _DOC_COLUMNS)
    assignments = ", ".join(f"{name} = excluded.{name}" for name in _DOC_COLUMNS)
    return (
        f"INSERT INTO contact_search ({', '.join(columns)}) VALUES {values} "
        f"ON CONFLICT (contact_id) DO UPDATE SET {assignments} WHERE {changed}"
    )


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write search rows with one multi-row INSERT ... ON CONFLICT UPDATE (only rows that changed) per 500.

    One statement, not one per row: SQLite's FTS5 flushes its pending changes into a new index segment at
    the end of every statement that touches it, so row-by-row writes cost a segment (and merges) each.
    The statement text is built once per size and sent as driver SQL: compiling thousands of bound values
    through the expression layer cost more than the write itself.
    """
    dialect = session.get_bind().dialect
    columns = ("contact_id", *_DOC_COLUMNS)
    connection = _core(session)
    for start in range(0, len(rows), _UPSERT_ROWS):
        chunk = rows[start : start + _UPSERT_ROWS]
        sql = _upsert_sql(dialect.name, dialect.paramstyle, len(chunk))
        params = tuple(row[name] for row in chunk for name in columns)
        connection.exec_driver_sql(sql, params)
    record_name_words(connection, name_docs=[row["name_doc"] for row in rows])


def index_new_contacts(session: Session, contacts: Sequence[Mapping[str, Any]]) -> None:
    """Write the search rows of contacts just inserted, from the values at hand (no re-read).

    Each mapping holds the columns ``document_row`` reads plus ``kind``, ``custom`` (values), ``phones``
    ((e164, national digits) pairs), ``emails``, ``cities`` ((is_main, city) pairs), ``tags`` (names),
    ``assigned`` and, for the filter tokens, ``tag_ids`` and the other columns ``filter_tokens`` reads.
    """
    if not contacts:
        return
    searchable = _searchable_fields(session)
    region = get_settings(session).default_region
    tokens = uses_filter_tokens(session.get_bind().dialect.name)
    fields_of = token_fields(session) if tokens else {}
    rows = []
    for contact in contacts:
        fields = searchable.get(contact["kind"], [])
        filters = (
            filter_tokens(contact, tag_ids=contact["tag_ids"], fields=fields_of.get(contact["kind"], []))
            if tokens
            else []
        )
        rows.append(
            document_row(
                contact,
                phones=contact["phones"],
                emails=contact["emails"],
                cities=contact["cities"],
                tags=contact["tags"],
                assigned=contact["assigned"],
                custom=custom_tokens(contact["custom"], fields, region) if fields else [],
                filters=filters,
            )
        )
    _upsert(session, rows)


def reindex_contacts(session: Session, *, contact_ids: Iterable[int]) -> None:
    """Rebuild the search rows of these contacts (rows of deleted contacts are removed); flushes first."""
    ids = sorted({int(i) for i in contact_ids if i is not None})
    if not ids:
        return
    session.flush()
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        sources = _load_sources(session, lambda col, chunk=chunk: col.in_(chunk))
        _upsert(session, [_document(src) for src in sources])
        gone = set(chunk) - {src.contact["id"] for src in sources}
        if gone:
            session.execute(delete(ContactSearch).where(ContactSearch.contact_id.in_(gone)))


def _token_added(body: Any, token: str) -> Any:
    return case((body == "", token), else_=body + " " + token)


def _token_replaced(body: Any, old: str, new: str) -> Any:
    """SQL: the document with the word ``old`` replaced by ``new`` ("" removes it); words are single-spaced."""
    return func.trim(func.replace(literal(" ") + body + " ", f" {old} ", f" {new} " if new else " "))


def index_tag_added(session: Session, *, contact_ids: Sequence[int], tag_name: str, tag_id: int) -> None:
    """Bulk shortcut: add a tag's words (and filter token) to these contacts' search rows with one UPDATE."""
    tokens = " ".join(words(tag_name))
    if uses_filter_tokens(session.get_bind().dialect.name):
        tokens = f"{tokens} {_tag_token(tag_id)}".strip()
    if contact_ids and tokens:
        key, first = tag_key(tag_name), ContactSearch.tag_key
        session.execute(
            update(ContactSearch)
            .where(ContactSearch.contact_id.in_(list(contact_ids)))
            .values(
                body_doc=_token_added(ContactSearch.body_doc, tokens),
                tag_key=case((or_(first == "", first > key), key), else_=first),
            )
            .execution_options(synchronize_session=False)
        )


def index_assigned(
    session: Session, *, changes: Sequence[tuple[int, int | None]], user_id: int | None, user_name: str
) -> None:
    """Bulk shortcut: these (contact id, previous staff id) pairs are now assigned to ``user_id``: set their
    "assigned to" sort key (and swap their staff filter token) with one UPDATE per previous staff member."""
    tokens = uses_filter_tokens(session.get_bind().dialect.name)
    by_old: dict[int | None, list[int]] = defaultdict(list)
    for contact_id, old in changes:
        by_old[old if tokens else None].append(contact_id)
    for old, contact_ids in by_old.items():
        values: dict[str, Any] = {"assigned_key": " ".join(words(user_name))}
        if tokens:
            values["body_doc"] = _token_replaced(ContactSearch.body_doc, _user_token(old), _user_token(user_id))
        session.execute(
            update(ContactSearch)
            .where(ContactSearch.contact_id.in_(contact_ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def index_archived(session: Session, *, contact_ids: Sequence[int], archived: bool) -> None:
    """Bulk shortcut: these contacts were just archived (or restored): add (or drop) their archived token."""
    if not contact_ids or not uses_filter_tokens(session.get_bind().dialect.name):
        return
    without = _token_replaced(ContactSearch.body_doc, ARCHIVED_TOKEN, "")
    session.execute(
        update(ContactSearch)
        .where(ContactSearch.contact_id.in_(list(contact_ids)))
        .values(body_doc=_token_added(without, ARCHIVED_TOKEN) if archived else without)
        .execution_options(synchronize_session=False)
    )


def reindex_tagged(session: Session, *, tag_ids: Iterable[int]) -> None:
    """Rebuild the search rows of every contact that carries one of these tags."""
    wanted = [int(i) for i in tag_ids]
    if wanted:
        ids = _core(session).execute(select(ContactTag.contact_id).where(ContactTag.tag_id.in_(wanted))).scalars().all()
        reindex_contacts(session, contact_ids=ids)


def suspend_index_sync(connection: Connection) -> None:
    """Before loading many ``contact_search`` rows: stop updating the full-text index row by row."""
    if connection.dialect.name == "sqlite":
        _drop_sqlite_triggers(connection)
    elif connection.dialect.name == "postgresql":
        _drop_pg_indexes(connection)


def index_loaded_rows(execute: Callable[[str], Any], select_sql: str) -> None:
    """SQLite, while the index sync is suspended: add the rows ``select_sql`` gives (contact id, name_doc,
    body_doc) to the full-text index now (``execute`` runs one SQL text, e.g. a DB-API cursor's), so a loader can
    index each part as it lands; finish with ``resume_index_sync(connection, rebuild=False)``. Segments are not
    merged meanwhile (the final optimize merges them all in one pass: merging as parts land cost three times
    the indexing itself)."""
    execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 0)")
    execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('crisismerge', 64)")
    execute(f"INSERT INTO {FTS_TABLE}(rowid, name_doc, body_doc) {select_sql}")


def resume_index_sync(connection: Connection, *, rebuild: bool = True) -> None:
    """After a bulk load: build the full-text index from ``contact_search`` (unless the loader already indexed
    every row, ``index_loaded_rows``) and keep it in sync again."""
    if connection.dialect.name == "sqlite":
        # Build with few merges, then merge into one segment: fast reads, and no merge debt that later small
        # writes would pay for (each would otherwise take milliseconds), then the default for day-to-day writes.
        if rebuild:
            connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 16)")
            connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 4)")
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('crisismerge', 16)")
        _create_sqlite_triggers(connection)
    elif connection.dialect.name == "postgresql":
        _create_pg_index(connection)


# The layout of the search rows: raised whenever what ``_document`` or ``filter_tokens`` write changes, so that
# ``ensure_search_documents`` rebuilds, once, the rows earlier code wrote (2: custom dates carry their decade,
# century and millennium; 3: names and cities also hold their other spellings, ``spellings``, and the name words
# fill ``contact_name_word``). Stored in ``app_setting`` by whatever writes every row (a rebuild, the bench seed).
DOCUMENTS_VERSION = 3
DOCUMENTS_VERSION_KEY = "search.documents_version"
_REBUILD_LOCK = 7_250_001  # PostgreSQL advisory lock: one process rebuilds, the others wait and find it done


def mark_search_documents_current(session: Session) -> None:
    """Record that every search row has today's layout (``DOCUMENTS_VERSION``)."""
    row = session.get(AppSetting, DOCUMENTS_VERSION_KEY)
    if row is None:
        session.add(AppSetting(key=DOCUMENTS_VERSION_KEY, value=DOCUMENTS_VERSION))
    else:
        row.value = DOCUMENTS_VERSION
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def ensure_search_documents(session: Session) -> int | None:
    """Rebuild every search row when they were written with another layout than today's (or none was recorded
    and contacts exist, as after an upgrade); returns how many rows were rebuilt, None when nothing was to do.

    Every app process calls this at start, before it serves; migrations never rebuild search rows themselves
    (they would run today's code against an older schema)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_REBUILD_LOCK)))
    if search_documents_current(session):
        return None
    return rebuild_search_index(session)


def search_documents_current(session: Session) -> bool:
    """Whether the search rows have today's layout; a database without contacts (and no layout recorded yet, a new
    one) is recorded as current."""
    row = session.get(AppSetting, DOCUMENTS_VERSION_KEY)
    if row is not None and row.value == DOCUMENTS_VERSION:
        return True
    if row is None and _core(session).execute(select(Contact.id).limit(1)).first() is None:
        mark_search_documents_current(session)
        return True
    return False


def rebuild_search_rows(
    *, engine: Engine | None = None, batch_size: int = 2_000, on_batch: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every contact's search row in batches of contacts by id, each committed, then the vocabulary of
    name words, and record the rows' layout as today's; returns the row count (``on_batch(done, total)`` after
    each batch).

    The background rebuild after an upgrade: meanwhile the list answers from the rows as they stand (each
    replaced as its batch commits), and other writes wait for one batch at most. A batch holds its contacts
    (``FOR SHARE`` on PostgreSQL; SQLite's write lock) so that a contact saved meanwhile keeps the row of its save.
    """
    with session_scope(engine) as s:
        low, high, total = _core(s).execute(select(func.min(Contact.id), func.max(Contact.id), func.count())).one()
    done = 0
    if low is not None:
        for start in range(low, high + 1, batch_size):
            end = start + batch_size - 1
            with session_scope(engine) as s:
                ids = list(
                    _core(s)
                    .execute(select(Contact.id).where(Contact.id.between(start, end)).with_for_update(read=True))
                    .scalars()
                )
                reindex_contacts(s, contact_ids=ids)
            done += len(ids)
            if on_batch is not None:
                on_batch(done, total)
    with session_scope(engine) as s:
        rebuild_name_words(s.connection())
        mark_search_documents_current(s)
    return done


def rebuild_search_index(session: Session, *, batch_size: int = 20_000) -> int:
    """Recompute every contact's search row and the full-text index from scratch (and record their layout as
    today's); returns the row count."""
    session.flush()
    bind = session.connection()
    suspend_index_sync(bind)
    session.execute(delete(ContactSearch))
    low = _core(session).execute(select(func.min(Contact.id))).scalar_one()
    high = _core(session).execute(select(func.max(Contact.id))).scalar_one()
    total = 0
    if low is not None:
        for start in range(low, high + 1, batch_size):
            end = start + batch_size - 1
            sources = _load_sources(session, lambda col, start=start, end=end: col.between(start, end))
            rows = [_document(src) for src in sources]
            if rows:
                session.execute(core_insert(ContactSearch.__table__), rows)
            total += len(rows)
    resume_index_sync(bind)
    rebuild_name_words(bind)
    mark_search_documents_current(session)
    return total


# ---------------------------------------------------------------- database structures


def _create_sqlite_triggers(connection: Connection) -> None:
    cols = "name_doc, body_doc"
    new = "new.name_doc, new.body_doc"
    old = "old.name_doc, old.body_doc"
    statements = (
        f"CREATE TRIGGER IF NOT EXISTS contact_search_ai AFTER INSERT ON contact_search BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.contact_id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS contact_search_ad AFTER DELETE ON contact_search BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.contact_id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS contact_search_au AFTER UPDATE ON contact_search "
        f"WHEN old.name_doc IS NOT new.name_doc OR old.body_doc IS NOT new.body_doc BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.contact_id, {old}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.contact_id, {new}); END",
    )
    for statement in statements:
        connection.exec_driver_sql(statement)


def _drop_sqlite_triggers(connection: Connection) -> None:
    for name in ("contact_search_ai", "contact_search_ad", "contact_search_au"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def _create_pg_index(connection: Connection) -> None:
    """GIN indexes on the whole document and on the names alone (a ranked search reads the name matches of a
    word found mostly elsewhere, an e-mail domain or a tag, without visiting every contact that holds it)."""
    for name, vector in ((PG_VECTOR_INDEX, PG_VECTOR_COLUMN), (PG_NAME_VECTOR_INDEX, PG_NAME_VECTOR_COLUMN)):
        connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON contact_search USING gin ({vector})")


def _drop_pg_indexes(connection: Connection) -> None:
    for name in (PG_VECTOR_INDEX, PG_NAME_VECTOR_INDEX):
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def create_search_structures(connection: Connection) -> None:
    """Create what the ORM metadata cannot describe: FTS5 table and triggers, or the tsvector column and index."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "name_doc, body_doc, content='contact_search', content_rowid='contact_id', "
            "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\", prefix='1 2 3 4 5 6', columnsize=0)"
        )
        _create_sqlite_triggers(connection)
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    elif dialect == "postgresql":
        connection.exec_driver_sql(
            f"ALTER TABLE contact_search ADD COLUMN IF NOT EXISTS {PG_VECTOR_COLUMN} tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name_doc || ' ' || body_doc)) STORED"
        )
        connection.exec_driver_sql(
            f"ALTER TABLE contact_search ADD COLUMN IF NOT EXISTS {PG_NAME_VECTOR_COLUMN} tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name_doc)) STORED"
        )
        _create_pg_index(connection)


def drop_search_structures(connection: Connection) -> None:
    """Undo ``create_search_structures`` (the ``contact_search`` table itself stays)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        _drop_sqlite_triggers(connection)
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif dialect == "postgresql":
        _drop_pg_indexes(connection)
        connection.exec_driver_sql(f"ALTER TABLE contact_search DROP COLUMN IF EXISTS {PG_VECTOR_COLUMN}")
        connection.exec_driver_sql(f"ALTER TABLE contact_search DROP COLUMN IF EXISTS {PG_NAME_VECTOR_COLUMN}")


def is_search_structure(name: str | None, type_: str) -> bool:
    """True for the database objects ``create_search_structures`` makes (schema comparison skips them)."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or (name.startswith(FTS_TABLE) and name[len(FTS_TABLE) :] in FTS_SHADOW_SUFFIXES)
    if type_ == "column":
        return name in (PG_VECTOR_COLUMN, PG_NAME_VECTOR_COLUMN)
    if type_ == "index":
        return name in (PG_VECTOR_INDEX, PG_NAME_VECTOR_INDEX)
    return False


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook: leave the search structures out of autogenerate comparisons."""
    return not (reflected and compare_to is None and is_search_structure(name, type_))


# ---------------------------------------------------------------- query parsing


@dataclass(frozen=True)
class _Term:
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
class _Query:
    text: str
    terms: tuple[_Term, ...]
    phone: bool

    @property
    def typos(self) -> bool:
        """Whether a word of the query is also looked for as the name words it may be a typo for."""
        return any(term.near for term in self.terms)

    def exact(self) -> _Query:
        """The query without the words its typos may have meant."""
        return replace(self, terms=tuple(replace(term, near=()) for term in self.terms))


def _digit_term(digits: str, region: str, raw: str) -> _Term:
    forms = search_forms(raw, region) if region else [digits]
    alternatives = [(form,) for form in dict.fromkeys([digits, *forms]) if len(form) >= MIN_DIGITS]
    alternatives.append((REVERSED_PREFIX + digits[::-1],))
    return _Term(alternatives=tuple(alternatives), digits=True)


def _parse_query(raw: str, region: str) -> _Query | None:
    text = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    normalised = normalise_query(text)
    if not normalised:
        return None
    digits = _digits(text)
    if _PHONE_QUERY_RE.match(text) and len(digits) >= MIN_DIGITS:
        return _Query(text=normalised, terms=(_digit_term(digits, region, text),), phone=True)
    terms: list[_Term] = []
    for typed in text.split(" "):
        parts = tuple(words(typed))
        if not parts:
            continue
        if len(parts) == 1 and parts[0].isascii() and parts[0].isdigit() and len(parts[0]) >= MIN_DIGITS:
            terms.append(_digit_term(parts[0], region, typed))
        else:
            terms.append(_Term(alternatives=(parts,)))
    if not terms:
        return None
    return _Query(text=normalised, terms=tuple(terms[:MAX_QUERY_TERMS]), phone=all(t.digits for t in terms))


def _with_near_words(connection: Connection, query: _Query) -> _Query:
    """The query whose single words starting no name word also find the name words they may be typos for."""
    terms = []
    for term in query.terms:
        single = not term.digits and len(term.alternatives) == 1 and len(term.alternatives[0]) == 1
        terms.append(replace(term, near=near_words(connection, word=term.alternatives[0][0]) if single else ()))
    return replace(query, terms=tuple(terms))


def _fts5_terms(terms: Iterable[_Term]) -> str:
    def phrase(tokens: tuple[str, ...]) -> str:
        return '"' + " ".join(tokens) + '"*'

    parts = []
    for term in terms:
        alts = [phrase(alt) for alt in term.every]
        parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    return "(" + " AND ".join(parts) + ")"


def _fts5_expression(query: _Query) -> str:
    """FTS5 MATCH text: every term, each a phrase prefix ("jean-pi" -> "jean pi"*), alternatives OR-ed."""
    return _fts5_terms(query.terms)


def _fts5_name_expression(query: _Query) -> str | None:
    """FTS5 MATCH text for "every word of the query starts a word of the names" (None without words)."""
    names = [term for term in query.terms if not term.digits]
    if not names:
        return None
    expression = "{name_doc} : " + _fts5_terms(names)
    digits = [term for term in query.terms if term.digits]
    return f"{expression} AND {_fts5_terms(digits)}" if digits else expression


def _tsquery_terms(terms: Iterable[_Term]) -> str:
    def phrase(tokens: tuple[str, ...]) -> str:
        quoted = [f"'{token}'" for token in tokens]
        quoted[-1] += ":*"
        return quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")"

    parts = []
    for term in terms:
        alts = [phrase(alt) for alt in term.every]
        parts.append(alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")")
    return " & ".join(parts)


def _tsquery_expression(query: _Query) -> str:
    """PostgreSQL tsquery text with the same meaning as the FTS5 expression."""
    return _tsquery_terms(query.terms)


_FTS = table(FTS_TABLE, column("rowid", Integer), column(FTS_TABLE))
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


def _same(expr: Any) -> Any:
    return expr


def _per_row(dialect: str, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """True when a row passes ``where`` (correlated to the outer row), checked row by row as rows stream.

    SQLite: ``EXISTS (...) IS TRUE``. PostgreSQL turns any EXISTS, even behind ``IS TRUE``, into a join or a
    hashed subplan over the whole inner table (a full scan before the first row, defeating LIMIT), so it gets
    ``COALESCE((SELECT true ... LIMIT 1), false)``: a scalar subquery is run per outer row.
    """
    if dialect == "postgresql":
        return func.coalesce(select(true()).where(*where).limit(1).scalar_subquery(), false())
    return exists().where(*where).is_(true())


def _index_matches(dialect: str, query: _Query) -> Any:
    """SELECT of the ids the full-text index finds for the query."""
    if dialect == "sqlite":
        return select(_FTS.c.rowid).where(_FTS.c[FTS_TABLE].op("MATCH")(_fts5_expression(query)))
    if dialect == "postgresql":
        return select(ContactSearch.contact_id).where(_pg_found(query))
    raise NotImplementedError(f"contact search does not support the {dialect} dialect")


def _pg_found(query: _Query, *, indexed: bool = True) -> ColumnElement[bool]:
    tsquery = func.to_tsquery(_PG_CONFIG, _tsquery_expression(query))
    if indexed:
        return _PG_VECTOR.op("@@")(tsquery)
    return func.ts_match_vq(_PG_VECTOR, tsquery, type_=Boolean)


def _pg_name_found(query: _Query) -> ColumnElement[bool] | None:
    names = [term for term in query.terms if not term.digits]
    if not names:
        return None
    return _PG_NAME_VECTOR.op("@@")(func.to_tsquery(_PG_CONFIG, _tsquery_terms(names)))


def _fts_match(expression: str) -> ColumnElement[bool]:
    return _FTS.c[FTS_TABLE].op("MATCH")(expression)


def _name_prefix(query: _Query, name_key: Any) -> ColumnElement[bool]:
    """The display name starts with the whole query ("jean mar" -> "Jean Martin"), as an index range."""
    return and_(name_key >= query.text, name_key < next_prefix(query.text))


def _name_words(query: _Query, name_doc: Any) -> ColumnElement[bool] | None:
    """Every word of the query starts a word of the names (None when the query has no words, only digits)."""
    padded = literal(" ") + name_doc
    terms = [
        or_(*(padded.like("% " + " ".join(alt) + "%") for alt in term.every)) for term in query.terms if not term.digits
    ]
    return and_(*terms) if terms else None


# ---------------------------------------------------------------- filters


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


def _in_range(column_: Any, start: date | None, end: date | None, wrap: Callable[[Any], Any]) -> list[Any]:
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
    found = _core(session).execute(select(column_)).scalar()
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
class _Plan:
    """A parsed filter: its search query and the SQL conditions on ``contact``."""

    filter: ContactFilter
    query: _Query | None
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
        u = unindexed if hint and sqlite else _same
        conditions: list[ColumnElement[bool]] = []
        if not with_tokens and self.tokens:
            with_tags = False
        tokens = with_tokens or not self.tokens
        if f.archived == "hide" and tokens:
            # Most contacts are not archived: an index on archived_at never helps (SQLite's stats think it does).
            conditions.append((unindexed if sqlite else _same)(Contact.archived_at).is_(None))
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
            conditions.extend(_in_range(column_, start, end, u))
        for item in f.custom:
            type_ = self.custom_types.get(item.key)
            if not tokens and _custom_tokens(item, type_)[1]:
                continue
            custom = _custom_condition(self.dialect, item, type_) if type_ else None
            if custom is not None:
                conditions.append(custom)
        if with_query and self.query is not None:
            conditions.append(u(Contact.id).in_(_index_matches(self.dialect, self.query)))
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
            phrases.append(any_of([_kind_token(f.kind)]))
        if f.suppliers_only:
            phrases.append(any_of([SUPPLIER_TOKEN]))
        if f.conflict_only and self.conflict_id is not None:
            phrases.append(any_of([_tag_token(self.conflict_id)]))
        if f.tag_ids:
            if f.tag_mode == "all":
                phrases.extend(any_of([_tag_token(tag_id)]) for tag_id in f.tag_ids)
            else:
                phrases.append(any_of(_tag_token(tag_id) for tag_id in f.tag_ids))
        if f.channel_ids:
            phrases.append(any_of(_channel_token(channel_id) for channel_id in f.channel_ids))
        if f.assigned_user_ids or f.unassigned:
            users = [_user_token(user_id) for user_id in f.assigned_user_ids]
            phrases.append(any_of([*users, _user_token(None)] if f.unassigned else users))
        for item in f.custom:
            tokens, _exact = _custom_tokens(item, self.custom_types.get(item.key))
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
            select(Contact.id.label("id")).where(*_in_range(column_, start, end, _same))
            for name, column_, start, end in self._date_ranges()
            if name in self.narrow_dates
        ]

    def _created_tokens(self) -> tuple[list[str], bool]:
        start, end = self.created_span or (self.filter.created_from, self.filter.created_to)
        return _date_range_tokens(CREATED_KEY, start, end)

    def _kind_in_fts(self) -> bool:
        """Whether the kind filter goes into the full-text match: only when nothing else does (a kind holds most
        contacts, so intersecting its id list costs more than checking the few other matches one by one)."""
        f = self.filter
        if not (self.tokens and f.kind) or self.query is not None:
            return False
        others = (f.archived == "only", f.suppliers_only, f.conflict_only, f.tag_ids, f.channel_ids)
        customs = any(_custom_tokens(item, self.custom_types.get(item.key))[0] for item in f.custom)
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
            return _per_row(self.dialect, ContactTag.contact_id == Contact.id, ContactTag.tag_id.in_(tag_ids))
        return Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag_id.in_(tag_ids)))

    def contact_matches(self, id_expr: Any, *, with_tags: bool = True) -> ColumnElement[bool]:
        """EXISTS: the contact ``id_expr`` passes every filter (not the search query)."""
        conditions = self.conditions(hint=True, with_query=False, with_tags=with_tags)
        return _per_row(self.dialect, Contact.id == id_expr, *conditions)

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
            expression = self.fts(_fts5_expression(self.query) if self.query is not None else None)
            if expression is None or self.checks():
                return None
            return select(_FTS.c.rowid).where(_fts_match(expression))
        if self.query is not None:
            if not self._little_else(tags_in_source=False):
                return None
            if self.dialect == "sqlite":
                return select(_FTS.c.rowid).where(_fts_match(_fts5_expression(self.query)))
            return select(ContactSearch.contact_id).where(_pg_found(self.query))
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
            expression = self.fts(_fts5_expression(self.query) if self.query is not None else None)
            if expression is not None:
                matched = select(_FTS.c.rowid.label("id")).where(_fts_match(expression))
                narrow = self.narrow_date_ids()
                found = (intersect(matched, *narrow) if narrow else matched).subquery()
                checks = self.conditions(hint=True, with_query=False, with_tokens=False, with_narrow_dates=False)
                if checks:
                    return select(found.c.id).where(_per_row(self.dialect, Contact.id == found.c.id, *checks)), (
                        found.c.id
                    )
                return select(found.c.id), found.c.id
        parts = []
        if self.query is not None:
            if self.dialect == "sqlite":
                parts.append(select(_FTS.c.rowid.label("id")).where(_fts_match(_fts5_expression(self.query))))
            else:
                parts.append(select(ContactSearch.contact_id.label("id")).where(_pg_found(self.query)))
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
        return select(id_col).where(_per_row(self.dialect, Contact.id == id_col, *checks)), id_col


SQLITE_CACHE_KIB = 65_536


def _core(session: Session) -> Connection:
    """The session's connection, for Core statements: rows as plain tuples, no ORM row processing."""
    return session.connection()


SQLITE_MMAP_BYTES = 2 << 30


def _tune_connection(session: Session) -> None:
    """SQLite: a 64 MiB page cache for this connection (the default 2 MiB re-reads the list's indexes each time)
    and the file memory-mapped (pages shared by every connection, no copy per page read)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.info.get("crm_search_cache"):
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        connection.exec_driver_sql(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        connection.info["crm_search_cache"] = True


def _make_plan(session: Session, filter: ContactFilter, region: str | None = None) -> _Plan:
    session.flush()
    _tune_connection(session)
    dialect = session.get_bind().dialect.name
    query = None
    if filter.query:
        if region is None:
            region = get_settings(session).default_region
        query = _parse_query(filter.query, region)
        if query is not None and not query.phone:
            query = _with_near_words(_core(session), query)
    conflict_id = None
    if filter.conflict_only:
        conflict_id = _core(session).execute(select(Tag.id).where(Tag.system_key == CONFLICT_KEY)).scalar()
    custom_types: dict[str, str] = {}
    if filter.custom:
        keys = [item.key for item in filter.custom]
        for key, type_ in _core(session).execute(
            select(FieldDefinition.key, FieldDefinition.type).where(
                FieldDefinition.builtin.is_(False),
                FieldDefinition.key.in_(keys),
                FieldDefinition.type.in_(FILTER_TYPES),
            )
        ):
            custom_types.setdefault(key, type_)
    plan = _Plan(filter=filter, query=query, dialect=dialect, conflict_id=conflict_id, custom_types=custom_types)
    if plan.tokens and (filter.created_from is None) != (filter.created_to is None):
        plan.created_span = _created_span(session, filter.created_from, filter.created_to)
    if plan.tokens and plan.fts(_fts5_expression(query) if query is not None else None) is not None:
        # A range is narrow when its index holds few enough ids (counted, at most the limit, from the index alone);
        # created ranges the tokens answer exactly need nothing more.
        narrow = []
        for name, column_, start, end in plan._date_ranges():
            if name == "created" and plan._created_tokens()[1]:
                continue
            ids = select(Contact.id).where(*_in_range(column_, start, end, _same))
            if _count_rows(session, ids, NARROW_DATE_LIMIT + 1) <= NARROW_DATE_LIMIT:
                narrow.append(name)
        plan.narrow_dates = tuple(narrow)
    return plan


# ---------------------------------------------------------------- pages: phases of ordered rows

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
class _Phase:
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


def _exact_match(plan: _Plan, found: Any) -> ColumnElement[bool]:
    """The search row ``found`` matches the query without the words its typos may have meant (checked per row)."""
    assert plan.query is not None
    exact = plan.query.exact()
    if plan.dialect == "sqlite":
        return found.in_(select(_FTS.c.rowid).where(_fts_match(_fts5_expression(exact))))
    return _pg_found(exact, indexed=False)


def _ranked_few(plan: _Plan, ids: Any) -> list[_Phase]:
    """Rank a few matches (their ids, or a SELECT of them) in one statement, from their search rows alone; the
    contacts found only through the words a typo may have meant come last, those with them in their names first."""
    query = plan.query
    assert query is not None
    name_key, name_doc, found = ContactSearch.name_key, ContactSearch.name_doc, ContactSearch.contact_id
    whens: list[tuple[Any, int]] = []
    if not any(term.digits for term in query.terms):
        whens.append((_name_prefix(query, name_key), 0))
    words_match = _name_words(query.exact(), name_doc)
    if words_match is not None:
        whens.append((words_match, 1))
    last = 2
    if query.typos and words_match is not None:
        whens.append((_exact_match(plan, found), 2))
        whens.append((_name_words(query, name_doc), 3))
        last = 4
    tier = case(*whens, else_=last) if whens else literal(last, Integer)
    first = tier == 0
    key = case((first, name_key), else_=literal(""))
    order_id = case((first, found), else_=-found)
    stmt = select(found, tier, key, order_id).where(found.in_(ids))
    return [_Phase(stmt=stmt, keys=[tier, key, order_id], force_sort=plan.dialect == "sqlite")]


def _ranked_many(plan: _Plan) -> list[_Phase]:
    """Many matches, ranked in index-driven phases: names starting with the query (A-Z), then names
    whose words start with the query words, then matches elsewhere (e-mail, phone, city, tag...), newest first;
    then the matches found only through the words a typo may have meant, in names then elsewhere, newest first."""
    assert plan.query is not None
    query = plan.query.exact()
    search = ContactSearch
    phases: list[_Phase] = []
    typos: list[Any] = []
    prefix_ok = not any(term.digits for term in query.terms)
    if prefix_ok:
        stmt = select(search.contact_id, search.name_key, search.contact_id).where(
            _name_prefix(query, search.name_key), plan.contact_matches(search.contact_id)
        )
        phases.append(_Phase(stmt=stmt, keys=[search.name_key, search.contact_id]))

    def outside_prefix(key: Any) -> ColumnElement[bool]:
        return ~_name_prefix(query, key) if prefix_ok else true()

    if plan.dialect == "sqlite":
        found = _FTS.c.rowid
        checks = plan.checks()
        base = select(found, found)
        if checks:
            base = base.where(_per_row(plan.dialect, Contact.id == found, *checks))
        names = _fts5_name_expression(query)
        everything = _fts5_expression(query)
        if names is None:
            return [*phases, _Phase(stmt=base.where(_fts_match(plan.fts(everything))), keys=[found], descending=True)]
        not_first = _per_row(plan.dialect, search.contact_id == found, outside_prefix(search.name_key))
        in_names = base.where(_fts_match(plan.fts(names)), not_first)
        elsewhere = base.where(_fts_match(plan.fts(everything, without=names)))
        if plan.query.typos:
            typos_in_names = _fts5_name_expression(plan.query)
            typos.append(base.where(_fts_match(plan.fts(typos_in_names, without=everything))))
            typos.append(
                base.where(
                    _fts_match(plan.fts(_fts5_expression(plan.query), without=f"({everything}) OR ({typos_in_names})"))
                )
            )
    else:
        found = search.contact_id
        base = select(found, found).where(plan.contact_matches(found))
        names_found = _pg_name_found(query)
        if names_found is None:
            return [*phases, _Phase(stmt=base.where(_pg_found(query)), keys=[found], descending=True)]
        # A name match is a match when every word is a name word; the name index alone then finds them.
        in_names = base.where(names_found, outside_prefix(search.name_key))
        if any(term.digits for term in query.terms):
            in_names = in_names.where(_pg_found(query))
        # The other matches, newest first, are many (this is the many-matches plan): walking the contacts
        # backwards and checking each (a function PostgreSQL cannot answer from an index) stops at the page,
        # where the index would collect every match of an e-mail domain or a tag before sorting them. With
        # typos the many matches are those of the words meant: the exact ones are few, the index finds them.
        elsewhere = base.where(_pg_found(query, indexed=plan.query.typos), ~names_found)
        if plan.query.typos:
            # The exact matches are few (a typo starts no name word): their ids, from the index, are left out.
            typo_names = _pg_name_found(plan.query)
            assert typo_names is not None
            exact_ids = select(search.contact_id).where(_pg_found(query)).correlate(None)
            not_exact = base.where(found.not_in(exact_ids))
            if any(term.digits for term in query.terms):
                typo_names = and_(typo_names, _pg_found(plan.query))
            typos.append(not_exact.where(typo_names))
            typos.append(not_exact.where(_pg_found(plan.query), ~typo_names))
    phases.append(_Phase(stmt=in_names, keys=[found], descending=True))
    phases.append(_Phase(stmt=elsewhere, keys=[found], descending=True))
    phases.extend(_Phase(stmt=stmt, keys=[found], descending=True) for stmt in typos)
    return phases


def _sorted_few(plan: _Plan, sort: ContactSort, ids: Any) -> list[_Phase]:
    """A few matches (their ids, or a SELECT of them) sorted by a column in one statement."""
    descending = sort.direction == "desc"
    if sort.field in _CONTACT_SORTS:
        keys = _CONTACT_SORTS[sort.field]()
        stmt = select(Contact.id, *keys).where(Contact.id.in_(ids))
    else:
        keys = [ContactSearch.__table__.c[_SEARCH_SORTS[sort.field]], ContactSearch.contact_id]
        stmt = select(ContactSearch.contact_id, *keys).where(ContactSearch.contact_id.in_(ids))
    return [_Phase(stmt=stmt, keys=keys, descending=descending, force_sort=plan.dialect == "sqlite")]


def _sorted_many(plan: _Plan, sort: ContactSort) -> list[_Phase]:
    """Many matches sorted by a column: walk that column's index and check each contact (stops at the page)."""
    descending = sort.direction == "desc"
    if plan.tokens and plan.query is not None:
        # The search and the token filters as one id list (read once), the rest checked per contact.
        found = select(_FTS.c.rowid).where(_fts_match(plan.fts(_fts5_expression(plan.query))))
        checks = plan.checks()
        if sort.field in _CONTACT_SORTS:
            keys = _CONTACT_SORTS[sort.field]()
            stmt = select(Contact.id, *keys).where(unindexed(Contact.id).in_(found), *checks)
            return [_Phase(stmt=stmt, keys=keys, descending=descending)]
        keys = [ContactSearch.__table__.c[_SEARCH_SORTS[sort.field]], ContactSearch.contact_id]
        stmt = select(ContactSearch.contact_id, *keys).where(unindexed(ContactSearch.contact_id).in_(found))
        if checks:
            stmt = stmt.where(_per_row(plan.dialect, Contact.id == ContactSearch.contact_id, *checks))
        return [_Phase(stmt=stmt, keys=keys, descending=descending)]
    if sort.field in _CONTACT_SORTS:
        keys = _CONTACT_SORTS[sort.field]()
        stmt = select(Contact.id, *keys).where(*plan.conditions(hint=True))
        return [_Phase(stmt=stmt, keys=keys, descending=descending)]
    keys = [ContactSearch.__table__.c[_SEARCH_SORTS[sort.field]], ContactSearch.contact_id]
    matches = _per_row(plan.dialect, Contact.id == ContactSearch.contact_id, *plan.conditions(hint=True))
    stmt = select(ContactSearch.contact_id, *keys).where(matches)
    return [_Phase(stmt=stmt, keys=keys, descending=descending)]


def _count_rows(session: Session, stmt: Any, limit: int) -> int:
    return _core(session).execute(select(func.count()).select_from(stmt.limit(limit).subquery())).scalar_one()


def _fetch(
    session: Session, phases: list[_Phase], *, start: int, after: list[Any] | None, offset: int, limit: int
) -> list[tuple[int, Any]]:
    """``limit`` rows after skipping ``offset``, walking the phases in order from ``start`` (after a cursor)."""
    found: list[tuple[int, Any]] = []
    for index in range(start, len(phases)):
        phase = phases[index]
        stmt = phase.statement()
        if index == start and after is not None:
            stmt = stmt.where(phase.after(after))
        if offset:
            size = _count_rows(session, stmt, offset + limit)
            if size <= offset:
                offset -= size
                continue
        rows = _core(session).execute(phase.ordered(stmt).offset(offset).limit(limit)).all()
        offset = 0
        found.extend((index, row) for row in rows)
        limit -= len(rows)
        if limit <= 0:
            break
    return found


# ---------------------------------------------------------------- cursors


def _fingerprint(filter: ContactFilter, sort: ContactSort) -> str:
    key = json.dumps([filter_to_params(filter), sort.field, sort.direction], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _is_datetime(col: Any) -> bool:
    return isinstance(getattr(col.type, "impl", col.type), DateTime)


def _encode_cursor(state: dict[str, Any], values: Sequence[Any]) -> str:
    encoded = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({**state, "v": encoded}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, state: dict[str, Any], phases: list[_Phase]) -> tuple[int, int, list[Any]] | None:
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


# ---------------------------------------------------------------- list rows


@lru_cache(maxsize=65_536)
def _phone_display(e164: str, style: str, region: str) -> tuple[str, str]:
    return format_phone(e164, style, region), phone_links(e164, False, False, False)["tel"]


def _column_values(
    kind: str, custom: Any, columns: Mapping[str, Mapping[str, CustomField]], locale: str, region: str
) -> dict[str, str]:
    """The list-column values of one contact, formatted for people (every column key, "" when empty)."""
    values = custom if isinstance(custom, Mapping) else {}
    shown: dict[str, str] = {}
    for key, by_kind in columns.items():
        item = by_kind.get(kind) or next(iter(by_kind.values()))
        value = values.get(key)
        try:
            text = (
                "" if value is None else get_type(item.type).format(value, locale, region=region, choices=item.choices)
            )
        except (DomainError, TypeError, ValueError, ArithmeticError):
            text = str(value)
        shown[key] = text
    return shown


def page_rows(session: Session, ids: Sequence[int], settings: AccountSettings, locale: str = "en") -> list[ContactRow]:
    """The list rows of these contacts in this order, like the contact service builds them, in seven queries.

    Reads only the columns a row shows and memoises phone formatting (the list's main cost in Python); custom
    values of the fields shown as list columns are formatted in ``locale``.
    """
    if not ids:
        return []
    wanted = list(ids)
    columns: dict[str, dict[str, CustomField]] = {}
    for item in _custom_fields(session, FieldDefinition.show_in_list.is_(True)):
        if item.key in columns or len(columns) < MAX_LIST_FIELDS:
            columns.setdefault(item.key, {})[item.kind] = item
    extra = (Contact.custom,) if columns else ()
    contacts = {
        row[0]: row
        for row in _core(session)
        .execute(
            select(
                Contact.id,
                Contact.kind,
                Contact.display_name,
                Contact.reference,
                Contact.is_supplier,
                Contact.archived_at,
                Contact.assigned_user_id,
                Contact.updated_at,
                *extra,
            ).where(Contact.id.in_(wanted))
        )
        .all()
    }
    phones: dict[int, str] = {}
    for contact_id, e164 in _core(session).execute(
        select(Phone.contact_id, Phone.e164)
        .where(Phone.contact_id.in_(wanted))
        .order_by(Phone.contact_id, Phone.position, Phone.id)
    ):
        phones.setdefault(contact_id, e164)
    emails: dict[int, str] = {}
    for contact_id, address in _core(session).execute(
        select(Email.contact_id, Email.address)
        .where(Email.contact_id.in_(wanted))
        .order_by(Email.contact_id, Email.position, Email.id)
    ):
        emails.setdefault(contact_id, address)
    cities: dict[int, str] = {}
    for contact_id, city in _core(session).execute(
        select(Address.contact_id, Address.city).where(Address.contact_id.in_(wanted), Address.is_main.is_(True))
    ):
        cities.setdefault(contact_id, city)
    tag_names: dict[int, list[str]] = defaultdict(list)
    conflicts: set[int] = set()
    for contact_id, name, system_key in _core(session).execute(
        select(ContactTag.contact_id, Tag.name, Tag.system_key)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(wanted))
        .order_by(ContactTag.contact_id, Tag.name)
    ):
        tag_names[contact_id].append(name)
        if system_key == CONFLICT_KEY:
            conflicts.add(contact_id)
    for names in tag_names.values():
        names.sort(key=tag_key)
    user_ids = {row[6] for row in contacts.values() if row[6] is not None}
    users = {}
    if user_ids:
        users = {
            uid: (name or email)
            for uid, name, email in _core(session).execute(
                select(User.id, User.name, User.email).where(User.id.in_(user_ids))
            )
        }
    rows = []
    for contact_id in wanted:
        row = contacts.get(contact_id)
        if row is None:
            continue
        _id, kind, display_name, reference, is_supplier, archived_at, assigned, updated_at = row[:8]
        custom = _column_values(kind, row[8], columns, locale, settings.default_region) if columns else {}
        e164 = phones.get(contact_id)
        shown, tel = _phone_display(e164, settings.phone_display, settings.default_region) if e164 else ("", "")
        rows.append(
            ContactRow(
                id=contact_id,
                kind=kind,
                display_name=display_name,
                reference=reference,
                is_supplier=is_supplier,
                is_conflict=contact_id in conflicts,
                archived=archived_at is not None,
                main_phone=shown,
                main_phone_tel=tel,
                main_email=emails.get(contact_id, ""),
                city=cities.get(contact_id, ""),
                tags=tag_names.get(contact_id, []),
                assigned_user_name=users.get(assigned, ""),
                updated_at=as_utc(updated_at),
                custom=custom,
            )
        )
    return rows


# ---------------------------------------------------------------- public reading API


def clamp_page_size(page_size: Any) -> int:
    """A page size between 1 and MAX_PAGE_SIZE (the UI offers 25, 50 and 100)."""
    try:
        return max(1, min(int(page_size), MAX_PAGE_SIZE))
    except (TypeError, ValueError):
        return 50


def _effective_sort(sort: ContactSort | None, plan: _Plan) -> ContactSort:
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
    plan = _make_plan(session, filter, settings.default_region)
    sort = _effective_sort(sort, plan)
    candidates, _id_col = plan.candidates()
    # Few matches (found once, by the cheapest source) are sorted in one statement; many are walked page by
    # page along an index, checking each contact, which stops as soon as the page is full.
    # Sorting n matches costs about n row reads; walking an index costs about page size x table / n. They
    # break even near n = 5 x sqrt(table size). Ranking walks indexes well sooner, so its threshold is lower.
    size = _core(session).execute(select(func.max(Contact.id))).scalar_one() or 0
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
        source is not None and not plan.bare() and _count_rows(session, source, 2 * limit + 1) > 2 * limit
    ):
        matched, selective = 0, False
    elif plan.dialect == "sqlite" and not plan.narrow_dates:
        matched = _count_rows(session, source if plan.bare() else candidates, limit + 1)
        selective = matched <= limit
    else:
        few = _core(session).execute(candidates.limit(limit + 1)).scalars().all()
        matched = len(few)
        selective = matched <= limit
    if sort.field == "relevance":
        phases = _ranked_few(plan, few) if selective else _ranked_many(plan)
    else:
        phases = _sorted_few(plan, sort, few) if selective else _sorted_many(plan, sort)

    state = {"f": _fingerprint(filter, sort), "s": int(selective)}
    decoded = _decode_cursor(cursor, state, phases) if cursor else None
    if decoded is not None and decoded[0] == page - 1:
        found = _fetch(session, phases, start=decoded[1], after=decoded[2], offset=0, limit=page_size + 1)
    else:
        found = _fetch(session, phases, start=0, after=None, offset=(page - 1) * page_size, limit=page_size + 1)
    has_more = len(found) > page_size
    found = found[:page_size]
    ids = [row[0] for _phase, row in found]
    next_cursor = None
    if has_more:
        last_phase, last_row = found[-1]
        next_cursor = _encode_cursor({**state, "p": page, "ph": last_phase}, list(last_row[1:]))

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
    return _count(session, _make_plan(session, filter))


def _many_in_source(session: Session, plan: _Plan, limit: int) -> bool:
    """Whether the bare source (search index or tag) surely holds far more than ``limit`` matches."""
    source = plan.source()
    if source is None:
        return False
    if plan.dialect == "postgresql":
        return _pg_planner_rows(session, source) > 3 * limit
    return _count_rows(session, source, 2 * limit + 1) > 2 * limit


def _count(session: Session, plan: _Plan) -> tuple[int, bool]:
    if plan.bare():
        exact = _count_rows(session, plan.source(), EXACT_COUNT_LIMIT + 1)
        if exact <= EXACT_COUNT_LIMIT:
            return int(exact), False
        return max(_estimate(session, plan), EXACT_COUNT_LIMIT + 1), True
    if _many_in_source(session, plan, EXACT_COUNT_LIMIT):
        return max(_estimate(session, plan), EXACT_COUNT_LIMIT + 1), True
    candidates, _id_col = plan.candidates()
    exact = _count_rows(session, candidates, EXACT_COUNT_LIMIT + 1)
    if exact <= EXACT_COUNT_LIMIT:
        return int(exact), False
    return max(_estimate(session, plan), EXACT_COUNT_LIMIT + 1), True


def _round_estimate(value: float) -> int:
    if value < 100:
        return round(value)
    magnitude = 10 ** (len(str(int(value))) - 2)
    return int(round(value / magnitude) * magnitude)


def _estimate(session: Session, plan: _Plan) -> int:
    """Many matches: the share of a fixed sample of ids (spread over the id range) that passes the filters,
    times the id range, or times the search index's own count when there is a search (stable per table)."""
    low = _core(session).execute(select(func.min(Contact.id))).scalar_one()
    high = _core(session).execute(select(func.max(Contact.id))).scalar_one()
    if low is None:
        return 0
    span = high - low + 1
    size = min(ESTIMATE_SAMPLE, span)
    sample = sorted(random.Random(span).sample(range(low, high + 1), size))
    conditions = plan.conditions(hint=True, with_query=False)
    passes = case((and_(*conditions), 1), else_=0) if conditions else literal(1, Integer)
    existing, passing = (
        _core(session)
        .execute(select(func.count(), func.coalesce(func.sum(passes), 0)).where(Contact.id.in_(sample)))
        .one()
    )
    if plan.query is None:
        return _round_estimate(passing * span / size)
    if plan.dialect == "sqlite":
        found = select(_FTS.c.rowid).where(_fts_match(_fts5_expression(plan.query)))
        in_index = _core(session).execute(select(func.count()).select_from(found.subquery())).scalar_one()
    else:
        in_index = _pg_planner_rows(session, select(ContactSearch.contact_id).where(_pg_found(plan.query)))
    return _round_estimate(in_index * passing / max(existing, 1))


def _pg_planner_rows(session: Session, stmt: Any) -> int:
    """PostgreSQL's own row estimate for a statement (counting a GIN match exactly means visiting every row)."""
    connection = _core(session)
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _ordered_candidates(plan: _Plan, after_id: int | None, limit: int | None) -> Any:
    candidates, id_col = plan.candidates()
    if after_id is not None:
        candidates = candidates.where(id_col > after_id)
    stmt = candidates.order_by(id_col)
    return stmt.limit(limit) if limit is not None else stmt


def matching_ids(session: Session, *, filter: ContactFilter, limit: int | None = None) -> list[int]:
    """The ids of every contact the filter matches, in id order (at most ``limit``)."""
    plan = _make_plan(session, filter)
    stmt = _ordered_candidates(plan, None, max(0, int(limit)) if limit is not None else None)
    return list(_core(session).execute(stmt).scalars().all())


def matching_ids_after(session: Session, *, filter: ContactFilter, after_id: int, limit: int) -> list[int]:
    """The next ``limit`` matching ids above ``after_id``, in id order (bulk actions walk the list with it)."""
    plan = _make_plan(session, filter)
    return list(_core(session).execute(_ordered_candidates(plan, after_id, limit)).scalars().all())


# ---------------------------------------------------------------- filter pickers

PICKER_LIMIT = 30


def _prefix_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _picked_first(chosen: list[tuple[int, str]], found: Iterable[tuple[int, str]], limit: int) -> list[tuple[int, str]]:
    seen = {item_id for item_id, _label in chosen}
    return chosen + [item for item in found if item[0] not in seen][:limit]


def tag_choices(
    session: Session, *, prefix: str = "", selected: Sequence[int] = (), limit: int = PICKER_LIMIT
) -> list[tuple[int, str]]:
    """(id, name) of the tags a filter picker offers: the chosen ones, then up to ``limit`` starting with ``prefix``."""
    text = " ".join(str(prefix or "").split())[:80].casefold()
    limit = max(1, min(int(limit), 100))
    wanted = [int(i) for i in selected][:MAX_LIST_FILTER]
    chosen = list(
        _core(session).execute(select(Tag.id, Tag.name).where(Tag.id.in_(wanted)).order_by(Tag.name)) if wanted else []
    )
    stmt = select(Tag.id, Tag.name).order_by(func.lower(Tag.name), Tag.id).limit(limit + len(chosen))
    if text:
        stmt = stmt.where(func.lower(Tag.name).like(_prefix_pattern(text), escape="\\"))
    return _picked_first([tuple(row) for row in chosen], (tuple(row) for row in _core(session).execute(stmt)), limit)


def user_choices(
    session: Session, *, prefix: str = "", selected: Sequence[int] = (), limit: int = PICKER_LIMIT
) -> list[tuple[int, str]]:
    """(id, name or e-mail) of the staff a picker offers: the chosen ones, then up to ``limit`` active users whose
    name or e-mail starts with ``prefix``."""
    text = " ".join(str(prefix or "").split())[:80].casefold()
    limit = max(1, min(int(limit), 100))
    wanted = [int(i) for i in selected][:MAX_LIST_FILTER]
    label = func.coalesce(func.nullif(User.name, ""), User.email)
    chosen = list(
        _core(session).execute(select(User.id, label).where(User.id.in_(wanted)).order_by(label)) if wanted else []
    )
    stmt = select(User.id, label).where(User.active.is_(True)).order_by(func.lower(label), User.id)
    if text:
        pattern = _prefix_pattern(text)
        stmt = stmt.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\"))
        )
    found = _core(session).execute(stmt.limit(limit + len(chosen)))
    return _picked_first([tuple(row) for row in chosen], (tuple(row) for row in found), limit)


# ---------------------------------------------------------------- saved views

VIEW_NAME_LIMIT = 80
MAX_VIEWS_PER_USER = 100


class SavedViewRead(BaseModel):
    """A saved view: its name and the URL parameters (filters and sort) it brings back."""

    id: int
    name: str
    params: dict[str, str]
    created_at: datetime


def clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Only the filter and sort parameters the list understands, with bad values dropped."""
    return {**filter_to_params(filter_from_params(params)), **sort_to_params(sort_from_params(params))}


def _view_read(view: SavedView) -> SavedViewRead:
    params = view.params if isinstance(view.params, dict) else {}
    return SavedViewRead(id=view.id, name=view.name, params=clean_params(params), created_at=as_utc(view.created_at))


def list_views(session: Session, *, user_id: int) -> list[SavedViewRead]:
    """The user's saved views, by name."""
    views = session.exec(select(SavedView).where(SavedView.user_id == user_id)).all()
    return [_view_read(view) for view in sorted(views, key=lambda v: (v.name.casefold(), v.id))]


def save_view(session: Session, *, user_id: int, name: str, params: Mapping[str, Any]) -> SavedViewRead:
    """Keep the list's filters and sort under a name; saving again under the same name replaces that view."""
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationError("Give the view a name.", field="name")
    if len(text) > VIEW_NAME_LIMIT:
        raise ValidationError(f"Keep the name under {VIEW_NAME_LIMIT} characters.", field="name")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValidationError("Remove the invisible control characters from the name.", field="name")
    views = session.exec(select(SavedView).where(SavedView.user_id == user_id)).all()
    view = next((v for v in views if v.name.casefold() == text.casefold()), None)
    if view is None:
        if len(views) >= MAX_VIEWS_PER_USER:
            raise ValidationError(f"You can keep at most {MAX_VIEWS_PER_USER} views; delete one first.", field="name")
        view = SavedView(user_id=user_id, name=text, params={})
    view.name = text
    view.params = clean_params(params)
    session.add(view)
    session.flush()
    return _view_read(view)


def delete_view(session: Session, *, user_id: int, view_id: int) -> None:
    """Delete one of the user's own views; NotFoundError for a view that is not theirs."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise NotFoundError("This view does not exist (it may have been deleted).")
    session.delete(view)
    session.flush()


__all__ = [
    "EXACT_COUNT_LIMIT",
    "MAX_PAGE_SIZE",
    "PAGE_SIZES",
    "SORT_FIELDS",
    "ContactFilter",
    "ContactSort",
    "SavedViewRead",
    "clean_params",
    "count_contacts",
    "create_search_structures",
    "delete_view",
    "drop_search_structures",
    "ensure_search_documents",
    "filter_from_params",
    "filter_to_params",
    "include_object",
    "is_search_structure",
    "list_views",
    "mark_search_documents_current",
    "matching_ids",
    "normalise_query",
    "rebuild_search_index",
    "rebuild_search_rows",
    "reindex_contacts",
    "save_view",
    "search_contacts",
    "search_documents_current",
    "sort_from_params",
    "sort_to_params",
]
