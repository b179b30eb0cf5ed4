"""Look and feel shared by every page."""

import reflex as rx

ACCENT = "indigo"
SIDEBAR_WIDTH = "220px"

base_style = {
    "font_family": "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "-webkit-font-smoothing": "antialiased",
}

stylesheets: list[str] = ["/styles.css"]

# Native <select> boxes (used where Radix selects are awkward: forms, dynamic options) styled like inputs.
SELECT_STYLE = {
    "padding": "6px 8px",
    "border_radius": "6px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "background": rx.color("gray", 1),
    "color": rx.color("gray", 12),
    "font_size": "14px",
    "height": "32px",
}
FULL_WIDTH_SELECT_STYLE = {**SELECT_STYLE, "width": "100%"}
# The thin line between the rows of a list (fields, settings lists, history).
ROW_BORDER = f"1px solid {rx.color('gray', 4)}"
