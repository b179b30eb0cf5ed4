"""What the contact list shows and in which order: ``ContactFilter`` (search text and filters, custom-field
filters in ``CustomFilter``), ``ContactSort``, and both as short URL query parameters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from crm_app.contacts.search.words import MAX_QUERY_LENGTH
from crm_app.fields.schemas import KINDS

SortField = Literal[
    "relevance", "name", "reference", "kind", "city", "updated", "created", "assigned", "email", "phone", "tags"
]
SORT_FIELDS: tuple[str, ...] = SortField.__args__
MAX_LIST_FILTER = 50
ArchivedMode = Literal["hide", "only", "include"]
TagMode = Literal["any", "all"]
Direction = Literal["asc", "desc"]

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
