"""The contact file editor: what the user is typing lives here until Save."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime
from typing import Any

import reflex as rx

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission
from crm_app.contacts import lists as contact_lists
from crm_app.contacts import service as contacts
from crm_app.contacts import tags as tag_service
from crm_app.contacts.conversion import hidden_by_conversion
from crm_app.contacts.merge import changed_fields, three_way_merge
from crm_app.contacts.schemas import (
    BUILTIN_PHONE_TYPES,
    AddressIn,
    ContactIn,
    ContactRead,
    EmailIn,
    PhoneIn,
)
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import ConflictError, DomainError, NotFoundError, ValidationError
from crm_app.core.phones import dialling_region, parse_phone, phone_links
from crm_app.db import session_scope
from crm_app.fields import definitions as field_definitions
from crm_app.fields.types import get_type, is_empty
from crm_app.i18n import _
from crm_app.ui.state.live import Viewer, show_presence, watch_forms
from crm_app.ui.state.session import SessionState, requires

# What the form holds is capped only to keep the state bounded; the real limits are checked on save,
# so an over-long paste gets a clear message instead of being cut silently.
MAX_INPUT = 50_000
TEXT_FIELDS = {
    "first_name": MAX_INPUT,
    "last_name": MAX_INPUT,
    "company_name": MAX_INPUT,
    "registration_no": MAX_INPUT,
    "discount_percent": 100,
    "memo": MAX_INPUT,
    "assigned_user_id": 20,
    "acquisition_channel_id": 20,
}
PHONE_KEYS = {"number", "type", "whatsapp", "viber", "sms"}
EMAIL_KEYS = {"address", "email_ok"}
ADDRESS_KEYS = {"label", "line1", "line2", "postcode", "city", "region", "country"}
MAX_ROWS = 50
# A value pushed into the form this recently may not have reached the user's screen before they typed over it.
UNSEEN_S = 2.0
DRAFT_KEY = "crm_contact_draft"


@dataclasses.dataclass
class PhoneForm:
    """A phone row of the form."""

    id: int = 0
    number: str = ""
    type: str = "mobile"
    whatsapp: bool = False
    viber: bool = False
    sms: bool = False
    tel_link: str = ""
    whatsapp_link: str = ""
    viber_link: str = ""
    sms_link: str = ""


@dataclasses.dataclass
class EmailForm:
    """An e-mail row of the form."""

    id: int = 0
    address: str = ""
    email_ok: bool = False


@dataclasses.dataclass
class AddressForm:
    """An address block of the form."""

    id: int = 0
    label: str = ""
    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    is_main: bool = False
    map_url: str = ""


@dataclasses.dataclass
class Option:
    """A choice of a select box."""

    value: str
    label: str


@dataclasses.dataclass
class FormItem:
    """One part of the contact's form, built-in (phones, memo...) or custom, where the manager put it."""

    key: str
    builtin: bool
    label: str
    type: str
    help: str
    required: bool
    choices: list[Option]
    wide: bool = False
    sub: bool = False


@dataclasses.dataclass
class FormCard:
    """A card of the form: a section's heading and its parts, or one list (phones...) or a run of fields."""

    title: str
    parts: list[FormItem]


# The built-in parts as the contact file names them while the manager kept the default label.
BUILTIN_FORM_LABELS = {
    "phones": _("Phones"),
    "emails": _("E-mails"),
    "addresses": _("Addresses"),
    "registration_no": _("Registration number (company ID / VAT)"),
    "is_supplier": _("Supplier"),
    "acquisition_channel_id": _("How did they find us?"),
    "discount_percent": _("Personal discount (%)"),
    "assigned_user_id": _("Assigned to"),
    "memo": _("Memo"),
}
# Built-in parts that take a card of their own above the first section heading.
STANDALONE_PARTS = ("phones", "emails", "addresses", "memo")
WIDE_CUSTOM_TYPES = ("long_text", "multi_select")


@dataclasses.dataclass
class ConflictRow:
    """A field both I and someone else changed: the three values and my choice."""

    field: str
    label: str
    base: str
    mine: str
    theirs: str
    choice: str = "mine"


FIELD_LABELS = {
    "kind": "Type",
    "first_name": "First name",
    "last_name": "Last name",
    "company_name": "Company name",
    "registration_no": "Registration number (company ID / VAT)",
    "is_supplier": "Supplier",
    "assigned_user_id": "Assigned to",
    "acquisition_channel_id": "How did they find us?",
    "discount_percent": "Personal discount (%)",
    "memo": "Memo",
    "phones": "Phones",
    "emails": "E-mails",
    "addresses": "Addresses",
    "tags": "Tags",
}


def form_values(c: ContactRead) -> dict[str, Any]:
    """The editable part of a stored contact, shaped like the form (for comparing and merging)."""
    return {
        "kind": c.kind,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "company_name": c.company_name,
        "registration_no": c.registration_no,
        "is_supplier": c.is_supplier,
        "assigned_user_id": str(c.assigned_user_id or ""),
        "acquisition_channel_id": str(c.acquisition_channel_id or ""),
        "discount_percent": c.discount_percent,
        "memo": c.memo,
        "phones": [
            dataclasses.asdict(
                PhoneForm(
                    id=p.id,
                    number=p.display,
                    type=p.type,
                    whatsapp=p.whatsapp,
                    viber=p.viber,
                    sms=p.sms,
                    tel_link=p.tel_link,
                    whatsapp_link=p.whatsapp_link,
                    viber_link=p.viber_link,
                    sms_link=p.sms_link,
                )
            )
            for p in c.phones
        ],
        "emails": [dataclasses.asdict(EmailForm(id=e.id, address=e.address, email_ok=e.email_ok)) for e in c.emails],
        "addresses": [
            dataclasses.asdict(
                AddressForm(
                    id=a.id,
                    label=a.label,
                    line1=a.line1,
                    line2=a.line2,
                    postcode=a.postcode,
                    city=a.city,
                    region=a.region,
                    country=a.country,
                    is_main=a.is_main,
                    map_url=a.map_url,
                )
            )
            for a in c.addresses
        ],
        "tags": [t.name for t in c.tags],
    }


def _fmt(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def _as_bool(value: Any) -> bool:
    return value is True or value in ("on", "true", 1, "1")


def _index(value: Any, size: int) -> int | None:
    try:
        i = int(value)
    except (TypeError, ValueError):
        return None
    return i if 0 <= i < size else None


class ContactEditState(SessionState):
    """One contact file, new or existing."""

    contact_id: int = 0
    version: int = 0
    not_found: bool = False
    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    registration_no: str = ""
    is_supplier: bool = False
    assigned_user_id: str = ""
    acquisition_channel_id: str = ""
    discount_percent: str = "0"
    memo: str = ""
    phones: list[PhoneForm] = []
    emails: list[EmailForm] = []
    addresses: list[AddressForm] = []
    tags: list[str] = []
    tag_input: str = ""
    tag_suggestions: list[str] = []
    conflict_tag: str = "Conflict"
    tag_colors: dict[str, str] = {}

    display_name: str = ""
    reference: str = ""
    archived: bool = False
    created_label: str = ""
    updated_label: str = ""

    phone_types: list[Option] = []
    channels: list[Option] = []
    users: list[Option] = []

    errors: dict[str, str] = {}
    form_error: str = ""
    dirty: bool = False
    saving: bool = False
    confirm_delete: bool = False
    show_details: bool = False
    confirm_discard: bool = False
    convert_hidden: list[str] = []
    confirm_convert: bool = False

    form_cards: list[FormCard] = []
    custom_text: dict[str, str] = {}
    custom_multi: dict[str, list[str]] = {}
    custom_check: dict[str, bool] = {}
    hidden_custom: list[str] = []
    kept_aside: list[str] = []
    form_notice: str = ""

    draft: str = rx.LocalStorage("", name=DRAFT_KEY)

    remote_notes: dict[str, str] = {}
    remote_banner: str = ""
    remote_deleted: bool = False
    conflicts: list[ConflictRow] = []
    show_conflicts: bool = False

    _just_created: int = 0
    _region: str = "FR"
    _custom_types: dict[str, str] = {}
    _custom_defaults: dict[str, Any] = {}
    _form_layout: list[dict[str, Any]] = []
    _held_choices: dict[str, list[str]] = {}
    _aside: dict[str, dict[str, Any]] = {}
    _form_kind: str = ""
    _base: dict[str, Any] = {}
    _pending: dict[str, Any] = {}
    _theirs_version: int = 0
    _theirs_values: dict[str, Any] = {}
    _unseen: dict[str, Any] = {}
    _unseen_from: int = 0
    _unseen_to: int = 0
    _unseen_at: float = 0.0
    _announced_editing: bool = False

    @rx.var
    def is_new(self) -> bool:
        """Whether this is a contact being created."""
        return self.contact_id == 0

    @rx.var
    def assigned_name(self) -> str:
        """Who the contact is assigned to, for the identity panel."""
        return (
            next((u.label for u in self.users if u.value == self.assigned_user_id), "") if self.assigned_user_id else ""
        )

    @rx.var
    def is_conflict(self) -> bool:
        """Whether the Conflict tag is on."""
        return self.conflict_tag in self.tags

    @rx.var
    def quick_call(self) -> str:
        """The first phone's tel: link (the header's Call)."""
        return next((p.tel_link for p in self.phones if p.tel_link), "")

    @rx.var
    def quick_message(self) -> str:
        """A message link on the first channel the contact agreed to: SMS, then WhatsApp, then Viber."""
        for phone in self.phones:
            for link in (phone.sms_link, phone.whatsapp_link, phone.viber_link):
                if link:
                    return link
        return ""

    @rx.var
    def quick_directions(self) -> str:
        """The main address on a map (the header's Directions)."""
        main = next((a for a in self.addresses if a.is_main and a.map_url), None)
        return main.map_url if main else next((a.map_url for a in self.addresses if a.map_url), "")

    @rx.var
    def initials(self) -> str:
        """The avatar's letters: a person's first and last name, an organisation's first two words."""
        name = contacts.display_name_for(self.kind, self.first_name, self.last_name, self.company_name)
        return contacts.initials_for(name)

    @rx.var
    def title(self) -> str:
        """The heading of the page."""
        if self.contact_id:
            return self.display_name
        return self._t("New person") if self.kind == "person" else self._t("New organisation")

    # ---- loading -------------------------------------------------------------------------

    def _load_options(self, db) -> None:
        custom = contact_lists.list_phone_types(db)
        self.phone_types = [Option(value=k, label=self._t(k.capitalize())) for k in BUILTIN_PHONE_TYPES] + [
            Option(value=p.name, label=p.name) for p in custom
        ]
        self.channels = [Option(value=str(c.id), label=c.name) for c in contact_lists.list_channels(db)]
        self.users = [Option(value=str(u.id), label=u.name or u.email) for u in auth_service.list_users(db) if u.active]
        self.tag_colors = {tag.name: tag.color for tag in tag_service.list_tags(db)}
        self._region = get_settings(db).default_region
        system_tags = contacts.ensure_system_tags(db)
        if "conflict" in system_tags:
            self.conflict_tag = system_tags["conflict"].name

    def _fill(self, c: ContactRead) -> None:
        self.contact_id = c.id
        self.version = c.version
        self._held_choices = {
            key: [str(v) for v in (value if isinstance(value, list) else [value])]
            for key, value in (c.custom or {}).items()
            if value is not None
        }
        if self._form_kind != c.kind:
            with session_scope() as db:
                self._load_form(db, c.kind)
        self._build_cards()
        self.custom_text, self.custom_multi, self.custom_check = {}, {}, {}
        self._apply(self._form_values(c))
        self.hidden_custom = list(c.hidden_custom)
        self._aside = {}
        self.kept_aside = []
        self.form_notice = ""
        self.display_name = c.display_name
        self.reference = c.reference
        self.archived = c.archived
        self.created_label = f"{_fmt(c.created_at)} · {c.created_by_name}".strip(" ·")
        self.updated_label = f"{_fmt(c.updated_at)} · {c.updated_by_name}".strip(" ·")
        self._base = self._fields()
        self.remote_notes = {}
        self.remote_banner = ""
        self.remote_deleted = False
        self.conflicts = []
        self.show_conflicts = False
        self.errors = {}
        self.form_error = ""
        self.dirty = False
        self.draft = ""
        self._close_confirmations()

    def _blank(self, kind: str) -> None:
        self.contact_id = 0
        self.version = 0
        self.kind = kind if kind in ("person", "organization") else "person"
        for name in (
            "first_name",
            "last_name",
            "company_name",
            "registration_no",
            "assigned_user_id",
            "acquisition_channel_id",
            "memo",
            "display_name",
            "reference",
            "created_label",
            "updated_label",
            "tag_input",
            "form_error",
        ):
            setattr(self, name, "")
        self.discount_percent = "0"
        self.is_supplier = False
        self.archived = False
        self._held_choices = {}
        with session_scope() as db:
            defaults = get_settings(db).channel_defaults
            self._load_form(db, self.kind)
        self.custom_text, self.custom_multi, self.custom_check = {}, {}, {}
        self._apply_defaults()
        self.hidden_custom = []
        self._aside = {}
        self.kept_aside = []
        self.form_notice = ""
        self.phones = [
            PhoneForm(
                whatsapp=defaults.get("whatsapp", False),
                viber=defaults.get("viber", False),
                sms=defaults.get("sms", False),
            )
        ]
        self.emails = []
        self.addresses = []
        self.tags = []
        self.tag_suggestions = []
        self.errors = {}
        self.dirty = False
        self._close_confirmations()

    def _close_confirmations(self) -> None:
        self.confirm_delete = False
        self.confirm_discard = False
        self.confirm_convert = False
        self.convert_hidden = []

    @requires(Permission.CONTACTS_VIEW)
    async def load(self):
        """Open the contact named by the URL, or a blank form for /contacts/new, and join its live channel."""
        result = self._open_from_url()
        await watch_forms(self)
        if self.contact_id and not self.not_found:
            await self._join(self.contact_id)
        return result

    def _open_from_url(self):
        saved_draft = self.draft
        result = self._open_page()
        self._restore_draft(saved_draft)
        return result

    def _open_page(self):
        self.not_found = False
        self._form_kind = ""
        path = self.router.url.path.rstrip("/")
        tail = path.rsplit("/", 1)[-1]
        with session_scope() as db:
            self._load_options(db)
        if tail == "new":
            if not self._current.can(Permission.CONTACTS_EDIT):
                return rx.redirect("/contacts")
            query = self.router.url.query_parameters
            self._blank(str(query.get("kind", "person")))
            self._prefill_name(query.get("name"))
            return None
        try:
            contact_id = int(tail)
        except ValueError:
            self.not_found = True
            return None
        if self._just_created == contact_id and self.contact_id == contact_id:
            self._just_created = 0
            return None
        return self._reload(contact_id)

    def _prefill_name(self, name: Any) -> None:
        """A new person from the words searched for on the list ("Create 'Jane Doe'"): first and last name."""
        if self.kind == "person" and isinstance(name, str) and name.strip():
            self.first_name, self.last_name = contacts.split_full_name(name)

    async def _join(self, contact_id: int) -> None:
        await self._touch_presence(editing=self.dirty)

    async def _touch_presence(self, *, editing: bool) -> None:
        user = self._current
        if user is None:
            return
        initials = "".join(p[0] for p in (user.name or user.email).split()[:2]).upper() or "?"
        viewer = Viewer(
            client=self.router.session.client_token,
            user_id=user.id,
            name=user.name or user.email,
            initials=initials,
            editing=editing,
            seen=time.time(),
        )
        await show_presence(self, self.contact_id, viewer)
        self._announced_editing = editing

    @requires(Permission.CONTACTS_VIEW)
    async def heartbeat(self, _value: Any = None):
        """Keep this tab in the presence list (and say whether it is editing)."""
        if self.contact_id and not self.not_found:
            await self._touch_presence(editing=self.dirty)

    @requires(Permission.CONTACTS_VIEW)
    async def leave(self):
        """Leave the presence list when the page closes."""
        await show_presence(self, self.contact_id, None)

    def _reload(self, contact_id: int):
        try:
            with session_scope() as db:
                contact = contacts.get_contact(db, contact_id=contact_id)
        except NotFoundError:
            self.not_found = True
            self.contact_id = 0
            return None
        self._fill(contact)
        return None

    # ---- editing -------------------------------------------------------------------------

    def _touch(self) -> None:
        self._keep_unseen()
        self.dirty = True
        self.draft = json.dumps(
            {
                "key": self._draft_key(),
                "version": self.version,
                "base": self._base,
                "fields": self._fields(),
                "aside": self._aside,
            }
        )

    def _draft_key(self) -> str:
        return str(self.contact_id) if self.contact_id else "new"

    def _restore_draft(self, saved: str) -> None:
        """Put back what this browser typed before a reload or a lost connection."""
        try:
            draft = json.loads(saved) if saved else None
        except ValueError:
            draft = None
        if not isinstance(draft, dict) or draft.get("key") != self._draft_key() or self.not_found:
            return
        fields = draft.get("fields")
        if not isinstance(fields, dict) or fields == self._fields():
            return
        try:
            if self.contact_id and isinstance(draft.get("base"), dict):
                self._base = draft["base"]
                self.version = int(draft.get("version") or self.version)
            if fields.get("kind") in ("person", "organization") and fields["kind"] != self._form_kind:
                with session_scope() as db:
                    self._load_form(db, fields["kind"])
            self._apply(fields)
        except (TypeError, ValueError):
            return
        aside = draft.get("aside")
        if isinstance(aside, dict):
            self._aside = {
                str(key)[:100]: {"label": entry["label"][:200], "value": entry.get("value")}
                for key, entry in list(aside.items())[:MAX_ROWS]
                if isinstance(entry, dict) and isinstance(entry.get("label"), str) and key not in self._custom_types
            }
            self.kept_aside = [entry["label"] for entry in self._aside.values()]
        self.dirty = True
        self.draft = saved
        self.form_notice = self._t("Your unsaved changes were restored.")

    @requires(Permission.CONTACTS_EDIT)
    def edit_field(self, name: str, value: Any):
        """Change one top-level field of the form."""
        if name == "is_supplier":
            self.is_supplier = _as_bool(value)
        elif name == "kind":
            if value in ("person", "organization") and value != self.kind:
                self._switch_form(value)
        elif isinstance(name, str) and name in TEXT_FIELDS:
            setattr(self, name, str(value if value is not None else "")[: TEXT_FIELDS[name]])
        else:
            return None
        self.errors = {k: v for k, v in self.errors.items() if k != name}
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def add_phone(self):
        """Add an empty phone row (channels follow the account defaults)."""
        if len(self.phones) >= MAX_ROWS:
            return None
        with session_scope() as db:
            defaults = get_settings(db).channel_defaults
        self.phones = [
            *self.phones,
            PhoneForm(
                whatsapp=defaults.get("whatsapp", False),
                viber=defaults.get("viber", False),
                sms=defaults.get("sms", False),
            ),
        ]
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def remove_phone(self, index: int):
        """Remove a phone row."""
        i = _index(index, len(self.phones))
        if i is not None:
            self.phones = self.phones[:i] + self.phones[i + 1 :]
            self.errors = {}
            self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def edit_phone(self, index: int, key: str, value: Any):
        """Change a phone's number, type or a consent."""
        i = _index(index, len(self.phones))
        if i is None or key not in PHONE_KEYS:
            return None
        phones = list(self.phones)
        row = dataclasses.replace(phones[i])
        if key in ("whatsapp", "viber", "sms"):
            setattr(row, key, _as_bool(value))
        else:
            setattr(row, key, str(value or "")[:200])
        phones[i] = self._with_links(row)
        self.phones = phones
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith(f"phones.{i}.")}
        self._touch()
        return None

    def _with_links(self, row: PhoneForm) -> PhoneForm:
        """The row with its call and messaging links for the number as typed (none while it is not a number); a
        number without its country code is read as saving reads it: in the country of the main address."""
        main = next((a for a in self.addresses if a.is_main), self.addresses[0] if self.addresses else None)
        region = dialling_region(main.country if main is not None else "", self._region)
        try:
            e164 = parse_phone(row.number, region).e164 if row.number.strip() else ""
        except ValidationError:
            e164 = ""
        links = phone_links(e164, row.whatsapp, row.viber, row.sms) if e164 else {}
        return dataclasses.replace(
            row,
            tel_link=links.get("tel", ""),
            whatsapp_link=links.get("whatsapp", ""),
            viber_link=links.get("viber", ""),
            sms_link=links.get("sms", ""),
        )

    @requires(Permission.CONTACTS_EDIT)
    def add_email(self):
        """Add an empty e-mail row."""
        if len(self.emails) >= MAX_ROWS:
            return None
        with session_scope() as db:
            default = get_settings(db).channel_defaults.get("email", False)
        self.emails = [*self.emails, EmailForm(email_ok=default)]
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def remove_email(self, index: int):
        """Remove an e-mail row."""
        i = _index(index, len(self.emails))
        if i is not None:
            self.emails = self.emails[:i] + self.emails[i + 1 :]
            self.errors = {}
            self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def edit_email(self, index: int, key: str, value: Any):
        """Change an e-mail address or its consent."""
        i = _index(index, len(self.emails))
        if i is None or key not in EMAIL_KEYS:
            return None
        emails = list(self.emails)
        row = dataclasses.replace(emails[i])
        if key == "email_ok":
            row.email_ok = _as_bool(value)
        else:
            row.address = str(value or "")[:1000]
        emails[i] = row
        self.emails = emails
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith(f"emails.{i}.")}
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def add_address(self):
        """Add an empty address; the first one is the main one."""
        if len(self.addresses) >= MAX_ROWS:
            return None
        self.addresses = [*self.addresses, AddressForm(is_main=not self.addresses)]
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def remove_address(self, index: int):
        """Remove an address; if it was the main one, the first left becomes main."""
        i = _index(index, len(self.addresses))
        if i is None:
            return
        rest = [dataclasses.replace(a) for a in self.addresses[:i] + self.addresses[i + 1 :]]
        if rest and not any(a.is_main for a in rest):
            rest[0].is_main = True
        self.addresses = rest
        self.errors = {}
        self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def edit_address(self, index: int, key: str, value: Any):
        """Change one part of an address."""
        i = _index(index, len(self.addresses))
        if i is None or key not in ADDRESS_KEYS:
            return None
        rows = list(self.addresses)
        row = dataclasses.replace(rows[i])
        setattr(row, key, str(value or "")[:1000])
        rows[i] = row
        self.addresses = rows
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith(f"addresses.{i}.")}
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def make_main_address(self, index: int):
        """Make this address the main one."""
        i = _index(index, len(self.addresses))
        if i is None:
            return
        self.addresses = [dataclasses.replace(a, is_main=(n == i)) for n, a in enumerate(self.addresses)]
        self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def type_tag(self, value: str):
        """Suggest existing tags as the user types."""
        self.tag_input = str(value or "")[:80]
        prefix = self.tag_input.strip()
        if not prefix:
            self.tag_suggestions = []
            return
        with session_scope() as db:
            found = tag_service.search_tags(db, prefix=prefix, limit=8)
        self.tag_suggestions = [t.name for t in found if t.name not in self.tags]

    def _add_tag_name(self, value: str) -> None:
        value = value.strip()[:80]
        if value and value.casefold() not in {t.casefold() for t in self.tags}:
            self.tags = [*self.tags, value]
            self._touch()
        self.tag_input = ""
        self.tag_suggestions = []

    @requires(Permission.CONTACTS_EDIT)
    def add_tag(self, name: str):
        """Add a suggested tag."""
        if isinstance(name, str):
            self._add_tag_name(name)

    @requires(Permission.CONTACTS_EDIT)
    def add_typed_tag(self):
        """Add the tag typed in the box; a new name creates the tag on save."""
        self._add_tag_name(self.tag_input)

    @requires(Permission.CONTACTS_EDIT)
    def add_tag_on_enter(self, key: str):
        """Enter in the tag box adds the tag."""
        if key == "Enter":
            self._add_tag_name(self.tag_input)

    @requires(Permission.CONTACTS_EDIT)
    def remove_tag(self, name: str):
        """Take a tag off."""
        if name in self.tags:
            self.tags = [t for t in self.tags if t != name]
            self._touch()

    @requires(Permission.CONTACTS_VIEW)
    def toggle_details(self):
        """On a phone: show or fold away the reference, assignee and dates."""
        self.show_details = not self.show_details

    @requires(Permission.CONTACTS_EDIT)
    def toggle_conflict(self):
        """Set or clear the Conflict flag (a system tag)."""
        if self.conflict_tag in self.tags:
            self.tags = [t for t in self.tags if t != self.conflict_tag]
        else:
            self.tags = [*self.tags, self.conflict_tag]
        self._touch()

    # ---- the form of the contact's type (custom fields, shown built-ins) ------------------------

    def _load_form(self, db, kind: str) -> None:
        """Read the form of ``kind`` in the manager's order: built-in parts and custom fields, by section."""
        self._form_kind = kind
        form = field_definitions.form_for(db, kind=kind)
        states = field_definitions.builtin_states(db, kind=kind)
        specs = field_definitions.BUILTIN_SPECS
        layout: list[dict[str, Any]] = []
        custom: list[Any] = []
        for section in form.sections:
            rows = []
            for f in section.fields:
                if f.builtin:
                    if f.key not in specs or f.key not in BUILTIN_FORM_LABELS:
                        continue
                    label = self._t(BUILTIN_FORM_LABELS[f.key]) if f.label == specs[f.key].label else f.label
                    required = states[f.key].required if f.key in states else False
                    rows.append(
                        {
                            "key": f.key,
                            "builtin": True,
                            "label": label,
                            "type": "builtin",
                            "help": "",
                            "required": required,
                            "choices": [],
                        }
                    )
                else:
                    custom.append(f)
                    rows.append(
                        {
                            "key": f.key,
                            "builtin": False,
                            "label": f.label,
                            "type": f.type,
                            "help": f.help_text,
                            "required": f.required,
                            "choices": [[c.id, c.label, c.active] for c in f.choices],
                        }
                    )
            if rows:
                layout.append({"title": section.title, "fields": rows})
        self._form_layout = layout
        self._custom_types = {f.key: f.type for f in custom}
        self._custom_defaults = {f.key: f.default_value for f in custom if f.default_value is not None}
        self._build_cards()

    def _item(self, row: dict[str, Any], *, sub: bool) -> FormItem:
        """One part of the form; a choice no longer offered stays listed (marked) while this contact holds it."""
        held = set(self._held_choices.get(row["key"], []))
        inactive = self._t("(inactive)")
        choices = [
            Option(value=choice_id, label=label if active else f"{label} {inactive}")
            for choice_id, label, active in row["choices"]
            if active or choice_id in held
        ]
        wide = row["key"] in STANDALONE_PARTS if row["builtin"] else row["type"] in WIDE_CUSTOM_TYPES
        return FormItem(
            key=row["key"],
            builtin=row["builtin"],
            label=row["label"],
            type=row["type"],
            help=row["help"],
            required=row["required"],
            choices=choices,
            wide=wide,
            sub=sub,
        )

    def _build_cards(self) -> None:
        """Cards in form order: each section under its heading; above the first heading, phones, e-mails,
        addresses and the memo each get a card and the fields between them share one."""
        cards: list[FormCard] = []
        run: list[FormItem] = []
        for section in self._form_layout:
            if section["title"]:
                if run:
                    cards.append(FormCard(title="", parts=run))
                    run = []
                cards.append(
                    FormCard(title=section["title"], parts=[self._item(r, sub=True) for r in section["fields"]])
                )
                continue
            for row in section["fields"]:
                if row["builtin"] and row["key"] in STANDALONE_PARTS:
                    if run:
                        cards.append(FormCard(title="", parts=run))
                        run = []
                    cards.append(FormCard(title="", parts=[self._item(row, sub=False)]))
                else:
                    run.append(self._item(row, sub=False))
        if run:
            cards.append(FormCard(title="", parts=run))
        self.form_cards = cards

    def _apply_defaults(self, *, exclude: set[str] = frozenset()) -> None:
        """Pre-fill the custom fields that have a default value (except ``exclude``), as a new contact gets them."""
        defaults = {k: v for k, v in self._custom_defaults.items() if k not in exclude}
        inputs = self._custom_inputs(defaults)
        self._apply_custom({name: value for name, value in inputs.items() if name.removeprefix("custom.") in defaults})

    def _custom_labels(self) -> dict[str, str]:
        return {row["key"]: row["label"] for sec in self._form_layout for row in sec["fields"] if not row["builtin"]}

    def _switch_form(self, kind: str) -> None:
        """The creation form changes type: values the new form lacks are set aside (and come back), not lost."""
        typed = self._custom_payload()
        labels = self._custom_labels()
        before = set(self._custom_types)
        aside = dict(self._aside)
        for key, value in typed.items():
            if not is_empty(value) and value is not False:
                aside[key] = {"label": labels.get(key, key), "value": value}
        self.kind = kind
        with session_scope() as db:
            self._load_form(db, kind)
        self._apply_defaults(exclude=before)
        self._apply_custom({f"custom.{k}": v for k, v in typed.items()})
        self._apply_custom({f"custom.{k}": entry["value"] for k, entry in aside.items() if k in self._custom_types})
        self._aside = {k: entry for k, entry in aside.items() if k not in self._custom_types}
        self.kept_aside = [entry["label"] for entry in self._aside.values()]

    def _custom_inputs(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Stored custom values as the form holds them, keyed ``custom.<key>``."""
        out: dict[str, Any] = {}
        for key, type_ in self._custom_types.items():
            value = stored.get(key)
            if type_ == "checkbox":
                out[f"custom.{key}"] = bool(value)
            elif type_ == "multi_select":
                out[f"custom.{key}"] = list(value or [])
            elif type_ == "select":
                out[f"custom.{key}"] = "" if value is None else str(value)
            else:
                out[f"custom.{key}"] = "" if value is None else str(get_type(type_).input_value(value, self.locale))
        return out

    def _apply_custom(self, values: dict[str, Any]) -> None:
        text, multi, check = dict(self.custom_text), dict(self.custom_multi), dict(self.custom_check)
        for name, value in values.items():
            key = name.removeprefix("custom.")
            type_ = self._custom_types.get(key)
            if type_ is None:
                continue
            if type_ == "checkbox":
                check[key] = bool(value)
            elif type_ == "multi_select":
                multi[key] = list(value or [])
            else:
                text[key] = "" if value is None else str(value)
        self.custom_text, self.custom_multi, self.custom_check = text, multi, check

    def _custom_payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, type_ in self._custom_types.items():
            if type_ == "checkbox":
                out[key] = bool(self.custom_check.get(key, False))
            elif type_ == "multi_select":
                out[key] = list(self.custom_multi.get(key, []))
            else:
                out[key] = self.custom_text.get(key, "")
        return out

    def _pushed_form_change(self, kind: str) -> None:
        """A manager changed the form of ``kind``: show the new form, keep what was typed."""
        if kind != self.kind or self._caller() is None:
            return
        typed = self._custom_payload()
        before = set(self._custom_types)
        with session_scope() as db:
            self._load_form(db, self.kind)
        if not self.contact_id:
            self._apply_defaults(exclude=before)
        self._apply_custom({f"custom.{k}": v for k, v in typed.items()})
        self.form_notice = self._t("The form was just updated by a manager.")

    @requires(Permission.CONTACTS_EDIT)
    def edit_custom(self, key: str, value: Any):
        """Change a custom text, number, date, e-mail, phone, link or single-choice value."""
        if not isinstance(key, str) or key not in self._custom_types:
            return None
        if self._custom_types[key] in ("checkbox", "multi_select"):
            return None
        self.custom_text = {**self.custom_text, key: str(value if value is not None else "")[:MAX_INPUT]}
        self.errors = {k: v for k, v in self.errors.items() if k != f"custom.{key}"}
        self._touch()
        return None

    @requires(Permission.CONTACTS_EDIT)
    def edit_custom_check(self, key: str, value: Any):
        """Tick or untick a custom checkbox."""
        if isinstance(key, str) and self._custom_types.get(key) == "checkbox":
            self.custom_check = {**self.custom_check, key: _as_bool(value)}
            self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def toggle_custom_choice(self, key: str, choice: str):
        """Add or remove one choice of a multiple-choice field."""
        if not isinstance(key, str) or self._custom_types.get(key) != "multi_select" or not isinstance(choice, str):
            return
        chosen = list(self.custom_multi.get(key, []))
        chosen = [c for c in chosen if c != choice] if choice in chosen else [*chosen, choice]
        self.custom_multi = {**self.custom_multi, key: chosen}
        self._touch()

    # ---- live updates and merging ------------------------------------------------------------

    def _fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company_name": self.company_name,
            "registration_no": self.registration_no,
            "is_supplier": self.is_supplier,
            "assigned_user_id": self.assigned_user_id,
            "acquisition_channel_id": self.acquisition_channel_id,
            "discount_percent": self.discount_percent,
            "memo": self.memo,
            "phones": [dataclasses.asdict(p) for p in self.phones],
            "emails": [dataclasses.asdict(e) for e in self.emails],
            "addresses": [dataclasses.asdict(a) for a in self.addresses],
            "tags": list(self.tags),
            **{f"custom.{k}": v for k, v in self._custom_payload().items()},
        }

    def _form_values(self, c: ContactRead) -> dict[str, Any]:
        return {**form_values(c), **self._custom_inputs(c.custom)}

    def _apply(self, values: dict[str, Any]) -> None:
        for key in (
            "kind",
            "first_name",
            "last_name",
            "company_name",
            "registration_no",
            "is_supplier",
            "assigned_user_id",
            "acquisition_channel_id",
            "discount_percent",
            "memo",
        ):
            if key in values:
                setattr(self, key, values[key])
        if "phones" in values:
            self.phones = [PhoneForm(**p) for p in values["phones"]]
        if "emails" in values:
            self.emails = [EmailForm(**e) for e in values["emails"]]
        if "addresses" in values:
            self.addresses = [AddressForm(**a) for a in values["addresses"]]
        if "tags" in values:
            self.tags = list(values["tags"])
        self._apply_custom({k: v for k, v in values.items() if k.startswith("custom.")})

    def _shown(self, key: str, value: Any) -> str:
        if key == "phones":
            return ", ".join(p["number"] for p in value) or "—"
        if key == "emails":
            return ", ".join(e["address"] for e in value) or "—"
        if key == "addresses":
            return "; ".join(", ".join(x for x in (a["line1"], a["postcode"], a["city"]) if x) for a in value) or "—"
        if key == "tags":
            return ", ".join(value) or "—"
        if key == "assigned_user_id":
            return next((o.label for o in self.users if o.value == value), "") or "—"
        if key == "acquisition_channel_id":
            return next((o.label for o in self.channels if o.value == value), "") or "—"
        if key == "is_supplier":
            return self._t("Yes") if value else self._t("No")
        if key == "kind":
            return self._t("Person") if value == "person" else self._t("Organisation")
        return str(value) if value not in (None, "") else "—"

    def _fetch(self, contact_id: int) -> ContactRead | None:
        try:
            with session_scope() as db:
                return contacts.get_contact(db, contact_id=contact_id)
        except NotFoundError:
            return None

    def _pushed_change(self, contact_id: int) -> None:
        """Called by the live pusher when ``contact_id`` changed (only while this tab's session is valid)."""
        if contact_id != self.contact_id or self._caller() is None:
            return
        if not self.remote_notes:
            with session_scope() as db:
                current = contacts.contact_version(db, contact_id=contact_id)
            if current == self.version:
                return
        self._sync()

    @requires(Permission.CONTACTS_VIEW)
    def sync_from_server(self):
        """Re-read the contact and merge others' changes into the form."""
        return self._sync()

    def _sync(self):
        """Someone changed this contact: take their changes into untouched fields, flag the touched ones."""
        if not self.contact_id or self.remote_deleted:
            return None
        fetched = self._fetch(self.contact_id)
        if fetched is None:
            self.remote_deleted = True
            self.remote_banner = self._t(
                "Someone deleted this contact. Your unsaved input is still shown so you can copy it."
            )
            return None
        latest = fetched
        if latest.version == self.version and not self.remote_notes:
            return None
        if not self.dirty:
            before, version = dict(self._base), self.version
            self._fill(latest)
            self._remember_unseen(before, version)
            return None
        theirs = self._form_values(latest)
        mine = self._fields()
        base = dict(self._base)
        touched = changed_fields(base, mine)
        notes = dict(self.remote_notes)
        untouched_updates = {}
        for key, value in theirs.items():
            if key not in touched:
                untouched_updates[key] = value
                base[key] = value
            elif value != base.get(key) and value != mine.get(key):
                notes[key] = self._t(
                    "{name} changed this to: {value}", name=latest.updated_by_name or "?", value=self._shown(key, value)
                )
        self._apply(untouched_updates)
        before, self._base = self._base, base
        self._remember_unseen(before, self.version)
        self.remote_notes = notes
        self.updated_label = f"{_fmt(latest.updated_at)} · {latest.updated_by_name}".strip(" ·")
        self.display_name = latest.display_name
        if latest.archived and not self.archived:
            self.remote_banner = self._t(
                "{name} archived this contact while you were editing.", name=latest.updated_by_name or "?"
            )
        self.archived = latest.archived
        return None

    def _remember_unseen(self, before: dict[str, Any], from_version: int) -> None:
        """A push just changed these fields of the form: the user may type over them before seeing them."""
        now = time.time()
        fresh = now - self._unseen_at < UNSEEN_S and self._unseen_to == from_version
        unseen = dict(self._unseen) if fresh else {}
        for key, value in before.items():
            if key not in unseen and self._base.get(key) != value:
                unseen[key] = value
        self._unseen = unseen
        self._unseen_from = self._unseen_from if fresh else from_version
        self._unseen_to, self._unseen_at = self.version, now

    def _keep_unseen(self) -> None:
        """An edit of a field a push changed a moment ago was typed over the old value: merge it as such."""
        if not self._unseen:
            return
        if time.time() - self._unseen_at >= UNSEEN_S or self.version != self._unseen_to:
            self._unseen = {}
            return
        mine = self._fields()
        hit = {k: v for k, v in self._unseen.items() if mine.get(k) != self._base.get(k)}
        if hit:
            self._base = {**self._base, **hit}
            self.version = self._unseen_to = min(self.version, self._unseen_from)
            self._unseen = {k: v for k, v in self._unseen.items() if k not in hit}

    # ---- saving and lifecycle ---------------------------------------------------------------

    def _payload(self) -> ContactIn:
        def _id(value: str) -> int | None:
            return int(value) if value.isdigit() else None

        return ContactIn(
            kind=self.kind,
            first_name=self.first_name,
            last_name=self.last_name,
            company_name=self.company_name,
            registration_no=self.registration_no,
            is_supplier=self.is_supplier,
            assigned_user_id=_id(self.assigned_user_id),
            acquisition_channel_id=_id(self.acquisition_channel_id),
            discount_percent=self.discount_percent,
            memo=self.memo,
            phones=[
                PhoneIn(id=p.id or None, number=p.number, type=p.type, whatsapp=p.whatsapp, viber=p.viber, sms=p.sms)
                for p in self.phones
            ],
            emails=[EmailIn(id=e.id or None, address=e.address, email_ok=e.email_ok) for e in self.emails],
            addresses=[
                AddressIn(
                    id=a.id or None,
                    label=a.label,
                    line1=a.line1,
                    line2=a.line2,
                    postcode=a.postcode,
                    city=a.city,
                    region=a.region,
                    country=a.country,
                    is_main=a.is_main,
                )
                for a in self.addresses
            ],
            tags=list(self.tags),
            custom=self._custom_payload(),
        )

    def _write(self, expected_version: int | None):
        data = self._payload()
        with session_scope() as db:
            if self.contact_id:
                saved = contacts.update_contact(
                    db,
                    contact_id=self.contact_id,
                    data=data,
                    actor_id=self._current.id,
                    expected_version=expected_version,
                    locale=self.locale,
                )
            else:
                saved = contacts.create_contact(db, data=data, actor_id=self._current.id, locale=self.locale)
        return saved

    def _saved(self, saved: ContactRead, message: str):
        was_new = not self.contact_id
        self._fill(saved)
        if was_new:
            self._just_created = saved.id
            return [rx.toast.success(self._t("Contact created.")), rx.redirect(f"/contacts/{saved.id}")]
        return rx.toast.success(message)

    def _refused(self, err: DomainError):
        self.errors = self._field_errors(err)
        self.form_error = self._error_text(err)
        return rx.toast.error(
            self._t("Nothing was saved: please correct the highlighted fields.") if self.errors else self.form_error
        )

    @requires(Permission.CONTACTS_EDIT)
    def save(self):
        """Validate on the server and write everything in one transaction; merge with others' changes."""
        self.errors = {}
        self.form_error = ""
        if self.remote_deleted:
            return rx.toast.error(self._t("This contact no longer exists."))
        try:
            saved = self._write(self.version if self.contact_id else None)
        except ConflictError:
            return self._merge_and_save()
        except DomainError as err:
            return self._refused(err)
        return self._saved(saved, self._t("Saved."))

    def _merge_and_save(self):
        fetched = self._fetch(self.contact_id)
        if fetched is None:
            self.remote_deleted = True
            self.remote_banner = self._t(
                "Someone deleted this contact. Your unsaved input is still shown so you can copy it."
            )
            return rx.toast.error(self._t("This contact no longer exists."))
        latest = fetched
        theirs = self._form_values(latest)
        result = three_way_merge(self._base, self._fields(), theirs)
        if result.conflicts:
            self._pending = result.merged
            self._theirs_version = latest.version
            self._theirs_values = theirs
            self.conflicts = [
                ConflictRow(
                    field=c.field,
                    label=self._t(FIELD_LABELS.get(c.field, c.field)),
                    base=self._shown(c.field, c.base),
                    mine=self._shown(c.field, c.mine),
                    theirs=self._shown(c.field, c.theirs),
                )
                for c in result.conflicts
            ]
            self.show_conflicts = True
            return None
        self._apply(result.merged)
        # The form now holds their version plus my changes: if this write loses a race too, the next
        # save merges against that version instead of flagging (or reverting) fields I never touched.
        self._base, self.version = theirs, latest.version
        try:
            saved = self._write(latest.version)
        except ConflictError:
            return rx.toast.warning(self._t("The contact changed again while saving. Please save once more."))
        except DomainError as err:
            return self._refused(err)
        return self._saved(saved, self._t("Saved, together with changes made by others meanwhile."))

    @requires(Permission.CONTACTS_EDIT)
    def choose_side(self, field: str, side: str):
        """Pick mine or theirs for one conflicting field."""
        if side not in ("mine", "theirs"):
            return
        self.conflicts = [dataclasses.replace(c, choice=side) if c.field == field else c for c in self.conflicts]

    @requires(Permission.CONTACTS_EDIT)
    def resolve_conflicts(self):
        """Save with the chosen value for every conflicting field."""
        if not self._pending:
            self.show_conflicts = False
            return None
        fetched = self._fetch(self.contact_id)
        if fetched is None:
            self.show_conflicts = False
            return rx.toast.error(self._t("This contact no longer exists."))
        theirs = self._theirs_values or self._form_values(fetched)
        merged = dict(self._pending)
        for row in self.conflicts:
            if row.choice == "theirs":
                merged[row.field] = theirs.get(row.field)
        self._apply(merged)
        self._base, self.version = theirs, self._theirs_version
        self.show_conflicts = False
        self.conflicts = []
        self._pending = {}
        try:
            saved = self._write(self._theirs_version)
        except ConflictError:
            return rx.toast.warning(self._t("The contact changed again while saving. Please save once more."))
        except DomainError as err:
            return self._refused(err)
        return self._saved(saved, self._t("Saved."))

    @requires(Permission.CONTACTS_EDIT)
    def cancel_conflicts(self):
        """Close the conflict dialog and keep editing."""
        self.show_conflicts = False

    @requires(Permission.CONTACTS_EDIT)
    def discard(self):
        """Throw away unsaved edits; a new contact with typed values asks first."""
        if not self.contact_id and self.dirty:
            self.confirm_discard = True
            return None
        return self._discard()

    @requires(Permission.CONTACTS_EDIT)
    def confirm_discard_new(self):
        """Throw away the new contact the user was asked about."""
        self.confirm_discard = False
        return self._discard()

    @requires(Permission.CONTACTS_EDIT)
    def cancel_discard(self):
        """Keep the new contact's typed values."""
        self.confirm_discard = False

    def _discard(self):
        self.draft = ""
        if self.contact_id:
            return self._reload(self.contact_id)
        return rx.redirect("/contacts")

    def _target_kind(self) -> str:
        return "organization" if self.kind == "person" else "person"

    @requires(Permission.CONTACTS_EDIT)
    def ask_convert(self):
        """Convert, after naming the values the other form keeps hidden (a new contact's form just switches)."""
        if not self.contact_id or self.dirty:
            return self._convert()
        try:
            with session_scope() as db:
                hidden = hidden_by_conversion(db, contact_id=self.contact_id, to_kind=self._target_kind())
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        if not hidden:
            return self._convert()
        self.convert_hidden = [self._t(label) for label in hidden]
        self.confirm_convert = True
        return None

    @requires(Permission.CONTACTS_EDIT)
    def cancel_convert(self):
        """Close the conversion confirmation without converting."""
        self.confirm_convert = False
        self.convert_hidden = []

    @requires(Permission.CONTACTS_EDIT)
    def convert(self):
        """Person to organisation and back; on an existing contact this is saved and recorded at once."""
        self.confirm_convert = False
        self.convert_hidden = []
        return self._convert()

    def _convert(self):
        target = self._target_kind()
        if not self.contact_id:
            self.kind = target
            self._touch()
            return None
        if self.dirty:
            return rx.toast.warning(self._t("Save or discard your changes first."))
        try:
            with session_scope() as db:
                contacts.convert_kind(db, contact_id=self.contact_id, to_kind=target, actor_id=self._current.id)
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self._reload(self.contact_id)
        return rx.toast.success(self._t("Converted."))

    @requires(Permission.CONTACTS_ARCHIVE)
    def archive(self):
        """Hide the contact from the default list."""
        return self._lifecycle(contacts.archive_contact, "Archived.")

    @requires(Permission.CONTACTS_ARCHIVE)
    def restore(self):
        """Bring an archived contact back."""
        return self._lifecycle(contacts.restore_contact, "Restored.")

    def _lifecycle(self, action, message: str):
        if not self.contact_id:
            return None
        if self.dirty:
            return rx.toast.warning(self._t("Save or discard your changes first."))
        try:
            with session_scope() as db:
                action(db, contact_id=self.contact_id, actor_id=self._current.id)
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self._reload(self.contact_id)
        return rx.toast.success(self._t(message))

    @requires(Permission.CONTACTS_DELETE)
    def ask_delete(self):
        """Open the delete confirmation."""
        self.confirm_delete = True

    @requires(Permission.CONTACTS_DELETE)
    def cancel_delete(self):
        """Close the delete confirmation."""
        self.confirm_delete = False

    @requires(Permission.CONTACTS_DELETE)
    def delete(self):
        """Delete the contact and everything that belongs to it."""
        if not self.contact_id:
            return None
        try:
            with session_scope() as db:
                contacts.delete_contact(db, contact_id=self.contact_id, actor_id=self._current.id)
        except DomainError as err:
            return rx.toast.error(self._error_text(err))
        self.confirm_delete = False
        self.dirty = False
        self.contact_id = 0
        return [rx.toast.success(self._t("Contact deleted.")), rx.redirect("/contacts")]
