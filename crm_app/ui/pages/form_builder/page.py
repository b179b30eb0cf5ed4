"""Settings → Contact forms: the fields of the person and organisation forms, their order and sections."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.components.access import managers_only
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.pages.form_builder.add_dialog import add_dialog
from crm_app.ui.pages.form_builder.confirmations import delete_dialog, delete_section_dialog
from crm_app.ui.pages.form_builder.edit_dialog import edit_dialog
from crm_app.ui.pages.form_builder.history import history
from crm_app.ui.pages.form_builder.sections import section_block
from crm_app.ui.pages.form_builder.toolbar import kind_tabs, toolbar
from crm_app.ui.state.form_builder import FormBuilderState


def form_builder_page() -> rx.Component:
    """Managers shape the person and organisation forms: fields, built-ins, order, sections."""
    return rx.box(
        page_header(t("Contact forms")),
        managers_only(
            Permission.FORMS_MANAGE,
            rx.vstack(
                rx.text(
                    t(
                        "Shape the contact file of each type: add your own fields, group them into sections, "
                        "show or hide the built-in parts and choose what is required."
                    ),
                    size="2",
                    color_scheme="gray",
                ),
                kind_tabs(),
                toolbar(),
                rx.text(
                    t("On a computer, drag a field by its row to move it; the arrows move it one place."),
                    size="1",
                    color_scheme="gray",
                    class_name="hide-on-phone",
                ),
                rx.vstack(
                    rx.foreach(FormBuilderState.sections, section_block), spacing="3", width="100%", id="form-fields"
                ),
                # assets/form_builder.js writes a dropped field's new place here; its change reaches the server.
                rx.el.input(
                    id="field-drop",
                    on_change=FormBuilderState.drop_field,
                    style={"display": "none"},
                    aria_hidden="true",
                ),
                rx.script(src="/form_builder.js"),
                history(),
                add_dialog(),
                edit_dialog(),
                delete_dialog(),
                delete_section_dialog(),
                spacing="4",
                width="100%",
                max_width="920px",
            ),
        ),
        width="100%",
    )
