"""The contact file editor: what the user is typing lives here until Save.

A thin adapter over the contact services: the editable fields come from ``crm_app.contacts.forms``, the
form's cards from ``crm_app.contacts.form_layout``, and saving, merging with others' changes and taking pushed
changes in from ``crm_app.contacts.editing``. One state class, its handlers in three files: loading, the form
of the contact's type, live changes and saving here; the rows, tags and custom values in
``contact_edit_rows``; discarding, converting, archiving and deleting in ``contact_edit_lifecycle``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime
from typing import Any

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts import editing, texts
from crm_app.contacts import service as contacts
from crm_app.contacts.editing import ConflictRow, Draft, Unseen
from crm_app.contacts.form_layout import (
    FormCard,
    FormLayout,
    Option,
    build_cards,
    default_inputs,
    editor_choices,
    held_choices,
    load_layout,
    switch_inputs,
)
from crm_app.contacts.forms import ROW_FORMS, SCALAR_FIELDS, AddressForm, ContactForm, EmailForm, PhoneForm
from crm_app.contacts.schemas import ContactRead
from crm_app.core.app_settings import get_settings
from crm_app.core.errors import DomainError, NotFoundError
from crm_app.db import session_scope
from crm_app.fields.schemas import KINDS
from crm_app.ui.live.pusher import show_presence, watch_forms
from crm_app.ui.live.registry import Viewer
from crm_app.ui.state.coerce import as_bool
from crm_app.ui.state.contact_edit_lifecycle import ContactLifecycleMixin
from crm_app.ui.state.contact_edit_rows import MAX_INPUT, MAX_ROWS, ContactRowsMixin
from crm_app.ui.state.session import SessionState, requires

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
DRAFT_KEY = "crm_contact_draft"


def _fmt(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


class ContactEditState(ContactRowsMixin, ContactLifecycleMixin, SessionState):
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
    _unseen: Unseen = Unseen()
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
        name = texts.display_name_for(self.kind, self.first_name, self.last_name, self.company_name)
        return texts.initials_for(name)

    @rx.var
    def title(self) -> str:
        """The heading of the page."""
        if self.contact_id:
            return self.display_name
        return self._t("New person") if self.kind == "person" else self._t("New organisation")

    # ---- loading -------------------------------------------------------------------------

    def _load_options(self, db) -> None:
        choices = editor_choices(db, locale=self.locale)
        self.phone_types, self.channels, self.users = choices.phone_types, choices.channels, choices.users
        self.tag_colors = choices.tag_colors
        self._region = choices.region
        if choices.conflict_tag is not None:
            self.conflict_tag = choices.conflict_tag

    def _fill(self, c: ContactRead) -> None:
        self.contact_id = c.id
        self.version = c.version
        self._held_choices = held_choices(c.custom)
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
        kind = kind if kind in KINDS else "person"
        for name in ("display_name", "reference", "created_label", "updated_label", "tag_input", "form_error"):
            setattr(self, name, "")
        self.archived = False
        self._held_choices = {}
        with session_scope() as db:
            defaults = get_settings(db).channel_defaults
            self._load_form(db, kind)
        self.custom_text, self.custom_multi, self.custom_check = {}, {}, {}
        self._apply_custom(default_inputs(self._layout(), locale=self.locale))
        self.hidden_custom = []
        self._aside = {}
        self.kept_aside = []
        self.form_notice = ""
        first_phone = PhoneForm(
            whatsapp=defaults.get("whatsapp", False),
            viber=defaults.get("viber", False),
            sms=defaults.get("sms", False),
        )
        self._apply(ContactForm(kind=kind, phones=[first_phone]).values())
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
            self.first_name, self.last_name = texts.split_full_name(name)

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
            self.is_supplier = as_bool(value)
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

    @requires(Permission.CONTACTS_VIEW)
    def toggle_details(self):
        """On a phone: show or fold away the reference, assignee and dates."""
        self.show_details = not self.show_details

    # ---- the form of the contact's type (custom fields, shown built-ins) ------------------------

    def _load_form(self, db, kind: str) -> None:
        """Read the form of ``kind`` in the manager's order and lay out its cards."""
        layout = load_layout(db, kind=kind, locale=self.locale)
        self._form_kind = layout.kind
        self._form_layout = layout.sections
        self._custom_types = layout.custom_types
        self._custom_defaults = layout.custom_defaults
        self._build_cards()

    def _layout(self) -> FormLayout:
        return FormLayout(
            kind=self._form_kind,
            sections=self._form_layout,
            custom_types=self._custom_types,
            custom_defaults=self._custom_defaults,
        )

    def _build_cards(self) -> None:
        self.form_cards = build_cards(self._form_layout, held=self._held_choices, locale=self.locale)

    def _switch_form(self, kind: str) -> None:
        """The creation form changes type: values the new form lacks are set aside (and come back), not lost."""
        typed = self._custom_payload()
        before = self._layout()
        self.kind = kind
        with session_scope() as db:
            self._load_form(db, kind)
        inputs, self._aside = switch_inputs(typed, self._aside, before=before, after=self._layout(), locale=self.locale)
        self._apply_custom(inputs)
        self.kept_aside = [entry["label"] for entry in self._aside.values()]

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
            self._apply_custom(default_inputs(self._layout(), exclude=before, locale=self.locale))
        self._apply_custom({f"custom.{k}": v for k, v in typed.items()})
        self.form_notice = self._t("The form was just updated by a manager.")

    # ---- live updates and merging ------------------------------------------------------------

    def _fields(self) -> dict[str, Any]:
        """The form as typed, as one flat dict (``ContactForm.values``)."""
        return ContactForm(
            **{name: getattr(self, name) for name in SCALAR_FIELDS},
            phones=list(self.phones),
            emails=list(self.emails),
            addresses=list(self.addresses),
            tags=list(self.tags),
            custom=self._custom_payload(),
        ).values()

    def _form_values(self, c: ContactRead) -> dict[str, Any]:
        return editing.contact_values(c, custom_types=self._custom_types, locale=self.locale)

    def _apply(self, values: dict[str, Any]) -> None:
        for key in SCALAR_FIELDS:
            if key in values:
                setattr(self, key, values[key])
        for key, row in ROW_FORMS.items():
            if key in values:
                setattr(self, key, [row(**item) for item in values[key]])
        if "tags" in values:
            self.tags = list(values["tags"])
        self._apply_custom({k: v for k, v in values.items() if k.startswith("custom.")})

    def _names(self) -> dict[str, dict[str, str]]:
        """The labels of the people and channels the form offers, for showing their ids."""
        return {
            "assigned_user_id": {o.value: o.label for o in self.users},
            "acquisition_channel_id": {o.value: o.label for o in self.channels},
        }

    def _fetch(self, contact_id: int) -> ContactRead | None:
        with session_scope() as db:
            return editing.read_latest(db, contact_id=contact_id)

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

    def _deleted_meanwhile(self) -> None:
        self.remote_deleted = True
        self.remote_banner = self._t(
            "Someone deleted this contact. Your unsaved input is still shown so you can copy it."
        )

    def _sync(self):
        """Someone changed this contact: take their changes into untouched fields, flag the touched ones."""
        if not self.contact_id or self.remote_deleted:
            return None
        latest = self._fetch(self.contact_id)
        if latest is None:
            self._deleted_meanwhile()
            return None
        if latest.version == self.version and not self.remote_notes:
            return None
        if not self.dirty:
            before, version = dict(self._base), self.version
            self._fill(latest)
            self._remember_unseen(before, version)
            return None
        remote = editing.merge_remote(
            base=self._base,
            mine=self._fields(),
            theirs=self._form_values(latest),
            notes=self.remote_notes,
            author=latest.updated_by_name,
            locale=self.locale,
            names=self._names(),
        )
        self._apply(remote.updates)
        before, self._base = self._base, remote.base
        self._remember_unseen(before, self.version)
        self.remote_notes = remote.notes
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
        self._unseen = editing.remember_unseen(
            self._unseen,
            before=before,
            base=self._base,
            from_version=from_version,
            version=self.version,
            now=time.time(),
        )

    def _keep_unseen(self) -> None:
        """An edit of a field a push changed a moment ago was typed over the old value: merge it as such."""
        if not self._unseen.values:
            return
        self._unseen, self._base, self.version = editing.keep_unseen(
            self._unseen, mine=self._fields(), base=self._base, version=self.version, now=time.time()
        )

    # ---- saving and lifecycle ---------------------------------------------------------------

    def _draft(self) -> Draft:
        return Draft(
            contact_id=self.contact_id,
            mine=self._fields(),
            base=dict(self._base),
            version=self.version,
            custom_types=dict(self._custom_types),
        )

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

    def _outcome(self, result: editing.SaveResult):
        """Show what a save did: the saved contact, the conflicts to decide, or why nothing was saved."""
        if result.values is not None:
            self._apply(result.values)
            self._base, self.version = result.base, result.version
        if result.status == "saved":
            return self._saved(result.contact, self._t("Saved."))
        if result.status == "merged":
            return self._saved(result.contact, self._t("Saved, together with changes made by others meanwhile."))
        if result.status == "raced":
            return rx.toast.warning(self._t("The contact changed again while saving. Please save once more."))
        if result.status == "refused":
            return self._refused(result.error)
        if result.status == "deleted":
            self._deleted_meanwhile()
            return rx.toast.error(self._t("This contact no longer exists."))
        self._pending = result.pending
        self._theirs_version = result.version
        self._theirs_values = result.theirs
        self.conflicts = editing.conflict_rows(result.conflicts, locale=self.locale, names=self._names())
        self.show_conflicts = True
        return None

    @requires(Permission.CONTACTS_EDIT)
    def save(self):
        """Validate on the server and write everything in one transaction; merge with others' changes."""
        self.errors = {}
        self.form_error = ""
        if self.remote_deleted:
            return rx.toast.error(self._t("This contact no longer exists."))
        result, err = self._service(
            editing.save_form, draft=self._draft(), actor_id=self._current.id, locale=self.locale
        )
        return self._outcome(result) if err is None else self._refused(err)

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
        result, err = self._service(
            editing.resolve_conflicts,
            draft=self._draft(),
            pending=self._pending,
            theirs=self._theirs_values,
            theirs_version=self._theirs_version,
            take_theirs=[row.field for row in self.conflicts if row.choice == "theirs"],
            actor_id=self._current.id,
            locale=self.locale,
        )
        self.show_conflicts = False
        if err is not None:
            return self._refused(err)
        if result.status == "deleted":
            return rx.toast.error(self._t("This contact no longer exists."))
        self.conflicts = []
        self._pending = {}
        return self._outcome(result)

    @requires(Permission.CONTACTS_EDIT)
    def cancel_conflicts(self):
        """Close the conflict dialog and keep editing."""
        self.show_conflicts = False
