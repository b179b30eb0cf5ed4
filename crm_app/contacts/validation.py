"""Validating a contact's input before anything is written: every field checked, every error collected,
the result a ``ValidatedContact`` the writers (``service``, ``batch``) store as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.models import (
    AcquisitionChannel,
    Address,
    Contact,
    Email,
    Phone,
    PhoneType,
    Tag,
)
from crm_app.contacts.schemas import (
    BUILTIN_PHONE_TYPES,
    CHANNELS,
    ContactIn,
)
from crm_app.contacts.texts import (
    ADDRESS_FIELDS,
    ADDRESS_LIMITS,
    BUILTIN_PHONE_LABELS,
    COUNTRY_CODES,
    MEMO_LIMIT,
    NAME_LIMITS,
    TAG_NAME_LIMIT,
    display_name_for,
    parse_discount,
    sort_key,
    text_problem,
)
from crm_app.core.app_settings import AccountSettings
from crm_app.core.emails import email_key, normalise_email
from crm_app.core.errors import ValidationError
from crm_app.core.memo import memoized
from crm_app.core.phones import (
    ParsedPhone,
    dialling_region,
    format_phone,
    parse_phone,
)
from crm_app.fields.schemas import KINDS
from crm_app.fields.values import (
    builtin_required_errors,
    validate_custom_values,
)

# ---------------------------------------------------------------- validation


@dataclass
class ValidatedPhone:
    """A phone of validated contact input, as it is stored (``id``: the stored row it keeps, None when new)."""

    id: int | None
    raw: str
    e164: str
    national_digits: str
    type: str
    position: int
    whatsapp: bool
    viber: bool
    sms: bool


@dataclass
class ValidatedEmail:
    """An e-mail address of validated contact input, as it is stored (``id`` as for a phone)."""

    id: int | None
    address: str
    position: int
    email_ok: bool


@dataclass
class ValidatedAddress:
    """An address of validated contact input: its stored values (``id`` as for a phone)."""

    id: int | None
    values: dict[str, Any]


@dataclass
class ValidatedContact:
    """Contact input that passed validation, in the form it is written: scalar columns, child rows, tag names and
    custom values."""

    scalars: dict[str, Any]
    phones: list[ValidatedPhone] = field(default_factory=list)
    emails: list[ValidatedEmail] = field(default_factory=list)
    addresses: list[ValidatedAddress] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass
class ContactFile:
    """A stored contact with its phones, e-mails, addresses and tags (empty for a new contact)."""

    contact: Contact | None = None
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)


def _phone_type_names(session: Session) -> dict[str, str]:
    return memoized(session, "phone_type_names", lambda: _load_phone_type_names(session))


def _load_phone_type_names(session: Session) -> dict[str, str]:
    names = {key: key for key in BUILTIN_PHONE_TYPES}
    names.update({label.casefold(): key for key, label in BUILTIN_PHONE_LABELS.items()})
    for name in session.exec(select(PhoneType.name)).all():
        names.setdefault(name.casefold(), name)
    return names


def _check_text(errors: dict[str, str], key: str, value: str, limit: int, *, multiline: bool = False) -> None:
    if len(value) > limit:
        errors.setdefault(key, f"Keep this under {limit} characters (it has {len(value)}).")
        return
    problem = text_problem(value, multiline=multiline)
    if problem:
        errors.setdefault(key, problem)


def _validate_scalars(session: Session, data: ContactIn, existing: Contact | None, errors: dict[str, str]) -> dict:
    kind = (data.kind or "").strip().lower()
    if kind not in KINDS:
        errors["kind"] = "Choose person or organization."
    names = {key: (getattr(data, key) or "").strip() for key in NAME_LIMITS}
    for key, limit in NAME_LIMITS.items():
        _check_text(errors, key, names[key], limit)
    if kind == "person" and not (names["first_name"] or names["last_name"]):
        errors.setdefault("first_name", "Enter a first or last name.")
        errors.setdefault("last_name", "Enter a first or last name.")
    if kind == "organization" and not names["company_name"]:
        errors.setdefault("company_name", "Enter the company name.")
    memo = data.memo or ""
    _check_text(errors, "memo", memo, MEMO_LIMIT, multiline=True)
    discount = Decimal("0.00")
    try:
        discount = parse_discount(data.discount_percent)
    except ValidationError as exc:
        errors["discount_percent"] = exc.message
    channel_id = data.acquisition_channel_id
    if channel_id is not None and (existing is None or channel_id != existing.acquisition_channel_id):
        channel = session.get(AcquisitionChannel, channel_id)
        if channel is None:
            errors["acquisition_channel_id"] = "This acquisition channel does not exist."
        elif not channel.active:
            errors["acquisition_channel_id"] = "This acquisition channel is no longer in use."
    user_id = data.assigned_user_id
    if user_id is not None and (existing is None or user_id != existing.assigned_user_id):
        user = session.get(User, user_id)
        if user is None:
            errors["assigned_user_id"] = "This user does not exist."
        elif not user.active:
            errors["assigned_user_id"] = "This user is deactivated."
    display = display_name_for(kind, names["first_name"], names["last_name"], names["company_name"])
    return {
        "kind": kind,
        **names,
        "display_name": display,
        "sort_name": sort_key(display),
        "is_supplier": bool(data.is_supplier),
        "assigned_user_id": user_id,
        "acquisition_channel_id": channel_id,
        "discount_percent": discount,
        "memo": memo,
    }


def _written_forms(phone: Phone, region: str) -> set[str]:
    """The ways a form may show a stored number back (as typed, E.164, international, national)."""
    return {
        phone.raw,
        phone.e164,
        *(format_phone(phone.e164, style, region) for style in ("international", "national")),
    }


def _validate_phones(
    session: Session, data: ContactIn, old: list[Phone], settings: AccountSettings, errors: dict[str, str]
) -> list[ValidatedPhone]:
    types = _phone_type_names(session)
    main = next((a for a in data.addresses if a.is_main), data.addresses[0] if data.addresses else None)
    region = dialling_region(main.country if main is not None else "", settings.default_region)
    old_by_id = {phone.id: phone for phone in old}
    seen: set[str] = set()
    used_ids: set[int] = set()
    plans: list[ValidatedPhone] = []
    for index, item in enumerate(data.phones):
        raw = (item.number or "").strip()
        if not raw:
            continue
        key = f"phones.{index}.number"
        match = old_by_id.get(item.id) if item.id not in used_ids else None
        if match is not None and match.e164 and raw == match.raw:
            # A stored number sent back as it is keeps what it was saved as (not parsed again: an import checks
            # every stored phone of the contacts it updates, and a changed region must not move saved numbers).
            parsed = ParsedPhone(e164=match.e164, national_digits=match.national_digits)
        else:
            try:
                parsed = parse_phone(raw, dialling_region(item.region, region))
            except ValidationError as exc:
                errors[key] = exc.message
                continue
        if parsed.e164 in seen:
            errors[key] = "This number is already in the list."
            continue
        seen.add(parsed.e164)
        type_ = types.get((item.type or "mobile").strip().casefold())
        if type_ is None:
            errors[f"phones.{index}.type"] = "Choose Mobile, Work, Home or a phone type from the settings."
            continue
        if match is not None:
            used_ids.add(match.id)
            same_number = match.e164 == parsed.e164
            if same_number and raw != match.raw and raw in _written_forms(match, settings.default_region):
                raw = match.raw
        consents = {}
        for channel in CHANNELS:
            given = getattr(item, channel)
            if given is None:
                given = getattr(match, channel) if match is not None else settings.channel_defaults[channel]
            consents[channel] = bool(given)
        plans.append(
            ValidatedPhone(
                id=match.id if match is not None else None,
                raw=raw,
                e164=parsed.e164,
                national_digits=parsed.national_digits,
                type=type_,
                position=len(plans),
                **consents,
            )
        )
    return plans


def _validate_emails(
    data: ContactIn, old: list[Email], settings: AccountSettings, errors: dict[str, str]
) -> list[ValidatedEmail]:
    old_by_id = {email.id: email for email in old}
    seen: set[str] = set()
    used_ids: set[int] = set()
    plans: list[ValidatedEmail] = []
    for index, item in enumerate(data.emails):
        if not (item.address or "").strip():
            continue
        key = f"emails.{index}.address"
        match = old_by_id.get(item.id) if item.id not in used_ids else None
        if match is not None and item.address == match.address:
            address = match.address  # stored as it was normalised then
        else:
            try:
                address = normalise_email(item.address)
            except ValidationError as exc:
                errors[key] = exc.message
                continue
        if email_key(address) in seen:
            errors[key] = "This e-mail address is already in the list."
            continue
        seen.add(email_key(address))
        if match is not None:
            used_ids.add(match.id)
        email_ok = item.email_ok
        if email_ok is None:
            email_ok = match.email_ok if match is not None else settings.channel_defaults["email"]
        plans.append(
            ValidatedEmail(
                id=match.id if match is not None else None,
                address=address,
                position=len(plans),
                email_ok=bool(email_ok),
            )
        )
    return plans


def _validate_addresses(data: ContactIn, old: list[Address], errors: dict[str, str]) -> list[ValidatedAddress]:
    old_ids = {address.id for address in old}
    used_ids: set[int] = set()
    plans: list[ValidatedAddress] = []
    main_indexes: list[int] = []
    for index, item in enumerate(data.addresses):
        values = {name: (getattr(item, name) or "").strip() for name in ADDRESS_FIELDS}
        if not any(values.values()):
            continue
        for name, limit in ADDRESS_LIMITS.items():
            _check_text(errors, f"addresses.{index}.{name}", values[name], limit)
        values["country"] = values["country"].upper()
        if values["country"] and values["country"] not in COUNTRY_CODES:
            errors[f"addresses.{index}.country"] = "Use a two-letter ISO country code, such as FR or DE."
        if item.is_main:
            main_indexes.append(index)
        match_id = item.id if item.id in old_ids and item.id not in used_ids else None
        if match_id is not None:
            used_ids.add(match_id)
        values["is_main"] = bool(item.is_main)
        values["position"] = len(plans)
        plans.append(ValidatedAddress(id=match_id, values=values))
    for index in main_indexes[1:]:
        errors[f"addresses.{index}.is_main"] = "Only one address can be the main address."
    if plans and not main_indexes:
        plans[0].values["is_main"] = True
    return plans


def _validate_tags(data: ContactIn, errors: dict[str, str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(data.tags):
        name = (raw or "").strip()
        if not name:
            continue
        key = f"tags.{index}"
        if len(name) > TAG_NAME_LIMIT:
            errors[key] = f"A tag has at most {TAG_NAME_LIMIT} characters."
            continue
        problem = text_problem(name)
        if problem:
            errors[key] = problem
            continue
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _validate_form_fields(
    session: Session, data: ContactIn, old: ContactFile, plan: ValidatedContact, locale: str, errors: dict[str, str]
) -> dict[str, Any]:
    """Custom values and the required built-in parts of the contact type's form (set up in crm_app.fields)."""
    kind = plan.scalars["kind"]
    existing = dict(old.contact.custom or {}) if old.contact is not None else None
    if kind not in KINDS:
        return existing or {}
    custom, custom_errors = validate_custom_values(
        session, kind=kind, values=data.custom, locale=locale, existing=existing
    )
    filled = {
        "registration_no": bool(plan.scalars["registration_no"]),
        "memo": bool(plan.scalars["memo"].strip()),
        "acquisition_channel_id": plan.scalars["acquisition_channel_id"] is not None,
        "assigned_user_id": plan.scalars["assigned_user_id"] is not None,
        "phones": any((item.number or "").strip() for item in data.phones),
        "emails": any((item.address or "").strip() for item in data.emails),
        "addresses": bool(plan.addresses),
    }
    for key, message in {**builtin_required_errors(session, kind=kind, filled=filled), **custom_errors}.items():
        errors.setdefault(key, message)
    return custom


def validate_contact(
    session: Session, data: ContactIn, old: ContactFile, settings: AccountSettings, locale: str = "en"
) -> ValidatedContact:
    """``data`` checked against the stored contact ``old`` (empty for a new one); ValidationError lists every
    problem."""
    errors: dict[str, str] = {}
    plan = ValidatedContact(scalars=_validate_scalars(session, data, old.contact, errors))
    plan.phones = _validate_phones(session, data, old.phones, settings, errors)
    plan.emails = _validate_emails(data, old.emails, settings, errors)
    plan.addresses = _validate_addresses(data, old.addresses, errors)
    plan.tag_names = _validate_tags(data, errors)
    plan.custom = _validate_form_fields(session, data, old, plan, locale, errors)
    if errors:
        raise ValidationError("Some fields need your attention.", errors=errors)
    return plan
