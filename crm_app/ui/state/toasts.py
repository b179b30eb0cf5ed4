"""Toasts the states return beyond rx.toast's own: a success with an "Undo" button."""

from __future__ import annotations

import reflex as rx

UNDO_TOAST_MS = 10_000


def undo_toast(message: str, undo_label: str, undo: rx.event.EventSpec) -> rx.event.EventSpec:
    """A success toast whose button (``undo_label``) sends ``undo``; it stays ten seconds, time to change one's mind."""
    return rx.toast.success(message, action={"label": undo_label, "on_click": undo}, duration=UNDO_TOAST_MS)
