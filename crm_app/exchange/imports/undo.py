"""Undoing an import: remove the contacts it created and put back the values it overwrote, except where a
contact changed since."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session

from crm_app.contacts import batch
from crm_app.contacts import events as changes
from crm_app.contacts.bulk import bulk_delete
from crm_app.contacts.models import Address, Contact, ContactTag, Email, Phone
from crm_app.contacts.search.documents import reindex_contacts
from crm_app.core.errors import ConflictError, ValidationError
from crm_app.core.timeutil import utcnow
from crm_app.db import get_engine, session_scope
from crm_app.exchange.imports.lifecycle import CANCELLED, DONE, FAILED, UNDOING, UNDONE, import_job
from crm_app.exchange.models import ImportJob, ImportRow


def _restore_values(session: Session, row: ImportRow) -> None:
    before = row.before or {}
    scalars = dict(before.get("scalars") or {})
    if "discount_percent" in scalars and scalars["discount_percent"] is not None:
        scalars["discount_percent"] = Decimal(str(scalars["discount_percent"]))
    models = {"phone": Phone, "email": Email, "address": Address}
    for entity, row_id in before.get("added") or []:
        if entity == "tag":
            session.execute(
                delete(ContactTag).where(ContactTag.contact_id == row.contact_id, ContactTag.tag_id == row_id)
            )
        elif entity in models:
            session.execute(delete(models[entity]).where(models[entity].id == row_id))
    for entity, row_id, values in before.get("set") or []:
        if entity in models:
            session.execute(update(models[entity]).where(models[entity].id == row_id).values(**values))
    claimed = session.execute(
        update(Contact)
        .where(Contact.id == row.contact_id, Contact.version == row.version_after)
        .values(**scalars, version=Contact.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ConflictError("changed")


def undo_import(
    *, import_id: int, actor_id: int | None, engine: Engine | None = None, batch_size: int = 500
) -> dict[str, Any]:
    """Remove the contacts an import created and put back the values it overwrote, except where a contact
    changed since the import (those are kept and listed). Batches commit as they go; the report is kept."""
    engine = engine or get_engine()
    with session_scope(engine) as s:
        job = import_job(s, import_id)
        if job.status not in (DONE, CANCELLED, FAILED, UNDOING):
            raise ValidationError("Only a finished, cancelled or failed import can be undone.")
        s.execute(update(ImportJob).where(ImportJob.id == job.id).values(status=UNDOING, heartbeat_at=utcnow()))
        note = f"{job.file_name} (import #{job.id})"
    removed = restored = 0
    kept: list[dict[str, Any]] = []
    while True:
        with session_scope(engine) as s:
            rows = (
                s.execute(
                    select(ImportRow)
                    .where(
                        ImportRow.import_id == import_id,
                        ImportRow.undone.is_(False),
                        ImportRow.action.in_(("created", "updated")),
                    )
                    .order_by(ImportRow.row_number)
                    .limit(batch_size)
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            versions = dict(
                s.execute(
                    select(Contact.id, Contact.version).where(
                        Contact.id.in_([r.contact_id for r in rows if r.contact_id])
                    )
                ).all()
            )
            to_delete: list[int] = []
            history: list[dict[str, Any]] = []
            for row in rows:
                row.undone = True
                s.add(row)
                current = versions.get(row.contact_id)
                if current is None:
                    continue
                if current != row.version_after:
                    kept.append({"row": row.row_number, "contact_id": row.contact_id})
                    continue
                if row.action == "created":
                    to_delete.append(row.contact_id)
                    continue
                try:
                    with s.begin_nested():
                        _restore_values(s, row)
                except ConflictError:
                    kept.append({"row": row.row_number, "contact_id": row.contact_id})
                    continue
                restored += 1
                history += batch.history_rows([row.contact_id], actor_id=actor_id, kind="import_undone", new=note)
            if to_delete:
                removed += bulk_delete(s, ids=to_delete, actor_id=actor_id, batch_size=None).changed
            if history:
                batch.insert_audit_rows(s, history)
                reindex_contacts(s, contact_ids=[h["contact_id"] for h in history])
                changes.mark_changed(s, [h["contact_id"] for h in history])
            changes.mark_list_changed(s)
            s.execute(update(ImportJob).where(ImportJob.id == import_id).values(heartbeat_at=utcnow()))
    with session_scope(engine) as s:
        labels = dict(
            s.execute(
                select(Contact.id, Contact.display_name + " (" + Contact.reference + ")").where(
                    Contact.id.in_([k["contact_id"] for k in kept][:500])
                )
            ).all()
        )
        report = {
            "removed": removed,
            "restored": restored,
            "kept": [{**k, "label": labels.get(k["contact_id"], "")} for k in kept[:500]],
            "kept_count": len(kept),
        }
        job = import_job(s, import_id)
        job.status = UNDONE
        job.undone_at = utcnow()
        job.undone_by_id = actor_id
        job.undo_report = report
        s.add(job)
    return report
