"""E-mail addresses: validate the syntax (no DNS look-up) and normalise."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from crm_app.core.errors import ValidationError

MAX_EMAIL_LENGTH = 320


def _message(exc: EmailNotValidError) -> str:
    text = str(exc)
    if "should have a period" in text:
        return "The domain after the @ is incomplete: it needs a dot, like example.com."
    if "special-use or reserved name" in text:
        return "The domain after the @ is a reserved name that cannot receive e-mail."
    return text


@lru_cache(maxsize=131_072)
def normalise_email(raw: str) -> str:
    """A valid address with its domain in lower case; ValidationError says what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter an e-mail address.", field="address")
    if len(text) > MAX_EMAIL_LENGTH:
        raise ValidationError(f"An e-mail address has at most {MAX_EMAIL_LENGTH} characters.", field="address")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(_message(exc), field="address") from exc
    local, _, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_key(address: str) -> str:
    """The identity of an address for matching: the whole of it NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", address or "").strip().casefold()
