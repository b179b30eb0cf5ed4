"""Where workers run: in every app process (a lifespan task) and from the command line."""

from __future__ import annotations

import crm_app.crm_app as app_module
from crm_app import cli
from crm_app.contacts import jobs as contact_jobs
from crm_app.contacts import service as contacts
from crm_app.db import session_scope
from crm_app.jobs import queue, registry, worker
from tests.contacts.factories import person


def test_every_app_process_runs_a_worker():
    assert worker.serve in app_module.app._lifespan_tasks


def test_the_domain_handlers_are_registered_by_the_composition_root():
    assert contact_jobs.BULK in registry.kinds()


def test_the_command_line_runs_the_due_jobs(app_db, capsys):
    with session_scope() as db:
        contact_id = contacts.create_contact(db, data=person(first_name="Ann", last_name="Cli"), actor_id=None).id
        job_id = contact_jobs.enqueue_bulk(db, action="archive", actor_id=None, ids=[contact_id])
    assert cli.main(["worker", "--once"]) == cli.EXIT_OK
    assert "Ran 1 jobs." in capsys.readouterr().out
    with session_scope() as db:
        assert queue.get_job(db, job_id=job_id).result["changed"] == 1
