"""How a contact's values read and are checked as text: limits, control characters, names, discounts,
countries, addresses and phones written for people."""

from __future__ import annotations

import re
from decimal import Decimal

from babel import Locale

from crm_app.contacts.models import (
    Address,
    Email,
    Phone,
)
from crm_app.contacts.schemas import (
    BUILTIN_PHONE_TYPES,
    AddressIn,
)
from crm_app.core.errors import ValidationError
from crm_app.core.phones import (
    format_phone,
)
from crm_app.core.text import fold

NAME_LIMITS = {"first_name": 200, "last_name": 200, "company_name": 300, "registration_no": 100}
MEMO_LIMIT = 20000
ADDRESS_LIMITS = {"label": 100, "line1": 300, "line2": 300, "postcode": 20, "city": 120, "region": 120}
ADDRESS_FIELDS = (*ADDRESS_LIMITS, "country")
TAG_NAME_LIMIT = 80
DISPLAY_NAME_LIMIT = 400
BUILTIN_PHONE_LABELS = {key: key.capitalize() for key in BUILTIN_PHONE_TYPES}
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "viber": "Viber", "sms": "SMS"}
MAP_SEARCH_URL = "https://www.openstreetmap.org/search?query="
_DISCOUNT_RE = re.compile(r"^[+-]?(?:\d{1,10}(?:[.,]\d*)?|[.,]\d+)$")
_EXCEPTIONAL_TERRITORIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
_EN = Locale("en")
COUNTRY_CODES = frozenset(
    code for code in _EN.territories if len(code) == 2 and code.isalpha() and code not in _EXCEPTIONAL_TERRITORIES
)


# ---------------------------------------------------------------- text helpers


# Unicode category Cc (control characters) is exactly U+0000-U+001F and U+007F-U+009F.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why a text cannot be stored (NUL, unpaired surrogates, control characters), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "This text contains characters that cannot be stored."
    if (_CONTROL_IN_TEXT if multiline else _CONTROL).search(value):
        return "Remove the invisible control characters from this text."
    return None


def sort_key(text: str) -> str:
    """A name folded (``crm_app.core.text.fold``) for sorting and prefix search."""
    return fold(text)[:DISPLAY_NAME_LIMIT]


def display_name_for(kind: str, first_name: str, last_name: str, company_name: str) -> str:
    """The name shown everywhere: "First Last" for a person, the company name for an organisation."""
    person = " ".join(part for part in (first_name, last_name) if part)
    name = (company_name or person) if kind == "organization" else (person or company_name)
    return name[:DISPLAY_NAME_LIMIT]


def initials_for(name: str) -> str:
    """Up to two letters for an avatar: the first letters of the name's first two words ("Acme Tools" -> "AT")."""
    words = [word for word in name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper()


def split_full_name(text: str) -> tuple[str, str]:
    """A full name typed in one box as (first name, last name): its first word, then the rest, cut to fit."""
    first, _, last = " ".join(str(text).split()).partition(" ")
    return first[: NAME_LIMITS["first_name"]], last[: NAME_LIMITS["last_name"]]


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with ``text`` (wildcards escaped with ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def parse_discount(raw: str) -> Decimal:
    """Parse "12,5" or "12.5" into a Decimal between 0 and 100 with at most two decimals."""
    text = (raw or "").strip().rstrip("%").strip()
    if not text:
        return Decimal("0.00")
    if not _DISCOUNT_RE.match(text):
        raise ValidationError("Enter the discount as a number, like 12.5.", field="discount_percent")
    value = Decimal(text.replace(",", "."))
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError("Discount must be between 0 and 100.", field="discount_percent")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError("Use at most two decimals for the discount.", field="discount_percent")
    return value.quantize(Decimal("0.01"))


def format_discount(value: Decimal | None) -> str:
    """A discount without trailing zeros: 12.50 -> "12.5", 10.00 -> "10"."""
    if value is None:
        return "0"
    text = format(Decimal(value).normalize(), "f")
    return text


def country_name(code: str) -> str:
    """The English name of an ISO country code (the code itself when unknown)."""
    return _EN.territories.get(code, code) if code else ""


def address_one_line(address: Address | AddressIn) -> str:
    """The address on one line: "12 rue X, Apt 3, 75001 Paris, Île-de-France, France"."""
    town = " ".join(part for part in (address.postcode, address.city) if part)
    parts = (address.line1, address.line2, town, address.region, country_name(address.country))
    return ", ".join(part for part in parts if part)


def phone_type_label(type_: str) -> str:
    """The label of a phone type: capitalised built-in name, or the custom type's own name."""
    return BUILTIN_PHONE_LABELS.get(type_, type_)


def readable_phone(phone: Phone, region: str = "") -> str:
    """A phone for the history: "+33 6 12 34 56 78 (mobile; WhatsApp, SMS)"."""
    channels = [label for key, label in CHANNEL_LABELS.items() if getattr(phone, key)]
    details = phone.type + (f"; {', '.join(channels)}" if channels else "")
    return f"{format_phone(phone.e164, 'international', region)} ({details})"


def readable_email(email: Email) -> str:
    """An e-mail for the history: "ann@example.com (e-mail OK)"."""
    return f"{email.address} (e-mail OK)" if email.email_ok else email.address


def readable_address(address: Address) -> str:
    """An address for the history: "Home: 1 rue X, 75001 Paris, France (main)"."""
    text = address_one_line(address)
    if address.label:
        text = f"{address.label}: {text}"
    return f"{text} (main)" if address.is_main else text
