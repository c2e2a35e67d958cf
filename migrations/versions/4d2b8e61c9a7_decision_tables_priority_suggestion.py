"""decision tables with each process version; priority suggestion, override and repeat complaints

Revision ID: 4d2b8e61c9a7
Revises: a3c5e9d2f184
Create Date: 2026-11-29 23:30:00.000000
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '4d2b8e61c9a7'
down_revision = 'a3c5e9d2f184'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decisions_json', sa.Text(), server_default='{}', nullable=False))
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decisions_json', sa.Text(), server_default='{}', nullable=False))
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_impact', sa.String(length=20), server_default='other', nullable=False))
        batch_op.add_column(sa.Column('customer_segment', sa.String(length=20), server_default='individual',
                                      nullable=False))
        batch_op.add_column(sa.Column('repeat_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('suggested_priority', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('priority_overridden', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key('fk_complaint_repeat_of_id_complaint', 'complaint', ['repeat_of_id'], ['id'])


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_constraint('fk_complaint_repeat_of_id_complaint', type_='foreignkey')
        batch_op.drop_column('priority_overridden')
        batch_op.drop_column('suggested_priority')
        batch_op.drop_column('repeat_of_id')
        batch_op.drop_column('customer_segment')
        batch_op.drop_column('service_impact')
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.drop_column('decisions_json')
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('decisions_json')
