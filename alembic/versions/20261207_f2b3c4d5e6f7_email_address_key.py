"""E-mail: address_key, the identity imports and duplicate checks compare

Reviewed by hand: the column is added with a server default so existing rows are valid, filled from each
stored address (NFKC-normalised and case-folded, as ``crm_app.core.emails.email_key`` does), then indexed.
The address itself stays as it was written.

Revision ID: f2b3c4d5e6f7
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 18:40:00.000000
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f2b3c4d5e6f7"
down_revision: str | None = "f1a2b3c4d5e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _key(address: str) -> str:
    return unicodedata.normalize("NFKC", address or "").strip().casefold()


def upgrade() -> None:
    with op.batch_alter_table("email", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False, server_default="")
        )
    bind = op.get_bind()
    email = sa.table("email", sa.column("id", sa.Integer), sa.column("address", sa.String), sa.column("address_key"))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(email.c.id, email.c.address).where(email.c.id > last).order_by(email.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            email.update().where(email.c.id == sa.bindparam("row_id")).values(address_key=sa.bindparam("key")),
            [{"row_id": row_id, "key": _key(address)} for row_id, address in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table("email", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_address_key"), ["address_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_address_key"))
        batch_op.drop_column("address_key")
