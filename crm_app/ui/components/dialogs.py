"""The one confirmation dialog: Esc and Cancel close it, focus is trapped inside and returns to the opener.

Its open flag lives in a state var (``open``) and ``on_close`` clears it; or, for a dialog the browser opens by
itself, a ``trigger`` button opens it and the confirm button closes it. A flagged dialog is mounted only while the flag
is set; Radix reports Esc and Cancel through ``on_open_change``, and an unmount (the page left while it was open)
calls ``on_close`` as well, so an open flag never outlives its page. Radix traps the focus but returns it only to a
``Trigger``; these dialogs open from the server, so the element focused when one opened is remembered in the browser
and focused again when it closes (or ``return_focus`` when the opener was a menu item).
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.vars import FunctionStringVar

from crm_app.ui.i18n import t

_REMEMBER_OPENER = FunctionStringVar.create("(() => { window.__crmDialogOpener = document.activeElement; })")


def _refocus(fallback: str | None) -> FunctionStringVar:
    """Focus the remembered opener again; when it is gone (a menu item), the ``fallback`` selector's element."""
    return FunctionStringVar.create(
        "(() => { let el = window.__crmDialogOpener; window.__crmDialogOpener = null;"
        " if (!el || !el.isConnected || el.closest('[role=menu]')) {"
        f" el = {json.dumps(fallback)} ? document.querySelector({json.dumps(fallback)}) : null; }}"
        " if (el && typeof el.focus === 'function') { setTimeout(() => el.focus(), 0); } })"
    )


def confirm_dialog(
    *body: rx.Component,
    title: rx.Component | rx.Var | str,
    open: rx.Var | None = None,
    on_close: rx.EventHandler | None = None,
    confirm: rx.Component | None = None,
    cancel_label: rx.Var | str | None = None,
    id: str,
    return_focus: str | None = None,
    max_width: str = "480px",
    trigger: rx.Component | None = None,
) -> rx.Component:
    """A modal confirmation: ``title``, the ``body``, then Cancel (or ``cancel_label``) and the ``confirm`` button.

    With ``open`` and ``on_close``, ``confirm`` runs its own handler, which clears the open flag when the action went
    through; ``return_focus`` is the selector of the control that gets the focus back when the opener is gone (a
    menu's trigger). With ``trigger`` instead, that button opens the dialog and ``confirm`` closes it as it runs.
    """
    buttons = [
        rx.alert_dialog.cancel(
            rx.button(t("Cancel") if cancel_label is None else cancel_label, variant="soft", color_scheme="gray")
        )
    ]
    if confirm is not None:
        buttons.append(confirm if trigger is None else rx.alert_dialog.action(confirm))
    parts = (
        rx.alert_dialog.title(title, custom_attrs={"as": "h2"}),
        *body,
        rx.flex(*buttons, gap="12px", justify="end", wrap="wrap", margin_top="16px"),
    )
    if trigger is not None:
        return rx.alert_dialog.root(
            rx.alert_dialog.trigger(trigger), rx.alert_dialog.content(*parts, id=id, max_width=max_width)
        )
    return rx.cond(
        open,
        rx.alert_dialog.root(
            rx.alert_dialog.content(
                *parts,
                id=id,
                max_width=max_width,
                on_open_auto_focus=_REMEMBER_OPENER,
                on_close_auto_focus=_refocus(return_focus),
            ),
            open=True,
            on_open_change=on_close,
            on_unmount=on_close,
        ),
    )
