"""Alert summaries record their bug's status (upstream HEAD's bug_status).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('performance_alert_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bug_status', sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('performance_alert_summary', schema=None) as batch_op:
        batch_op.drop_column('bug_status')
