"""incident application requests: the decision is applied in the background (one scheduler at a time),
with the last run's report

Revision ID: 8c1d5e7f2a90
Revises: 6f2a9c4e1b83
Create Date: 2026-11-30 06:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c1d5e7f2a90'
down_revision = '6f2a9c4e1b83'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('application_requested_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('application_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('application_finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('application_applied', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('application_waiting', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('application_failed', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('application_failed')
        batch_op.drop_column('application_waiting')
        batch_op.drop_column('application_applied')
        batch_op.drop_column('application_finished_at')
        batch_op.drop_column('application_started_at')
        batch_op.drop_column('application_requested_by')
        batch_op.drop_column('application_requested_at')
