"""A settings page's body for the users allowed to change it, and a short notice for everyone else."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.i18n import t
from crm_app.ui.state.session import can


def managers_only(permission: Permission, content: rx.Component) -> rx.Component:
    """``content`` for users holding ``permission``; "Only managers can change these settings." otherwise."""
    return rx.cond(
        can(permission),
        content,
        rx.callout(
            t("Only managers can change these settings."),
            icon="lock",
            color_scheme="gray",
            id="no-access",
        ),
    )
