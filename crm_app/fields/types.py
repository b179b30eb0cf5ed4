"""Custom field types: parse what people type, check stored values, show them, convert between types.

Stored values are plain JSON: text -> str, number -> int, decimal -> str ("1234.5", exact), date -> ISO str,
email -> normalised str, phone -> E.164 str, url -> str, select -> choice id, multi_select -> list of choice ids,
checkbox -> bool. An empty input parses to None (checkbox: False) and is not stored.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import get_date_format
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from crm_app.core.emails import normalise_email
from crm_app.core.errors import ValidationError
from crm_app.core.phones import format_phone, parse_phone

TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 20000
URL_LIMIT = 2000
MAX_WHOLE_NUMBER = 2**53 - 1  # what a browser can hold exactly
MAX_INTEGER_DIGITS = 15
MAX_DECIMALS = 10
MAX_NUMBER_TEXT = 64  # longer input is not a number or a date, whatever it holds
MAX_CHOSEN = 200
DEFAULT_REGION = "FR"
_SPACES = " \u00a0\u202f\u2009"
_MINUS = "-\u2212"
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):(?!\d)")
_LABEL = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
_HOST_RE = re.compile(rf"^(?:localhost|(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9\-]+))$")
_DATE_PARTS_RE = re.compile(r"^(\d{1,4})\s*[./\-]\s*(\d{1,2})\s*[./\-]\s*(\d{1,4})$")
_TRUE = frozenset({"true", "yes", "y", "on", "1", "x", "checked"})
_FALSE = frozenset({"false", "no", "n", "off", "0", ""})


class CannotConvert(ValueError):
    """A stored value has no faithful form in the new field type."""


@dataclass(frozen=True)
class Choice:
    """One option of a single or multiple choice field; values store the stable ``id``, never the label."""

    id: str
    label: str
    active: bool = True


# ---------------------------------------------------------------- helpers


@cache
def babel_locale(locale: str | None) -> Locale:
    """The Babel locale for a code like "fr", "fr-FR" or "pl_PL"; English when unknown."""
    try:
        return Locale.parse((locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale("en")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why a text cannot be stored (unpaired surrogates, control characters), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "This text contains characters that cannot be stored."
    allowed = "\t\n\r" if multiline else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        return "Remove the invisible control characters from this text."
    return None


def is_empty(value: Any) -> bool:
    """Whether a value counts as "not filled in" (None, blank text, empty list)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def _as_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise ValidationError("Enter text here.")
    return str(raw)


def _check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise ValidationError(f"Keep this under {limit} characters (it has {len(text)}).")


@cache
def _number_patterns(locale: str) -> tuple[re.Pattern[str], str, str]:
    """A strict pattern for numbers written in ``locale``, its group symbol and its decimal symbol."""
    loc = babel_locale(locale)
    group, decimal = get_group_symbol(loc), get_decimal_symbol(loc)
    group_class = re.escape(_SPACES) if group in _SPACES else re.escape(group)
    sign = f"[+{re.escape(_MINUS)}]?"
    body = rf"(?:[0-9]{{1,3}}(?:[{group_class}][0-9]{{3}})+|[0-9]+)"
    pattern = re.compile(rf"^{sign}(?:{body}(?:{re.escape(decimal)}[0-9]*)?|{re.escape(decimal)}[0-9]+)$")
    return pattern, group, decimal


_PLAIN_NUMBER_RE = re.compile(r"^[+\-\u2212]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def parse_number_text(text: str, locale: str) -> Decimal | None:
    """A number written the way ``locale`` writes it ("1 234,5" in fr, "1,234.5" in en); None when it is not one.

    Plain "1234.5" is accepted in every locale that does not use "." to group thousands.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_TEXT:
        return None
    pattern, group, decimal = _number_patterns(locale)
    if pattern.match(text):
        groups = _SPACES if group in _SPACES else group
        cleaned = "".join(ch for ch in text if ch not in groups).replace(decimal, ".")
    elif group != "." and _PLAIN_NUMBER_RE.match(text):
        cleaned = text
    else:
        return None
    cleaned = cleaned.replace("\u2212", "-").lstrip("+")
    if cleaned.endswith("."):
        cleaned = cleaned[:-1]
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _number_example(locale: str) -> str:
    return format_decimal(Decimal("1234.5"), locale=babel_locale(locale), decimal_quantization=False)


def _decimal_text(value: Decimal) -> str:
    """The canonical stored form of a decimal: no exponent, no trailing zeros ("12.50" -> "12.5")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _check_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValidationError("Enter a number.")
    _sign, digits, exponent = value.normalize().as_tuple()
    decimals = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    if decimals > MAX_DECIMALS:
        raise ValidationError(f"Use at most {MAX_DECIMALS} decimals.")
    if integer_digits > MAX_INTEGER_DIGITS:
        raise ValidationError("This number is too large.")
    return value


def _date_order(locale: str) -> str:
    """The order of day, month and year in the locale's short date format, e.g. "mdy" for en, "dmy" for fr."""
    pattern = get_date_format("short", locale=babel_locale(locale)).pattern
    order = ""
    for letter in pattern:
        part = {"d": "d", "M": "m", "L": "m", "y": "y", "Y": "y"}.get(letter)
        if part and part not in order:
            order += part
    return order if sorted(order) == ["d", "m", "y"] else "dmy"


def _full_year(text: str) -> int | None:
    if len(text) == 4:
        return int(text)
    if len(text) == 2:
        this_year = date.today().year
        year = 2000 + int(text)
        return year - 100 if year > this_year + 20 else year
    return None


def parse_date_text(text: str, locale: str) -> date:
    """An ISO date ("2026-11-23") or one in the locale's short form ("11/23/26" en, "23/11/2026" fr)."""
    match = _DATE_PARTS_RE.match(text.strip()) if len(text) <= MAX_NUMBER_TEXT else None
    if not match:
        raise ValidationError("Use a date like 2026-11-23.")
    first, second, third = match.groups()
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    else:
        parts = dict(zip(_date_order(locale), (first, second, third), strict=True))
        year_value = _full_year(parts["y"])
        if year_value is None or len(parts["d"]) > 2 or len(parts["m"]) > 2:
            raise ValidationError("Use a date like 2026-11-23.")
        year, month, day = year_value, int(parts["m"]), int(parts["d"])
    if year < 1000:
        raise ValidationError("Use a date like 2026-11-23.")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValidationError("This date does not exist: check the day and the month.") from exc


def _clean_url(text: str) -> str:
    if not text:
        return ""
    _check_length(text, URL_LIMIT)
    if any(ch.isspace() for ch in text) or text_problem(text):
        raise ValidationError("A link cannot contain spaces or invisible characters.")
    scheme_match = _SCHEME_RE.match(text)
    if scheme_match is None:
        if "://" in text:
            raise ValidationError("Enter a full web address, like https://example.com.")
        text = "https://" + text
    elif scheme_match.group(1).lower() not in ("http", "https"):
        raise ValidationError("Only http and https links are allowed.")
    elif not text[scheme_match.end() :].startswith("//"):
        raise ValidationError("Enter a full web address, like https://example.com.")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise ValidationError("Enter a full web address, like https://example.com.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Only http and https links are allowed.")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower() if host else ""
    except UnicodeError as exc:
        raise ValidationError("Enter a full web address, like https://example.com.") from exc
    if not _HOST_RE.match(ascii_host) and not _is_ip(host):
        raise ValidationError("Enter a full web address, like https://example.com.")
    return parts.scheme.lower() + text[len(parts.scheme) :]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _choice_map(choices: Sequence[Choice]) -> dict[str, Choice]:
    return {choice.id: choice for choice in choices}


def _find_choice(raw: Any, choices: Sequence[Choice]) -> Choice:
    """The choice named by id or (case-insensitively) by label; inactive choices are refused."""
    text = _as_text(raw)
    by_id = _choice_map(choices)
    choice = by_id.get(text)
    if choice is None:
        folded = text.casefold()
        matches = [c for c in choices if c.label.strip().casefold() == folded]
        choice = next((c for c in matches if c.active), matches[0] if matches else None)
    if choice is None:
        raise ValidationError("Choose one of the options in the list.")
    if not choice.active:
        raise ValidationError(f"“{choice.label}” is no longer an option: choose another one.")
    return choice


# ---------------------------------------------------------------- the types


class FieldType:
    """One kind of custom field; subclasses say how to parse, check, show and convert values."""

    key: str = ""
    label: str = ""
    has_choices: bool = False

    def parse(
        self, raw: Any, locale: str = "en", *, region: str = DEFAULT_REGION, choices: Sequence[Choice] = ()
    ) -> Any:
        """The value to store for what was typed (None when empty); ValidationError says what is wrong."""
        raise NotImplementedError

    def validate(self, value: Any, *, region: str = DEFAULT_REGION, choices: Sequence[Choice] = ()) -> Any:
        """Check a value already in stored form (a default, an API value, a value met on conversion)."""
        if is_empty(value):
            return None
        stored = self.parse(value, "en", region=region, choices=[Choice(c.id, c.label, True) for c in choices])
        if stored != value:
            raise ValidationError("This value is not in its stored form.")
        return stored

    def format(
        self, value: Any, locale: str = "en", *, region: str = DEFAULT_REGION, choices: Sequence[Choice] = ()
    ) -> str:
        """The value as shown to people in ``locale`` ("" when empty)."""
        return "" if value is None else str(value)

    def input_value(self, value: Any, locale: str = "en", *, choices: Sequence[Choice] = ()) -> Any:
        """The value as the edit form shows it; parsing it again gives the stored value back."""
        return self.format(value, locale, choices=choices)

    def is_empty(self, value: Any) -> bool:
        """Whether the value counts as not filled in (a required field refuses it)."""
        return is_empty(value)

    def to_text(self, value: Any, choices: Sequence[Choice]) -> str:
        """A locale-free text form used when the field becomes a text field."""
        raise CannotConvert

    def convert_to(
        self,
        other: FieldType,
        value: Any,
        *,
        region: str = DEFAULT_REGION,
        choices: Sequence[Choice] = (),
        new_choices: Sequence[Choice] | None = None,
    ) -> Any:
        """The stored value for the same data in type ``other``; CannotConvert when it would lose something."""
        targets = choices if new_choices is None else new_choices
        return convert_value(value, self, other, region=region, choices=choices, new_choices=targets)

    def can_convert_to(
        self,
        other: FieldType,
        value: Any,
        *,
        region: str = DEFAULT_REGION,
        choices: Sequence[Choice] = (),
        new_choices: Sequence[Choice] | None = None,
    ) -> bool:
        """Whether ``value`` survives a change of this field to type ``other``."""
        try:
            self.convert_to(other, value, region=region, choices=choices, new_choices=new_choices)
        except CannotConvert:
            return False
        return True


class TextType(FieldType):
    """One line of text."""

    key, label = "text", "Text"
    limit = TEXT_LIMIT
    multiline = False

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        text = _as_text(raw)
        if self.multiline:
            text = text.replace("\r\n", "\n")
        _check_length(text, self.limit)
        problem = text_problem(text, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
        return text or None

    def to_text(self, value, choices):
        return value


class LongTextType(TextType):
    """Several lines of text."""

    key, label = "long_text", "Long text"
    limit = LONG_TEXT_LIMIT
    multiline = True


class NumberType(FieldType):
    """A whole number."""

    key, label = "number", "Whole number"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        if isinstance(raw, bool):
            raise ValidationError("Enter a whole number.")
        if isinstance(raw, int):
            number = Decimal(raw)
        elif isinstance(raw, float | Decimal):
            number = Decimal(str(raw))
        else:
            text = _as_text(raw)
            if not text:
                return None
            number = parse_number_text(text, locale)
            if number is None:
                raise ValidationError("Enter a whole number.")
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationError("Enter a whole number.")
        if abs(number) > MAX_WHOLE_NUMBER:
            raise ValidationError("This number is too large.")
        return int(number)

    def validate(self, value, *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Enter a whole number.")
        return self.parse(value)

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return ""
        try:
            return format_decimal(Decimal(value), locale=babel_locale(locale))
        except (InvalidOperation, TypeError, ValueError):
            return str(value)

    def to_text(self, value, choices):
        return str(value)


class DecimalType(FieldType):
    """A number with decimals, stored exactly as text ("1234.5")."""

    key, label = "decimal", "Decimal number"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        if isinstance(raw, bool):
            raise ValidationError(f"Enter a number, like {_number_example(locale)}.")
        if isinstance(raw, int | Decimal):
            number = Decimal(raw)
        elif isinstance(raw, float):
            number = Decimal(str(raw))
        else:
            text = _as_text(raw)
            if not text:
                return None
            number = parse_number_text(text, locale)
            if number is None:
                raise ValidationError(f"Enter a number, like {_number_example(locale)}.")
        return _decimal_text(_check_decimal(number))

    def validate(self, value, *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return None
        parsed = parse_number_text(value, "en") if isinstance(value, str) else None
        if parsed is None or _decimal_text(parsed) != value:
            raise ValidationError("Enter a number, like 1234.5.")
        return self.parse(value)

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return ""
        try:
            return format_decimal(Decimal(value), locale=babel_locale(locale), decimal_quantization=False)
        except (InvalidOperation, TypeError, ValueError):
            return str(value)

    def to_text(self, value, choices):
        return str(value)


class DateType(FieldType):
    """A calendar date, stored as ISO text."""

    key, label = "date", "Date"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        if isinstance(raw, date):
            return raw.isoformat()[:10]
        text = _as_text(raw)
        if not text:
            return None
        return parse_date_text(text, locale).isoformat()

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return ""
        try:
            return babel_format_date(date.fromisoformat(value), "medium", locale=babel_locale(locale))
        except (TypeError, ValueError):
            return str(value)

    def input_value(self, value, locale="en", *, choices=()):
        return "" if value is None else str(value)

    def to_text(self, value, choices):
        return str(value)


class EmailType(FieldType):
    """An e-mail address, normalised."""

    key, label = "email", "E-mail"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        text = _as_text(raw)
        if not text:
            return None
        return normalise_email(text)

    def to_text(self, value, choices):
        return str(value)


class PhoneType(FieldType):
    """A phone number, stored in E.164 form and read with the account's default region."""

    key, label = "phone", "Phone"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        text = _as_text(raw)
        if not text:
            return None
        return parse_phone(text, region).e164

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        return "" if value is None else format_phone(str(value), "international", region)

    def to_text(self, value, choices):
        return str(value)


class UrlType(FieldType):
    """A web link (http or https only; "example.com" becomes "https://example.com")."""

    key, label = "url", "Link (URL)"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        return _clean_url(_as_text(raw)) or None

    def to_text(self, value, choices):
        return str(value)


class SelectType(FieldType):
    """One choice from a list; the choice id is stored, so renaming a choice keeps the values."""

    key, label = "select", "Single choice"
    has_choices = True

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        if isinstance(raw, list | tuple):
            if len(raw) > 1:
                raise ValidationError("Choose only one option.")
            raw = raw[0] if raw else None
        if is_empty(raw):
            return None
        return _find_choice(raw, choices).id

    def validate(self, value, *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return None
        if not isinstance(value, str) or value not in _choice_map(choices):
            raise ValidationError("Choose one of the options in the list.")
        return value

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return ""
        choice = _choice_map(choices).get(value)
        return choice.label if choice else str(value)

    def input_value(self, value, locale="en", *, choices=()):
        return "" if value is None else value

    def to_text(self, value, choices):
        choice = _choice_map(choices).get(value)
        if choice is None:
            raise CannotConvert
        return choice.label


class MultiSelectType(FieldType):
    """Several choices from a list; the ids are stored in the list's order."""

    key, label = "multi_select", "Multiple choice"
    has_choices = True

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        if raw is None:
            return None
        items = list(raw) if isinstance(raw, list | tuple | set | frozenset) else [raw]
        if len(items) > MAX_CHOSEN:
            raise ValidationError("Choose fewer options.")
        picked: set[str] = set()
        for item in items:
            if is_empty(item):
                continue
            picked.add(_find_choice(item, choices).id)
        ordered = [choice.id for choice in choices if choice.id in picked]
        return ordered or None

    def validate(self, value, *, region=DEFAULT_REGION, choices=()):
        if value is None or value == []:
            return None
        known = _choice_map(choices)
        if not isinstance(value, list) or any(not isinstance(item, str) or item not in known for item in value):
            raise ValidationError("Choose options from the list.")
        if len(set(value)) != len(value):
            raise ValidationError("Choose each option only once.")
        return value

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        if not value:
            return ""
        by_id = _choice_map(choices)
        items = value if isinstance(value, list) else [value]
        return ", ".join(by_id[item].label if item in by_id else str(item) for item in items)

    def input_value(self, value, locale="en", *, choices=()):
        return list(value or [])

    def to_text(self, value, choices):
        by_id = _choice_map(choices)
        if any(item not in by_id for item in value):
            raise CannotConvert
        return ", ".join(by_id[item].label for item in value)


class CheckboxType(FieldType):
    """Yes or no; a required checkbox must be ticked."""

    key, label = "checkbox", "Checkbox"

    def parse(self, raw, locale="en", *, region=DEFAULT_REGION, choices=()):
        if isinstance(raw, bool):
            return raw
        if raw is None:
            return False
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        text = _as_text(raw).casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError("Tick the box or leave it empty.")

    def validate(self, value, *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return None
        if not isinstance(value, bool):
            raise ValidationError("Tick the box or leave it empty.")
        return value

    def is_empty(self, value):
        return value is not True

    def format(self, value, locale="en", *, region=DEFAULT_REGION, choices=()):
        if value is None:
            return ""
        return "Yes" if value else "No"

    def input_value(self, value, locale="en", *, choices=()):
        return bool(value)


FIELD_TYPES: dict[str, FieldType] = {
    cls.key: cls()
    for cls in (
        TextType,
        LongTextType,
        NumberType,
        DecimalType,
        DateType,
        EmailType,
        PhoneType,
        UrlType,
        SelectType,
        MultiSelectType,
        CheckboxType,
    )
}
TYPE_LABELS: dict[str, str] = {key: field_type.label for key, field_type in FIELD_TYPES.items()}
TEXT_TYPES = ("text", "long_text")


def get_type(key: str) -> FieldType:
    """The field type registered under ``key``; ValidationError for an unknown type."""
    field_type = FIELD_TYPES.get(key) if isinstance(key, str) else None
    if field_type is None:
        raise ValidationError("Choose a field type from the list.", field="type")
    return field_type


# ---------------------------------------------------------------- conversion


def _converted(parse: Any) -> Any:
    try:
        return parse()
    except ValidationError as exc:
        raise CannotConvert(exc.message) from exc


def convert_value(
    value: Any,
    source: FieldType,
    target: FieldType,
    *,
    region: str = DEFAULT_REGION,
    choices: Sequence[Choice] = (),
    new_choices: Sequence[Choice] = (),
) -> Any:
    """The stored value of ``source`` turned into ``target``'s stored form; CannotConvert when data would be lost.

    Allowed: text <-> long text (when it fits), anything except a checkbox -> text, text -> a typed value when
    the text reads as one, whole number <-> decimal (when whole), single <-> multiple choice (one option at most),
    text -> a choice whose label matches.
    """
    if value is None or (source.is_empty(value) and not isinstance(value, bool)):
        return None
    if source.key == target.key:
        return value
    if target.key in TEXT_TYPES:
        text = source.to_text(value, choices)
        return _converted(lambda: target.parse(text, "en", region=region))
    if source.key in TEXT_TYPES:
        if isinstance(target, CheckboxType):
            raise CannotConvert
        return _converted(lambda: target.parse(value, "en", region=region, choices=new_choices))
    if source.key == "number" and target.key == "decimal":
        return _converted(lambda: target.parse(value))
    if source.key == "decimal" and target.key == "number":
        return _converted(lambda: target.parse(Decimal(value)))
    if source.key == "select" and target.key == "multi_select":
        return [value]
    if source.key == "multi_select" and target.key == "select":
        if len(value) > 1:
            raise CannotConvert("More than one option is chosen.")
        return value[0] if value else None
    raise CannotConvert(f"A {source.label.lower()} cannot become a {target.label.lower()}.")


def choices_from_options(options: dict[str, Any] | None) -> list[Choice]:
    """The choices kept in a field's ``options`` JSON, in order."""
    raw = (options or {}).get("choices") or []
    return [
        Choice(id=str(item.get("id")), label=str(item.get("label", "")), active=bool(item.get("active", True)))
        for item in raw
        if isinstance(item, dict) and item.get("id")
    ]
