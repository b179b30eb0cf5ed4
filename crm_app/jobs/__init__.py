"""The one durable job queue (a table, on SQLite and PostgreSQL alike) and its workers; the packages that own
background work register its handlers by kind (``crm_app.jobs.registry``)."""
