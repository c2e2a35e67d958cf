"""job_run: the last run of each scheduler job (heartbeat for /readyz and /metrics)

Revision ID: e7a2c91b4f60
Revises: 5c1e9a7d3b20
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a2c91b4f60'
down_revision = '5c1e9a7d3b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_run',
        sa.Column('job', sa.String(length=50), nullable=False),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('job'),
    )


def downgrade():
    op.drop_table('job_run')
