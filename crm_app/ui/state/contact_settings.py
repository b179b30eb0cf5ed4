"""Manager editor of the contact settings: channel defaults for new contacts, phone region and format, references.

Every handler takes its arguments from the browser, so each one coerces them before calling one service.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import phonenumbers
import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts.texts import country_name
from crm_app.core import app_settings
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.ui.state.coerce import as_flag
from crm_app.ui.state.session import SessionState, requires

CHANNEL_LABELS: dict[str, str] = {"whatsapp": "WhatsApp", "viber": "Viber", "sms": "SMS", "email": "E-mail"}
DIGIT_CHOICES: tuple[str, ...] = tuple(
    str(n) for n in range(app_settings.REFERENCE_DIGITS_MIN, app_settings.REFERENCE_DIGITS_MAX + 1)
)


@dataclasses.dataclass
class Choice:
    """One option of a select box."""

    value: str
    label: str


def _region_choices() -> list[Choice]:
    regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=lambda code: (country_name(code).casefold(), code))
    return [
        Choice(value=code, label=f"{country_name(code)} ({code}, +{phonenumbers.country_code_for_region(code)})")
        for code in regions
    ]


REGION_CHOICES: list[Choice] = _region_choices()


class ContactSettingsState(SessionState):
    """Contact settings: channel defaults for new contacts, phone region and format, references."""

    channel_defaults: dict[str, bool] = dict.fromkeys(app_settings.CHANNEL_DEFAULT_KEYS, False)
    default_region: str = app_settings.DEFAULTS.default_region
    phone_display: str = app_settings.DEFAULTS.phone_display
    reference_prefix: str = app_settings.DEFAULTS.reference_prefix
    reference_digits: str = str(app_settings.DEFAULTS.reference_digits)
    prefix_draft: str = app_settings.DEFAULTS.reference_prefix
    digits_draft: str = str(app_settings.DEFAULTS.reference_digits)
    errors: dict[str, str] = {}

    def _show(self, values: app_settings.AccountSettings) -> None:
        self.channel_defaults = dict(values.channel_defaults)
        self.default_region = values.default_region
        self.phone_display = values.phone_display
        self.reference_prefix = values.reference_prefix
        self.reference_digits = str(values.reference_digits)

    def _save(self, **changes: Any):
        result, err = self._service(app_settings.update_settings, actor_id=self._current.id, **changes)
        if err:
            self.errors = self._field_errors(err)
            message = "; ".join(self.errors.values()) or self._error_text(err)
            return rx.toast.error(message)
        self.errors = {}
        self._show(result)
        return rx.toast.success(self._t("Saved."))

    @rx.var
    def national_example(self) -> str:
        """A mobile number of the default region written the national way."""
        return _example(self.default_region, phonenumbers.PhoneNumberFormat.NATIONAL)

    @rx.var
    def international_example(self) -> str:
        """A mobile number of the default region written the international way."""
        return _example(self.default_region, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    @rx.var
    def reference_example(self) -> str:
        """What the next references look like with the prefix and digits being typed."""
        digits = as_id(self.digits_draft) or 0
        if not app_settings.REFERENCE_DIGITS_MIN <= digits <= app_settings.REFERENCE_DIGITS_MAX:
            digits = app_settings.DEFAULTS.reference_digits
        return f"{self.prefix_draft}{'123'.zfill(digits)}"

    @requires(Permission.SETTINGS_LISTS)
    def load(self):
        """Read the account settings."""
        with session_scope() as db:
            values = app_settings.get_settings(db)
        self.errors = {}
        self._show(values)
        self.prefix_draft = self.reference_prefix
        self.digits_draft = self.reference_digits

    @requires(Permission.SETTINGS_LISTS)
    def toggle_channel_default(self, channel: str, enabled: bool):
        """Switch a channel's consent on or off by default for new contacts."""
        flag = as_flag(enabled)
        if channel not in app_settings.CHANNEL_DEFAULT_KEYS or flag is None:
            return None
        return self._save(channel_defaults={channel: flag})

    @requires(Permission.SETTINGS_LISTS)
    def choose_region(self, region: str):
        """Set the country used to read phone numbers written without a country code."""
        if not isinstance(region, str) or len(region) > 3:
            return None
        return self._save(default_region=region)

    @requires(Permission.SETTINGS_LISTS)
    def choose_phone_display(self, style: str):
        """Show phone numbers the international or the national way."""
        if style not in app_settings.PHONE_DISPLAY_STYLES:
            return None
        return self._save(phone_display=style)

    @requires(Permission.SETTINGS_LISTS)
    def type_prefix(self, value: str):
        """Follow the reference prefix being typed (for the example)."""
        if isinstance(value, str):
            self.prefix_draft = value[:20]

    @requires(Permission.SETTINGS_LISTS)
    def choose_digits(self, value: str):
        """Follow the number of digits being chosen (for the example)."""
        if isinstance(value, str) and value in DIGIT_CHOICES:
            self.digits_draft = value

    @requires(Permission.SETTINGS_LISTS)
    def save_references(self):
        """Store the reference prefix and number of digits used for new contacts."""
        digits = as_id(self.digits_draft)
        if digits is None:
            self.errors = {"reference_digits": self._t("Choose the number of digits.")}
            return None
        return self._save(reference_prefix=self.prefix_draft, reference_digits=digits)


def _example(region: str, style: int) -> str:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, style) if number else ""
