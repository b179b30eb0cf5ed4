"""Contact form field definitions and sections (custom fields per contact type)

Revision ID: c7e9f8e04af5
Revises: 5fbd6072f8b0
Create Date: 2026-11-23 13:50:06.805341
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'c7e9f8e04af5'
down_revision: str | None = '5fbd6072f8b0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('form_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('form_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_section_kind'), ['kind'], unique=False)

    op.create_table('field_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('default_value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('help_text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('show_in_list', sa.Boolean(), nullable=False),
    sa.Column('searchable', sa.Boolean(), nullable=False),
    sa.Column('on_web_form', sa.Boolean(), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['form_section.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key', name='uq_field_definition_kind_key')
    )
    with op.batch_alter_table('field_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_definition_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_field_definition_section_id'), ['section_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('field_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_definition_section_id'))
        batch_op.drop_index(batch_op.f('ix_field_definition_kind'))

    op.drop_table('field_definition')
    with op.batch_alter_table('form_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_section_kind'))

    op.drop_table('form_section')
