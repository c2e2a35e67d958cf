"""inbox at-risk indexes: complaints by risk (with the inbox's filters), the at-risk ones alone, each
complaint's open tasks in due order, and the complaint in the all-open-tasks due index

Revision ID: 6f2a9c4e1b83
Revises: 4d2b8e61c9a7
Create Date: 2026-11-30 03:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6f2a9c4e1b83'
down_revision = '4d2b8e61c9a7'
branch_labels = None
depends_on = None

AT_RISK = sa.text("risk_status = 'at_risk'")


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        # Replaces the single-column index: the same look-ups by risk, "is this complaint at risk" answered
        # from the index (risk, id), and the inbox's complaint filters on the at-risk complaints checked in it.
        batch_op.drop_index('ix_complaint_risk_status')
        batch_op.create_index('ix_complaint_risk', ['risk_status', 'id', 'channel', 'priority', 'kind'],
                              unique=False)
        # The at-risk complaints alone: PostgreSQL's walk in due order checks each row's complaint here.
        batch_op.create_index('ix_complaint_at_risk', ['id'], unique=False, sqlite_where=AT_RISK,
                              postgresql_where=AT_RISK)
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        # Replaces the single-column index: the same look-ups by complaint, and the at-risk tasks in due
        # order read from the index alone.
        batch_op.drop_index('ix_human_task_complaint_id')
        batch_op.create_index('ix_human_task_complaint_open', ['complaint_id', 'state', 'due_at', 'id'],
                              unique=False)
        # Every open task in due order, now with its complaint: the representative's walk tells at-risk rows
        # from the others without reading the table.
        batch_op.drop_index('ix_human_task_open_due')
        batch_op.create_index('ix_human_task_open_due', ['state', 'due_at', 'id', 'complaint_id'], unique=False)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_due')
        batch_op.create_index('ix_human_task_open_due', ['state', 'due_at', 'id'], unique=False)
        batch_op.drop_index('ix_human_task_complaint_open')
        batch_op.create_index('ix_human_task_complaint_id', ['complaint_id'], unique=False)
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_at_risk')
        batch_op.drop_index('ix_complaint_risk')
        batch_op.create_index('ix_complaint_risk_status', ['risk_status'], unique=False)
