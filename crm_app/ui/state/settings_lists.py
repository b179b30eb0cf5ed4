"""Manager settings of the contact file: phone types, campaigns, tags and the contact defaults.

Every handler takes its arguments from the browser, so each one coerces them (ids, texts,
booleans, form dicts) and ignores anything of the wrong shape before calling one service.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import phonenumbers
import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts import lists as list_service
from crm_app.contacts import tags as tag_service
from crm_app.contacts.service import country_name
from crm_app.core import app_settings
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.ui.state.coerce import as_direction, as_flag, form_text
from crm_app.ui.state.session import SessionState, requires

NAME_LIMIT = 200
MAX_SELECTED = 200
CHANNEL_LABELS: dict[str, str] = {"whatsapp": "WhatsApp", "viber": "Viber", "sms": "SMS", "email": "E-mail"}
DIGIT_CHOICES: tuple[str, ...] = tuple(
    str(n) for n in range(app_settings.REFERENCE_DIGITS_MIN, app_settings.REFERENCE_DIGITS_MAX + 1)
)


@dataclasses.dataclass
class ListRow:
    """A phone type or a campaign as one line of its settings list."""

    id: int
    name: str
    usage: int = 0
    active: bool = True
    first: bool = False
    last: bool = False


@dataclasses.dataclass
class TagRow:
    """A tag as one line of the tags page."""

    id: int
    name: str
    color: str
    usage: int
    system: bool


@dataclasses.dataclass
class Choice:
    """One option of a select box."""

    value: str
    label: str


def _region_choices() -> list[Choice]:
    regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=lambda code: (country_name(code).casefold(), code))
    return [
        Choice(value=code, label=f"{country_name(code)} ({code}, +{phonenumbers.country_code_for_region(code)})")
        for code in regions
    ]


REGION_CHOICES: list[Choice] = _region_choices()


def _list_rows(items: list[Any]) -> list[ListRow]:
    last = len(items) - 1
    return [
        ListRow(
            id=item.id,
            name=item.name,
            usage=getattr(item, "usage", 0),
            active=getattr(item, "active", True),
            first=i == 0,
            last=i == last,
        )
        for i, item in enumerate(items)
    ]


def _open_rename(state: Any, value: Any) -> None:
    row_id = as_id(value)
    state.editing_id = row_id if row_id and any(r.id == row_id for r in state.rows) else 0
    state.rename_error = ""


def _close_rename(state: Any) -> None:
    state.editing_id = 0
    state.rename_error = ""


class PhoneTypesState(SessionState):
    """Custom phone types, offered after the built-in Mobile, Work and Home."""

    rows: list[ListRow] = []
    editing_id: int = 0
    add_error: str = ""
    rename_error: str = ""

    def _refresh(self) -> None:
        with session_scope() as db:
            self.rows = _list_rows(list_service.list_phone_types(db))

    @requires(Permission.SETTINGS_LISTS)
    def load(self):
        """Read the phone types."""
        _close_rename(self)
        self.add_error = ""
        self._refresh()

    @requires(Permission.SETTINGS_LISTS)
    def add(self, form: dict):
        """Add a phone type at the end of the list."""
        name = form_text(form, "name", NAME_LIMIT)
        if name is None:
            return None
        _result, err = self._service(list_service.create_phone_type, actor_id=self._current.id, name=name)
        if err:
            self.add_error = self._error_text(err)
            return None
        self.add_error = ""
        self._refresh()
        return [rx.set_value("new-phone-type", ""), rx.toast.success(self._t("Phone type added."))]

    @requires(Permission.SETTINGS_LISTS)
    def start_rename(self, type_id: int):
        """Open the inline rename box of one row."""
        _open_rename(self, type_id)

    @requires(Permission.SETTINGS_LISTS)
    def cancel_rename(self):
        """Close the inline rename box."""
        _close_rename(self)

    @requires(Permission.SETTINGS_LISTS)
    def save_rename(self, form: dict):
        """Rename the phone type being edited; phones of that type follow."""
        name = form_text(form, "name", NAME_LIMIT)
        if name is None or not self.editing_id:
            return None
        _result, err = self._service(
            list_service.rename_phone_type, actor_id=self._current.id, type_id=self.editing_id, name=name
        )
        if err:
            self.rename_error = self._error_text(err)
            return None
        _close_rename(self)
        self._refresh()
        return rx.toast.success(self._t("Renamed."))

    @requires(Permission.SETTINGS_LISTS)
    def move(self, type_id: int, direction: str):
        """Move a phone type one place up or down."""
        row_id, step = as_id(type_id), as_direction(direction)
        if row_id is None or step is None:
            return None
        _result, err = self._service(
            list_service.move_phone_type, actor_id=self._current.id, type_id=row_id, direction=step
        )
        self._refresh()
        return rx.toast.error(self._error_text(err)) if err else None

    @requires(Permission.SETTINGS_LISTS)
    def delete(self, type_id: int):
        """Delete a phone type no phone uses (the refusal says how many still do)."""
        row_id = as_id(type_id)
        if row_id is None:
            return None
        _result, err = self._service(list_service.delete_phone_type, actor_id=self._current.id, type_id=row_id)
        self._refresh()
        if err:
            return rx.toast.error(self._error_text(err))
        return rx.toast.success(self._t("Phone type deleted."))


class ChannelsState(SessionState):
    """Marketing campaigns: the answers to "How did they find us?" (acquisition channels)."""

    rows: list[ListRow] = []
    editing_id: int = 0
    add_error: str = ""
    rename_error: str = ""

    def _refresh(self) -> None:
        with session_scope() as db:
            self.rows = _list_rows(list_service.list_channels(db, include_inactive=True))

    @requires(Permission.SETTINGS_LISTS)
    def load(self):
        """Read every campaign, inactive ones too."""
        _close_rename(self)
        self.add_error = ""
        self._refresh()

    @requires(Permission.SETTINGS_LISTS)
    def add(self, form: dict):
        """Add an active campaign at the end of the list."""
        name = form_text(form, "name", NAME_LIMIT)
        if name is None:
            return None
        _result, err = self._service(list_service.create_channel, actor_id=self._current.id, name=name)
        if err:
            self.add_error = self._error_text(err)
            return None
        self.add_error = ""
        self._refresh()
        return [rx.set_value("new-campaign", ""), rx.toast.success(self._t("Campaign added."))]

    @requires(Permission.SETTINGS_LISTS)
    def start_rename(self, channel_id: int):
        """Open the inline rename box of one row."""
        _open_rename(self, channel_id)

    @requires(Permission.SETTINGS_LISTS)
    def cancel_rename(self):
        """Close the inline rename box."""
        _close_rename(self)

    @requires(Permission.SETTINGS_LISTS)
    def save_rename(self, form: dict):
        """Rename the campaign being edited (contacts keep pointing at it)."""
        name = form_text(form, "name", NAME_LIMIT)
        if name is None or not self.editing_id:
            return None
        _result, err = self._service(
            list_service.rename_channel, actor_id=self._current.id, channel_id=self.editing_id, name=name
        )
        if err:
            self.rename_error = self._error_text(err)
            return None
        _close_rename(self)
        self._refresh()
        return rx.toast.success(self._t("Renamed."))

    @requires(Permission.SETTINGS_LISTS)
    def move(self, channel_id: int, direction: str):
        """Move a campaign one place up or down."""
        row_id, step = as_id(channel_id), as_direction(direction)
        if row_id is None or step is None:
            return None
        _result, err = self._service(
            list_service.move_channel, actor_id=self._current.id, channel_id=row_id, direction=step
        )
        self._refresh()
        return rx.toast.error(self._error_text(err)) if err else None

    @requires(Permission.SETTINGS_LISTS)
    def toggle_active(self, channel_id: int, active: bool):
        """Offer a campaign again, or stop offering it (contacts that have it keep it)."""
        row_id, flag = as_id(channel_id), as_flag(active)
        if row_id is None or flag is None:
            return None
        _result, err = self._service(
            list_service.set_channel_active, actor_id=self._current.id, channel_id=row_id, active=flag
        )
        self._refresh()
        if err:
            return rx.toast.error(self._error_text(err))
        return rx.toast.success(self._t("Campaign activated.") if flag else self._t("Campaign deactivated."))


class TagsState(SessionState):
    """Every tag with its usage; rename, colour, merge and delete."""

    rows: list[TagRow] = []
    editing_id: int = 0
    add_error: str = ""
    rename_error: str = ""
    selected: list[int] = []
    merge_target: str = ""
    merge_open: bool = False
    delete_id: int = 0

    def _refresh(self) -> None:
        with session_scope() as db:
            tags = tag_service.list_tags(db)
            usage = tag_service.tag_usage(db)
        self.rows = [
            TagRow(id=t.id, name=t.name, color=t.color, usage=usage.get(t.id, 0), system=bool(t.system_key))
            for t in tags
        ]
        mergeable = {r.id for r in self.rows if not r.system}
        self.selected = [i for i in self.selected if i in mergeable]
        known = {str(r.id) for r in self.rows}
        if self.merge_target not in known:
            self.merge_target = ""
        if not any(r.id == self.delete_id for r in self.rows):
            self.delete_id = 0
        if not any(r.id == self.editing_id for r in self.rows):
            self.editing_id = 0

    def _row(self, tag_id: int) -> TagRow | None:
        return next((r for r in self.rows if r.id == tag_id), None)

    @rx.var
    def selected_count(self) -> int:
        """How many tags are ticked for a merge."""
        return len(self.selected)

    @rx.var
    def merge_target_name(self) -> str:
        """The name of the tag that survives the merge."""
        target = as_id(self.merge_target)
        return next((r.name for r in self.rows if r.id == target), "")

    @rx.var
    def merge_summary(self) -> str:
        """What the merge does, in words, with how many contacts move."""
        target = as_id(self.merge_target)
        names = {r.id: r.name for r in self.rows}
        sources = [r for r in self.rows if r.id in self.selected and r.id != target]
        if not sources or target not in names:
            return ""
        values = {
            "count": sum(r.usage for r in sources),
            "names": ", ".join(f"“{r.name}”" for r in sources),
            "target": names[target],
        }
        if len(sources) == 1:
            text = self._t("{count} contacts move from {names} to “{target}”.", **values)
        else:
            text = self._t(
                "Up to {count} contacts move from {names} to “{target}” (a contact with several of them counts once).",
                **values,
            )
        return f"{text} {self._t('The other tags are then deleted.')}"

    @rx.var
    def delete_name(self) -> str:
        """The name of the tag awaiting delete confirmation."""
        return next((r.name for r in self.rows if r.id == self.delete_id), "")

    @rx.var
    def delete_summary(self) -> str:
        """What deleting the tag does to the contacts that carry it."""
        usage = next((r.usage for r in self.rows if r.id == self.delete_id), 0)
        if usage == 0:
            return self._t("No contact has this tag.")
        if usage == 1:
            return self._t("1 contact has this tag; it will be removed from it.")
        return self._t("{count} contacts have this tag; it will be removed from them.", count=usage)

    def _merge_sources(self) -> list[int]:
        target = as_id(self.merge_target)
        return [i for i in self.selected if i != target]

    @requires(Permission.TAGS_MANAGE)
    def load(self):
        """Read every tag and how many contacts carry it."""
        self.editing_id = 0
        self.add_error = ""
        self.rename_error = ""
        self.selected = []
        self.merge_target = ""
        self.merge_open = False
        self.delete_id = 0
        self._refresh()

    @requires(Permission.TAGS_MANAGE)
    def add(self, form: dict):
        """Create a tag nobody carries yet."""
        name = form_text(form, "name", NAME_LIMIT)
        if name is None:
            return None
        _result, err = self._service(tag_service.create_tag, actor_id=self._current.id, name=name)
        if err:
            self.add_error = self._error_text(err)
            return None
        self.add_error = ""
        self._refresh()
        return [rx.set_value("new-tag", ""), rx.toast.success(self._t("Tag added."))]

    @requires(Permission.TAGS_MANAGE)
    def start_rename(self, tag_id: int):
        """Open the inline rename box of one tag."""
        row_id = as_id(tag_id)
        self.editing_id = row_id if row_id and self._row(row_id) else 0
        self.rename_error = ""

    @requires(Permission.TAGS_MANAGE)
    def cancel_rename(self):
        """Close the inline rename box."""
        self.editing_id = 0
        self.rename_error = ""

    @requires(Permission.TAGS_MANAGE)
    def save_rename(self, form: dict):
        """Rename the tag being edited; every contact shows the new name."""
        name = form_text(form, "name", NAME_LIMIT)
        if name is None or not self.editing_id:
            return None
        _result, err = self._service(
            tag_service.rename_tag, actor_id=self._current.id, tag_id=self.editing_id, name=name
        )
        if err:
            self.rename_error = self._error_text(err)
            return None
        self.editing_id = 0
        self.rename_error = ""
        self._refresh()
        return rx.toast.success(self._t("Renamed."))

    @requires(Permission.TAGS_MANAGE)
    def recolor(self, tag_id: int, color: str):
        """Give a tag one of the tag colours."""
        row_id = as_id(tag_id)
        if row_id is None or color not in tag_service.TAG_COLORS:
            return None
        _result, err = self._service(tag_service.set_tag_color, actor_id=self._current.id, tag_id=row_id, color=color)
        self._refresh()
        return rx.toast.error(self._error_text(err)) if err else None

    @requires(Permission.TAGS_MANAGE)
    def toggle_select(self, tag_id: int, checked: bool):
        """Tick or untick a tag for a merge (system tags cannot be merged away)."""
        row_id, flag = as_id(tag_id), as_flag(checked)
        if row_id is None or flag is None:
            return None
        row = self._row(row_id)
        if row is None or row.system:
            return None
        others = [i for i in self.selected if i != row_id]
        if flag and len(others) < MAX_SELECTED:
            self.selected = [*others, row_id]
            if not self.merge_target:
                self.merge_target = str(row_id)
        else:
            self.selected = others
            if self.merge_target == str(row_id):
                self.merge_target = str(others[0]) if others else ""
        return None

    @requires(Permission.TAGS_MANAGE)
    def clear_selection(self):
        """Untick every tag."""
        self.selected = []
        self.merge_target = ""
        self.merge_open = False

    @requires(Permission.TAGS_MANAGE)
    def choose_merge_target(self, tag_id: str):
        """Pick the tag that survives the merge (any tag, system tags too)."""
        row_id = as_id(tag_id)
        if row_id is not None and self._row(row_id):
            self.merge_target = str(row_id)

    @requires(Permission.TAGS_MANAGE)
    def ask_merge(self):
        """Open the merge confirmation."""
        if not self._merge_sources() or self._row(as_id(self.merge_target) or 0) is None:
            return rx.toast.error(self._t("Tick the tags to merge and choose the tag that stays."))
        self.merge_open = True
        return None

    @requires(Permission.TAGS_MANAGE)
    def cancel_merge(self):
        """Close the merge confirmation without merging."""
        self.merge_open = False

    @requires(Permission.TAGS_MANAGE)
    def confirm_merge(self):
        """Move every contact of the ticked tags to the target tag and delete the ticked tags."""
        target, sources = as_id(self.merge_target), self._merge_sources()
        self.merge_open = False
        if target is None or not sources:
            return None
        result, err = self._service(
            tag_service.merge_tags, actor_id=self._current.id, source_ids=sources, target_id=target
        )
        if err:
            self._refresh()
            return rx.toast.error(self._error_text(err))
        self.selected = []
        self.merge_target = ""
        self._refresh()
        return rx.toast.success(self._t("Merged into “{name}”.", name=result.name))

    @requires(Permission.TAGS_MANAGE)
    def ask_delete(self, tag_id: int):
        """Open the delete confirmation of a tag (system tags are locked)."""
        row = self._row(as_id(tag_id) or 0)
        if row is None:
            return None
        if row.system:
            return rx.toast.error(self._t("“{name}” is a system tag and cannot be deleted.", name=row.name))
        self.delete_id = row.id
        return None

    @requires(Permission.TAGS_MANAGE)
    def cancel_delete(self):
        """Close the delete confirmation."""
        self.delete_id = 0

    @requires(Permission.TAGS_MANAGE)
    def confirm_delete(self):
        """Delete the tag awaiting confirmation and take it off every contact."""
        tag_id, self.delete_id = self.delete_id, 0
        if not tag_id:
            return None
        _result, err = self._service(tag_service.delete_tag, actor_id=self._current.id, tag_id=tag_id)
        self._refresh()
        if err:
            return rx.toast.error(self._error_text(err))
        return rx.toast.success(self._t("Tag deleted."))


class AccountSettingsState(SessionState):
    """Contact settings: channel defaults for new contacts, phone region and format, references."""

    channel_defaults: dict[str, bool] = dict.fromkeys(app_settings.CHANNEL_DEFAULT_KEYS, False)
    default_region: str = app_settings.DEFAULTS.default_region
    phone_display: str = app_settings.DEFAULTS.phone_display
    reference_prefix: str = app_settings.DEFAULTS.reference_prefix
    reference_digits: str = str(app_settings.DEFAULTS.reference_digits)
    prefix_draft: str = app_settings.DEFAULTS.reference_prefix
    digits_draft: str = str(app_settings.DEFAULTS.reference_digits)
    errors: dict[str, str] = {}

    def _show(self, values: app_settings.AccountSettings) -> None:
        self.channel_defaults = dict(values.channel_defaults)
        self.default_region = values.default_region
        self.phone_display = values.phone_display
        self.reference_prefix = values.reference_prefix
        self.reference_digits = str(values.reference_digits)

    def _save(self, **changes: Any):
        result, err = self._service(app_settings.update_settings, actor_id=self._current.id, **changes)
        if err:
            self.errors = self._field_errors(err)
            message = "; ".join(self.errors.values()) or self._error_text(err)
            return rx.toast.error(message)
        self.errors = {}
        self._show(result)
        return rx.toast.success(self._t("Saved."))

    @rx.var
    def national_example(self) -> str:
        """A mobile number of the default region written the national way."""
        return _example(self.default_region, phonenumbers.PhoneNumberFormat.NATIONAL)

    @rx.var
    def international_example(self) -> str:
        """A mobile number of the default region written the international way."""
        return _example(self.default_region, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    @rx.var
    def reference_example(self) -> str:
        """What the next references look like with the prefix and digits being typed."""
        digits = as_id(self.digits_draft) or 0
        if not app_settings.REFERENCE_DIGITS_MIN <= digits <= app_settings.REFERENCE_DIGITS_MAX:
            digits = app_settings.DEFAULTS.reference_digits
        return f"{self.prefix_draft}{'123'.zfill(digits)}"

    @requires(Permission.SETTINGS_LISTS)
    def load(self):
        """Read the account settings."""
        with session_scope() as db:
            values = app_settings.get_settings(db)
        self.errors = {}
        self._show(values)
        self.prefix_draft = self.reference_prefix
        self.digits_draft = self.reference_digits

    @requires(Permission.SETTINGS_LISTS)
    def toggle_channel_default(self, channel: str, enabled: bool):
        """Switch a channel's consent on or off by default for new contacts."""
        flag = as_flag(enabled)
        if channel not in app_settings.CHANNEL_DEFAULT_KEYS or flag is None:
            return None
        return self._save(channel_defaults={channel: flag})

    @requires(Permission.SETTINGS_LISTS)
    def choose_region(self, region: str):
        """Set the country used to read phone numbers written without a country code."""
        if not isinstance(region, str) or len(region) > 3:
            return None
        return self._save(default_region=region)

    @requires(Permission.SETTINGS_LISTS)
    def choose_phone_display(self, style: str):
        """Show phone numbers the international or the national way."""
        if style not in app_settings.PHONE_DISPLAY_STYLES:
            return None
        return self._save(phone_display=style)

    @requires(Permission.SETTINGS_LISTS)
    def type_prefix(self, value: str):
        """Follow the reference prefix being typed (for the example)."""
        if isinstance(value, str):
            self.prefix_draft = value[:20]

    @requires(Permission.SETTINGS_LISTS)
    def choose_digits(self, value: str):
        """Follow the number of digits being chosen (for the example)."""
        if isinstance(value, str) and value in DIGIT_CHOICES:
            self.digits_draft = value

    @requires(Permission.SETTINGS_LISTS)
    def save_references(self):
        """Store the reference prefix and number of digits used for new contacts."""
        digits = as_id(self.digits_draft)
        if digits is None:
            self.errors = {"reference_digits": self._t("Choose the number of digits.")}
            return None
        return self._save(reference_prefix=self.prefix_draft, reference_digits=digits)


def _example(region: str, style: int) -> str:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, style) if number else ""
