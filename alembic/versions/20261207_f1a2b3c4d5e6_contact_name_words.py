"""contact_name_word: the vocabulary of contacts' name words (typo-tolerant search)

Written by hand: one row per distinct word of four letters or more in the search rows' names, with its length,
indexed by (length, word) so that a mistyped search word reads only the words of about its length that start
with its letter (see ``crm_app.contacts.name_words``). The table starts empty: the app fills it when it rebuilds
the search rows at start (their layout version was raised with it), never here.

Revision ID: f1a2b3c4d5e6
Revises: e7f8a9b0c1d2
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f1a2b3c4d5e6"
down_revision: str | None = "e7f8a9b0c1d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEY = sqlmodel.sql.sqltypes.AutoString().with_variant(postgresql.VARCHAR(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "contact_name_word",
        sa.Column("word", SORT_KEY, nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word"),
    )
    op.create_index("ix_contact_name_word_length", "contact_name_word", ["length", "word"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_contact_name_word_length", table_name="contact_name_word")
    op.drop_table("contact_name_word")
