"""closure outcome of a complaint and rendered instructions of an inbox task (issue 12)

Revision ID: 5c1e9a7d3b20
Revises: c4e8a1f09d27
Create Date: 2026-11-25 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c1e9a7d3b20'
down_revision = 'c4e8a1f09d27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closure_outcome', sa.String(length=20), nullable=True))
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instructions', sa.Text(), nullable=True))
    # Complaints closed before this revision were all closed by the customer's acceptance.
    op.execute("UPDATE complaint SET closure_outcome = 'accepted' WHERE status = 'closed'")


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('instructions')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('closure_outcome')
