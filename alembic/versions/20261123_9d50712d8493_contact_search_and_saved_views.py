"""contact search index, list sort indexes and saved views

Written by hand: ``contact_search`` holds one search document and the list sort keys per contact; on SQLite the
FTS5 table ``contact_fts`` (plus triggers) indexes it, on PostgreSQL a generated ``tsvector`` column with a GIN
index (both made by ``crm_app.contacts.search.structures.create_search_structures``). Existing contacts get their
search rows when the app starts (``crm_app.contacts.search.structures.ensure_search_documents``).

Revision ID: 9d50712d8493
Revises: c7e9f8e04af5
Create Date: 2026-11-23 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from crm_app.contacts.search.structures import create_search_structures, drop_search_structures

revision: str = "9d50712d8493"
down_revision: str | None = "c7e9f8e04af5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEYS = ("name", "city", "email", "phone", "assigned")
SORT_KEY = sqlmodel.sql.sqltypes.AutoString().with_variant(postgresql.VARCHAR(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "contact_search",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("name_key", SORT_KEY, nullable=False),
        sa.Column("name_doc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body_doc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("city_key", SORT_KEY, nullable=False),
        sa.Column("email_key", SORT_KEY, nullable=False),
        sa.Column("phone_key", SORT_KEY, nullable=False),
        sa.Column("assigned_key", SORT_KEY, nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    for key in SORT_KEYS:
        op.create_index(f"ix_contact_search_{key}", "contact_search", [f"{key}_key", "contact_id"], unique=False)

    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),
    )
    op.create_index("ix_saved_view_user_id", "saved_view", ["user_id"], unique=False)

    op.create_index("ix_contact_created_at", "contact", ["created_at"], unique=False)
    op.create_index("ix_contact_kind_sort_name", "contact", ["kind", "sort_name"], unique=False)

    bind = op.get_bind()
    create_search_structures(bind)
    # The search rows of existing contacts are built by the app when it starts (ensure_search_documents), once
    # every revision is applied: today's index builder writes columns this revision does not have yet.
    if bind.dialect.name == "sqlite":
        op.execute("ANALYZE")


def downgrade() -> None:
    drop_search_structures(op.get_bind())
    op.drop_index("ix_contact_kind_sort_name", table_name="contact")
    op.drop_index("ix_contact_created_at", table_name="contact")
    op.drop_index("ix_saved_view_user_id", table_name="saved_view")
    op.drop_table("saved_view")
    for key in SORT_KEYS:
        op.drop_index(f"ix_contact_search_{key}", table_name="contact_search")
    op.drop_table("contact_search")
