"""review: first-proposal facts, deadline breached, append-only audit

Revision ID: 29c7e0920c10
Revises: 637653e17bdb
Create Date: 2026-11-25 15:30:12.117723

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '29c7e0920c10'
down_revision = '637653e17bdb'
branch_labels = None
depends_on = None

# PostgreSQL only: the database itself refuses to change or remove history (TRUNCATE still works).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_solution_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_decision_notified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deadline_breached', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_complaint_deadline_breached'), ['deadline_breached'], unique=False)

    # Backfill what the columns can know: complaints never reopened are still in their first round.
    op.execute("UPDATE complaint SET first_solution_due_at = solution_due_at, "
               "first_decision_notified_at = decision_notified_at WHERE reopen_count = 0")
    op.execute(
        "UPDATE complaint SET deadline_breached = true WHERE acknowledged_at > acknowledgement_due_at "
        "OR decision_notified_at > solution_due_at OR EXISTS (SELECT 1 FROM human_task t "
        "WHERE t.complaint_id = complaint.id AND t.escalation IN ('acknowledgement', 'solution_deadline'))"
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_deadline_breached'))
        batch_op.drop_column('deadline_breached')
        batch_op.drop_column('first_decision_notified_at')
        batch_op.drop_column('first_solution_due_at')
