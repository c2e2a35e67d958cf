"""incidents (outages) and the complaints linked to them

Revision ID: f3c1a9d2b7e4
Revises: b3d9e61a7c42
Create Date: 2026-11-29 23:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c1a9d2b7e4'
down_revision = 'b3d9e61a7c42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('service', sa.String(length=40), nullable=True),
        sa.Column('districts', sa.Text(), nullable=False),
        sa.Column('service_numbers', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('root_cause_category', sa.String(length=40), nullable=True),
        sa.Column('root_cause', sa.Text(), nullable=True),
        sa.Column('solution', sa.Text(), nullable=True),
        sa.Column('opened_by', sa.String(length=100), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_by', sa.String(length=100), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_status'), ['status'], unique=False)

    op.create_table(
        'incident_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('how', sa.String(length=20), nullable=False),
        sa.Column('linked_by', sa.String(length=100), nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolution_applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('complaint_id'),
    )
    with op.batch_alter_table('incident_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_link_incident_id'), ['incident_id'], unique=False)


def downgrade():
    with op.batch_alter_table('incident_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_link_incident_id'))
    op.drop_table('incident_link')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_status'))
    op.drop_table('incident')
