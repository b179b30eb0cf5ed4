"""Saved views: a user's named filters and sort, kept as the list's URL parameters."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from crm_app.contacts.models import SavedView
from crm_app.contacts.search.filters import filter_from_params, filter_to_params, sort_from_params, sort_to_params
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.timeutil import as_utc

VIEW_NAME_LIMIT = 80
MAX_VIEWS_PER_USER = 100


class SavedViewRead(BaseModel):
    """A saved view: its name and the URL parameters (filters and sort) it brings back."""

    id: int
    name: str
    params: dict[str, str]
    created_at: datetime


def clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Only the filter and sort parameters the list understands, with bad values dropped."""
    return {**filter_to_params(filter_from_params(params)), **sort_to_params(sort_from_params(params))}


def _view_read(view: SavedView) -> SavedViewRead:
    params = view.params if isinstance(view.params, dict) else {}
    return SavedViewRead(id=view.id, name=view.name, params=clean_params(params), created_at=as_utc(view.created_at))


def list_views(session: Session, *, user_id: int) -> list[SavedViewRead]:
    """The user's saved views, by name."""
    views = session.exec(select(SavedView).where(SavedView.user_id == user_id)).all()
    return [_view_read(view) for view in sorted(views, key=lambda v: (v.name.casefold(), v.id))]


def save_view(session: Session, *, user_id: int, name: str, params: Mapping[str, Any]) -> SavedViewRead:
    """Keep the list's filters and sort under a name; saving again under the same name replaces that view."""
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationError("Give the view a name.", field="name")
    if len(text) > VIEW_NAME_LIMIT:
        raise ValidationError(f"Keep the name under {VIEW_NAME_LIMIT} characters.", field="name")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValidationError("Remove the invisible control characters from the name.", field="name")
    views = session.exec(select(SavedView).where(SavedView.user_id == user_id)).all()
    view = next((v for v in views if v.name.casefold() == text.casefold()), None)
    if view is None:
        if len(views) >= MAX_VIEWS_PER_USER:
            raise ValidationError(f"You can keep at most {MAX_VIEWS_PER_USER} views; delete one first.", field="name")
        view = SavedView(user_id=user_id, name=text, params={})
    view.name = text
    view.params = clean_params(params)
    session.add(view)
    session.flush()
    return _view_read(view)


def delete_view(session: Session, *, user_id: int, view_id: int) -> None:
    """Delete one of the user's own views; NotFoundError for a view that is not theirs."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise NotFoundError("This view does not exist (it may have been deleted).")
    session.delete(view)
    session.flush()
