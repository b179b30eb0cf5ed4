"""Manager editor of the tags: every tag with its usage; add, rename, colour, merge, delete.

Every handler takes its arguments from the browser, so each one coerces them (ids, texts, booleans, form dicts) and
ignores anything of the wrong shape before calling one service.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts import tags as tag_service
from crm_app.core.ids import as_id
from crm_app.db import session_scope
from crm_app.ui.state.coerce import as_flag, form_text
from crm_app.ui.state.session import SessionState, requires

MAX_SELECTED = 200


@dataclasses.dataclass
class TagRow:
    """A tag as one line of the tags page."""

    id: int
    name: str
    color: str
    usage: int
    system: bool


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
        name = form_text(form)
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
        name = form_text(form)
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
