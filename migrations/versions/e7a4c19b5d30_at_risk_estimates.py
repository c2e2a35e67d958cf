"""at-risk estimate on the complaint; the deadline forecasts that measure it

Revision ID: e7a4c19b5d30
Revises: e7a2c91b4f60
Create Date: 2026-11-26 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'e7a4c19b5d30'
down_revision = 'e7a2c91b4f60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('risk_needed_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('risk_left_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('risk_detail_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('risk_computed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_risk_status'), ['risk_status'], unique=False)

    op.create_table(
        'deadline_forecast',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('deadline', sa.String(length=50), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('priority', sa.String(length=10), nullable=True),
        sa.Column('first_estimated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('complaint_id', 'due_at', name='uq_deadline_forecast_due'),
    )
    with op.batch_alter_table('deadline_forecast', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_forecast_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_deadline_forecast_outcome', ['outcome', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('deadline_forecast', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_forecast_outcome')
        batch_op.drop_index(batch_op.f('ix_deadline_forecast_complaint_id'))
    op.drop_table('deadline_forecast')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_risk_status'))
        batch_op.drop_column('risk_computed_at')
        batch_op.drop_column('risk_detail_json')
        batch_op.drop_column('risk_left_hours')
        batch_op.drop_column('risk_needed_hours')
        batch_op.drop_column('risk_status')
