"""Settings → Contact settings: channel defaults for new contacts, phone region and format, reference numbering."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.components.access import managers_only
from crm_app.ui.components.forms import field_error, field_label
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.contact_settings import CHANNEL_LABELS, DIGIT_CHOICES, REGION_CHOICES, ContactSettingsState
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE, ROW_BORDER


def _section(title: str, text: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t(title), size="3", as_="h2"),
            rx.text(t(text), size="2", color_scheme="gray"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _channel_switch(key: str, label: str) -> rx.Component:
    return rx.flex(
        rx.text(t(label), size="2", as_="label", html_for=f"default-{key}"),
        rx.spacer(),
        rx.switch(
            checked=ContactSettingsState.channel_defaults[key].to(bool),
            on_change=lambda value: ContactSettingsState.toggle_channel_default(key, value),
            id=f"default-{key}",
        ),
        align="center",
        width="100%",
        padding="8px 0",
        border_bottom=ROW_BORDER,
    )


def _communication() -> rx.Component:
    return _section(
        "Communication defaults",
        "Channels switched on here are ticked for the first phone or e-mail of a new contact. "
        "Existing contacts do not change.",
        rx.box(
            *[_channel_switch(key, label) for key, label in CHANNEL_LABELS.items()],
            width="100%",
            border_top=ROW_BORDER,
        ),
    )


def _display_choice(value: str, label: str, example: rx.Var) -> rx.Component:
    return rx.text(
        rx.flex(
            rx.radio_group.item(value=value, id=f"display-{value}"),
            rx.vstack(
                rx.text(t(label), size="2"),
                rx.text(example, size="1", color_scheme="gray", class_name="example"),
                spacing="0",
            ),
            gap="8px",
            align="start",
        ),
        as_="label",
    )


def _phone_numbers() -> rx.Component:
    return _section(
        "Phone numbers",
        "Numbers typed without a country code are read as numbers of this country.",
        rx.vstack(
            field_label("Default country", "default-region"),
            rx.el.select(
                *[rx.el.option(choice.label, value=choice.value) for choice in REGION_CHOICES],
                value=ContactSettingsState.default_region,
                on_change=ContactSettingsState.choose_region,
                id="default-region",
                style=FULL_WIDTH_SELECT_STYLE,
            ),
            spacing="1",
            width="100%",
        ),
        rx.vstack(
            field_label("Show numbers", "phone-display"),
            rx.radio_group.root(
                rx.flex(
                    _display_choice("international", "International", ContactSettingsState.international_example),
                    _display_choice("national", "National", ContactSettingsState.national_example),
                    gap="20px",
                    wrap="wrap",
                ),
                value=ContactSettingsState.phone_display,
                on_change=ContactSettingsState.choose_phone_display,
                id="phone-display",
            ),
            spacing="1",
            width="100%",
        ),
    )


def _references() -> rx.Component:
    return _section(
        "References",
        "Every new contact gets the next number with this prefix. Existing references do not change.",
        rx.flex(
            rx.vstack(
                field_label("Prefix", "reference-prefix"),
                rx.input(
                    value=ContactSettingsState.prefix_draft,
                    on_change=ContactSettingsState.type_prefix.debounce(250),
                    id="reference-prefix",
                    max_length=10,
                    auto_complete="off",
                    width="100%",
                ),
                field_error(ContactSettingsState.errors.get("reference_prefix", "")),
                spacing="1",
                flex="1",
                min_width="120px",
            ),
            rx.vstack(
                field_label("Digits", "reference-digits"),
                rx.el.select(
                    *[rx.el.option(n, value=n) for n in DIGIT_CHOICES],
                    value=ContactSettingsState.digits_draft,
                    on_change=ContactSettingsState.choose_digits,
                    id="reference-digits",
                    style=FULL_WIDTH_SELECT_STYLE,
                ),
                field_error(ContactSettingsState.errors.get("reference_digits", "")),
                spacing="1",
                width="100px",
            ),
            gap="12px",
            width="100%",
            wrap="wrap",
        ),
        rx.flex(
            rx.text(
                t("Example:"), " ", rx.code(ContactSettingsState.reference_example, id="reference-example"), size="2"
            ),
            rx.spacer(),
            rx.button(t("Save references"), on_click=ContactSettingsState.save_references, id="save-references"),
            align="center",
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
    )


def contact_settings_page() -> rx.Component:
    """Channel defaults for new contacts, phone region and format, reference numbering."""
    return rx.box(
        page_header(t("Contact settings")),
        managers_only(
            Permission.SETTINGS_LISTS,
            rx.vstack(
                rx.grid(
                    _communication(),
                    rx.vstack(_phone_numbers(), _references(), spacing="4", width="100%"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    gap="16px",
                    width="100%",
                    align_items="start",
                ),
                spacing="4",
                width="100%",
            ),
        ),
        width="100%",
    )
