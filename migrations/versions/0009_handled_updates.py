"""handled updates: a delivery again of a committed update is a no-op, across web processes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 03:10:00
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handled_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('handled_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_handled_updates'))
    )
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handled_updates_handled_at'), ['handled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handled_updates_handled_at'))
    op.drop_table('handled_updates')
