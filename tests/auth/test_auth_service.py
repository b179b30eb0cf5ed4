"""Accounts, sign-in, sessions, throttling and the create-admin command."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, event, update
from sqlmodel import Session, SQLModel, select

from crm_app.auth import passwords, service
from crm_app.auth.models import LoginAttempt, SignInTicket, User, UserSession
from crm_app.auth.permissions import Permission
from crm_app.core.errors import NotFoundError, ThrottledError, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.db import build_engine
from crm_app.i18n import translate
from crm_app.settings import settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "violet-harbour-lantern"
OTHER_PASSWORD = "copper-meadow-whistle"


@pytest.fixture(autouse=True)
def fast_hashing_and_default_limits(monkeypatch):
    """Cheap argon2id parameters (the algorithm is unchanged) and the documented defaults."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(settings, "session_idle_hours", 12.0)
    monkeypatch.setattr(settings, "session_remember_days", 30.0)
    monkeypatch.setattr(settings, "login_max_failures", 5)
    monkeypatch.setattr(settings, "login_window_minutes", 15)
    monkeypatch.setattr(settings, "login_max_delay_minutes", 15)
    monkeypatch.setattr(settings, "login_address_max_failures", 50)


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL when CRM_TEST_POSTGRES_URL is set."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def make_user(db: Session, email: str = "anna@example.com", *, role: str = "staff", password: str = PASSWORD):
    user, _ = service.create_user(
        db, email=email, name=email.split("@")[0].title(), role=role, password=password, actor_id=None
    )
    db.commit()
    return user


def sign_in(db: Session, email: str = "anna@example.com", password: str = PASSWORD, **kwargs):
    return service.sign_in(db, email=email, password=password, **kwargs)


def session_row(db: Session, token: str) -> UserSession:
    db.expire_all()
    return db.exec(select(UserSession).where(UserSession.token_hash == service.token_hash(token))).one()


def age_session(db: Session, token: str, *, idle: timedelta, expires_in: timedelta) -> None:
    now = utcnow()
    db.exec(
        update(UserSession)
        .where(UserSession.token_hash == service.token_hash(token))
        .values(last_seen_at=now - idle, expires_at=now + expires_in)
    )
    db.commit()


def fail_sign_in(db: Session, email: str, client_ip: str = "") -> None:
    with pytest.raises(ValidationError):
        service.sign_in(db, email=email, password="wrong-password-0", client_ip=client_ip)


def audit_entries(db: Session, user_id: int) -> list[AuditEntry]:
    return list(
        db.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "user", AuditEntry.entity_id == user_id)
            .order_by(AuditEntry.id)
        ).all()
    )


# --- accounts -------------------------------------------------------------------------------------------------


def test_create_user_normalises_the_email_and_records_an_audit_entry(db):
    admin = make_user(db, "boss@example.com", role="admin")
    user, one_time = service.create_user(
        db,
        email="  Anna.Nowak@Example.COM ",
        name=" Anna  Nowak ",
        role="manager",
        password=PASSWORD,
        actor_id=admin.id,
    )
    db.commit()
    assert (user.email, user.name, user.role, user.must_change_password) == (
        "anna.nowak@example.com",
        "Anna Nowak",
        "manager",
        False,
    )
    assert one_time is None
    [entry] = audit_entries(db, user.id)
    assert (entry.kind, entry.actor_id) == ("user_created", admin.id)
    assert entry.new == {"email": "anna.nowak@example.com", "name": "Anna Nowak", "role": "manager"}


def test_create_user_without_a_password_returns_a_readable_one_time_password_to_change(db):
    user, one_time = service.create_user(db, email="new@example.com", name="New", role="staff", actor_id=None)
    db.commit()
    assert one_time is not None and len(one_time) == 14
    assert not set(one_time) & set("0O1lI")
    assert user.must_change_password is True
    current, _ = sign_in(db, "new@example.com", one_time)
    assert current.must_change_password is True


def test_create_user_rejects_an_email_that_exists_in_any_case(db):
    make_user(db, "anna@example.com")
    with pytest.raises(ValidationError) as caught:
        make_user(db, "ANNA@example.com")
    assert caught.value.errors == {"email": "A user with this e-mail already exists."}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"role": "root"}, "role"),
        ({"name": "   "}, "name"),
        ({"password": "password123"}, "password"),
        ({"password": "anna@example.com"}, "password"),
    ],
)
def test_create_user_rejects_invalid_input_with_the_field_at_fault(db, changes, field):
    values = {"email": "anna@example.com", "name": "Anna", "role": "staff", "password": PASSWORD} | changes
    with pytest.raises(ValidationError) as caught:
        service.create_user(db, **values, actor_id=None)
    assert field in caught.value.errors


def test_list_users_and_get_user_return_accounts_without_password_hashes(db):
    anna = make_user(db, "anna@example.com")
    make_user(db, "bob@example.com")
    assert [u.email for u in service.list_users(db)] == ["anna@example.com", "bob@example.com"]
    assert service.get_user(db, user_id=anna.id) == anna
    assert not hasattr(anna, "password_hash")
    with pytest.raises(NotFoundError):
        service.get_user(db, user_id=999_999)


def test_change_role_records_the_old_and_new_role(db):
    admin = make_user(db, "boss@example.com", role="admin")
    anna = make_user(db)
    assert service.change_role(db, user_id=anna.id, role="manager", actor_id=admin.id).role == "manager"
    db.commit()
    entry = audit_entries(db, anna.id)[-1]
    assert (entry.kind, entry.field, entry.old, entry.new, entry.actor_id) == (
        "user_role_changed",
        "role",
        "staff",
        "manager",
        admin.id,
    )
    with pytest.raises(ValidationError, match="Choose one of"):
        service.change_role(db, user_id=anna.id, role="superuser", actor_id=admin.id)


def test_set_locale_accepts_only_supported_languages(db):
    anna = make_user(db)
    assert service.set_locale(db, user_id=anna.id, locale="pl").locale == "pl"
    db.commit()
    current, _ = sign_in(db)
    assert current.locale == "pl"
    with pytest.raises(ValidationError) as caught:
        service.set_locale(db, user_id=anna.id, locale="de")
    assert "locale" in caught.value.errors


def test_the_audit_trail_never_contains_a_password_or_its_hash(db):
    admin = make_user(db, "boss@example.com", role="admin")
    anna = make_user(db)
    one_time = service.reset_password(db, user_id=anna.id, actor_id=admin.id)
    service.change_password(db, user_id=anna.id, current_password=one_time, new_password=OTHER_PASSWORD)
    db.commit()
    stored_hash = db.get(User, anna.id).password_hash
    for entry in audit_entries(db, anna.id):
        text = f"{entry.old!r} {entry.new!r}"
        assert one_time not in text and OTHER_PASSWORD not in text and stored_hash not in text
        assert "argon2" not in text
    assert [e.kind for e in audit_entries(db, anna.id)] == ["user_created", "password_reset", "password_changed"]


# --- sign-in --------------------------------------------------------------------------------------------------


def test_sign_in_returns_a_token_whose_hash_is_stored_but_never_the_token_itself(db):
    anna = make_user(db)
    current, token = sign_in(db, "Anna@Example.com", client_ip="10.0.0.1", user_agent="Firefox")
    assert (current.id, current.email, current.role) == (anna.id, "anna@example.com", "staff")
    assert current.can(Permission.CONTACTS_EDIT) and not current.can(Permission.USERS_MANAGE)
    assert len(token) >= 40
    row = session_row(db, token)
    assert row.id == current.session_id
    assert row.token_hash == service.token_hash(token) != token
    assert (row.client_ip, row.user_agent, row.remember) == ("10.0.0.1", "Firefox", False)
    stored = db.exec(select(UserSession.token_hash)).all()
    assert token not in stored


def test_every_sign_in_gets_a_new_token_and_session(db):
    make_user(db)
    (first, token1), (second, token2) = sign_in(db), sign_in(db)
    assert token1 != token2
    assert first.session_id != second.session_id


def test_wrong_password_unknown_email_and_deactivated_account_fail_with_the_same_message(db):
    admin = make_user(db, "boss@example.com", role="admin")
    make_user(db, "anna@example.com")
    gone = make_user(db, "gone@example.com")
    service.set_active(db, user_id=gone.id, active=False, actor_id=admin.id)
    db.commit()
    messages = set()
    for email, password in [
        ("anna@example.com", "wrong-password-0"),
        ("nobody@example.com", PASSWORD),
        ("gone@example.com", PASSWORD),
        ("", PASSWORD),
        ("anna@example.com", ""),
    ]:
        with pytest.raises(ValidationError) as caught:
            service.sign_in(db, email=email, password=password)
        messages.add((type(caught.value), caught.value.message, tuple(caught.value.errors)))
    assert messages == {(ValidationError, "E-mail or password is incorrect.", ())}


def test_every_sign_in_attempt_is_recorded_with_its_outcome(db):
    make_user(db)
    fail_sign_in(db, "anna@example.com", "10.0.0.1")
    sign_in(db, client_ip="10.0.0.1")
    db.expire_all()
    attempts = db.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.email, a.client_ip, a.success) for a in attempts] == [
        ("anna@example.com", "10.0.0.1", False),
        ("anna@example.com", "10.0.0.1", True),
    ]


def test_an_unknown_email_still_costs_a_password_verification(db, monkeypatch):
    calls = []
    monkeypatch.setattr(passwords, "dummy_verify", lambda password: calls.append(password))
    fail_sign_in(db, "nobody@example.com")
    assert calls == ["wrong-password-0"]


def _age_attempts(db: Session, minutes: float) -> None:
    db.exec(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=minutes)))
    db.commit()


def test_five_failures_of_an_account_from_one_address_make_that_pair_wait_a_minute(db):
    make_user(db)
    for _ in range(5):
        fail_sign_in(db, "anna@example.com", client_ip="203.0.113.7")
    with pytest.raises(ThrottledError) as caught:
        sign_in(db, client_ip="203.0.113.7")
    assert caught.value.msgid == "Too many sign-in attempts. Try again in 1 minute."


def test_an_attacker_cannot_lock_the_owner_out_from_another_address(db):
    make_user(db)
    for _ in range(30):
        with contextlib.suppress(ValidationError, ThrottledError):
            service.sign_in(db, email="anna@example.com", password="wrong-password-0", client_ip="203.0.113.7")
        _age_attempts(db, 0.5)
    current, _ = sign_in(db, client_ip="198.51.100.1")
    assert current.email == "anna@example.com"


def test_behind_a_shared_address_other_accounts_are_not_slowed_by_one_accounts_failures(db):
    make_user(db)
    make_user(db, "bob@example.com")
    for _ in range(5):
        fail_sign_in(db, "anna@example.com", client_ip="10.0.0.1")
    current, _ = sign_in(db, "bob@example.com", client_ip="10.0.0.1")
    assert current.email == "bob@example.com"


def _shift_attempts(db: Session, minutes: float) -> None:
    """Move every recorded attempt ``minutes`` into the past (as if that time went by)."""
    for attempt in db.exec(select(LoginAttempt)).all():
        attempt.at = as_utc(attempt.at) - timedelta(minutes=minutes)
        db.add(attempt)
    db.commit()


def test_the_delay_doubles_with_each_failure_past_the_free_ones_up_to_its_cap(db, monkeypatch):
    monkeypatch.setattr(settings, "login_window_minutes", 240)
    make_user(db)
    for _ in range(5):
        fail_sign_in(db, "anna@example.com", client_ip="10.0.0.1")
    waits = []
    for _ in range(7):
        with pytest.raises(ThrottledError) as caught:
            sign_in(db, client_ip="10.0.0.1")
        waits.append(caught.value.params.get("minutes", 1))
        _shift_attempts(db, waits[-1])
        fail_sign_in(db, "anna@example.com", client_ip="10.0.0.1")
    assert waits == [1, 2, 4, 8, 15, 15, 15]


def test_a_throttled_attempt_is_not_recorded_so_it_never_extends_the_wait(db, monkeypatch):
    make_user(db)
    for _ in range(5):
        fail_sign_in(db, "anna@example.com")
    monkeypatch.setattr(passwords, "verify_password", lambda *a: pytest.fail("password checked while throttled"))
    for _ in range(20):
        with pytest.raises(ThrottledError) as caught:
            sign_in(db)
        assert caught.value.msgid == "Too many sign-in attempts. Try again in 1 minute."
    db.expire_all()
    assert len(db.exec(select(LoginAttempt)).all()) == 5


def test_the_wait_ends_a_minute_after_the_fifth_failure_and_a_success_forgets_the_failures(db):
    make_user(db)
    for _ in range(5):
        fail_sign_in(db, "anna@example.com", client_ip="10.0.0.1")
    _age_attempts(db, 1.1)
    sign_in(db, client_ip="10.0.0.1")
    for _ in range(4):
        fail_sign_in(db, "anna@example.com", client_ip="10.0.0.1")
    current, _ = sign_in(db, client_ip="10.0.0.1")
    assert current.email == "anna@example.com"


def test_an_address_that_tries_many_accounts_waits_until_its_failures_leave_the_window(db, monkeypatch):
    monkeypatch.setattr(settings, "login_address_max_failures", 6)
    make_user(db)
    for i in range(6):
        fail_sign_in(db, f"guess{i}@example.com", client_ip="203.0.113.7")
    with pytest.raises(ThrottledError) as caught:
        sign_in(db, client_ip="203.0.113.7")
    assert caught.value.params == {"minutes": 15}
    current, _ = sign_in(db, client_ip="198.51.100.1")
    assert current.email == "anna@example.com"
    _age_attempts(db, 16)
    sign_in(db, client_ip="203.0.113.7")


def test_the_throttle_message_is_a_msgid_with_the_minutes_as_a_parameter(db):
    make_user(db)
    for _ in range(5):
        fail_sign_in(db, "anna@example.com")
    _shift_attempts(db, 1.1)
    fail_sign_in(db, "anna@example.com")
    with pytest.raises(ThrottledError) as many:
        sign_in(db)
    assert many.value.msgid == "Too many sign-in attempts. Try again in {minutes} minutes."
    minutes = many.value.params["minutes"]
    assert minutes == 2
    assert translate("fr", many.value.msgid, **many.value.params) == (
        f"Trop de tentatives de connexion. Réessayez dans {minutes} minutes."
    )
    assert str(minutes) in translate("pl", many.value.msgid, **many.value.params)


def test_four_failures_do_not_throttle(db):
    make_user(db)
    for _ in range(4):
        fail_sign_in(db, "anna@example.com")
    sign_in(db)


def test_a_sign_in_ticket_opens_one_session_once_and_the_token_never_leaves_the_server_before(db):
    make_user(db)
    code = service.issue_sign_in_ticket(db, email="Anna@example.com", password=PASSWORD, remember=True)
    db.expire_all()
    assert db.exec(select(UserSession)).all() == []
    opened = service.redeem_sign_in_ticket(db, code=code)
    assert opened.user.email == "anna@example.com"
    assert opened.max_age and opened.max_age > 24 * 3600
    assert service.validate_session(db, token=opened.token).id == opened.user.id
    with pytest.raises(NotFoundError):
        service.redeem_sign_in_ticket(db, code=code)


@pytest.mark.parametrize("code", ["", "forged", None, 1, {"code": "x"}, "x" * 10_000])
def test_a_forged_ticket_opens_nothing(db, code):
    make_user(db)
    with pytest.raises(NotFoundError):
        service.redeem_sign_in_ticket(db, code=code)
    db.expire_all()
    assert db.exec(select(UserSession)).all() == []


def test_an_expired_ticket_or_one_of_a_user_deactivated_meanwhile_opens_nothing(db):
    admin = make_user(db, "boss@example.com", role="admin")
    anna = make_user(db)
    late = service.issue_sign_in_ticket(db, email="anna@example.com", password=PASSWORD)
    db.exec(update(SignInTicket).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    with pytest.raises(NotFoundError):
        service.redeem_sign_in_ticket(db, code=late)
    gone = service.issue_sign_in_ticket(db, email="anna@example.com", password=PASSWORD)
    service.set_active(db, user_id=anna.id, active=False, actor_id=admin.id)
    db.commit()
    with pytest.raises(NotFoundError):
        service.redeem_sign_in_ticket(db, code=gone)


def test_a_wrong_password_gets_no_ticket(db):
    make_user(db)
    with pytest.raises(ValidationError):
        service.issue_sign_in_ticket(db, email="anna@example.com", password="wrong-password-0")


def test_prune_login_attempts_deletes_only_older_ones(db):
    make_user(db)
    fail_sign_in(db, "anna@example.com")
    db.exec(update(LoginAttempt).values(at=utcnow() - timedelta(days=40)))
    db.commit()
    sign_in(db)
    assert service.prune_login_attempts(db, older_than=utcnow() - timedelta(days=30)) == 1
    db.commit()
    assert [a.success for a in db.exec(select(LoginAttempt)).all()] == [True]


def test_a_successful_sign_in_upgrades_an_outdated_hash(db, monkeypatch):
    anna = make_user(db)
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    old_hash = db.get(User, anna.id).password_hash
    sign_in(db)
    db.expire_all()
    new_hash = db.get(User, anna.id).password_hash
    assert new_hash != old_hash and new_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert passwords.verify_password(new_hash, PASSWORD)


# --- sessions -------------------------------------------------------------------------------------------------


def test_validate_session_returns_the_signed_in_user(db):
    make_user(db)
    current, token = sign_in(db)
    assert service.validate_session(db, token=token) == current


@pytest.mark.parametrize("token", ["", "unknown-token", None, 123, {"token": "x"}, "x" * 5000])
def test_validate_session_returns_none_for_unknown_or_malformed_tokens(db, token):
    make_user(db)
    sign_in(db)
    assert service.validate_session(db, token=token) is None


def test_a_session_expires_after_the_idle_time(db):
    make_user(db)
    _, token = sign_in(db)
    row = session_row(db, token)
    assert as_utc(row.expires_at) - as_utc(row.last_seen_at) == timedelta(hours=12)
    age_session(db, token, idle=timedelta(hours=13), expires_in=-timedelta(hours=1))
    assert service.validate_session(db, token=token) is None


def test_using_a_session_slides_its_idle_expiry_but_writes_at_most_once_a_minute(db):
    make_user(db)
    _, token = sign_in(db)
    age_session(db, token, idle=timedelta(hours=11), expires_in=timedelta(hours=1))
    assert service.validate_session(db, token=token) is not None
    db.commit()
    row = session_row(db, token)
    assert as_utc(row.expires_at) - utcnow() > timedelta(hours=11, minutes=59)
    assert utcnow() - as_utc(row.last_seen_at) < timedelta(minutes=1)
    age_session(db, token, idle=timedelta(seconds=30), expires_in=timedelta(hours=1))
    assert service.validate_session(db, token=token) is not None
    db.commit()
    assert as_utc(session_row(db, token).expires_at) - utcnow() < timedelta(hours=1, seconds=1)


def test_validate_session_is_one_select_and_no_write_within_the_minute(db, any_engine: Engine):
    make_user(db)
    _, token = sign_in(db)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(any_engine, "before_cursor_execute", record)
    try:
        assert service.validate_session(db, token=token) is not None
    finally:
        event.remove(any_engine, "before_cursor_execute", record)
    assert [s for s in statements if s in {"SELECT", "UPDATE", "INSERT", "DELETE"}] == ["SELECT"]


def test_a_remember_me_session_lasts_thirty_days_without_sliding(db):
    make_user(db)
    _, token = sign_in(db, remember=True)
    row = session_row(db, token)
    assert row.remember is True
    assert as_utc(row.expires_at) - as_utc(row.created_at) == timedelta(days=30)
    age_session(db, token, idle=timedelta(days=20), expires_in=timedelta(days=10))
    assert service.validate_session(db, token=token) is not None
    db.commit()
    assert as_utc(session_row(db, token).expires_at) - utcnow() < timedelta(days=10)
    age_session(db, token, idle=timedelta(days=31), expires_in=-timedelta(seconds=1))
    assert service.validate_session(db, token=token) is None


def test_sign_out_revokes_only_that_session(db):
    make_user(db)
    _, token = sign_in(db)
    _, other = sign_in(db)
    assert service.sign_out(db, token=token) is True
    db.commit()
    assert service.validate_session(db, token=token) is None
    assert service.validate_session(db, token=other) is not None
    assert service.sign_out(db, token=token) is False


def test_deactivating_a_user_revokes_all_their_sessions_and_blocks_sign_in(db):
    admin = make_user(db, "boss@example.com", role="admin")
    anna = make_user(db)
    tokens = [sign_in(db)[1] for _ in range(3)]
    service.set_active(db, user_id=anna.id, active=False, actor_id=admin.id)
    db.commit()
    assert all(service.validate_session(db, token=t) is None for t in tokens)
    assert all(session_row(db, t).revoked_at is not None for t in tokens)
    with pytest.raises(ValidationError, match="E-mail or password is incorrect"):
        sign_in(db)
    service.set_active(db, user_id=anna.id, active=True, actor_id=admin.id)
    db.commit()
    sign_in(db)
    assert [e.kind for e in audit_entries(db, anna.id)][-2:] == ["user_deactivated", "user_activated"]


def test_reset_password_gives_a_one_time_password_and_signs_the_user_out(db):
    admin = make_user(db, "boss@example.com", role="admin")
    anna = make_user(db)
    _, token = sign_in(db)
    one_time = service.reset_password(db, user_id=anna.id, actor_id=admin.id)
    db.commit()
    assert len(one_time) == 14
    assert service.validate_session(db, token=token) is None
    with pytest.raises(ValidationError):
        sign_in(db)
    current, _ = sign_in(db, password=one_time)
    assert current.must_change_password is True


def test_change_password_keeps_the_current_session_and_revokes_the_others(db):
    anna = make_user(db)
    here, here_token = sign_in(db)
    _, elsewhere_token = sign_in(db)
    user = service.change_password(
        db,
        user_id=anna.id,
        current_password=PASSWORD,
        new_password=OTHER_PASSWORD,
        keep_session_id=here.session_id,
    )
    db.commit()
    assert user.must_change_password is False
    assert service.validate_session(db, token=here_token) is not None
    assert service.validate_session(db, token=elsewhere_token) is None
    sign_in(db, password=OTHER_PASSWORD)


def test_change_password_clears_the_must_change_flag(db):
    user, one_time = service.create_user(db, email="new@example.com", name="New", role="staff", actor_id=None)
    db.commit()
    service.change_password(db, user_id=user.id, current_password=one_time, new_password=OTHER_PASSWORD)
    db.commit()
    current, _ = sign_in(db, "new@example.com", OTHER_PASSWORD)
    assert current.must_change_password is False


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        ("wrong-password-0", OTHER_PASSWORD, "current_password"),
        (PASSWORD, "short", "new_password"),
        (PASSWORD, "password1234", "new_password"),
        (PASSWORD, PASSWORD, "new_password"),
    ],
)
def test_change_password_rejects_a_wrong_current_password_or_a_weak_new_one(db, current, new, field):
    anna = make_user(db)
    with pytest.raises(ValidationError) as caught:
        service.change_password(db, user_id=anna.id, current_password=current, new_password=new)
    assert list(caught.value.errors) == [field]


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(db):
    boss = make_user(db, "boss@example.com", role="admin")
    manager = make_user(db, "manager@example.com", role="manager")
    with pytest.raises(ValidationError, match="At least one active administrator"):
        service.set_active(db, user_id=boss.id, active=False, actor_id=manager.id)
    with pytest.raises(ValidationError, match="At least one active administrator"):
        service.change_role(db, user_id=boss.id, role="manager", actor_id=boss.id)
    second = make_user(db, "second@example.com", role="admin")
    service.change_role(db, user_id=boss.id, role="manager", actor_id=second.id)
    db.commit()
    with pytest.raises(ValidationError, match="At least one active administrator"):
        service.set_active(db, user_id=second.id, active=False, actor_id=boss.id)


def test_an_admin_cannot_deactivate_themselves(db):
    boss = make_user(db, "boss@example.com", role="admin")
    make_user(db, "second@example.com", role="admin")
    with pytest.raises(ValidationError, match="your own account"):
        service.set_active(db, user_id=boss.id, active=False, actor_id=boss.id)


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(db):
    boss = make_user(db, "boss@example.com", role="admin")
    second = make_user(db, "second@example.com", role="admin")
    service.set_active(db, user_id=second.id, active=False, actor_id=boss.id)
    db.commit()
    with pytest.raises(ValidationError, match="At least one active administrator"):
        service.change_role(db, user_id=boss.id, role="staff", actor_id=boss.id)


def test_bootstrap_admin_creates_an_admin_only_when_there_is_none(db):
    assert service.bootstrap_admin(db, email="Root@Example.com", password=PASSWORD) is True
    db.commit()
    assert service.bootstrap_admin(db, email="other@example.com", password=PASSWORD) is False
    [admin] = service.list_users(db)
    assert (admin.email, admin.role, admin.must_change_password) == ("root@example.com", "admin", False)


@pytest.mark.parametrize("password", ["", "password123"])
def test_bootstrap_admin_applies_the_password_policy(db, password):
    with pytest.raises(ValidationError) as caught:
        service.bootstrap_admin(db, email="root@example.com", password=password)
    assert "password" in caught.value.errors


def test_prune_sessions_deletes_long_expired_and_revoked_sessions(db):
    make_user(db)
    _, expired = sign_in(db)
    _, revoked = sign_in(db)
    _, live = sign_in(db)
    age_session(db, expired, idle=timedelta(days=50), expires_in=-timedelta(days=40))
    service.sign_out(db, token=revoked)
    db.commit()
    assert service.prune_sessions(db, older_than=utcnow() - timedelta(days=30)) == 1
    assert service.prune_sessions(db, older_than=utcnow() + timedelta(seconds=1)) == 1
    db.commit()
    assert service.validate_session(db, token=live) is not None


# --- command line ---------------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A SQLite file with every table, and the environment that points the CLI at it."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")} | {"CRM_DATABASE_URL": url}
    yield engine, env
    engine.dispose()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm_app.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_create_admin_with_a_password_creates_an_admin_who_can_sign_in(cli_db):
    engine, env = cli_db
    result = run_cli(env, "create-admin", "--email", "Root@Example.com", "--name", "Root", "--password", PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "root@example.com" in result.stdout
    with Session(engine) as s:
        current, _ = service.sign_in(s, email="root@example.com", password=PASSWORD)
    assert (current.role, current.name, current.must_change_password) == ("admin", "Root", False)


def test_cli_create_admin_without_a_terminal_prints_a_one_time_password(cli_db):
    engine, env = cli_db
    result = run_cli(env, "create-admin", "--email", "root@example.com")
    assert result.returncode == 0, result.stderr
    one_time = result.stdout.split("One-time password: ", 1)[1].split()[0]
    with Session(engine) as s:
        current, _ = service.sign_in(s, email="root@example.com", password=one_time)
    assert current.must_change_password is True


def test_cli_create_admin_exits_with_code_2_and_a_clear_message_on_invalid_input(cli_db):
    _, env = cli_db
    result = run_cli(env, "create-admin", "--email", "root@example.com", "--password", "password123")
    assert result.returncode == 2
    assert "error: password: This password is too common" in result.stderr
    run_cli(env, "create-admin", "--email", "root@example.com", "--password", PASSWORD)
    again = run_cli(env, "create-admin", "--email", "root@example.com", "--password", OTHER_PASSWORD)
    assert again.returncode == 2
    assert "A user with this e-mail already exists." in again.stderr


def test_cli_bootstrap_creates_the_admin_from_the_environment_once(cli_db):
    engine, env = cli_db
    env = env | {"CRM_BOOTSTRAP_ADMIN_EMAIL": "ops@example.com", "CRM_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD}
    first, second = run_cli(env, "bootstrap"), run_cli(env, "bootstrap")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr
    assert "Created administrator ops@example.com." in first.stdout
    assert "nothing to do" in second.stdout
    with Session(engine) as s:
        assert [u.email for u in service.list_users(s)] == ["ops@example.com"]


def test_cli_bootstrap_does_nothing_without_the_environment_variables(cli_db):
    _, env = cli_db
    result = run_cli(env, "bootstrap")
    assert result.returncode == 0
    assert "nothing to do" in result.stdout
