"""The job's foreign keys to reference data are dropped on PostgreSQL (see the comment on job in tables.py), and the
reference_data_generation table (its row is inserted with the reference data) that keeps ingestion's reference-id caches valid without them is added.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# (column, referred table), named as tables.py's naming convention names them.
JOB_REFERENCES = (
    ('repository_id', 'repository'),
    ('push_id', 'push'),
    ('signature_id', 'reference_data_signature'),
    ('build_platform_id', 'build_platform'),
    ('machine_platform_id', 'machine_platform'),
    ('machine_id', 'machine'),
    ('option_collection_id', 'option_collection'),
    ('job_type_id', 'job_type'),
    ('job_group_id', 'job_group'),
    ('product_id', 'product'),
    ('failure_classification_id', 'failure_classification'),
)


def upgrade() -> None:
    op.create_table(
        'reference_data_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_data_generation')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        for column, referred in JOB_REFERENCES:
            op.drop_constraint(f'fk_job_{column}_{referred}', 'job', type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for column, referred in JOB_REFERENCES:
            op.create_foreign_key(f'fk_job_{column}_{referred}', 'job', referred, [column], ['id'])
    op.drop_table('reference_data_generation')
