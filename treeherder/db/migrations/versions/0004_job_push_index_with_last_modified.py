"""The job index on (push_id, id) also holds last_modified, so a push's job-list version is an index-only read.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_job_push_id_id_last_modified', 'job', ['push_id', 'id', 'last_modified'])
    op.drop_index('ix_job_push_id_id', table_name='job')


def downgrade() -> None:
    op.create_index('ix_job_push_id_id', 'job', ['push_id', 'id'])
    op.drop_index('ix_job_push_id_id_last_modified', table_name='job')
