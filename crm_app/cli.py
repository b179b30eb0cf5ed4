"""Command line: ``python -m crm_app.cli create-admin|bootstrap|worker|imports``.

``imports run 12`` claims import #12 and runs it to the end in this process (operators resuming an import after a
crash, and the crash test that kills it half way); ``imports status 12`` prints its state as JSON.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import threading
from collections.abc import Sequence

import crm_app.models  # noqa: F401  (loads every table before any query)
from crm_app.auth import service
from crm_app.auth.permissions import ADMIN
from crm_app.core.errors import DomainError, ValidationError
from crm_app.db import session_scope
from crm_app.exchange.imports import lifecycle, running
from crm_app.jobs import worker
from crm_app.settings import settings

EXIT_OK = 0
EXIT_INVALID = 2


def _describe(error: DomainError) -> str:
    """The error's message, with the field it concerns when there is one."""
    if error.errors:
        return "; ".join(f"{field}: {message}" for field, message in error.errors.items())
    return error.message


def _prompt_password() -> str:
    """Ask for a password twice without echo."""
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise ValidationError("The two passwords differ.", field="password")
    return first


def create_admin(*, email: str, name: str, password: str | None) -> int:
    """Create an administrator; print the one-time password when one was generated."""
    if password is None and sys.stdin.isatty():
        password = _prompt_password()
    with session_scope() as session:
        user, one_time = service.create_user(
            session, email=email, name=name, role=ADMIN, password=password, actor_id=None
        )
    print(f"Created administrator {user.email}.")
    if one_time:
        print(f"One-time password: {one_time}")
        print("It must be changed at the first sign-in.")
    return EXIT_OK


def bootstrap() -> int:
    """Create the administrator named by CRM_BOOTSTRAP_ADMIN_EMAIL/PASSWORD when there is no admin yet."""
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if not email:
        print("CRM_BOOTSTRAP_ADMIN_EMAIL is not set: nothing to do.")
        return EXIT_OK
    if not password:
        print("error: CRM_BOOTSTRAP_ADMIN_PASSWORD is not set.", file=sys.stderr)
        return EXIT_INVALID
    with session_scope() as session:
        created = service.bootstrap_admin(session, email=email, password=password)
    print(f"Created administrator {email.strip().lower()}." if created else "An administrator exists: nothing to do.")
    return EXIT_OK


def run_worker(*, once: bool) -> int:
    """Run queued jobs: until none is due (``once``), or as a worker until interrupted."""
    if once:
        print(f"Ran {worker.run_until_idle()} jobs.")
        return EXIT_OK
    jobs_worker = worker.Worker()
    jobs_worker.start()
    print(f"Running jobs ({jobs_worker.slots} at a time); Ctrl+C stops.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        jobs_worker.stop()
    return EXIT_OK


def run_import(import_id: int, *, actor_id: int | None = None, worker: str | None = None) -> int:
    """Claim and run one import; prints its final state as JSON; exit code 0 when it finished."""
    worker = worker or lifecycle.worker_name()
    try:
        with session_scope() as session:
            lifecycle.start_import(session, import_id=import_id, actor_id=actor_id, worker=worker)
    except DomainError as error:
        print(json.dumps({"error": error.message}))
        return 2
    result = running.run_import(import_id=import_id, worker=worker)
    print(result.model_dump_json())
    return 0 if result.status == lifecycle.DONE else 1


def import_status(import_id: int) -> int:
    """Print an import's state as JSON."""
    try:
        with session_scope() as session:
            print(lifecycle.get_import(session, import_id=import_id).model_dump_json())
    except DomainError as error:
        print(json.dumps({"error": error.message}))
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="python -m crm_app.cli", description="crm_app administration.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-admin",
        help="create an administrator account",
        description="Create an administrator. Without --password: prompt on a terminal, "
        "otherwise generate a one-time password and print it.",
    )
    create.add_argument("--email", required=True, help="the administrator's e-mail address")
    create.add_argument("--name", default="Administrator", help="display name (default: Administrator)")
    create.add_argument("--password", default=None, help="the password (visible to other local users; avoid)")
    commands.add_parser(
        "bootstrap",
        help="create the admin from CRM_BOOTSTRAP_ADMIN_EMAIL/PASSWORD when none exists",
        description="For containers: create an administrator from CRM_BOOTSTRAP_ADMIN_EMAIL and "
        "CRM_BOOTSTRAP_ADMIN_PASSWORD unless an administrator already exists.",
    )
    work = commands.add_parser(
        "worker",
        help="run queued jobs (imports, exports, bulk actions, search rebuild)",
        description="Run a job worker beside (or instead of) the ones every app process runs.",
    )
    work.add_argument("--once", action="store_true", help="run the jobs that are due, then stop")
    one_import = commands.add_parser(
        "imports",
        help="run or inspect an import",
        description="Run (claim and run to the end, resuming after its last batch) or inspect an import.",
    )
    one_import.add_argument("action", choices=("run", "status"))
    one_import.add_argument("import_id", type=int)
    one_import.add_argument("--worker", default=None, help="name this runner (default host:pid)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit code 2 on invalid input."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "create-admin":
            return create_admin(email=args.email, name=args.name, password=args.password)
        if args.command == "imports":
            if args.action == "run":
                return run_import(args.import_id, worker=args.worker)
            return import_status(args.import_id)
        if args.command == "worker":
            return run_worker(once=args.once)
        return bootstrap()
    except DomainError as exc:
        print(f"error: {_describe(exc)}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
