"""the digest: reply and machine-sender facts, the user's answers, who was delivered

Old inbound rows get `to_me` from what was known (addressed to you and not bulk); a re-sync
makes it exact. The contact table's derivation changes (models.rules CONTACT_DERIVATION), so
the first sync or report after the upgrade rebuilds it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 00:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_me', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('newsletter', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE interaction SET to_me = (direction = 'inbound' AND channel = 'email' AND bulk = false)"
        if op.get_bind().dialect.name == 'postgresql'
        else "UPDATE interaction SET to_me = (direction = 'inbound' AND channel = 'email' AND bulk = 0)"
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_contact_person_personal', ['person_id', 'personal', 'occurred_at'], unique=False)
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('snoozed_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ignored', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'machine_sender',
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('value', sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'value'),
    )
    op.create_table(
        'person_action',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_person_action_person_id', 'person_action', ['person_id'])
    op.create_table(
        'digest_item',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('report_date', sa.Date(), nullable=False),
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('report_date', 'person_id', name='uq_digest_item_day_person'),
    )
    op.create_index('ix_digest_item_report_date', 'digest_item', ['report_date'])
    op.create_index('ix_digest_item_person_id', 'digest_item', ['person_id'])


def downgrade() -> None:
    op.drop_index('ix_digest_item_person_id', 'digest_item')
    op.drop_index('ix_digest_item_report_date', 'digest_item')
    op.drop_table('digest_item')
    op.drop_index('ix_person_action_person_id', 'person_action')
    op.drop_table('person_action')
    op.drop_table('machine_sender')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('ignored')
        batch_op.drop_column('snoozed_until')
        batch_op.drop_column('name_at')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_person_personal')
        batch_op.drop_column('personal')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_column('newsletter')
        batch_op.drop_column('to_me')
