"""The history of a contact type's form: every change of its fields and sections, newest first, named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import as_utc
from crm_app.fields.definitions import ENTITY, SECTION_ENTITY, check_kind
from crm_app.fields.models import FieldDefinition, FormSection


@dataclass(frozen=True)
class FormChange:
    """One change of a form's definition, for the builder's history: who, when, what and from what to what."""

    id: int
    at: datetime
    actor_name: str
    entity: str
    subject: str
    kind: str
    field: str
    old: Any
    new: Any


def _snapshot_of(entry: AuditEntry) -> dict[str, Any]:
    for value in (entry.old, entry.new):
        if isinstance(value, dict) and "kind" in value and "label" in value:
            return value
    return {}


def form_history(session: Session, *, kind: str, limit: int = 50) -> list[FormChange]:
    """The latest changes of ``kind``'s form (fields and sections), newest first, with what they are called.

    A deleted field is named from its snapshot; a deleted section's type is not recorded, so it shows on both.
    """
    check_kind(kind)
    limit = max(1, min(int(limit), 200))
    stmt = (
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.entity.in_((ENTITY, SECTION_ENTITY)))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit * 4)
    )
    rows = session.exec(stmt).all()
    field_ids = {entry.entity_id for entry, _n, _e in rows if entry.entity == ENTITY}
    section_ids = {entry.entity_id for entry, _n, _e in rows if entry.entity == SECTION_ENTITY}
    fields = {
        row.id: (row.kind, row.label)
        for row in session.exec(select(FieldDefinition).where(FieldDefinition.id.in_(field_ids or {0})))
    }
    sections = {
        row.id: (row.kind, row.title)
        for row in session.exec(select(FormSection).where(FormSection.id.in_(section_ids or {0})))
    }
    for entry, _n, _e in rows:
        snapshot = _snapshot_of(entry) if entry.entity == ENTITY else {}
        if snapshot and entry.entity_id not in fields:
            fields[entry.entity_id] = (snapshot["kind"], snapshot["label"])
    changes: list[FormChange] = []
    for entry, name, email in rows:
        if entry.entity == ENTITY:
            owner, subject = fields.get(entry.entity_id, (None, ""))
        else:
            owner, subject = sections.get(entry.entity_id, (None, entry.old if isinstance(entry.old, str) else ""))
        if owner not in (kind, None):
            continue
        changes.append(
            FormChange(
                id=entry.id,
                at=as_utc(entry.at),
                actor_name=name or email or "",
                entity="section" if entry.entity == SECTION_ENTITY else "field",
                subject=subject,
                kind=entry.kind,
                field=entry.field,
                old=entry.old,
                new=entry.new,
            )
        )
        if len(changes) >= limit:
            break
    return changes
