"""Run or resume an import from the command line (or a process manager):

    python -m crm_app.jobs.imports run 12        # claim import #12 and run it to the end
    python -m crm_app.jobs.imports status 12

The app's import page does the same in a background task; this entry point serves operators resuming an
import after a crash, and the crash test that kills it half way.
"""

from __future__ import annotations

import argparse
import json
import sys

from crm_app.core.errors import DomainError
from crm_app.db import session_scope
from crm_app.exchange.imports import lifecycle, running


def run(import_id: int, *, actor_id: int | None = None, worker: str | None = None) -> int:
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


def status(import_id: int) -> int:
    """Print an import's state as JSON."""
    try:
        with session_scope() as session:
            print(lifecycle.get_import(session, import_id=import_id).model_dump_json())
    except DomainError as error:
        print(json.dumps({"error": error.message}))
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run or inspect an import.")
    parser.add_argument("command", choices=("run", "status"))
    parser.add_argument("import_id", type=int)
    parser.add_argument("--worker", default=None, help="name this runner (default host:pid)")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.import_id, worker=args.worker)
    return status(args.import_id)


if __name__ == "__main__":
    sys.exit(main())
