"""portal: KVKK consent records, failed status-lookup attempts (issue 4)

Revision ID: b3f1c2d4e5a6
Revises: 601046945c38
Create Date: 2026-11-25 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1c2d4e5a6'
down_revision = '601046945c38'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('notice_version', sa.String(length=40), nullable=False),
    sa.Column('notice_sha256', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('complaint_id')
    )
    op.create_table('lookup_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lookup_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_lookup_attempt_key', ['scope', 'key', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookup_attempt_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('lookup_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_attempt_at'))
        batch_op.drop_index('ix_lookup_attempt_key')

    op.drop_table('lookup_attempt')
    op.drop_table('consent_record')
