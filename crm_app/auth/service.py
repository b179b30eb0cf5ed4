"""Staff accounts, sign-in, sessions and sign-in throttling.

Services flush and leave the commit to the caller (``session_scope``), except ``sign_in``, which commits
itself: a failed attempt must be recorded even though the error it raises makes the caller roll back.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from crm_app.auth import passwords
from crm_app.auth.models import LoginAttempt, SignInTicket, User, UserSession
from crm_app.auth.permissions import ADMIN, ROLES, Permission, has_permission, is_valid_role
from crm_app.core.errors import NotFoundError, ThrottledError, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.i18n import _
from crm_app.settings import settings

LOCALES: tuple[str, ...] = ("en", "fr", "pl")
# The cookie that carries a browser's session token: set by the server only, HttpOnly.
SESSION_COOKIE = "crm_session"
SIGN_IN_FAILED = _("E-mail or password is incorrect.")
USER_EXISTS = _("A user with this e-mail already exists.")
THROTTLED_ONE_MINUTE = _("Too many sign-in attempts. Try again in 1 minute.")
THROTTLED_MINUTES = _("Too many sign-in attempts. Try again in {minutes} minutes.")
TICKET_INVALID = _("This sign-in has expired. Please sign in again.")
# A checked sign-in waits this long for the browser to collect its cookie.
SIGN_IN_TICKET_LIFETIME = timedelta(minutes=1)
ONE_TIME_PASSWORD_LENGTH = 14
# No 0/O/o, 1/l/I: easy to read aloud and to type from a screen.
_READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# validate_session writes last_seen_at/expires_at at most this often per session.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
_MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as the UI and the API see it, tied to one session."""

    id: int
    email: str
    name: str
    role: str
    locale: str
    must_change_password: bool
    session_id: int

    def can(self, permission: Permission | str) -> bool:
        """Whether this user's role holds the permission."""
        return has_permission(self.role, permission)


@dataclass(frozen=True)
class NewSession:
    """A session just opened: its user, its token (for the cookie) and how long the cookie keeps it."""

    user: CurrentUser
    token: str
    max_age: int | None


@dataclass(frozen=True)
class UserRead:
    """A staff account for display; never carries the password hash."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    must_change_password: bool
    locale: str
    created_at: datetime
    updated_at: datetime


def _read(user: User) -> UserRead:
    return UserRead(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        active=user.active,
        must_change_password=user.must_change_password,
        locale=user.locale,
        created_at=as_utc(user.created_at) or user.created_at,
        updated_at=as_utc(user.updated_at) or user.updated_at,
    )


def _current(user: User, user_session: UserSession) -> CurrentUser:
    return CurrentUser(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        locale=user.locale,
        must_change_password=user.must_change_password,
        session_id=user_session.id or 0,
    )


def _clip(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_one_time_password() -> str:
    """A random 14-character password without look-alike characters."""
    return "".join(secrets.choice(_READABLE_ALPHABET) for _ in range(ONE_TIME_PASSWORD_LENGTH))


def normalise_email(email: object) -> str:
    """Validate an e-mail address (no DNS check) and return it lowercased."""
    if not isinstance(email, str) or not email.strip():
        raise ValidationError("Enter an e-mail address.", field="email")
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError("Enter a valid e-mail address.", field="email") from exc
    return result.normalized.lower()


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("Enter a name.", field="name")
    name = " ".join(name.split())
    if len(name) > 200:
        raise ValidationError("Use at most 200 characters.", field="name")
    return name


def _check_role(role: object) -> str:
    if not is_valid_role(role):
        raise ValidationError("Choose one of: {choices}.", field="role", params={"choices": ", ".join(ROLES)})
    return str(role)


def _audit(
    session: Session,
    *,
    actor_id: int | None,
    user_id: int | None,
    kind: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
) -> None:
    session.add(
        AuditEntry(actor_id=actor_id, entity="user", entity_id=user_id, kind=kind, field=field, old=old, new=new)
    )


def _get_user_row(session: Session, user_id: object, *, for_update: bool = False) -> User:
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise NotFoundError("User not found.")
    statement = select(User).where(User.id == user_id)
    if for_update:
        statement = statement.with_for_update()
    user = session.exec(statement).first()
    if user is None:
        raise NotFoundError("User not found.")
    return user


def _other_active_admins(session: Session, *, user_id: int) -> int:
    """Active admins other than this user, rows locked (PostgreSQL) so two demotions cannot race."""
    statement = select(User.id).where(User.role == ADMIN, col(User.active).is_(True), User.id != user_id)
    return len(session.exec(statement.with_for_update()).all())


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == ADMIN and user.active and _other_active_admins(session, user_id=user.id or 0) == 0:
        raise ValidationError("At least one active administrator must remain.", field="role")


# --- accounts -------------------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    actor_id: int | None,
) -> tuple[UserRead, str | None]:
    """Create an account; without a password, generate a one-time one (returned) that must be changed."""
    email = normalise_email(email)
    name = _clean_name(name)
    role = _check_role(role)
    one_time: str | None = None
    if password is None:
        one_time = password = generate_one_time_password()
    else:
        passwords.check_password_policy(password, email=email, name=name)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise ValidationError(USER_EXISTS, field="email")
    locale = settings.default_locale if settings.default_locale in LOCALES else "en"
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=passwords.hash_password(password),
        must_change_password=one_time is not None,
        locale=locale,
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:  # another request created the same e-mail meanwhile
        raise ValidationError(USER_EXISTS, field="email") from exc
    _audit(
        session,
        actor_id=actor_id,
        user_id=user.id,
        kind="user_created",
        new={"email": email, "name": name, "role": role},
    )
    session.flush()
    return _read(user), one_time


def list_users(session: Session) -> list[UserRead]:
    """Every account, by name then e-mail."""
    users = session.exec(select(User).order_by(User.name, User.email)).all()
    return [_read(u) for u in users]


def get_user(session: Session, *, user_id: int) -> UserRead:
    """One account; NotFoundError when it does not exist."""
    return _read(_get_user_row(session, user_id))


def change_role(session: Session, *, user_id: int, role: str, actor_id: int | None) -> UserRead:
    """Give an account another role; the last active admin keeps theirs."""
    role = _check_role(role)
    user = _get_user_row(session, user_id, for_update=True)
    if user.role == role:
        return _read(user)
    if user.role == ADMIN:
        _keep_an_admin(session, user)
    old = user.role
    user.role = role
    user.updated_at = utcnow()
    session.add(user)
    _audit(session, actor_id=actor_id, user_id=user.id, kind="user_role_changed", field="role", old=old, new=role)
    session.flush()
    return _read(user)


def set_active(session: Session, *, user_id: int, active: bool, actor_id: int | None) -> UserRead:
    """Activate or deactivate an account; deactivation signs it out everywhere at once."""
    if not isinstance(active, bool):
        raise ValidationError("Choose active or inactive.", field="active")
    user = _get_user_row(session, user_id, for_update=True)
    if user.active == active:
        return _read(user)
    if not active:
        if actor_id is not None and actor_id == user.id:
            raise ValidationError("You cannot deactivate your own account.", field="active")
        _keep_an_admin(session, user)
    user.active = active
    user.updated_at = utcnow()
    session.add(user)
    if not active:
        revoke_user_sessions(session, user_id=user.id or 0)
    kind = "user_activated" if active else "user_deactivated"
    _audit(session, actor_id=actor_id, user_id=user.id, kind=kind, field="active", old=not active, new=active)
    session.flush()
    return _read(user)


def reset_password(session: Session, *, user_id: int, actor_id: int | None) -> str:
    """Replace the password with a one-time one (returned), to change at next sign-in; signs the user out."""
    user = _get_user_row(session, user_id, for_update=True)
    one_time = generate_one_time_password()
    user.password_hash = passwords.hash_password(one_time)
    user.must_change_password = True
    user.updated_at = utcnow()
    session.add(user)
    revoke_user_sessions(session, user_id=user.id or 0)
    _audit(session, actor_id=actor_id, user_id=user.id, kind="password_reset", field="password")
    session.flush()
    return one_time


def change_password(
    session: Session,
    *,
    user_id: int,
    current_password: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> UserRead:
    """Change one's own password; every other session of the user is signed out."""
    user = _get_user_row(session, user_id, for_update=True)
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationError("Your current password is incorrect.", field="current_password")
    try:
        passwords.check_password_policy(new_password, email=user.email, name=user.name)
    except ValidationError as exc:
        raise ValidationError(exc.msgid, field="new_password", params=exc.params) from exc
    if passwords.verify_password(user.password_hash, new_password):
        raise ValidationError("Choose a password different from the current one.", field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = False
    user.updated_at = utcnow()
    session.add(user)
    revoke_user_sessions(session, user_id=user.id or 0, except_session_id=keep_session_id)
    _audit(session, actor_id=user.id, user_id=user.id, kind="password_changed", field="password")
    session.flush()
    return _read(user)


def set_locale(session: Session, *, user_id: int, locale: str) -> UserRead:
    """Choose the language of one's own interface."""
    if locale not in LOCALES:
        raise ValidationError("Choose one of: {choices}.", field="locale", params={"choices": ", ".join(LOCALES)})
    user = _get_user_row(session, user_id)
    if user.locale == locale:
        return _read(user)
    old = user.locale
    user.locale = locale
    user.updated_at = utcnow()
    session.add(user)
    _audit(session, actor_id=user.id, user_id=user.id, kind="locale_changed", field="locale", old=old, new=locale)
    session.flush()
    return _read(user)


def admin_exists(session: Session) -> bool:
    """Whether any administrator account exists (active or not)."""
    return session.exec(select(User.id).where(User.role == ADMIN).limit(1)).first() is not None


def bootstrap_admin(session: Session, *, email: str, password: str, name: str = "Administrator") -> bool:
    """Create an administrator when none exists yet; return whether one was created."""
    if admin_exists(session):
        return False
    if not isinstance(password, str) or not password:
        raise ValidationError("Enter a password.", field="password")
    create_user(session, email=email, name=name, role=ADMIN, password=password, actor_id=None)
    return True


# --- sign-in and sessions -------------------------------------------------------------------------------------


def _session_lifetime(remember: bool) -> timedelta:
    if remember:
        return timedelta(days=settings.session_remember_days)
    return timedelta(hours=settings.session_idle_hours)


def _pair_wait(session: Session, *, email: str, client_ip: str, now: datetime) -> timedelta | None:
    """How long this account must wait from this address: a delay that doubles with each failure past the free
    ones (1, 2, 4… minutes up to ``login_max_delay_minutes``), counted from the last failure; None when it may try.

    Only real attempts count (a refused, throttled try is never recorded), failures before the pair's last
    success are forgotten, and nobody elsewhere is slowed: an attacker cannot lock the owner out from their own
    address, nor keep the delay growing past its cap.
    """
    free = settings.login_max_failures
    if free <= 0:
        return None
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    pair = (LoginAttempt.email == email, LoginAttempt.client_ip == client_ip)
    last_success = session.exec(
        select(LoginAttempt.at)
        .where(*pair, col(LoginAttempt.success).is_(True), LoginAttempt.at >= window_start)
        .order_by(col(LoginAttempt.at).desc())
        .limit(1)
    ).first()
    since = max(window_start, as_utc(last_success) or window_start)
    failures = session.exec(
        select(LoginAttempt.at)
        .where(*pair, col(LoginAttempt.success).is_(False), LoginAttempt.at > since)
        .order_by(col(LoginAttempt.at).desc())
    ).all()
    if len(failures) < free:
        return None
    cap = timedelta(minutes=settings.login_max_delay_minutes)
    delay = min(timedelta(minutes=2 ** min(len(failures) - free, 20)), cap)
    wait = (as_utc(failures[0]) or now) + delay - now
    return wait if wait > timedelta(0) else None


def _address_wait(session: Session, *, client_ip: str, now: datetime) -> timedelta | None:
    """How long an address that tried many accounts must wait (password spraying); None when it may try."""
    limit = settings.login_address_max_failures
    if limit <= 0 or not client_ip:
        return None
    window = timedelta(minutes=settings.login_window_minutes)
    recent = session.exec(
        select(LoginAttempt.at)
        .where(
            col(LoginAttempt.success).is_(False), LoginAttempt.at >= now - window, LoginAttempt.client_ip == client_ip
        )
        .order_by(col(LoginAttempt.at).desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    wait = (as_utc(recent[-1]) or now) + window - now
    return wait if wait > timedelta(0) else None


def _throttle_wait(session: Session, *, email: str, client_ip: str, now: datetime) -> timedelta | None:
    """How long until this account may try again from this address; None when it may try now."""
    found = [
        wait
        for wait in (
            _pair_wait(session, email=email, client_ip=client_ip, now=now),
            _address_wait(session, client_ip=client_ip, now=now),
        )
        if wait is not None
    ]
    return max(found) if found else None


def _record_attempt(session: Session, *, email: str, client_ip: str, success: bool, at: datetime) -> None:
    session.add(LoginAttempt(email=email, client_ip=client_ip, success=success, at=at))


def _authenticate(session: Session, *, email: object, password: object, client_ip: str, now: datetime) -> User:
    """The account these credentials open, after the throttle; every real attempt is recorded (commits)."""
    email_key = _clip(email, 320).strip().lower()
    wait = _throttle_wait(session, email=email_key, client_ip=client_ip, now=now)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        if minutes == 1:
            raise ThrottledError(THROTTLED_ONE_MINUTE)
        raise ThrottledError(THROTTLED_MINUTES, params={"minutes": minutes})

    usable = isinstance(password, str) and 0 < len(password) <= passwords.MAX_LENGTH
    user = session.exec(select(User).where(User.email == email_key)).first() if email_key else None
    if user is None or not usable:
        passwords.dummy_verify(password if usable else "")
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    if user is None or not ok or not user.active:
        _record_attempt(session, email=email_key, client_ip=client_ip, success=False, at=now)
        session.commit()
        raise ValidationError(SIGN_IN_FAILED)

    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.add(user)
    _record_attempt(session, email=email_key, client_ip=client_ip, success=True, at=now)
    return user


def _open_session(
    session: Session, *, user: User, remember: bool, client_ip: str, user_agent: str, now: datetime
) -> tuple[CurrentUser, str]:
    token = secrets.token_urlsafe(32)
    user_session = UserSession(
        token_hash=token_hash(token),
        user_id=user.id or 0,
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _session_lifetime(remember),
        client_ip=client_ip,
        user_agent=user_agent,
    )
    session.add(user_session)
    session.flush()
    return _current(user, user_session), token


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    client_ip: str = "",
    user_agent: str = "",
    remember: bool = False,
) -> tuple[CurrentUser, str]:
    """Check the credentials and open a session; return the user and the new session token (commits)."""
    now = utcnow()
    client_ip = _clip(client_ip, 64)
    user = _authenticate(session, email=email, password=password, client_ip=client_ip, now=now)
    opened = _open_session(
        session, user=user, remember=remember is True, client_ip=client_ip, user_agent=_clip(user_agent, 300), now=now
    )
    session.commit()
    return opened


def issue_sign_in_ticket(
    session: Session,
    *,
    email: str,
    password: str,
    client_ip: str = "",
    user_agent: str = "",
    remember: bool = False,
) -> str:
    """Check the credentials and return a single-use code the browser trades for its session cookie (commits).

    The session token itself never passes through the page: ``redeem_sign_in_ticket`` opens the session in the
    HTTP request that sets the ``HttpOnly`` cookie.
    """
    now = utcnow()
    client_ip = _clip(client_ip, 64)
    user = _authenticate(session, email=email, password=password, client_ip=client_ip, now=now)
    code = secrets.token_urlsafe(32)
    session.add(
        SignInTicket(
            code_hash=token_hash(code),
            user_id=user.id or 0,
            remember=remember is True,
            client_ip=client_ip,
            user_agent=_clip(user_agent, 300),
            expires_at=now + SIGN_IN_TICKET_LIFETIME,
        )
    )
    session.exec(delete(SignInTicket).where(col(SignInTicket.expires_at) < now))
    session.commit()
    return code


def redeem_sign_in_ticket(session: Session, *, code: object) -> NewSession:
    """Open the session a sign-in ticket stands for; the ticket is spent (commits).

    NotFoundError when the code is unknown, spent or expired, or its user was deactivated meanwhile.
    """
    if not isinstance(code, str) or not code or len(code) > _MAX_TOKEN_LENGTH:
        raise NotFoundError(TICKET_INVALID)
    now = utcnow()
    spent = session.exec(
        delete(SignInTicket)
        .where(SignInTicket.code_hash == token_hash(code), col(SignInTicket.expires_at) > now)
        .returning(SignInTicket.user_id, SignInTicket.remember, SignInTicket.client_ip, SignInTicket.user_agent)
    ).first()
    user = session.get(User, spent.user_id) if spent is not None else None
    if spent is None or user is None or not user.active:
        session.rollback()
        raise NotFoundError(TICKET_INVALID)
    current, token = _open_session(
        session, user=user, remember=spent.remember, client_ip=spent.client_ip, user_agent=spent.user_agent, now=now
    )
    session.commit()
    max_age = int(_session_lifetime(True).total_seconds()) if spent.remember else None
    return NewSession(user=current, token=token, max_age=max_age)


def validate_session(session: Session, *, token: str) -> CurrentUser | None:
    """The user behind a session token, or None when it is unknown, revoked, expired or the user is inactive."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return validate_session_digest(session, digest=token_hash(token))


def validate_session_digest(session: Session, *, digest: str) -> CurrentUser | None:
    """``validate_session`` by the token's stored digest (for server-side checks that never hold the token)."""
    if not isinstance(digest, str) or len(digest) != 64:
        return None
    row = session.exec(
        select(UserSession, User)
        .join(User, col(User.id) == UserSession.user_id)
        .where(UserSession.token_hash == digest)
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    expires_at = as_utc(user_session.expires_at)
    if user_session.revoked_at is not None or expires_at is None or expires_at <= now or not user.active:
        return None
    last_seen = as_utc(user_session.last_seen_at) or now
    if now - last_seen >= SESSION_TOUCH_INTERVAL:
        user_session.last_seen_at = now
        if not user_session.remember:
            user_session.expires_at = now + _session_lifetime(False)
        session.add(user_session)
        session.flush()
    return _current(user, user_session)


def sign_out(session: Session, *, token: str) -> bool:
    """Revoke the session of this token; return whether there was one to revoke."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    result = session.exec(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()
    return bool(result.rowcount)


def revoke_user_sessions(session: Session, *, user_id: int, except_session_id: int | None = None) -> int:
    """Revoke every open session of a user (but one, if given); return how many were revoked."""
    statement = update(UserSession).where(UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None))
    if except_session_id is not None:
        statement = statement.where(UserSession.id != except_session_id)
    result = session.exec(statement.values(revoked_at=utcnow()))
    session.flush()
    return int(result.rowcount or 0)


def prune_login_attempts(session: Session, *, older_than: datetime) -> int:
    """Delete sign-in attempts made before ``older_than``; return how many."""
    result = session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < older_than))
    session.flush()
    return int(result.rowcount or 0)


def prune_sessions(session: Session, *, older_than: datetime) -> int:
    """Delete sessions that expired or were revoked before ``older_than``; return how many."""
    result = session.exec(
        delete(UserSession).where(
            or_(col(UserSession.expires_at) < older_than, col(UserSession.revoked_at) < older_than)
        )
    )
    session.flush()
    return int(result.rowcount or 0)
