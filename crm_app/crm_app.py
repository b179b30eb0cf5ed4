"""The Reflex application: theme, pages, the auth middleware and the REST API."""

import reflex as rx

from crm_app.api.routes import build_api
from crm_app.ui import routes
from crm_app.ui.state import live
from crm_app.ui.state.session import AuthMiddleware
from crm_app.ui.styles import base_style, stylesheets

app = rx.App(
    style=base_style,
    stylesheets=stylesheets,
    head_components=[rx.script(src="/unsaved_guard.js")],
    api_transformer=build_api(),
    # Top centre: never over the bottom action bar a phone user saves with.
    toaster=rx.toast.provider(position="top-center", close_button=True, duration=3500),
)
app.add_middleware(AuthMiddleware())
routes.register(app)
live.install(app)
