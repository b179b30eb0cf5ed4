"""drop the indexes no query reads

Written by hand: ``contact.kind`` is covered by the (kind, archived_at) and (kind, sort_name) indexes, and
nothing looks contacts up by display name, phones by national digits or addresses by city (the list searches
them through the full-text index). Each of these indexes cost every insert and update, and a large import or
load, for nothing.

Revision ID: c4d5e6f7a8b9
Revises: b3c1d2e4f5a6
Create Date: 2026-12-01 23:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4d5e6f7a8b9"
down_revision: str | None = "b3c1d2e4f5a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_contact_kind", "contact", "kind"),
    ("ix_contact_display_name", "contact", "display_name"),
    ("ix_phone_national_digits", "phone", "national_digits"),
    ("ix_address_city", "address", "city"),
)


def upgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)
