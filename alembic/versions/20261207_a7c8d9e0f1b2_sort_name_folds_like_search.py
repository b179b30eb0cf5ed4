"""contact sort names fold like the search: "ł" sorts as "l"

Written by hand, data only: ``contact.sort_name`` is now folded by ``crm_app.core.text.fold``, which also maps the
letters Unicode does not decompose ("ł" -> "l", "ø" -> "o", "æ" -> "ae"...); the stored keys, folded without that
step, get it here in plain SQL (the same on SQLite and PostgreSQL), so old and new contacts sort together.

Downgrade leaves the keys as they are: earlier code reads them only to sort and to match a name prefix.

Revision ID: a7c8d9e0f1b2
Revises: f2b3c4d5e6f7
Create Date: 2026-12-07 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c8d9e0f1b2"
down_revision: str | None = "f2b3c4d5e6f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_NAME_LIMIT = 400
# What ``fold`` adds to the earlier key (NFKD without accents, case-folded): "ß" was already "ss" and "ŀ"
# already decomposed.
LETTERS = (("ł", "l"), ("đ", "d"), ("ø", "o"), ("æ", "ae"), ("œ", "oe"), ("ı", "i"), ("þ", "th"), ("ð", "d"))
LETTERS += (("ħ", "h"), ("ŧ", "t"))


def upgrade() -> None:
    contact = sa.table("contact", sa.column("sort_name", sa.String))
    folded: sa.ColumnElement[str] = contact.c.sort_name
    for letter, base in LETTERS:
        folded = sa.func.replace(folded, letter, base)
    op.get_bind().execute(
        contact.update()
        .where(contact.c.sort_name != folded)
        .values(sort_name=sa.func.substr(folded, 1, SORT_NAME_LIMIT))
    )


def downgrade() -> None:
    pass
