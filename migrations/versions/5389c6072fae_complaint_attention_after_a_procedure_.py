"""complaint attention after a procedure failure

Revision ID: 5389c6072fae
Revises: 8e4b1f2a6c3d
Create Date: 2026-11-29 20:28:57.697408

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5389c6072fae'
down_revision = '8e4b1f2a6c3d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attention_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('attention_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_attention_at'), ['attention_at'], unique=False)



def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_attention_at'))
        batch_op.drop_column('attention_at')
        batch_op.drop_column('attention_reason')

