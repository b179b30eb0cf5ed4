"""Reflex configuration: values come from crm_app.settings (CRM_* environment)."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from crm_app.settings import settings

os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")

config = rx.Config(
    app_name="crm_app",
    frontend_port=settings.port,
    backend_port=settings.port,
    # 127.0.0.1 unless CRM_HOST asks for another address (0.0.0.0 to reach it from a phone on the same network).
    backend_host=settings.host,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=settings.origin_allow_list(),
    # Behind N reverse proxies, the client address is the N-th from the right of X-Forwarded-For (sign-in throttle).
    trusted_proxy_hops=settings.trusted_proxy_hops,
    disable_plugins=[SitemapPlugin],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium", scaling="100%")
        )
    ],
)
