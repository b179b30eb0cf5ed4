"""The demo seed: a first look at a realistic client base, created once and never touched again."""

from __future__ import annotations

import io
import re

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import func, select

from crm_app import demo
from crm_app.auth import service as auth_service
from crm_app.auth.models import User
from crm_app.contacts.models import Address, Contact, Phone
from crm_app.contacts.search.structures import ensure_search_documents
from crm_app.db import session_scope
from crm_app.settings import settings


def _everything() -> dict[str, list[str]]:
    with session_scope() as db:
        conn = db.connection()
        return {
            name: sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"')))
            for name in sa_inspect(conn).get_table_names()
        }


def _seed() -> tuple[bool, str]:
    out = io.StringIO()
    created = demo.seed(out=out)
    return created, out.getvalue()


def test_the_demo_seed_creates_about_thirty_persons_and_organisations_with_phones_and_addresses(app_db):
    created, _output = _seed()
    assert created is True
    with session_scope() as db:
        contacts = db.exec(select(Contact)).all()
        assert 25 <= len(contacts) <= 40
        kinds = {c.kind for c in contacts}
        assert kinds == {"person", "organization"}
        assert sum(c.kind == "organization" for c in contacts) >= 5
        with_phone = set(db.exec(select(Phone.contact_id)).all())
        assert with_phone == {c.id for c in contacts}
        assert db.exec(select(func.count()).select_from(Address)).one() >= 20
        countries = set(db.exec(select(Address.country)).all())
        assert {"FR", "PL", "GB"} <= {c.upper() for c in countries}
        names = " ".join(c.display_name for c in contacts)
    for name in ("Lefèbvre", "Wiśniewska", "Kowalski", "Smith", "Jones", "Moreau"):
        assert name in names


def _printed_password(output: str) -> str:
    found = re.search(r"one-time password: (\S+)", output)
    assert found, output
    return found.group(1)


def test_the_demo_seed_prints_a_random_one_time_password_that_must_be_changed_at_first_sign_in(app_db):
    _created, output = _seed()
    assert settings.demo_admin_email in output
    password = _printed_password(output)
    assert len(password) == auth_service.ONE_TIME_PASSWORD_LENGTH
    assert "admin-demo-2026" not in output
    with session_scope() as db:
        user, _token = auth_service.sign_in(db, email=settings.demo_admin_email, password=password)
    assert user.role == "admin"
    assert user.must_change_password is True


def test_a_second_run_changes_nothing_and_keeps_the_data(app_db):
    _seed()
    with session_scope() as db:
        contact = db.exec(select(Contact).order_by(Contact.id)).first()
        contact.memo = "Edited after the first run."
        db.add(contact)
    before = _everything()
    created, output = _seed()
    assert created is False
    assert "one-time password" not in output
    assert _everything() == before


def test_the_demo_seed_adds_no_demo_admin_to_a_database_that_has_users(app_db):
    with session_scope() as db:
        auth_service.create_user(
            db, email="owner@example.com", name="Owner", role="admin", password="owner-password-long-1", actor_id=None
        )
    _created, output = _seed()
    assert "one-time password" not in output
    with session_scope() as db:
        assert db.exec(select(User.email)).all() == ["owner@example.com"]


def test_the_app_does_not_rebuild_the_search_rows_of_the_demo_at_its_first_start(app_db):
    _seed()
    with session_scope() as db:
        assert ensure_search_documents(db) is None
