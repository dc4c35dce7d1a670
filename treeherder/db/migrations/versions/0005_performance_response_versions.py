"""Versions for cached performance responses: the datum index on (signature_id, push_timestamp) also holds job_id,
and signatures get a last_modified column (set on every write) with an index by repository.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('performance_signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_modified', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_performance_signature_repository_id_last_modified', ['repository_id', 'last_modified'])
    op.create_index(
        'ix_performance_datum_signature_id_push_timestamp_job_id',
        'performance_datum',
        ['signature_id', 'push_timestamp', 'job_id'],
    )
    op.drop_index('ix_performance_datum_signature_id_push_timestamp', table_name='performance_datum')


def downgrade() -> None:
    with op.batch_alter_table('performance_signature', schema=None) as batch_op:
        batch_op.drop_index('ix_performance_signature_repository_id_last_modified')
        batch_op.drop_column('last_modified')
    op.create_index(
        'ix_performance_datum_signature_id_push_timestamp', 'performance_datum', ['signature_id', 'push_timestamp']
    )
    op.drop_index('ix_performance_datum_signature_id_push_timestamp_job_id', table_name='performance_datum')
