"""The shared input coercers: what a browser sends to a handler (any type at all) turned into what it means."""

from __future__ import annotations

from typing import Any


def as_flag(value: Any) -> bool | None:
    """A switch or checkbox value sent by the browser, or None when it is not one."""
    if isinstance(value, bool):
        return value
    if value in ("on", "true"):
        return True
    if value in ("off", "false"):
        return False
    return None


def as_bool(value: Any) -> bool:
    """A checkbox value sent by the browser: ticked or not (anything unknown is unticked)."""
    return value is True or value in ("on", "true", 1, "1")


def as_index(value: Any, size: int) -> int | None:
    """A position in a list of ``size`` rows, or None when it is none."""
    try:
        i = int(value)
    except (TypeError, ValueError):
        return None
    return i if 0 <= i < size else None


def as_direction(value: Any) -> str | None:
    """A move "up" or "down", or None."""
    return value if value in ("up", "down") else None


def form_text(form: Any, key: str = "name", limit: int = 200) -> str | None:
    """The text field ``key`` of a submitted form (cut at ``limit``), or None when the payload is not such a form."""
    if not isinstance(form, dict):
        return None
    value = form.get(key, "")
    if not isinstance(value, str):
        return None
    return value[:limit]
