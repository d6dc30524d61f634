"""merge records: what a manual `people merge` moved, so `people unmerge` can undo it exactly

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'merge_record',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kept_id', sa.String(length=36), nullable=False),
        sa.Column('merged_id', sa.String(length=36), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_merge_record_kept_id', 'merge_record', ['kept_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_merge_record_kept_id', table_name='merge_record')
    op.drop_table('merge_record')
