"""What reading an import's rows needs from the database (custom fields, phone types, staff, channels),
loaded once as a ``ParseContext``."""

from __future__ import annotations

from collections import Counter as Tally

from sqlalchemy import select
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.contacts.models import AcquisitionChannel, PhoneType
from crm_app.contacts.schemas import BUILTIN_PHONE_TYPES
from crm_app.contacts.texts import BUILTIN_PHONE_LABELS
from crm_app.core.app_settings import get_settings
from crm_app.core.phones import dialling_region
from crm_app.core.text import fold
from crm_app.exchange.columns import CustomColumn
from crm_app.exchange.imports.lifecycle import column_plans, job_options
from crm_app.exchange.models import ImportJob
from crm_app.exchange.parse import ParseContext, country_lookup
from crm_app.fields.models import FieldDefinition
from crm_app.fields.types import choices_from_options
from crm_app.i18n import LOCALES, normalise_locale, translate


def custom_columns(session: Session) -> list[CustomColumn]:
    """The active custom fields of both forms as columns (a key shared by both forms is one column)."""
    rows = session.execute(
        select(FieldDefinition)
        .where(FieldDefinition.builtin.is_(False), FieldDefinition.active.is_(True))
        .order_by(FieldDefinition.kind.desc(), FieldDefinition.position, FieldDefinition.id)
    ).scalars()
    columns: dict[str, CustomColumn] = {}
    for row in rows:
        labels = tuple(c.label for c in choices_from_options(row.options) if c.active)
        if row.key in columns:
            known = columns[row.key]
            columns[row.key] = CustomColumn(known.key, known.label, known.type, (*known.kinds, row.kind), known.choices)
        else:
            columns[row.key] = CustomColumn(row.key, row.label, row.type, (row.kind,), labels)
    return list(columns.values())


def phone_type_lookup(session: Session) -> dict[str, str]:
    """Folded phone type names (built-in labels in every language, custom types) -> stored type."""
    lookup: dict[str, str] = {}
    for key in BUILTIN_PHONE_TYPES:
        lookup[key] = key
        for locale in LOCALES:
            lookup[fold(translate(locale, BUILTIN_PHONE_LABELS[key]))] = key
    for name in session.execute(select(PhoneType.name)).scalars():
        lookup.setdefault(fold(name), name)
    return lookup


def _user_lookup(session: Session) -> dict[str, int]:
    lookup: dict[str, int] = {}
    names = Tally()
    users = session.execute(select(User.id, User.email, User.name).where(User.active.is_(True))).all()
    for _uid, _email, name in users:
        if name:
            names[fold(name.strip())] += 1
    for uid, email, name in users:
        lookup[fold(email)] = uid
        if name and names[fold(name.strip())] == 1:
            lookup.setdefault(fold(name.strip()), uid)
    return lookup


def _channel_lookup(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AcquisitionChannel.id, AcquisitionChannel.name).where(AcquisitionChannel.active.is_(True))
    ).all()
    return {fold(name.strip()): cid for cid, name in rows}


def parse_context(session: Session, job: ImportJob) -> ParseContext:
    """Everything reading this import's rows needs, loaded once."""
    options = job_options(job)
    return ParseContext(
        headers=[str(h) for h in job.headers],
        plans=column_plans(job),
        region=dialling_region(options.phone_region, get_settings(session).default_region),
        locale=normalise_locale(options.locale),
        phone_types=phone_type_lookup(session),
        users=_user_lookup(session),
        channels=_channel_lookup(session),
        custom={column.key: column for column in custom_columns(session)},
        countries=_COUNTRIES,
        value_map=options.value_map,
    )


_COUNTRIES = country_lookup()
