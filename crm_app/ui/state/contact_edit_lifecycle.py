"""The contact editor's lifecycle actions: discard, convert, archive, restore and delete.

A mixin of ``ContactEditState`` (``crm_app.ui.state.contact_edit``): each action asks first where it should,
refuses while the form holds unsaved changes, and calls one service.
"""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts import service as contacts
from crm_app.contacts.conversion import hidden_by_conversion
from crm_app.ui.state.session import requires


class ContactLifecycleMixin(rx.State, mixin=True):
    """The handlers that discard the form or change the contact as a whole."""

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
        hidden, err = self._service(hidden_by_conversion, contact_id=self.contact_id, to_kind=self._target_kind())
        if err is not None:
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
        _converted, err = self._service(
            contacts.convert_kind, contact_id=self.contact_id, to_kind=target, actor_id=self._current.id
        )
        if err is not None:
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
        _result, err = self._service(action, contact_id=self.contact_id, actor_id=self._current.id)
        if err is not None:
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
        _deleted, err = self._service(contacts.delete_contact, contact_id=self.contact_id, actor_id=self._current.id)
        if err is not None:
            return rx.toast.error(self._error_text(err))
        self.confirm_delete = False
        self.dirty = False
        self.contact_id = 0
        return [rx.toast.success(self._t("Contact deleted.")), rx.redirect("/contacts")]
