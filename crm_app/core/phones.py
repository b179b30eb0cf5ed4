"""Phone numbers: parse with a reason when they are wrong, format, link and search."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from babel import Locale
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from crm_app.core.errors import ValidationError

MAX_RAW_LENGTH = 60
PARSE_CACHE_SIZE = 131_072
MIN_SEARCH_DIGITS = 3
_ALLOWED_CHARS = re.compile(r"^[0-9+\-\s().\/]*$")
_EN = Locale("en")


class ParsedPhone(NamedTuple):
    """A valid phone number: E.164 form and the digits of its national form (with trunk prefix)."""

    e164: str
    national_digits: str


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def _country_name(region: str | None) -> str:
    if not region:
        return "this country"
    return _EN.territories.get(region, region)


def _unknown_country_code(digits: str) -> str:
    """The country code the user meant: the shortest known prefix, else the first three digits."""
    if digits.startswith("0"):
        return "0"
    for size in (1, 2, 3):
        code = digits[:size]
        if code and phonenumbers.region_code_for_country_code(int(code)) != "ZZ":
            return code
    return digits[:3]


def _fail(message: str) -> ValidationError:
    return ValidationError(message, field="number")


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def parse_phone(raw: str, region: str) -> ParsedPhone:
    """Parse a typed number with the account's region; the ValidationError says why it is refused.

    Results are remembered (imports check every number twice: to match rows, then to save them).
    """
    text = (raw or "").strip()
    if not text:
        raise _fail("Enter a phone number.")
    if len(text) > MAX_RAW_LENGTH:
        raise _fail(f"This phone number is too long (more than {MAX_RAW_LENGTH} characters).")
    if any(ch.isalpha() for ch in text):
        raise _fail("A phone number cannot contain letters.")
    if not _ALLOWED_CHARS.match(text) or "+" in text[1:]:
        raise _fail("A phone number may only contain digits, spaces, a leading + and - . ( ) /.")
    digits = _digits(text)
    if not digits:
        raise _fail("Enter the digits of the phone number.")
    if text.startswith("+"):
        code = _unknown_country_code(digits)
        if phonenumbers.region_code_for_country_code(int(code)) == "ZZ":
            raise _fail(f"Unknown country code +{code}.")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise _fail(_parse_error_message(exc, text, region)) from exc
    reason = phonenumbers.is_possible_number_with_reason(number)
    number_region = phonenumbers.region_code_for_number(number) or region
    where = _country_name(number_region)
    if reason == ValidationResult.TOO_SHORT:
        raise _fail(f"This phone number is too short for {where}.")
    if reason == ValidationResult.TOO_LONG:
        raise _fail(f"This phone number is too long for {where}.")
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise _fail(f"Unknown country code +{number.country_code}.")
    if reason == ValidationResult.INVALID_LENGTH:
        raise _fail(f"This phone number has the wrong number of digits for {where}.")
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise _fail("Add the area code: this number can only be dialled locally.")
    if not phonenumbers.is_valid_number(number):
        raise _fail(f"This is not a valid phone number for {where}.")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    national = _digits(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    return ParsedPhone(e164=e164, national_digits=national)


def _parse_error_message(exc: NumberParseException, text: str, region: str) -> str:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        digits = _digits(text)
        if text.startswith("+"):
            return f"Unknown country code +{_unknown_country_code(digits)}."
        if digits.startswith("00"):
            return f"Unknown country code +{_unknown_country_code(digits[2:])}."
        if region not in phonenumbers.SUPPORTED_REGIONS:
            return "Start the number with + and the country code (for example +33)."
        return "Unknown country code."
    if exc.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return "This phone number is too short."
    if exc.error_type == NumberParseException.TOO_LONG:
        return "This phone number is too long."
    return "This is not a phone number."


def dialling_region(country: str | None, default: str) -> str:
    """The region a number written without its country code belongs to: ``country`` when phones have one."""
    code = (country or "").strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else default


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def region_of(e164: str) -> str:
    """The ISO code of the country a stored number belongs to ("" when unknown)."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except NumberParseException:
        return ""
    return "" if region in (None, "ZZ", "001") else region


def format_phone(e164: str, style: str, region: str) -> str:
    """Show a stored number internationally, or nationally when it belongs to the account's region."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if style == "national" and phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def phone_links(e164: str, whatsapp: bool, viber: bool, sms: bool) -> dict[str, str]:
    """Links for a number: ``tel`` always; ``whatsapp``, ``viber``, ``sms`` only with consent (else "")."""
    digits = _digits(e164)
    return {
        "tel": f"tel:+{digits}",
        "whatsapp": f"https://wa.me/{digits}" if whatsapp else "",
        "viber": f"viber://chat?number=%2B{digits}" if viber else "",
        "sms": f"sms:+{digits}" if sms else "",
    }


def search_forms(text: str, region: str) -> list[str]:
    """Digit strings to look for inside stored e164/national digits when someone searches for ``text``."""
    raw = (text or "").strip()
    digits = _digits(raw)
    if len(digits) < MIN_SEARCH_DIGITS:
        return []
    forms = [digits]
    if not raw.startswith("+") and digits.startswith("00"):
        forms.append(digits[2:])
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        forms.append(_digits(phonenumbers.format_number(number, PhoneNumberFormat.E164)))
        forms.append(_digits(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)))
    unique: list[str] = []
    for form in forms:
        if len(form) >= MIN_SEARCH_DIGITS and form not in unique:
            unique.append(form)
    return unique
