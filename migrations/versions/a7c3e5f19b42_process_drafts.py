"""process drafts: analysts' unfinished changes of the procedure (issue 5)

Revision ID: a7c3e5f19b42
Revises: d5b6da497ba2
Create Date: 2026-01-10 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e5f19b42'
down_revision = 'd5b6da497ba2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'process_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('base_version_id', sa.Integer(), nullable=True),
        sa.Column('bpmn_xml', sa.Text(), nullable=False),
        sa.Column('forms_json', sa.Text(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('problems_json', sa.Text(), nullable=False),
        sa.Column('author', sa.String(length=100), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deployed_version_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['base_version_id'], ['process_version.id'], ),
        sa.ForeignKeyConstraint(['deployed_version_id'], ['process_version.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_draft_content_hash'), ['content_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_draft_content_hash'))
    op.drop_table('process_draft')
