"""kind of a registration: complaint, request, opinion or thanks (existing rows are complaints)

Revision ID: b3d9e61a7c42
Revises: e7a4c19b5d30
Create Date: 2026-11-29 23:20:00.000000
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b3d9e61a7c42'
down_revision = 'e7a4c19b5d30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='complaint', nullable=False))
        batch_op.create_index(batch_op.f('ix_complaint_kind'), ['kind'], unique=False)


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_kind'))
        batch_op.drop_column('kind')
