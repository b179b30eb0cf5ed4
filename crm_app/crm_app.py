"""The Reflex application: theme, pages, the auth middleware, the REST API, start-up tasks and the job worker."""

import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

import crm_app.models  # noqa: F401  (every table and every domain's event subscriptions)
from crm_app.api.routes import build_api
from crm_app.auth import service as auth_service
from crm_app.contacts import jobs as contact_jobs
from crm_app.core.errors import DomainError
from crm_app.db import session_scope
from crm_app.jobs import worker
from crm_app.settings import settings
from crm_app.ui import routes
from crm_app.ui.guard import TabGuard
from crm_app.ui.state import live
from crm_app.ui.state.session import AuthMiddleware
from crm_app.ui.styles import base_style, stylesheets

log = logging.getLogger(__name__)


def _admin_exists() -> bool:
    with session_scope() as db:
        return auth_service.admin_exists(db)


def bootstrap_admin_on_start() -> bool:
    """Create the administrator of CRM_BOOTSTRAP_ADMIN_EMAIL/PASSWORD unless one exists; return whether created.

    Every worker runs this at start: the first creates the account, the others find an administrator (or,
    racing, lose on the unique e-mail) and do nothing. A problem is logged, never stops the app.
    """
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if not email or not password:
        return False
    try:
        with session_scope() as db:
            created = auth_service.bootstrap_admin(db, email=email, password=password)
    except DomainError as error:
        if error.msgid == auth_service.USER_EXISTS and _admin_exists():
            return False  # another worker created it at the same moment
        log.error("CRM_BOOTSTRAP_ADMIN_EMAIL: the administrator was not created: %s", error.message)
        return False
    except SQLAlchemyError:
        log.exception("CRM_BOOTSTRAP_ADMIN_EMAIL: the administrator was not created (is the database migrated?)")
        return False
    if created:
        log.warning("Created administrator %s from CRM_BOOTSTRAP_ADMIN_EMAIL.", email.strip().lower())
    return created


def search_documents_on_start() -> int | None:
    """Queue the rebuild of the search rows when earlier code wrote them in another layout (after an upgrade);
    returns the job's id. Every worker runs this at start and finds the same job (or the rows current); the job
    rebuilds them in the background while the list answers from the rows as they stand."""
    try:
        with session_scope() as db:
            job_id = contact_jobs.queue_search_rebuild(db)
    except SQLAlchemyError:
        log.exception("The search index was not checked at start (is the database migrated?)")
        return None
    if job_id is not None:
        log.warning("The search rows were written by an earlier version: job %s rebuilds them now.", job_id)
    return job_id


app = rx.App(
    style=base_style,
    stylesheets=stylesheets,
    head_components=[rx.script(src="/unsaved_guard.js")],
    # The REST routes, then the guard of sockets and uploads around everything (crm_app/ui/guard.py).
    api_transformer=[build_api(), lambda backend: TabGuard(backend, lambda: app)],
    # Top centre: never over the bottom action bar a phone user saves with; on a phone below the top bar, never
    # over it (sonner's mobileOffset, which Reflex does not declare).
    toaster=rx.toast.provider(
        position="top-center", close_button=True, duration=3500, custom_attrs={"mobileOffset": {"top": "64px"}}
    ),
)
app.add_middleware(AuthMiddleware())
routes.register(app)
live.install(app)
app.register_lifespan_task(bootstrap_admin_on_start)
app.register_lifespan_task(search_documents_on_start)
app.register_lifespan_task(worker.serve)
