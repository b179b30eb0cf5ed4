"""Typed account-wide settings stored in ``app_setting`` rows, with defaults for missing keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlmodel import Session, select

from crm_app.core import audit
from crm_app.core.errors import ValidationError
from crm_app.core.memo import memoized
from crm_app.core.models import AppSetting
from crm_app.core.timeutil import utcnow

PHONE_DISPLAY_STYLES = ("international", "national")
CHANNEL_DEFAULT_KEYS = ("whatsapp", "viber", "sms", "email")
REFERENCE_PREFIX_RE = re.compile(r"^[A-Za-z0-9_-]{0,10}$")
REFERENCE_DIGITS_MIN = 3
REFERENCE_DIGITS_MAX = 10


def _default_channels() -> dict[str, bool]:
    return dict.fromkeys(CHANNEL_DEFAULT_KEYS, False)


@dataclass(frozen=True)
class AccountSettings:
    """The account's settings; every value is already validated."""

    default_region: str = "FR"
    phone_display: str = "international"
    channel_defaults: dict[str, bool] = field(default_factory=_default_channels)
    reference_prefix: str = "C-"
    reference_digits: int = 6


DEFAULTS = AccountSettings()
KEYS = ("default_region", "phone_display", "channel_defaults", "reference_prefix", "reference_digits")


def _check_region(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("Choose a valid country code for phone numbers, such as FR or GB.")
    return value.strip().upper()


def _check_phone_display(value: Any) -> str:
    if value not in PHONE_DISPLAY_STYLES:
        raise ValueError("Phone display must be 'international' or 'national'.")
    return value


def _check_channels(value: Any, current: dict[str, bool]) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise ValueError("Channel defaults must map whatsapp, viber, sms and email to on or off.")
    unknown = sorted(set(value) - set(CHANNEL_DEFAULT_KEYS))
    if unknown:
        raise ValueError(f"Unknown channel: {', '.join(map(str, unknown))}.")
    if any(not isinstance(v, bool) for v in value.values()):
        raise ValueError("Each channel default must be on or off.")
    return {key: bool(value.get(key, current.get(key, False))) for key in CHANNEL_DEFAULT_KEYS}


def _check_prefix(value: Any) -> str:
    if not isinstance(value, str) or not REFERENCE_PREFIX_RE.match(value):
        raise ValueError("The prefix may have up to 10 letters, digits, '-' or '_'.")
    return value


def _check_digits(value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not REFERENCE_DIGITS_MIN <= value <= REFERENCE_DIGITS_MAX
    ):
        raise ValueError(f"The number of digits must be between {REFERENCE_DIGITS_MIN} and {REFERENCE_DIGITS_MAX}.")
    return value


def _check(key: str, value: Any, current: AccountSettings) -> Any:
    if key == "default_region":
        return _check_region(value)
    if key == "phone_display":
        return _check_phone_display(value)
    if key == "channel_defaults":
        return _check_channels(value, current.channel_defaults)
    if key == "reference_prefix":
        return _check_prefix(value)
    return _check_digits(value)


def get_settings(session: Session) -> AccountSettings:
    """Read every account setting in one query; missing or unreadable values fall back to defaults."""
    return memoized(session, "account_settings", lambda: _load_settings(session))


def _load_settings(session: Session) -> AccountSettings:
    rows = session.exec(select(AppSetting).where(AppSetting.key.in_(KEYS))).all()
    values: dict[str, Any] = {}
    for row in rows:
        try:
            values[row.key] = _check(row.key, row.value, DEFAULTS)
        except ValueError:
            continue
    return AccountSettings(**values)


def update_settings(session: Session, *, actor_id: int | None, **changes: Any) -> AccountSettings:
    """Validate and store the given settings (all or nothing), auditing each changed value."""
    current = get_settings(session)
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in KEYS:
            errors[key] = "Unknown setting."
            continue
        try:
            cleaned[key] = _check(key, value, current)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise ValidationError("Some settings are not valid.", errors=errors)
    for key, value in cleaned.items():
        old = getattr(current, key)
        if old == value:
            continue
        row = session.get(AppSetting, key)
        if row is None:
            session.add(AppSetting(key=key, value=value, updated_by_id=actor_id))
        else:
            row.value = value
            row.updated_at = utcnow()
            row.updated_by_id = actor_id
            session.add(row)
        audit.record(
            session,
            actor_id=actor_id,
            entity="setting",
            entity_id=None,
            kind="setting_changed",
            field=key,
            old=old,
            new=value,
        )
    session.flush()
    return get_settings(session)
