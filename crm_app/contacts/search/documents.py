"""The search documents: one ``contact_search`` row per contact (the words of its names, the body words, its
sort keys), built from its tables or from values at hand, and rewritten when contacts change (reindexing and
the bulk shortcuts that patch rows with one UPDATE)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    case,
    delete,
    func,
    literal,
    or_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.models import Address, Contact, ContactSearch, ContactTag, Email, Phone, Tag
from crm_app.contacts.name_words import record_name_words
from crm_app.contacts.search.custom_fields import (
    CHOICE_TYPES,
    MAX_TOKENS_PER_VALUE,
    CustomField,
    custom_value,
    searchable_fields,
)
from crm_app.contacts.search.filters import CUSTOM_KEY_RE
from crm_app.contacts.search.tokens import (
    ARCHIVED_TOKEN,
    filter_tokens,
    tag_token,
    token_fields,
    user_token,
    uses_filter_tokens,
)
from crm_app.contacts.search.words import MIN_DIGITS, digits_of, phone_tokens, spellings, words
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import DomainError
from crm_app.core.phones import parse_phone
from crm_app.core.text import fold

_BATCH = 1000


@lru_cache(maxsize=4096)
def _custom_phone_tokens(e164: str, region: str) -> tuple[str, ...]:
    try:
        national = parse_phone(e164, region).national_digits
    except DomainError:
        national = ""
    return tuple(phone_tokens(e164, national))


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


# On SQLite every list filter is also written as words of the search document ("_t12" for tag 12, "_u3" for
# staff 3, "_a" for archived, the months, years... of a custom date), so the FTS5 index answers tags, staff,
# channel, kind, supplier, archived, choice and custom date filters (created and updated ranges: see
# ``date_range_tokens`` and ``narrow_dates``), with or without a search, by merging its sorted id lists instead of
# looking up every candidate contact (a random row read each). The tokens hold "_": the tokenizer keeps it in


def custom_value_holders(session: Session, *, key: str) -> list[int]:
    """The ids of the contacts holding a value for this custom field key (before its values are removed)."""
    if not CUSTOM_KEY_RE.match(key or ""):
        return []
    session.flush()
    present = custom_value(session.get_bind().dialect.name, key).is_not(None)
    return list(session.connection().execute(select(Contact.id).where(present).order_by(Contact.id)).scalars())


def reindex_custom_field(session: Session, *, key: str, batch_size: int = _BATCH) -> int:
    """Rebuild the search rows of every contact holding a value for this custom field key, batch by batch.

    Call it when a field becomes searchable or stops being searchable; returns how many contacts it visited.
    """
    if not CUSTOM_KEY_RE.match(key or ""):
        return 0
    session.flush()
    dialect = session.get_bind().dialect.name
    present = custom_value(dialect, key).is_not(None)
    last, visited = 0, 0
    while True:
        ids = list(
            session.connection()
            .execute(select(Contact.id).where(Contact.id > last, present).order_by(Contact.id).limit(batch_size))
            .scalars()
        )
        if not ids:
            return visited
        reindex_contacts(session, contact_ids=ids)
        visited += len(ids)
        last = ids[-1]


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
        digits = digits_of(value)
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
        body.extend(phone_tokens(e164, national))
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
    searchable = searchable_fields(session)
    tokens = uses_filter_tokens(session.get_bind().dialect.name)
    extra = (
        (Contact.is_supplier, Contact.archived_at, Contact.acquisition_channel_id, Contact.created_at) if tokens else ()
    )
    contacts = (
        session.connection()
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
    for contact_id, e164, national in session.connection().execute(
        select(Phone.contact_id, Phone.e164, Phone.national_digits)
        .where(cond(Phone.contact_id))
        .order_by(Phone.contact_id, Phone.position, Phone.id)
    ):
        if contact_id in by_id:
            by_id[contact_id].phones.append((e164, national or ""))
    for contact_id, address in session.connection().execute(
        select(Email.contact_id, Email.address)
        .where(cond(Email.contact_id))
        .order_by(Email.contact_id, Email.position, Email.id)
    ):
        if contact_id in by_id:
            by_id[contact_id].emails.append(address)
    for contact_id, is_main, city in session.connection().execute(
        select(Address.contact_id, Address.is_main, Address.city)
        .where(cond(Address.contact_id))
        .order_by(Address.contact_id, Address.position, Address.id)
    ):
        if contact_id in by_id:
            by_id[contact_id].cities.append((bool(is_main), city or ""))
    tag_ids: dict[int, list[int]] = defaultdict(list)
    for contact_id, tag_id, name in session.connection().execute(
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
            for uid, name, email in session.connection().execute(
                select(User.id, User.name, User.email).where(User.id.in_(user_ids))
            )
        }
        for src in by_id.values():
            src.assigned = names.get(src.contact["assigned_user_id"], "")
    return list(by_id.values())


def load_documents(session: Session, cond: Callable[[Any], ColumnElement[bool]]) -> list[dict[str, Any]]:
    """The ``contact_search`` rows of the contacts whose id column satisfies ``cond``, read from their tables."""
    return [_document(src) for src in _load_sources(session, cond)]


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
    connection = session.connection()
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
    searchable = searchable_fields(session)
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
        rows = load_documents(session, lambda col, chunk=chunk: col.in_(chunk))
        _upsert(session, rows)
        gone = set(chunk) - {row["contact_id"] for row in rows}
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
        tokens = f"{tokens} {tag_token(tag_id)}".strip()
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
            values["body_doc"] = _token_replaced(ContactSearch.body_doc, user_token(old), user_token(user_id))
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
        ids = (
            session.connection()
            .execute(select(ContactTag.contact_id).where(ContactTag.tag_id.in_(wanted)))
            .scalars()
            .all()
        )
        reindex_contacts(session, contact_ids=ids)
