"""Look and feel shared by every page."""

ACCENT = "indigo"
SIDEBAR_WIDTH = "220px"

base_style = {
    "font_family": "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "-webkit-font-smoothing": "antialiased",
}

stylesheets: list[str] = ["/styles.css"]
