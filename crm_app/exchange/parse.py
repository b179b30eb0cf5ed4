"""One spreadsheet row read through a column plan: what it says about a contact, its match keys, its problems.

Reading is forgiving where people are inconsistent (yes/oui/tak, dates as text, several numbers in a cell,
"Anna Kowalska" in one Name column) and strict where data would be lost (a phone Excel turned into
3.36E+10, an Excel error value, an unknown staff member): those rows get a problem naming the column.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from babel import Locale

from crm_app.contacts.schemas import CHANNELS, AddressIn
from crm_app.core.emails import email_key, normalise_email
from crm_app.core.errors import ValidationError
from crm_app.core.phones import dialling_region, parse_phone, region_of
from crm_app.core.text import fold
from crm_app.exchange.columns import (
    CUSTOM_PREFIX,
    EMAILS,
    IGNORE,
    PHONES,
    TAGS,
    ColumnPlan,
    CustomColumn,
    normalise_header,
    split_address_target,
)
from crm_app.exchange.files import cell_text, is_blank
from crm_app.fields.types import parse_date_text
from crm_app.i18n import LOCALES, _, translate

MAX_ITEMS_PER_CELL = 20
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#GETTING_DATA"})
YES = frozenset({"yes", "y", "true", "1", "x", "✓", "✔", "oui", "o", "vrai", "tak", "t", "prawda", "on", "ok"})
NO = frozenset({"no", "n", "false", "0", "non", "faux", "nie", "falsz", "off", "-"})
KIND_WORDS = {
    "person": ("person", "personne", "particulier", "individuel", "individual", "private", "osoba", "osoba fizyczna"),
    "organization": (
        "organisation",
        "organization",
        "company",
        "business",
        "entreprise",
        "societe",
        "professionnel",
        "firma",
        "organizacja",
        "przedsiebiorstwo",
    ),
}
EMAIL_CONSENT_WORDS = frozenset({"consent", "consentement", "zgoda", "email ok", "e mail ok", "opt in", "ok"})
LOST_DIGITS = _(
    "Excel stored this phone number as the number {digits} (shown as {shown}): its last digits are probably "
    "lost. Format the column as Text in the spreadsheet, type the number again and import again."
)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_ITEM_SPLIT = re.compile(r"[;,\n]")
_PHONE_ITEM = re.compile(r"\s*([^;,\n()]*?)\s*(?:\(([^)]*)\))?\s*(?:[;,\n]|$)")


@dataclass(frozen=True)
class Problem:
    """Why (part of) a row cannot be imported: the column header and a message (a msgid with values); a
    ``required`` problem (no usable type) rejects the row even when unusable values may be left out."""

    column: str
    message: str
    required: bool = False

    def as_dict(self) -> dict[str, str]:
        """JSON form, stored with the import."""
        return {"column": self.column, "message": self.message}


@dataclass
class PhoneCell:
    """One number found in a row, with what the row says about its type and consents."""

    raw: str
    e164: str
    column: int
    type: str | None
    consents: dict[str, bool]
    column_defaults: dict[str, bool]
    region: str = ""


@dataclass
class EmailCell:
    """One e-mail address found in a row."""

    address: str
    column: int
    consent: bool | None
    column_default: bool


@dataclass
class RowInput:
    """Everything a row provides (only the cells that hold something) and what went wrong reading it."""

    number: int
    cells: tuple[Any, ...]
    kind: str | None = None
    reference: str = ""
    scalars: dict[str, Any] = field(default_factory=dict)
    phones: list[PhoneCell] = field(default_factory=list)
    emails: list[EmailCell] = field(default_factory=list)
    addresses: dict[int, dict[str, str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    archived: bool | None = None
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)
    notices: list[Problem] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)

    @property
    def keys(self) -> dict[str, list[str]]:
        """Match keys by kind: reference, e-mail addresses (``email_key``) and E.164 numbers."""
        return {
            "reference": [self.reference.upper()] if self.reference else [],
            "email": [email_key(e.address) for e in self.emails],
            "phone": [p.e164 for p in self.phones],
        }

    def is_empty(self) -> bool:
        """Whether the row holds nothing a contact could be made of."""
        return not (self.scalars or self.phones or self.emails or self.addresses or self.tags or self.custom)


@dataclass
class ParseContext:
    """What reading rows needs, loaded once per import (no queries per row)."""

    headers: list[str]
    plans: list[ColumnPlan]
    region: str
    locale: str
    phone_types: dict[str, str]
    users: dict[str, int]
    channels: dict[str, int]
    custom: dict[str, CustomColumn]
    countries: dict[str, str]
    # What the user chose for values outside a closed list, by target: folded value -> value to read ("" = none).
    value_map: dict[str, dict[str, str]] = field(default_factory=dict)


CLOSED_TARGETS = frozenset(
    {"kind", "phone_type", "assigned", "channel", "is_supplier", "archived", "whatsapp", "viber", "sms", "email_ok"}
)
CLOSED_CUSTOM_TYPES = frozenset({"select", "multi_select", "checkbox"})


def is_closed(target: str, custom: dict[str, CustomColumn]) -> bool:
    """Whether a target takes its values from a closed list (types, channels, staff, yes/no, choices)."""
    if target in CLOSED_TARGETS:
        return True
    column = custom.get(target[len(CUSTOM_PREFIX) :]) if target.startswith(CUSTOM_PREFIX) else None
    return column is not None and column.type in CLOSED_CUSTOM_TYPES


def value_key(value: Any) -> str:
    """How a value of a closed list is compared: folded, trimmed."""
    return fold(cell_text(value)).strip()


def country_lookup() -> dict[str, str]:
    """Folded country names in English, French and Polish (and ISO codes) -> ISO code."""
    lookup: dict[str, str] = {}
    for locale in LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                lookup.setdefault(normalise_header(name), code)
                lookup.setdefault(code.lower(), code)
    lookup.update({"uk": "GB", "usa": "US", "england": "GB", "angleterre": "GB"})
    return lookup


def dialling_country(text: str, countries: dict[str, str]) -> str | None:
    """The ISO code a phone-country cell names: a country (name or code) or a calling code (+48, 0048, 48)."""
    code = countries.get(normalise_header(text))
    if code is not None:
        return code
    digits = text.strip().lstrip("+").lstrip("0") if text.strip()[:1] in "+0123456789" else ""
    if digits.isdigit() and len(digits) <= 3:
        region = phonenumbers.region_code_for_country_code(int(digits))
        return None if region in ("ZZ", "001") else region
    return None


def parse_yes_no(value: Any) -> bool | None:
    """True/False for yes/no in English, French or Polish (and 1/0, x, TRUE); None for blank; ValueError else."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = fold(str(value)).strip()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(text)


def _kind_lookup() -> dict[str, str]:
    lookup = {normalise_header(name): kind for kind, names in KIND_WORDS.items() for name in (kind, *names)}
    for locale in LOCALES:
        lookup.setdefault(normalise_header(translate(locale, "Person")), "person")
        lookup.setdefault(normalise_header(translate(locale, "Organisation")), "organization")
    return lookup


_KINDS = _kind_lookup()


def parse_kind(value: Any) -> str | None:
    """``person`` / ``organization`` for the words people use (and the app's labels); None for blank."""
    text = normalise_header(value)
    if not text:
        return None
    if text in _KINDS:
        return _KINDS[text]
    raise ValueError(text)


def _date_from_text(value: Any, locale: str) -> Any:
    """A date written as text: in the import's language first, else the one reading that makes sense
    (31/03/2024 can only be day first). Ambiguous or wrong text is left for validation to refuse."""
    if not isinstance(value, str):
        return value
    try:
        return parse_date_text(value, locale)
    except ValidationError:
        pass
    readings = set()
    for other in ("en", "fr"):
        with contextlib.suppress(ValidationError):
            readings.add(parse_date_text(value, other))
    return readings.pop() if len(readings) == 1 else value


def _text_cell(value: Any) -> str:
    return cell_text(value).strip()


def _phone_digits_from_number(value: int | float) -> str:
    """The digits of a phone Excel stored as a number; refused when the number shows digits were lost."""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(
                "Excel stored this phone number as a decimal number; format the column as Text and type it again."
            )
        value = int(value)
    digits = str(abs(value))
    if len(digits) >= 10 and digits.endswith("0000"):
        raise ValidationError(LOST_DIGITS.format(digits=digits, shown=f"{float(digits):.2E}"))
    return digits


def _from_elsewhere(e164: str, country: str) -> bool:
    """Whether a number is not from ``country`` (its calling code differs: a number read with another region)."""
    code = phonenumbers.country_code_for_region(country)
    return not code or not e164.startswith(f"+{code}")


def _parse_phone_text(text: str, region: str) -> tuple[str, str]:
    """(raw as written, e164); a number stored by Excel as digits may lack its + or its leading zero."""
    parsed = None
    try:
        parsed = parse_phone(text, region)
    except ValidationError as first:
        digits = text.strip()
        if digits.isdigit() and len(digits) >= 10:
            try:
                parsed = parse_phone("+" + digits, region)
                text = "+" + digits
            except ValidationError:
                raise first from None
        else:
            raise
    return text, parsed.e164


class _Reader:
    """Reads the cells of one row into a ``RowInput``."""

    def __init__(self, ctx: ParseContext, number: int, cells: tuple[Any, ...]):
        self.ctx = ctx
        self.row = RowInput(number=number, cells=cells)
        self.row_phone_type: str | None = None
        self.row_consents: dict[str, bool] = {}
        self.row_email_ok: bool | None = None
        self.phone_region = ""
        self.full_name = ""

    def header(self, index: int) -> str:
        header = self.ctx.headers[index] if index < len(self.ctx.headers) else ""
        return header or f"#{index + 1}"

    def problem(self, index: int, message: str, *, required: bool = False, unknown: str = "") -> None:
        """A problem of the cell; ``unknown``: the value is outside the target's closed list (listed for mapping)."""
        self.row.problems.append(Problem(column=self.header(index), message=message, required=required))
        if unknown:
            self.row.unknown.append((index, unknown[:80]))

    def mapped(self, target: str, value: Any) -> Any:
        """The value the user chose for ``value`` of a closed list ("" for none), else ``value`` itself."""
        mapping = self.ctx.value_map.get(target)
        if not mapping:
            return value
        column = self.ctx.custom.get(target[len(CUSTOM_PREFIX) :]) if target.startswith(CUSTOM_PREFIX) else None
        if column is not None and column.type == "multi_select":
            parts = [part.strip() for part in re.split(r"[;,\n]", cell_text(value)) if part.strip()]
            return "; ".join(p for p in (mapping.get(value_key(part), part) for part in parts) if p)
        return mapping.get(value_key(value), value)

    def read(self) -> RowInput:
        plans = self.ctx.plans
        deferred: list[tuple[int, ColumnPlan, Any]] = []
        for index, value in enumerate(self.row.cells):
            if index >= len(plans) or plans[index].target == IGNORE or is_blank(value):
                continue
            plan = plans[index]
            if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
                self.problem(index, f"The cell holds the Excel error {value.strip()}, not a value.")
                continue
            if isinstance(value, str) and len(value) > 32_767:
                self.problem(index, "This cell is longer than a spreadsheet cell can be.")
                continue
            if plan.target in (PHONES, EMAILS):
                deferred.append((index, plan, value))
                continue
            value = self.mapped(plan.target, value)
            if is_blank(value):
                continue
            self.cell(index, plan, value)
        for index, plan, value in deferred:
            if plan.target == PHONES:
                self.phones(index, plan, value)
            else:
                self.emails(index, plan, value)
        self.finish_name()
        return self.row

    def cell(self, index: int, plan: ColumnPlan, value: Any) -> None:
        target = plan.target
        row = self.row
        row.columns.setdefault(target, index)
        if target == "kind":
            try:
                row.kind = parse_kind(value)
            except ValueError:
                self.problem(index, "Write Person or Organisation.", required=True, unknown=_text_cell(value))
        elif target == "reference":
            row.reference = _text_cell(value)[:40]
        elif target in ("first_name", "last_name", "company_name", "registration_no"):
            row.scalars[target] = _text_cell(value)
        elif target == "name":
            self.full_name = _text_cell(value)
        elif target == "memo":
            row.scalars["memo"] = cell_text(value).replace("\r\n", "\n")
        elif target in ("is_supplier", "archived", "whatsapp", "viber", "sms", "email_ok"):
            self.flag(index, target, value)
        elif target == "phone_type":
            found = self.ctx.phone_types.get(fold(_text_cell(value)))
            if found is None:
                self.problem(
                    index,
                    "Unknown phone type: use Mobile, Work, Home or a type from the settings.",
                    unknown=_text_cell(value),
                )
            else:
                self.row_phone_type = found
        elif target == "phone_country":
            code = dialling_country(_text_cell(value), self.ctx.countries)
            if code is None or code not in phonenumbers.SUPPORTED_REGIONS:
                self.problem(index, f"Unknown phone country “{_text_cell(value)[:60]}”: write a country or +48.")
            else:
                self.phone_region = code
        elif target == "assigned":
            user_id = self.ctx.users.get(fold(_text_cell(value)))
            if user_id is None:
                self.problem(
                    index, f"No active staff member is called “{_text_cell(value)[:80]}”.", unknown=_text_cell(value)
                )
            else:
                row.scalars["assigned_user_id"] = user_id
        elif target == "channel":
            channel_id = self.ctx.channels.get(fold(_text_cell(value)))
            if channel_id is None:
                self.problem(
                    index,
                    f"Unknown acquisition channel “{_text_cell(value)[:80]}”: add it in Settings → "
                    "Marketing campaigns first.",
                    unknown=_text_cell(value),
                )
            else:
                row.scalars["acquisition_channel_id"] = channel_id
        elif target == "discount":
            row.scalars["discount_percent"] = self.discount(value)
        elif target == TAGS:
            row.tags.extend(self.split_tags(cell_text(value)))
        elif target.startswith(CUSTOM_PREFIX):
            self.custom(index, target[len(CUSTOM_PREFIX) :], value)
        else:
            address = split_address_target(target)
            if address is not None:
                self.address(index, address, value)

    def flag(self, index: int, target: str, value: Any) -> None:
        try:
            flag = parse_yes_no(value)
        except ValueError:
            self.problem(index, "Write yes or no.", unknown=_text_cell(value))
            return
        if flag is None:
            return
        if target == "is_supplier":
            self.row.scalars["is_supplier"] = flag
        elif target == "archived":
            self.row.archived = flag
        elif target == "email_ok":
            self.row_email_ok = flag
        else:
            self.row_consents[target] = flag

    @staticmethod
    def discount(value: Any) -> str:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return format(Decimal(str(value)), "f")
        return _text_cell(value).rstrip("%").strip()

    @staticmethod
    def split_tags(text: str) -> list[str]:
        parts = re.split(r"[;\n]", text) if (";" in text or "\n" in text) else text.split(",")
        return [part.strip() for part in parts if part.strip()][:MAX_ITEMS_PER_CELL]

    def custom(self, index: int, key: str, value: Any) -> None:
        column = self.ctx.custom.get(key)
        if column is None:
            return
        if column.type == "checkbox":
            try:
                flag = parse_yes_no(value)
            except ValueError:
                self.problem(index, "Write yes or no.", unknown=_text_cell(value))
                return
            if flag is not None:
                self.row.custom[key] = flag
        elif column.type == "multi_select":
            text = cell_text(value)
            self.row.custom[key] = [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()]
            self.unknown_choices(index, column, self.row.custom[key])
        elif column.type == "date":
            self.row.custom[key] = (
                value.date() if isinstance(value, datetime) else _date_from_text(value, self.ctx.locale)
            )
        elif column.type in ("number", "decimal"):
            self.row.custom[key] = value if isinstance(value, int | float) else _text_cell(value)
        elif column.type == "long_text":
            self.row.custom[key] = cell_text(value).replace("\r\n", "\n")
        elif isinstance(value, date | datetime):
            self.row.custom[key] = cell_text(value)
        else:
            self.row.custom[key] = _text_cell(value)
            if column.type == "select":
                self.unknown_choices(index, column, [self.row.custom[key]])
        self.row.columns.setdefault(f"custom.{key}", index)

    def unknown_choices(self, index: int, column: CustomColumn, values: list[str]) -> None:
        """List the values that are none of the field's options (validation says why it refuses them)."""
        known = {value_key(choice) for choice in column.choices}
        self.row.unknown += [(index, value[:80]) for value in values if value_key(value) not in known]

    def address(self, index: int, address: tuple[int, str], value: Any) -> None:
        group, part = address
        text = _text_cell(value)
        if part == "country":
            code = self.ctx.countries.get(normalise_header(text))
            if code is None:
                self.problem(index, f"Unknown country “{text[:60]}”: write its name or its two-letter code (FR, PL).")
                return
            text = code
        self.row.addresses.setdefault(group, {})[part] = text
        self.row.columns.setdefault(f"address{group}", index)

    def address_country(self) -> str:
        """The country of the row's main address (its first address group that names one)."""
        return next((parts["country"] for _g, parts in sorted(self.row.addresses.items()) if parts.get("country")), "")

    def phones(self, index: int, plan: ColumnPlan, value: Any) -> None:
        country = self.address_country()
        region = self.phone_region or dialling_region(country, self.ctx.region)
        defaults = {"whatsapp": plan.whatsapp, "viber": plan.viber, "sms": plan.sms}
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                items = [(_phone_digits_from_number(value), "")]
            except ValidationError as exc:
                self.problem(index, exc.message)
                return
        else:
            text = cell_text(value).strip()
            if _SCIENTIFIC.match(text):
                self.problem(
                    index,
                    f"“{text}” is a phone number in scientific notation: its last digits are lost. "
                    "Format the column as Text in the spreadsheet, type the numbers again and import again.",
                )
                return
            items = [(m.group(1), m.group(2) or "") for m in _PHONE_ITEM.finditer(text) if m.group(1) or m.group(2)]
        for raw, notes in items[:MAX_ITEMS_PER_CELL]:
            if not raw.strip():
                continue
            try:
                raw, e164 = _parse_phone_text(raw.strip(), region)
            except ValidationError as exc:
                self.problem(index, f"{raw.strip()[:40]}: {exc.message}")
                continue
            type_, consents = self.phone_notes(index, notes)
            if any(p.e164 == e164 for p in self.row.phones):
                continue
            if country and _from_elsewhere(e164, country):
                number_country = region_of(e164)
                self.row.notices.append(
                    Problem(
                        column=self.header(index),
                        message=f"{raw[:40]}: this number is from {number_country}, the address is in {country}.",
                    )
                )
            self.row.phones.append(
                PhoneCell(
                    raw=raw,
                    e164=e164,
                    column=index,
                    type=type_ or self.row_phone_type,
                    consents=consents if notes else dict(self.row_consents),
                    column_defaults={**defaults, "type": plan.phone_type},
                    region=region,
                )
            )

    def phone_notes(self, index: int, notes: str) -> tuple[str | None, dict[str, bool]]:
        if not notes.strip():
            return None, {}
        type_: str | None = None
        consents = dict.fromkeys(CHANNELS, False)
        for word in (w.strip() for w in notes.split(",")):
            folded = fold(word)
            if not folded:
                continue
            if folded in CHANNELS:
                consents[folded] = True
            elif folded in self.ctx.phone_types:
                type_ = self.ctx.phone_types[folded]
            else:
                self.problem(index, f"“{word[:40]}” is neither a phone type nor WhatsApp, Viber or SMS.")
        return type_, consents

    def emails(self, index: int, plan: ColumnPlan, value: Any) -> None:
        text = cell_text(value)
        for match in _PHONE_ITEM.finditer(text):
            raw, notes = (match.group(1) or "").strip(), (match.group(2) or "").strip()
            if not raw:
                continue
            for part in raw.split():
                try:
                    address = normalise_email(part)
                except ValidationError as exc:
                    self.problem(index, f"{part[:60]}: {exc.message}")
                    continue
                if any(email_key(e.address) == email_key(address) for e in self.row.emails):
                    continue
                consent = True if normalise_header(notes) in EMAIL_CONSENT_WORDS else self.row_email_ok
                self.row.emails.append(
                    EmailCell(address=address, column=index, consent=consent, column_default=plan.email_ok)
                )

    def finish_name(self) -> None:
        row = self.row
        if not self.full_name:
            return
        if row.kind == "organization":
            row.scalars.setdefault("company_name", self.full_name)
            row.columns.setdefault("company_name", row.columns.get("name", 0))
            return
        if "first_name" in row.scalars or "last_name" in row.scalars:
            return
        if "," in self.full_name:
            last, _, first = self.full_name.partition(",")
        else:
            first, _, last = self.full_name.rpartition(" ")
        row.scalars["first_name"], row.scalars["last_name"] = first.strip(), last.strip()
        row.columns.setdefault("first_name", row.columns.get("name", 0))
        row.columns.setdefault("last_name", row.columns.get("name", 0))


def read_row(ctx: ParseContext, number: int, cells: tuple[Any, ...]) -> RowInput:
    """Read one data row through the column plan."""
    row = _Reader(ctx, number, cells).read()
    if row.kind is None:
        has_person = bool(row.scalars.get("first_name") or row.scalars.get("last_name"))
        row.kind = "organization" if row.scalars.get("company_name") and not has_person else "person"
    elif row.kind == "organization":
        _names_to_memo(ctx, row)
    return row


def _names_to_memo(ctx: ParseContext, row: RowInput) -> None:
    """An organisation has no first or last name: the row's names go into its notes as the contact person."""
    first, last = row.scalars.pop("first_name", ""), row.scalars.pop("last_name", "")
    person = " ".join(part for part in (first, last) if part)
    if not person:
        return
    line = translate(ctx.locale, "Contact person: {name}", name=person)
    memo = row.scalars.get("memo", "")
    row.scalars["memo"] = f"{memo}\n{line}" if memo else line
    index = row.columns.get("first_name", row.columns.get("last_name", 0))
    header = ctx.headers[index] if index < len(ctx.headers) else ""
    row.notices.append(
        Problem(column=header, message=f"{person}: an organisation has no first or last name; kept in its notes.")
    )


def address_inputs(row: RowInput) -> list[AddressIn]:
    """The row's addresses in group order; the first group is the main address."""
    result = []
    for group in sorted(row.addresses):
        parts = row.addresses[group]
        result.append(AddressIn(is_main=not result, **{key: parts.get(key, "") for key in parts}))
    return result


# ---------------------------------------------------------------- rows kept between the dry run and the run

# Bump when reading rows changes: rows kept by an older version are then read again.
ROW_FORMAT = 3
_MISSING = object()


def context_fingerprint(ctx: ParseContext) -> str:
    """A digest of everything reading a row depends on: rows read under another one must be read again."""
    payload = json.dumps([ROW_FORMAT, dataclasses.asdict(ctx)], sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """A value in JSON form (dates and times tagged); ``_MISSING`` for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, list):
        items = [_plain(item) for item in value]
        return _MISSING if any(item is _MISSING for item in items) else items
    return _MISSING


def _unplain(value: Any) -> Any:
    if isinstance(value, list):
        return [_unplain(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$time" in value:
        return time.fromisoformat(value["$time"])
    days, seconds, micro = value["$timedelta"]
    return timedelta(days=days, seconds=seconds, microseconds=micro)


def row_data(row: RowInput) -> list[Any] | None:
    """What reading a row found, in JSON form without its cells (``row_from_data`` rebuilds it); None when a
    value has no JSON form (the row is then read again from its cells)."""
    values = {key: _plain(value) for key, value in row.scalars.items()}
    custom = {key: _plain(value) for key, value in row.custom.items()}
    if _MISSING in values.values() or _MISSING in custom.values():
        return None
    return [
        row.kind,
        row.reference,
        values,
        [[p.raw, p.e164, p.column, p.type, p.consents, p.column_defaults, p.region] for p in row.phones],
        [[e.address, e.column, e.consent, e.column_default] for e in row.emails],
        [[group, parts] for group, parts in row.addresses.items()],
        row.tags,
        custom,
        row.archived,
        [[p.column, p.message, p.required] for p in row.problems],
        row.columns,
        [[p.column, p.message] for p in row.notices],
        [list(item) for item in row.unknown],
    ]


def row_from_data(number: int, cells: tuple[Any, ...], data: list[Any]) -> RowInput:
    """The row ``row_data`` described, with its cells."""
    kind, reference, values, phones, emails, addresses, tags, custom, archived, problems, columns, notices, unknown = (
        data
    )
    return RowInput(
        number=number,
        cells=cells,
        kind=kind,
        reference=reference,
        scalars={key: _unplain(value) for key, value in values.items()},
        phones=[
            PhoneCell(raw, e164, column, type_, consents, defaults, region)
            for raw, e164, column, type_, consents, defaults, region in phones
        ],
        emails=[EmailCell(address, column, consent, default) for address, column, consent, default in emails],
        addresses={int(group): parts for group, parts in addresses},
        tags=tags,
        custom={key: _unplain(value) for key, value in custom.items()},
        archived=archived,
        problems=[Problem(column=column, message=message, required=required) for column, message, required in problems],
        columns=columns,
        notices=[Problem(column=column, message=message) for column, message in notices],
        unknown=[(index, text) for index, text in unknown],
    )
