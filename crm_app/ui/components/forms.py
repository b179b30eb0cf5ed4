"""The form widgets every page builds with: labels and required marks, field errors, hints, selects, icon actions.

A text given as a ``str`` is a msgid, translated here; a var (``t(...)``, a stored label) is shown as it is.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE


def _shown(text: rx.Var | str) -> rx.Var | str:
    return t(text) if isinstance(text, str) else text


def required_mark(required: rx.Var | bool) -> rx.Component:
    """The red star after the label of a field that must be filled."""
    return rx.cond(required, rx.text.span(" *", color=rx.color("red", 10), class_name="required-mark"))


def field_label(
    text: rx.Var | str, html_for: rx.Var | str = "", required: rx.Var | bool = False, *, size: str = "1"
) -> rx.Component:
    """A field's label (small and grey; ``size="2"`` for the larger dark one of a dialog's form)."""
    attrs: dict[str, Any] = {"color_scheme": "gray"} if size == "1" else {}
    if isinstance(html_for, rx.Var) or html_for:
        attrs["custom_attrs"] = {"htmlFor": html_for}
    mark = [] if required is False else [required_mark(required)]
    return rx.text(_shown(text), *mark, as_="label", size=size, weight="medium", **attrs)


def labelled(
    label: rx.Var | str, html_for: rx.Var | str, control: rx.Component, *extra: rx.Component, size: str = "2"
) -> rx.Component:
    """A label above its control, then whatever goes under it (hint, error)."""
    return rx.vstack(field_label(label, html_for, size=size), control, *extra, spacing="1", width="100%")


def field_error(message: rx.Var, *, id: str | None = None, class_name: str = "field-error") -> rx.Component:
    """The red message under a field, announced when it appears; nothing while ``message`` is empty."""
    return rx.cond(message, rx.text(message, color_scheme="red", size="1", class_name=class_name, role="alert", id=id))


def hint(text: rx.Var | str) -> rx.Component:
    """A short grey explanation under a field."""
    return rx.text(_shown(text), size="1", color_scheme="gray")


def option_select(options: rx.Var, *, empty_label: rx.Var | str | None = None, **props: Any) -> rx.Component:
    """A native select of ``options`` (items with ``label`` and ``value``), first ``empty_label`` for no choice."""
    empty = [] if empty_label is None else [rx.el.option(_shown(empty_label), value="")]
    return rx.el.select(
        *empty,
        rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
        style=FULL_WIDTH_SELECT_STYLE,
        **props,
    )


def icon_action(
    icon: str, label: rx.Var | str, on_click: Any, class_name: str, *, disabled: Any = False, color: str = "gray"
) -> rx.Component:
    """A quiet icon button of a row (move, rename, delete) with its name as tooltip and accessible label."""
    return rx.tooltip(
        rx.icon_button(
            rx.icon(icon, size=16),
            variant="ghost",
            color_scheme=color,
            on_click=on_click,
            disabled=disabled,
            aria_label=_shown(label),
            class_name=class_name,
        ),
        content=_shown(label),
    )
