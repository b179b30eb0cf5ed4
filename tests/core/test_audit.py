"""The audit trail stores JSON-safe values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import select

from crm_app.core import audit
from crm_app.core.models import AuditEntry


def test_record_stores_decimal_as_text_and_datetime_as_iso(session) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    audit.record(
        session, actor_id=None, entity="contact", entity_id=None, kind="field_changed", old=Decimal("12.50"), new=when
    )
    session.commit()
    entry = session.exec(select(AuditEntry)).one()
    assert entry.old == "12.50"
    assert entry.new == "2026-01-02T03:04:05+00:00"


def test_record_makes_nested_values_json_safe(session) -> None:
    value = {"discount": Decimal("1.5"), "days": [date(2026, 5, 1)], "tags": {"b", "a"}}
    audit.record(session, actor_id=None, entity="setting", entity_id=None, kind="setting_changed", new=value)
    session.commit()
    entry = session.exec(select(AuditEntry)).one()
    assert entry.new == {"discount": "1.5", "days": ["2026-05-01"], "tags": ["a", "b"]}


def test_record_keeps_field_and_contact_link_empty_by_default(session) -> None:
    entry = audit.record(session, actor_id=None, entity="setting", entity_id=None, kind="x")
    session.flush()
    assert entry.field == ""
    assert entry.contact_id is None
    assert entry.old is None and entry.new is None


def test_record_does_not_commit(engine, session) -> None:
    audit.record(session, actor_id=None, entity="setting", entity_id=None, kind="x")
    session.flush()
    session.rollback()
    assert session.exec(select(AuditEntry)).all() == []
