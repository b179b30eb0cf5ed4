"""The contact editor's rows and values: phones, e-mails, addresses, tags and custom values, as the user edits them.

A mixin of ``ContactEditState`` (``crm_app.ui.state.contact_edit``): its handlers change the form's vars and
mark it touched; nothing is written before Save.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts import tags as tag_service
from crm_app.contacts.forms import AddressForm, EmailForm, PhoneForm, with_links
from crm_app.core.app_settings import get_settings
from crm_app.db import session_scope
from crm_app.ui.state.coerce import as_bool, as_index
from crm_app.ui.state.session import requires

# What the form holds is capped only to keep the state bounded; the real limits are checked on save,
# so an over-long paste gets a clear message instead of being cut silently.
MAX_INPUT = 50_000
PHONE_KEYS = {"number", "type", "whatsapp", "viber", "sms"}
EMAIL_KEYS = {"address", "email_ok"}
ADDRESS_KEYS = {"label", "line1", "line2", "postcode", "city", "region", "country"}
MAX_ROWS = 50


class ContactRowsMixin(rx.State, mixin=True):
    """The handlers of the form's rows, tags and custom values."""

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
        i = as_index(index, len(self.phones))
        if i is not None:
            self.phones = self.phones[:i] + self.phones[i + 1 :]
            self.errors = {}
            self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def edit_phone(self, index: int, key: str, value: Any):
        """Change a phone's number, type or a consent."""
        i = as_index(index, len(self.phones))
        if i is None or key not in PHONE_KEYS:
            return None
        phones = list(self.phones)
        row = dataclasses.replace(phones[i])
        if key in ("whatsapp", "viber", "sms"):
            setattr(row, key, as_bool(value))
        else:
            setattr(row, key, str(value or "")[:200])
        phones[i] = with_links(row, addresses=list(self.addresses), default_region=self._region)
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
        i = as_index(index, len(self.emails))
        if i is not None:
            self.emails = self.emails[:i] + self.emails[i + 1 :]
            self.errors = {}
            self._touch()

    @requires(Permission.CONTACTS_EDIT)
    def edit_email(self, index: int, key: str, value: Any):
        """Change an e-mail address or its consent."""
        i = as_index(index, len(self.emails))
        if i is None or key not in EMAIL_KEYS:
            return None
        emails = list(self.emails)
        row = dataclasses.replace(emails[i])
        if key == "email_ok":
            row.email_ok = as_bool(value)
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
        i = as_index(index, len(self.addresses))
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
        i = as_index(index, len(self.addresses))
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
        i = as_index(index, len(self.addresses))
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
            self.custom_check = {**self.custom_check, key: as_bool(value)}
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
