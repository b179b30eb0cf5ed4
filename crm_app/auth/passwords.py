"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm_app.core.errors import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 1000
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

# A common word followed by at most this many digits/symbols ("Password2025!") counts as common too.
_MAX_COMMON_SUFFIX = 6
_TRAILING_NOISE = re.compile(r"[\d\W_]+$")

# argon2-cffi's defaults are argon2id (RFC 9106 low-memory profile); tests may swap in a cheaper one.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password with argon2id; the result embeds salt and parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash; False (never an error) on mismatch or a bad hash."""
    if not isinstance(password_hash, str) or not isinstance(password, str) or not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (or is not a valid argon2 hash)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def dummy_verify(password: str) -> None:
    """Spend about as long as a real verification, for e-mails that match no account."""
    verify_password(_dummy_hash(_hasher), password if isinstance(password, str) else "")


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("dummy password that matches no account")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """Whether the password, or a common word with a short digit/symbol suffix, is on the common list."""
    lowered = password.strip().lower()
    common = common_passwords()
    if lowered in common:
        return True
    core = _TRAILING_NOISE.sub("", lowered)
    return bool(core) and len(lowered) - len(core) <= _MAX_COMMON_SUFFIX and core in common


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    """Raise ValidationError(field="password") when the password is too short, too long, common or personal."""
    if not isinstance(password, str):
        raise ValidationError("Enter a password.", field="password")
    if len(password) < MIN_LENGTH:
        raise ValidationError("Use at least {count} characters.", field="password", params={"count": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        raise ValidationError("Use at most {count} characters.", field="password", params={"count": MAX_LENGTH})
    lowered = password.strip().lower()
    email = (email or "").strip().lower()
    personal = {email, email.split("@", 1)[0], (name or "").strip().lower()} - {""}
    if lowered in personal:
        raise ValidationError("The password must not be your e-mail address or your name.", field="password")
    if is_common_password(password):
        raise ValidationError(
            "This password is too common and easy to guess. Choose a less common one.", field="password"
        )
