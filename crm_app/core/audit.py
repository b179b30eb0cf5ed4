"""The audit trail: one row per change, with JSON-safe old and new values."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from crm_app.core.models import AuditEntry


def json_safe(value: Any) -> Any:
    """Turn a value into something JSON can store: Decimal -> str, datetime -> ISO text, sets -> lists."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [json_safe(v) for v in items]
    return str(value)


def record(
    session: Session,
    *,
    actor_id: int | None,
    entity: str,
    entity_id: int | None,
    kind: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
    contact_id: int | None = None,
) -> AuditEntry:
    """Add one audit entry to the session (the caller's transaction decides whether it is kept)."""
    entry = AuditEntry(
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        contact_id=contact_id,
        kind=kind,
        field=field,
        old=json_safe(old),
        new=json_safe(new),
    )
    session.add(entry)
    return entry
