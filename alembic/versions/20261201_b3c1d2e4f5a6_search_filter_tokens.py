"""search documents carry filter tokens (SQLite) and a first-tag sort key

Written by hand: on SQLite each contact's search document now also holds its filter tokens ("_t12" for tag 12,
"_u3" for staff 3, "_a" when archived...; see ``crm_app.contacts.search.tokens``), and the FTS5 table keeps "_"
inside words and indexes word prefixes up to six letters. Every search row gains ``tag_key`` (its first tag,
folded) with an index, so the list sorts by tags along an index. The full-text structures are recreated; the search
rows themselves are rebuilt by the app when it starts
(``crm_app.contacts.search.structures.ensure_search_documents``: no layout is recorded for them yet), never here,
where today's code would meet an older schema.

Downgrade drops the sort key; the tokens stay: earlier code never asks for them and they never match a search.

Revision ID: b3c1d2e4f5a6
Revises: 58de712029a6
Create Date: 2026-12-01 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from crm_app.contacts.search.structures import create_search_structures, drop_search_structures

revision: str = "b3c1d2e4f5a6"
down_revision: str | None = "58de712029a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SORT_KEY = sqlmodel.sql.sqltypes.AutoString().with_variant(postgresql.VARCHAR(collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("contact_search") as batch_op:
        batch_op.add_column(sa.Column("tag_key", SORT_KEY, nullable=False, server_default=""))
    with op.batch_alter_table("contact_search") as batch_op:
        batch_op.alter_column("tag_key", server_default=None)
    op.create_index("ix_contact_search_tag", "contact_search", ["tag_key", "contact_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        drop_search_structures(bind)
        create_search_structures(bind)


def downgrade() -> None:
    op.drop_index("ix_contact_search_tag", table_name="contact_search")
    with op.batch_alter_table("contact_search") as batch_op:
        batch_op.drop_column("tag_key")
