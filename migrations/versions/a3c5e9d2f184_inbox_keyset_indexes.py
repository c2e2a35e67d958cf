"""inbox keyset indexes: one range per lane, assignee or all open tasks, in due or age order

Revision ID: a3c5e9d2f184
Revises: f3c1a9d2b7e4
Create Date: 2026-11-29 23:30:00.000000
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a3c5e9d2f184'
down_revision = 'f3c1a9d2b7e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_inbox')
        batch_op.drop_index('ix_human_task_assignee_id')
        batch_op.create_index('ix_human_task_lane_due', ['state', 'lane', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_human_task_lane_age', ['state', 'lane', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_human_task_assignee_due', ['assignee_id', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_human_task_assignee_age', ['assignee_id', 'state', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_human_task_open_due', ['state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_human_task_open_age', ['state', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_age')
        batch_op.drop_index('ix_human_task_open_due')
        batch_op.drop_index('ix_human_task_assignee_age')
        batch_op.drop_index('ix_human_task_assignee_due')
        batch_op.drop_index('ix_human_task_lane_age')
        batch_op.drop_index('ix_human_task_lane_due')
        batch_op.create_index('ix_human_task_assignee_id', ['assignee_id'], unique=False)
        batch_op.create_index('ix_human_task_inbox', ['state', 'lane', 'due_at'], unique=False)
