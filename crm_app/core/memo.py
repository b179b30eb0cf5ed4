"""Configuration read once per unit of work: inside ``reading_config_once(session)`` the account settings,
form definitions and phone types are loaded on first use and reused (imports validate thousands of rows
against the same configuration; one query per row and lookup would dominate).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "crm_config_memo"


@contextmanager
def reading_config_once(session: Session) -> Iterator[None]:
    """Within this block, ``memoized`` reads on ``session`` are loaded once."""
    outer = session.info.get(_KEY)
    session.info[_KEY] = {} if outer is None else outer
    try:
        yield
    finally:
        if outer is None:
            session.info.pop(_KEY, None)


def memoized(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or its remembered result inside ``reading_config_once`` on this session."""
    cache: dict[Hashable, Any] | None = session.info.get(_KEY)
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def forget(session: Session, key: Hashable) -> None:
    """Drop one remembered read (after a rollback made it stale)."""
    cache: dict[Hashable, Any] | None = session.info.get(_KEY)
    if cache is not None:
        cache.pop(key, None)
