"""search documents carry filter tokens (SQLite)

Written by hand: on SQLite each contact's search document now also holds its filter tokens ("_t12" for tag 12,
"_u3" for staff 3, "_a" when archived...; see ``crm_app.contacts.search``), and the FTS5 tokenizer keeps "_"
inside words so they stay whole. The full-text table is recreated with that tokenizer and every document is
rebuilt. PostgreSQL documents are unchanged (nothing to do there).

Downgrade leaves the tokens in place: earlier code never asks for them and they never match a typed search.

Revision ID: b3c1d2e4f5a6
Revises: 58de712029a6
Create Date: 2026-12-01 22:30:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlmodel import Session

from crm_app.contacts.search import create_search_structures, drop_search_structures, rebuild_search_index

revision: str = "b3c1d2e4f5a6"
down_revision: str | None = "58de712029a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    drop_search_structures(bind)
    create_search_structures(bind)
    with Session(bind=bind) as session:
        rebuild_search_index(session)
        session.flush()


def downgrade() -> None:
    """Nothing to undo: see the module docstring."""
