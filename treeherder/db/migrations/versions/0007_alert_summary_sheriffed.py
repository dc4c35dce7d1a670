"""Alert summaries of monitored series are kept apart from the sheriffs' ones: summaries get a sheriffed flag, part
of their key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_KEY = 'uq_performance_alert_summary_repository_id_framework_id_prev_push_id_push_id'
NEW_KEY = 'uq_performance_alert_summary_repository_id_framework_id_prev_push_id_push_id_sheriffed'


def upgrade() -> None:
    with op.batch_alter_table('performance_alert_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheriffed', sa.Boolean(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f(OLD_KEY), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f(NEW_KEY), ['repository_id', 'framework_id', 'prev_push_id', 'push_id', 'sheriffed']
        )


def downgrade() -> None:
    with op.batch_alter_table('performance_alert_summary', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(NEW_KEY), type_='unique')
        batch_op.create_unique_constraint(batch_op.f(OLD_KEY), ['repository_id', 'framework_id', 'prev_push_id', 'push_id'])
        batch_op.drop_column('sheriffed')
