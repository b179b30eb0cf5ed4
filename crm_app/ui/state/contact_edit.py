"""The contact file editor: what the user is typing lives here until Save."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import reflex as rx

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission
from crm_app.contacts import lists as contact_lists
from crm_app.contacts import service as contacts
from crm_app.contacts import tags as tag_service
from crm_app.contacts.schemas import (
    BUILTIN_PHONE_TYPES,
    AddressIn,
    ContactIn,
    ContactRead,
    EmailIn,
    HistoryEntry,
    PhoneIn,
)
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import DomainError, NotFoundError
from crm_app.db import session_scope
from crm_app.ui.state.session import SessionState, requires

MAX_TEXT = 20_000
TEXT_FIELDS = {
    "first_name": 200,
    "last_name": 200,
    "company_name": 300,
    "registration_no": 100,
    "discount_percent": 20,
    "memo": MAX_TEXT,
    "assigned_user_id": 20,
    "acquisition_channel_id": 20,
}
PHONE_KEYS = {"number", "type", "whatsapp", "viber", "sms"}
EMAIL_KEYS = {"address", "email_ok"}
ADDRESS_KEYS = {"label", "line1", "line2", "postcode", "city", "region", "country"}
MAX_ROWS = 50


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
class HistoryRow:
    """One history line as shown: when, who, what, old → new."""

    id: int
    at: str
    actor: str
    what: str
    old: str
    new: str


@dataclasses.dataclass
class Option:
    """A choice of a select box."""

    value: str
    label: str


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

    display_name: str = ""
    reference: str = ""
    archived: bool = False
    created_label: str = ""
    updated_label: str = ""
    history: list[HistoryRow] = []

    phone_types: list[Option] = []
    channels: list[Option] = []
    users: list[Option] = []

    errors: dict[str, str] = {}
    form_error: str = ""
    dirty: bool = False
    saving: bool = False
    confirm_delete: bool = False

    _just_created: int = 0

    @rx.var
    def is_new(self) -> bool:
        """Whether this is a contact being created."""
        return self.contact_id == 0

    @rx.var
    def is_conflict(self) -> bool:
        """Whether the Conflict tag is on."""
        return self.conflict_tag in self.tags

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
        system_tags = contacts.ensure_system_tags(db)
        if "conflict" in system_tags:
            self.conflict_tag = system_tags["conflict"].name

    def _fill(self, c: ContactRead, history: list[HistoryEntry]) -> None:
        self.contact_id = c.id
        self.version = c.version
        self.kind = c.kind
        self.first_name = c.first_name
        self.last_name = c.last_name
        self.company_name = c.company_name
        self.registration_no = c.registration_no
        self.is_supplier = c.is_supplier
        self.assigned_user_id = str(c.assigned_user_id or "")
        self.acquisition_channel_id = str(c.acquisition_channel_id or "")
        self.discount_percent = c.discount_percent
        self.memo = c.memo
        self.phones = [
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
            for p in c.phones
        ]
        self.emails = [EmailForm(id=e.id, address=e.address, email_ok=e.email_ok) for e in c.emails]
        self.addresses = [
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
            for a in c.addresses
        ]
        self.tags = [t.name for t in c.tags]
        self.display_name = c.display_name
        self.reference = c.reference
        self.archived = c.archived
        self.created_label = f"{_fmt(c.created_at)} · {c.created_by_name}".strip(" ·")
        self.updated_label = f"{_fmt(c.updated_at)} · {c.updated_by_name}".strip(" ·")
        self.history = [self._history_row(h) for h in history]
        self.errors = {}
        self.form_error = ""
        self.dirty = False
        self.confirm_delete = False

    def _history_row(self, entry: HistoryEntry) -> HistoryRow:
        if entry.kind == "field_changed" and entry.field:
            what = self._t(entry.field.replace("_", " ").capitalize())
        else:
            what = self._t(entry.kind.replace("_", " ").capitalize())
        return HistoryRow(
            id=entry.id,
            at=_fmt(entry.at),
            actor=entry.actor_name or self._t("System"),
            what=what,
            old=entry.old,
            new=entry.new,
        )

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
        with session_scope() as db:
            defaults = get_settings(db).channel_defaults
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
        self.history = []
        self.errors = {}
        self.dirty = False
        self.confirm_delete = False

    @requires(Permission.CONTACTS_VIEW)
    def load(self):
        """Open the contact named by the URL, or a blank form for /contacts/new."""
        self.not_found = False
        path = self.router.url.path.rstrip("/")
        tail = path.rsplit("/", 1)[-1]
        with session_scope() as db:
            self._load_options(db)
        if tail == "new":
            if not self._current.can(Permission.CONTACTS_EDIT):
                return rx.redirect("/contacts")
            self._blank(str(self.router.url.query_parameters.get("kind", "person")))
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

    def _reload(self, contact_id: int):
        try:
            with session_scope() as db:
                contact = contacts.get_contact(db, contact_id=contact_id)
                history = contacts.contact_history(db, contact_id=contact_id)
        except NotFoundError:
            self.not_found = True
            self.contact_id = 0
            return None
        self._fill(contact, history)
        return None

    # ---- editing -------------------------------------------------------------------------

    def _touch(self) -> None:
        self.dirty = True

    @requires(Permission.CONTACTS_EDIT)
    def edit_field(self, name: str, value: Any):
        """Change one top-level field of the form."""
        if name == "is_supplier":
            self.is_supplier = _as_bool(value)
        elif name == "kind":
            if value in ("person", "organization"):
                self.kind = value
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
            setattr(row, key, str(value or "")[:60])
        phones[i] = row
        self.phones = phones
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith(f"phones.{i}.")}
        self._touch()
        return None

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
            row.address = str(value or "")[:320]
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
        setattr(row, key, str(value or "")[:300])
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

    @requires(Permission.CONTACTS_EDIT)
    def toggle_conflict(self):
        """Set or clear the Conflict flag (a system tag)."""
        if self.conflict_tag in self.tags:
            self.tags = [t for t in self.tags if t != self.conflict_tag]
        else:
            self.tags = [*self.tags, self.conflict_tag]
        self._touch()

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
        )

    @requires(Permission.CONTACTS_EDIT)
    def save(self):
        """Validate on the server and write everything in one transaction."""
        self.errors = {}
        self.form_error = ""
        data = self._payload()
        try:
            with session_scope() as db:
                if self.contact_id:
                    saved = contacts.update_contact(
                        db,
                        contact_id=self.contact_id,
                        data=data,
                        actor_id=self._current.id,
                        expected_version=self.version,
                    )
                else:
                    saved = contacts.create_contact(db, data=data, actor_id=self._current.id)
                history = contacts.contact_history(db, contact_id=saved.id)
        except DomainError as err:
            self.errors = self._field_errors(err)
            self.form_error = self._error_text(err)
            return rx.toast.error(
                self._t("Nothing was saved: please correct the highlighted fields.") if self.errors else self.form_error
            )
        was_new = not self.contact_id
        self._fill(saved, history)
        if was_new:
            self._just_created = saved.id
            return [rx.toast.success(self._t("Contact created.")), rx.redirect(f"/contacts/{saved.id}")]
        return rx.toast.success(self._t("Saved."))

    @requires(Permission.CONTACTS_EDIT)
    def discard(self):
        """Throw away unsaved edits."""
        if self.contact_id:
            return self._reload(self.contact_id)
        return rx.redirect("/contacts")

    @requires(Permission.CONTACTS_EDIT)
    def convert(self):
        """Person to organisation and back; on an existing contact this is saved and recorded at once."""
        target = "organization" if self.kind == "person" else "person"
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
