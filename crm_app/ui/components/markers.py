"""A contact's name with its markers: supplier truck, red conflict dot, archived badge."""

import reflex as rx

from crm_app.ui.i18n import t


def contact_name(
    name: rx.Var,
    is_supplier: rx.Var,
    is_conflict: rx.Var,
    archived: rx.Var | None = None,
    size: str = "2",
    weight: str = "medium",
    wrap: bool = False,
    as_: str = "span",
) -> rx.Component:
    """The display name followed by the markers that must show wherever the name does (cut or wrapped, never hidden).

    ``as_`` is the element of the name ("h1" for the page's heading).
    """
    return rx.hstack(
        (rx.heading if as_.startswith("h") else rx.text)(
            name, size=size, weight=weight, as_=as_, class_name="name-wrap" if wrap else "clip", min_width="0"
        ),
        rx.cond(
            is_supplier,
            rx.tooltip(
                rx.icon(
                    "truck",
                    size=16,
                    color=rx.color("blue", 10),
                    aria_label=t("Supplier"),
                    class_name="marker-supplier",
                    flex_shrink="0",
                ),
                content=t("Supplier"),
            ),
        ),
        rx.cond(
            is_conflict,
            rx.tooltip(
                rx.box(
                    width="10px",
                    height="10px",
                    border_radius="50%",
                    background=rx.color("red", 9),
                    aria_label=t("Conflict"),
                    class_name="marker-conflict",
                    flex_shrink="0",
                ),
                content=t("Conflict"),
            ),
        ),
        rx.cond(archived, rx.badge(t("Archived"), color_scheme="gray", variant="soft"))
        if archived is not None
        else rx.fragment(),
        spacing="2",
        align="center",
        min_width="0",
        max_width="100%",
    )


def plain_contact_name(name: rx.Var, is_supplier: rx.Var, is_conflict: rx.Var, archived: rx.Var) -> list[rx.Component]:
    """The same name and markers as ``contact_name`` in plain elements styled by assets/styles.css, for lists
    that draw a page of them on every keystroke (Radix components cost a prop pass and a style pass each);
    native tooltips instead of Radix ones. The children of the caller's link or span."""
    return [
        rx.el.span(name, class_name="clip"),
        rx.cond(
            is_supplier,
            rx.el.span(
                rx.icon("truck", size=16),
                title=t("Supplier"),
                aria_label=t("Supplier"),
                role="img",
                class_name="list-marker-supplier marker-supplier",
            ),
        ),
        rx.cond(
            is_conflict,
            rx.el.span(
                title=t("Conflict"),
                aria_label=t("Conflict"),
                role="img",
                class_name="list-marker-conflict marker-conflict",
            ),
        ),
        rx.cond(archived, rx.el.span(t("Archived"), class_name="list-badge list-badge-gray")),
    ]
