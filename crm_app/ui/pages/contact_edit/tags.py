"""The tags card: the contact's tags, and adding one by typing or from the suggestions."""

from __future__ import annotations

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.pages.contact_edit.controls import CAN_EDIT, field_note, section
from crm_app.ui.state.contact_edit import ContactEditState


def tags_section() -> rx.Component:
    """The tags card."""
    return section(
        t("Tags"),
        field_note("tags"),
        rx.flex(
            rx.foreach(
                ContactEditState.tags,
                lambda name: rx.badge(
                    name,
                    rx.cond(
                        CAN_EDIT,
                        rx.icon(
                            "x",
                            size=12,
                            on_click=ContactEditState.remove_tag(name),
                            cursor="pointer",
                            aria_label=t("Remove tag"),
                        ),
                    ),
                    color_scheme=rx.cond(
                        name == ContactEditState.conflict_tag, "red", ContactEditState.tag_colors.get(name, "indigo")
                    ),
                    variant="soft",
                    size="2",
                    class_name="tag-chip",
                ),
            ),
            gap="6px",
            wrap="wrap",
        ),
        rx.cond(
            CAN_EDIT,
            rx.vstack(
                rx.hstack(
                    rx.input(
                        value=ContactEditState.tag_input,
                        on_change=ContactEditState.type_tag,
                        on_key_down=ContactEditState.add_tag_on_enter,
                        placeholder=t("Add a tag…"),
                        id="tag-input",
                        width="100%",
                        auto_complete="off",
                    ),
                    rx.button(t("Add"), variant="soft", on_click=ContactEditState.add_typed_tag, id="tag-add"),
                    width="100%",
                ),
                rx.flex(
                    rx.foreach(
                        ContactEditState.tag_suggestions,
                        lambda s: rx.button(
                            s,
                            size="1",
                            variant="outline",
                            on_click=ContactEditState.add_tag(s),
                            class_name="tag-suggestion",
                        ),
                    ),
                    gap="6px",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
        ),
    )
