"""``insert_rows`` stores exactly what SQLAlchemy's own executemany stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text
from sqlmodel import Session

from crm_app.contacts.models import Address, Contact
from crm_app.core.models import AuditEntry
from crm_app.db import insert_rows

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _contacts(prefix: str) -> list[dict]:
    return [
        {
            "kind": "person",
            "first_name": "Zoé",
            "last_name": f"Wiśniewska {n}",
            "display_name": f"Zoé Wiśniewska {n}",
            "reference": f"{prefix}-{n}",
            "custom": {"siret": "00123", "remise": 7.5, "notes": "ligne 1\nligne 2"} if n % 2 else {},
            "discount_percent": Decimal("12.50") if n % 2 else Decimal("0"),
            "not_a_column": "ignored",
            "archived_at": WHEN if n == 1 else None,
            "created_at": WHEN,
            "updated_at": WHEN,
            "version": 1,
        }
        for n in range(3)
    ]


def _stored(session: Session, table, order_by, skip: set[str]) -> list[tuple]:
    """The rows as the database holds them (no result processing), without the columns in ``skip``."""
    names = [c.name for c in table.columns if c.name not in skip]
    sql = f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {order_by}"
    return [tuple(row) for row in session.connection().exec_driver_sql(sql)]


def test_contact_and_history_rows_are_stored_as_sqlalchemy_stores_them(any_engine) -> None:
    with Session(any_engine) as s:
        s.execute(insert(Contact.__table__), _contacts("A"))
        insert_rows(s, Contact.__table__, _contacts("B"))
        ids = dict(s.execute(select(Contact.reference, Contact.id)).all())
        audits = [
            {
                "at": WHEN,
                "actor_id": None,
                "entity": "contact",
                "entity_id": ids[ref],
                "contact_id": ids[ref],
                "kind": "created",
                "old": None,
                "new": {"label": "Zoé (A-0)", "n": [1, 2]},
            }
            for ref in ("A-0", "B-0")
        ]
        s.execute(insert(AuditEntry.__table__), audits[:1])
        insert_rows(s, AuditEntry.__table__, audits[1:])
        s.commit()
        contacts = _stored(s, Contact.__table__, "id", {"id", "reference", "search_doc"})
        assert contacts[:3] == contacts[3:]
        history = _stored(s, AuditEntry.__table__, "id", {"id", "entity_id", "contact_id"})
        assert history[0] == history[1]
        # Read back through the ORM: the same values came back, defaults included.
        back = s.execute(select(Contact).where(Contact.reference == "B-1")).scalar_one()
        assert back.custom == {"siret": "00123", "remise": 7.5, "notes": "ligne 1\nligne 2"}
        assert back.discount_percent == Decimal("12.50") and back.is_supplier is False and back.memo == ""
        assert back.archived_at is not None


def test_rows_may_name_different_columns(session) -> None:
    session.execute(insert(Contact.__table__), _contacts("C")[:1])
    contact_id = session.execute(select(Contact.id)).scalar_one()
    insert_rows(
        session,
        Address.__table__,
        [{"contact_id": contact_id, "city": "Kraków", "position": 0}, {"contact_id": contact_id, "position": 1}],
    )
    cities = session.execute(select(Address.city, Address.is_main).order_by(Address.position)).all()
    assert [tuple(row) for row in cities] == [("Kraków", False), ("", False)]


def test_a_computed_default_must_be_given(session) -> None:
    with pytest.raises(ValueError, match=r"contact\.created_at"):
        insert_rows(session, Contact.__table__, [{"kind": "person", "reference": "D-1"}])
    session.execute(insert(Contact.__table__), _contacts("E")[:1])
    contact_id = session.execute(select(Contact.id)).scalar_one()
    with pytest.raises(ValueError, match=r"audit_entry\.kind"):
        insert_rows(
            session,
            AuditEntry.__table__,
            [
                {"at": WHEN, "entity": "contact", "contact_id": contact_id, "kind": "created"},
                {"at": WHEN, "entity": "x", "contact_id": contact_id},
            ],
        )
    assert session.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == 0
