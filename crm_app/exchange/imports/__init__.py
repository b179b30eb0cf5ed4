"""Imports: upload → mapping → dry run → batched, resumable run → error report → undo.

Every row gets an account (created, updated, unchanged, skipped or rejected with its column and reason).
The run commits in batches; each batch writes its contacts, its ``import_row`` lines and the job's progress in
one transaction, so a crash or a cancel leaves whole batches and the run resumes after the last one. Rows
are matched to existing contacts (and to earlier rows of the same file) by reference, e-mail or phone, so
running the same file again creates nobody twice.

``lifecycle`` (statuses, claiming, cancelling), ``context`` (what reading rows needs), ``mapping`` (upload,
preview, columns and options), ``inputs`` (a row as contact input), ``checking`` (a row checked as a new
contact), ``deciding`` (what each row does), ``rows`` (the rows in batches, from the file or as the dry run
kept them), ``dry_run``, ``running``, ``undo``; the reports are in ``crm_app.exchange.reports``.
"""
