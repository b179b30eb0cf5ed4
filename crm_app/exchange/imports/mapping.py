"""Before the dry run: register an upload, show its first rows, propose and change how its columns are read
and what its options are."""

from __future__ import annotations

import itertools
import os
from typing import Any

from babel import Locale
from phonenumbers import SUPPORTED_REGIONS
from sqlalchemy import select
from sqlmodel import Session

from crm_app.contacts.models import PhoneType
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import ValidationError
from crm_app.core.phones import dialling_region
from crm_app.core.text import fold
from crm_app.exchange.columns import ColumnPlan, all_targets, check_mapping, propose_mapping
from crm_app.exchange.files import StoredFile, cell_text, header_and_rows, is_blank, open_sheet, stored_path
from crm_app.exchange.imports.context import custom_columns, phone_type_lookup
from crm_app.exchange.imports.lifecycle import (
    CHECKED,
    UPLOADED,
    check_editable,
    column_plans,
    import_job,
    import_read,
    job_options,
)
from crm_app.exchange.models import ImportJob
from crm_app.exchange.schemas import MATCH_KEYS, ImportOptions, ImportRead, PreviewRead
from crm_app.i18n import normalise_locale

PREVIEW_ROWS = 10


# Rows read at upload to see which columns hold values (a column empty in all of them is not proposed for a name).
SAMPLE_ROWS = 20


# How far back the value choices of an earlier import of the same layout are looked for.
REMEMBER_FROM_LAST = 200


def _clean_file_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/")).replace("\x00", "")
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "import"
    return base[-200:]


def create_import(
    session: Session, *, stored: StoredFile, file_name: str, actor_id: int | None, locale: str = "en"
) -> ImportRead:
    """Register an uploaded file: read its headers, propose a mapping; ValidationError when unreadable."""
    try:
        with open_sheet(stored.path, stored.file_format) as sheet:
            header_row, headers, rows = header_and_rows(sheet, max_rows=SAMPLE_ROWS)
            sample = [cells for _number, cells in itertools.islice(rows, SAMPLE_ROWS)]
            sheet_name = sheet.name
            estimate = max(0, (sheet.estimated_rows or 0) - header_row) or None
    except ValidationError:
        stored.path.unlink(missing_ok=True)
        raise
    account = get_settings(session)
    plans = propose_mapping(
        headers,
        custom=custom_columns(session),
        phone_type_names=[name for name in session.execute(select(PhoneType.name)).scalars()],
        channel_defaults=account.channel_defaults,
        empty_columns=frozenset(
            i for i in range(len(headers)) if sample and all(is_blank(cells[i]) for cells in sample)
        ),
    )
    options = ImportOptions(
        locale=normalise_locale(locale),
        phone_region=account.default_region,
        value_map=remembered_value_map(session, headers=headers),
    )
    mapped = {plan.target for plan in plans}
    options.match_on = [key for key in MATCH_KEYS if key != "reference" or "reference" in mapped]
    job = ImportJob(
        created_by_id=actor_id,
        file_name=_clean_file_name(file_name),
        stored_name=stored.stored_name,
        file_format=stored.file_format,
        file_size=stored.size,
        file_sha256=stored.sha256,
        sheet_name=sheet_name[:100],
        header_row=header_row,
        headers=headers,
        mapping=[plan.as_dict() for plan in plans],
        options=options.model_dump(),
        status=UPLOADED,
        total_rows=estimate,
    )
    session.add(job)
    session.flush()
    return import_read(session, job)


def preview(session: Session, *, import_id: Any, rows: int = PREVIEW_ROWS) -> PreviewRead:
    """The header and the first data rows of the file, as text."""
    job = import_job(session, import_id)
    sample: list[list[str]] = []
    with open_sheet(stored_path(job.stored_name), job.file_format) as sheet:
        header_row, headers, data = header_and_rows(sheet)
        for _number, cells in data:
            sample.append([cell_text(v)[:200] for v in cells])
            if len(sample) >= rows:
                break
    return PreviewRead(headers=headers, rows=sample, header_row=header_row)


def phone_region_choices(*, locale: str = "en") -> list[tuple[str, str]]:
    """(ISO code, country name in ``locale``) of every country phone numbers can belong to, by name."""
    names = Locale.parse(normalise_locale(locale)).territories
    return sorted(((code, names.get(code, code)) for code in SUPPORTED_REGIONS), key=lambda item: fold(item[1]))


def remembered_value_map(session: Session, *, headers: list[str]) -> dict[str, dict[str, str]]:
    """The choices made for values outside closed lists by the last import of a file with these headers."""
    rows = session.execute(
        select(ImportJob.headers, ImportJob.options).order_by(ImportJob.id.desc()).limit(REMEMBER_FROM_LAST)
    ).all()
    for stored, options in rows:
        if [str(h) for h in stored] == headers and (options or {}).get("value_map"):
            return dict(options["value_map"])
    return {}


def mapping_targets(session: Session, *, locale: str = "en") -> list[dict[str, str]]:
    """Every field a column can be mapped to: value, label, group."""
    return [t.__dict__ for t in all_targets(custom_columns(session), locale)]


def changeable_import(session: Session, *, import_id: Any) -> tuple[ImportJob, ImportOptions, list[ColumnPlan]]:
    """An import whose mapping and options may still change, with them (NotFoundError, ValidationError else)."""
    job = import_job(session, import_id)
    check_editable(job)
    return job, job_options(job), column_plans(job)


def update_mapping(session: Session, *, import_id: Any, mapping: Any, options: Any, actor_id: int | None) -> ImportRead:
    """Change the column mapping and the duplicate options (a new dry run is then needed)."""
    job = import_job(session, import_id)
    check_editable(job)
    if not isinstance(mapping, list) or len(mapping) != len(job.headers):
        raise ValidationError("The mapping must have one entry per column of the file.", field="mapping")
    plans = [ColumnPlan.from_dict(item) for item in mapping]
    targets = {t.value for t in all_targets(custom_columns(session))}
    types = set(phone_type_lookup(session).values())
    problems = check_mapping(plans, valid_targets=targets)
    for index, plan in enumerate(plans):
        if plan.target == "phones" and plan.phone_type not in types:
            problems.setdefault(index, "Choose Mobile, Work, Home or a phone type from the settings.")
    if problems:
        raise ValidationError(
            "Some columns need your attention.", errors={f"mapping.{i}": msg for i, msg in problems.items()}
        )
    given = {key: value for key, value in (options if isinstance(options, dict) else {}).items() if key != "value_map"}
    try:
        parsed = ImportOptions.model_validate({**(job.options or {}), **given})
    except ValueError as exc:
        raise ValidationError("Choose what to do with rows that match an existing contact.", field="options") from exc
    parsed.match_on = [key for key in MATCH_KEYS if key in set(parsed.match_on)]
    parsed.locale = normalise_locale(parsed.locale)
    parsed.phone_region = parsed.phone_region.upper()
    if parsed.phone_region and dialling_region(parsed.phone_region, "") != parsed.phone_region:
        raise ValidationError("Choose the country of numbers written without a country code.", field="options")
    job.mapping = [plan.as_dict() for plan in plans]
    job.options = parsed.model_dump()
    if job.status == CHECKED:
        job.status = UPLOADED
    session.add(job)
    session.flush()
    return import_read(session, job)
