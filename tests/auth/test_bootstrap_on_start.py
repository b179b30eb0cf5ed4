"""Containers: with CRM_BOOTSTRAP_ADMIN_EMAIL/PASSWORD set, the app creates its administrator when it starts."""

from __future__ import annotations

import logging

import pytest
from argon2 import PasswordHasher
from sqlmodel import SQLModel, select

import crm_app.crm_app as app_module
from crm_app.auth import passwords
from crm_app.auth import service as auth_service
from crm_app.auth.models import User
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.settings import settings

EMAIL = "boss@example.com"
PASSWORD = "container-admin-password-42"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """The app's database on a fresh file, cheap hashing, no bootstrap variables unless a test sets them."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(settings, "bootstrap_admin_email", "")
    monkeypatch.setattr(settings, "bootstrap_admin_password", "")
    url = f"sqlite:///{tmp_path / 'boot.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    reset_engines()


@pytest.fixture
def bootstrap_env(app_db, monkeypatch):
    monkeypatch.setattr(settings, "bootstrap_admin_email", " Boss@Example.com ")
    monkeypatch.setattr(settings, "bootstrap_admin_password", PASSWORD)


def _users() -> list[tuple[str, str]]:
    with session_scope() as db:
        return [(u.email, u.role) for u in db.exec(select(User)).all()]


def test_the_start_up_task_is_registered_with_the_app():
    assert app_module.bootstrap_admin_on_start in app_module.app._lifespan_tasks


def test_without_the_variables_nothing_is_created(app_db):
    assert app_module.bootstrap_admin_on_start() is False
    assert _users() == []


def test_with_the_variables_the_admin_is_created_once_and_can_sign_in(bootstrap_env):
    assert app_module.bootstrap_admin_on_start() is True
    assert app_module.bootstrap_admin_on_start() is False
    assert _users() == [(EMAIL, "admin")]
    with session_scope() as db:
        user, _token = auth_service.sign_in(db, email=EMAIL, password=PASSWORD)
    assert user.role == "admin" and not user.must_change_password


def test_an_existing_administrator_is_left_alone(bootstrap_env):
    with session_scope() as db:
        auth_service.create_user(
            db, email="first@example.com", name="First", role="admin", password=PASSWORD, actor_id=None
        )
    assert app_module.bootstrap_admin_on_start() is False
    assert _users() == [("first@example.com", "admin")]


def test_a_worker_that_loses_the_race_to_another_does_nothing_and_logs_no_error(bootstrap_env, monkeypatch, caplog):
    with session_scope() as db:  # the other worker has just committed the same administrator
        auth_service.create_user(db, email=EMAIL, name="Administrator", role="admin", password=PASSWORD, actor_id=None)
    real = auth_service.admin_exists
    looks = []

    def looked_before_that_commit(db):
        looks.append(db)
        return len(looks) > 1 and real(db)

    monkeypatch.setattr(auth_service, "admin_exists", looked_before_that_commit)
    with caplog.at_level(logging.ERROR):
        assert app_module.bootstrap_admin_on_start() is False
    assert caplog.records == []
    assert len(looks) == 2
    assert _users() == [(EMAIL, "admin")]


def test_an_account_with_that_email_but_no_admin_role_is_reported_not_promoted(bootstrap_env, caplog):
    with session_scope() as db:
        auth_service.create_user(db, email=EMAIL, name="Boss", role="staff", password=PASSWORD, actor_id=None)
    with caplog.at_level(logging.ERROR):
        assert app_module.bootstrap_admin_on_start() is False
    assert "already exists" in caplog.text
    assert _users() == [(EMAIL, "staff")]


def test_a_password_the_policy_refuses_is_reported_and_the_app_still_starts(app_db, monkeypatch, caplog):
    monkeypatch.setattr(settings, "bootstrap_admin_email", EMAIL)
    monkeypatch.setattr(settings, "bootstrap_admin_password", "short")
    with caplog.at_level(logging.ERROR):
        assert app_module.bootstrap_admin_on_start() is False
    assert "at least 10 characters" in caplog.text
    assert _users() == []


def test_an_unmigrated_database_is_reported_and_the_app_still_starts(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(settings, "bootstrap_admin_email", EMAIL)
    monkeypatch.setattr(settings, "bootstrap_admin_password", PASSWORD)
    reset_engines()
    try:
        with caplog.at_level(logging.ERROR):
            assert app_module.bootstrap_admin_on_start() is False
        assert "is the database migrated" in caplog.text
    finally:
        reset_engines()
