"""What the list's filter pickers offer: tags and staff by prefix, the chosen ones first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import (
    func,
    or_,
)
from sqlmodel import Session, select

from crm_app.auth.models import User
from crm_app.contacts.models import Tag
from crm_app.contacts.search.filters import MAX_LIST_FILTER

PICKER_LIMIT = 30


def _prefix_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _picked_first(chosen: list[tuple[int, str]], found: Iterable[tuple[int, str]], limit: int) -> list[tuple[int, str]]:
    seen = {item_id for item_id, _label in chosen}
    return chosen + [item for item in found if item[0] not in seen][:limit]


def tag_choices(
    session: Session, *, prefix: str = "", selected: Sequence[int] = (), limit: int = PICKER_LIMIT
) -> list[tuple[int, str]]:
    """(id, name) of the tags a filter picker offers: the chosen ones, then up to ``limit`` starting with ``prefix``."""
    text = " ".join(str(prefix or "").split())[:80].casefold()
    limit = max(1, min(int(limit), 100))
    wanted = [int(i) for i in selected][:MAX_LIST_FILTER]
    chosen = list(
        session.connection().execute(select(Tag.id, Tag.name).where(Tag.id.in_(wanted)).order_by(Tag.name))
        if wanted
        else []
    )
    stmt = select(Tag.id, Tag.name).order_by(func.lower(Tag.name), Tag.id).limit(limit + len(chosen))
    if text:
        stmt = stmt.where(func.lower(Tag.name).like(_prefix_pattern(text), escape="\\"))
    return _picked_first(
        [tuple(row) for row in chosen], (tuple(row) for row in session.connection().execute(stmt)), limit
    )


def user_choices(
    session: Session, *, prefix: str = "", selected: Sequence[int] = (), limit: int = PICKER_LIMIT
) -> list[tuple[int, str]]:
    """(id, name or e-mail) of the staff a picker offers: the chosen ones, then up to ``limit`` active users whose
    name or e-mail starts with ``prefix``."""
    text = " ".join(str(prefix or "").split())[:80].casefold()
    limit = max(1, min(int(limit), 100))
    wanted = [int(i) for i in selected][:MAX_LIST_FILTER]
    label = func.coalesce(func.nullif(User.name, ""), User.email)
    chosen = list(
        session.connection().execute(select(User.id, label).where(User.id.in_(wanted)).order_by(label))
        if wanted
        else []
    )
    stmt = select(User.id, label).where(User.active.is_(True)).order_by(func.lower(label), User.id)
    if text:
        pattern = _prefix_pattern(text)
        stmt = stmt.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\"))
        )
    found = session.connection().execute(stmt.limit(limit + len(chosen)))
    return _picked_first([tuple(row) for row in chosen], (tuple(row) for row in found), limit)
