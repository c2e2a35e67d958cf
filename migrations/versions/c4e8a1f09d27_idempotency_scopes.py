"""idempotency keys: request fingerprint; legacy public-form keys moved into the portal's key space

Revision ID: c4e8a1f09d27
Revises: 5389c6072fae
Create Date: 2026-11-25 18:00:00.000000

Before this revision the public form stored whatever key it was sent, even one shaped like an
integration's ("api:<token id>:<key>"), and so could squat that integration's key. Form keys are
now stored as "portal:<uuid>": a legacy form key that is a UUID moves there, any other one is
cleared (it was not issued by the form, so no honest retry can send it again).
"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a1f09d27'
down_revision = '5389c6072fae'
branch_labels = None
depends_on = None

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True))

    complaint = sa.table('complaint', sa.column('id', sa.Integer), sa.column('idempotency_key', sa.String),
                         sa.column('created_by', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(complaint.c.id, complaint.c.idempotency_key).where(
        complaint.c.created_by == 'portal', complaint.c.idempotency_key.is_not(None),
        complaint.c.idempotency_key.not_like('portal:%'))).all()
    for row in rows:
        key = row.idempotency_key
        scoped = f"portal:{key}" if _UUID.match(key) else None
        conn.execute(sa.update(complaint).where(complaint.c.id == row.id).values(idempotency_key=scoped))


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('idempotency_fingerprint')
