"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bugscache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bugzilla_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=64), server_default='', nullable=False),
    sa.Column('resolution', sa.String(length=64), server_default='', nullable=False),
    sa.Column('summary', sa.String(length=255), nullable=False),
    sa.Column('dupe_of', sa.Integer(), nullable=True),
    sa.Column('crash_signature', sa.Text(), server_default='', nullable=False),
    sa.Column('keywords', sa.Text(), server_default='', nullable=False),
    sa.Column('whiteboard', sa.String(length=100), server_default='', nullable=False),
    sa.Column('modified', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bugscache')),
    sa.UniqueConstraint('bugzilla_id', name=op.f('uq_bugscache_bugzilla_id'))
    )
    op.create_table('build_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('os_name', sa.String(length=25), nullable=False),
    sa.Column('platform', sa.String(length=100), nullable=False),
    sa.Column('architecture', sa.String(length=25), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_build_platform')),
    sa.UniqueConstraint('os_name', 'platform', 'architecture', name=op.f('uq_build_platform_os_name_platform_architecture'))
    )
    op.create_table('failure_classification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failure_classification')),
    sa.UniqueConstraint('name', name=op.f('uq_failure_classification_name'))
    )
    op.create_table('hawk_nonce',
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'nonce', 'ts', name=op.f('pk_hawk_nonce'))
    )
    with op.batch_alter_table('hawk_nonce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hawk_nonce_expires_at'), ['expires_at'], unique=False)

    op.create_table('issue_tracker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('task_base_url', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_tracker'))
    )
    op.create_table('job_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=25), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_group')),
    sa.UniqueConstraint('name', 'symbol', name=op.f('uq_job_group_name_symbol'))
    )
    op.create_table('job_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=25), nullable=False),
    sa.Column('name', sa.String(length=140), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_type')),
    sa.UniqueConstraint('name', 'symbol', name=op.f('uq_job_type_name_symbol'))
    )
    op.create_table('machine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machine')),
    sa.UniqueConstraint('name', name=op.f('uq_machine_name'))
    )
    op.create_table('machine_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('os_name', sa.String(length=25), nullable=False),
    sa.Column('platform', sa.String(length=100), nullable=False),
    sa.Column('architecture', sa.String(length=25), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machine_platform')),
    sa.UniqueConstraint('os_name', 'platform', 'architecture', name=op.f('uq_machine_platform_os_name_platform_architecture'))
    )
    op.create_table('option_collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('option_collection_hash', sa.String(length=40), nullable=False),
    sa.Column('options', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option_collection')),
    sa.UniqueConstraint('option_collection_hash', name=op.f('uq_option_collection_option_collection_hash'))
    )
    op.create_table('performance_framework',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_framework')),
    sa.UniqueConstraint('name', name=op.f('uq_performance_framework_name'))
    )
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('name', name=op.f('uq_product_name'))
    )
    op.create_table('repository_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repository_group')),
    sa.UniqueConstraint('name', name=op.f('uq_repository_group_name'))
    )
    op.create_table('test_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_group')),
    sa.UniqueConstraint('name', name=op.f('uq_test_group_name'))
    )
    op.create_table('throttle_window',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_window'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_staff', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('is_superuser', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('last_login', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('authorized', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('revoked', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_credentials_owner_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('client_id', name=op.f('uq_credentials_client_id'))
    )
    op.create_table('repository',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repository_group_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('dvcs_type', sa.String(length=25), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('branch', sa.String(length=255), nullable=True),
    sa.Column('codebase', sa.String(length=50), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('active_status', sa.String(length=7), server_default='active', nullable=False),
    sa.Column('life_cycle_order', sa.Integer(), nullable=True),
    sa.Column('performance_alerts_enabled', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('expire_performance_data', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('is_try_repo', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('tc_root_url', sa.String(length=255), server_default='https://firefox-ci-tc.services.mozilla.com', nullable=False),
    sa.Column('accepts_pull_requests', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['repository_group_id'], ['repository_group.id'], name=op.f('fk_repository_repository_group_id_repository_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repository')),
    sa.UniqueConstraint('name', name=op.f('uq_repository_name'))
    )
    op.create_table('performance_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature_hash', sa.String(length=40), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('option_collection_id', sa.Integer(), nullable=False),
    sa.Column('suite', sa.String(length=80), nullable=False),
    sa.Column('test', sa.String(length=80), server_default='', nullable=False),
    sa.Column('application', sa.String(length=10), server_default='', nullable=False),
    sa.Column('lower_is_better', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('last_updated', sa.DateTime(), nullable=False),
    sa.Column('has_subtests', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('extra_options', sa.String(length=360), server_default='', nullable=False),
    sa.Column('tags', sa.String(length=360), server_default='', nullable=False),
    sa.Column('measurement_unit', sa.String(length=50), nullable=True),
    sa.Column('suite_public_name', sa.String(length=30), nullable=True),
    sa.Column('test_public_name', sa.String(length=30), nullable=True),
    sa.Column('should_alert', sa.Boolean(), nullable=True),
    sa.Column('monitor', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('alert_notify_emails', sa.String(length=360), server_default='', nullable=False),
    sa.Column('alert_change_type', sa.SmallInteger(), nullable=True),
    sa.Column('alert_threshold', sa.Float(), nullable=True),
    sa.Column('alert_severity', sa.String(length=12), nullable=True),
    sa.Column('min_back_window', sa.SmallInteger(), nullable=True),
    sa.Column('max_back_window', sa.SmallInteger(), nullable=True),
    sa.Column('fore_window', sa.SmallInteger(), nullable=True),
    sa.Column('parent_signature_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['framework_id'], ['performance_framework.id'], name=op.f('fk_performance_signature_framework_id_performance_framework')),
    sa.ForeignKeyConstraint(['option_collection_id'], ['option_collection.id'], name=op.f('fk_performance_signature_option_collection_id_option_collection')),
    sa.ForeignKeyConstraint(['parent_signature_id'], ['performance_signature.id'], name=op.f('fk_performance_signature_parent_signature_id_performance_signature')),
    sa.ForeignKeyConstraint(['platform_id'], ['machine_platform.id'], name=op.f('fk_performance_signature_platform_id_machine_platform')),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_performance_signature_repository_id_repository')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_signature')),
    sa.UniqueConstraint('repository_id', 'framework_id', 'application', 'signature_hash', name=op.f('uq_performance_signature_repository_id_framework_id_application_signature_hash'))
    )
    with op.batch_alter_table('performance_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_signature_repository_id_last_updated'), ['repository_id', 'last_updated'], unique=False)

    op.create_table('push',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=150), nullable=False),
    sa.Column('push_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('branch', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_push_repository_id_repository')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push')),
    sa.UniqueConstraint('repository_id', 'revision', name=op.f('uq_push_repository_id_revision'))
    )
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_repository_id_push_timestamp'), ['repository_id', 'push_timestamp'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_revision'), ['revision'], unique=False)

    op.create_table('reference_data_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('build_system_type', sa.String(length=25), nullable=False),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_reference_data_signature_repository_id_repository')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_data_signature')),
    sa.UniqueConstraint('repository_id', 'signature', name=op.f('uq_reference_data_signature_repository_id_signature'))
    )
    op.create_table('repository_branch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('branch', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_repository_branch_repository_id_repository'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repository_branch')),
    sa.UniqueConstraint('repository_id', 'branch', name=op.f('uq_repository_branch_repository_id_branch'))
    )
    op.create_table('commit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=150), nullable=False),
    sa.Column('comments', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['push_id'], ['push.id'], name=op.f('fk_commit_push_id_push'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commit')),
    sa.UniqueConstraint('push_id', 'revision', name=op.f('uq_commit_push_id_revision'))
    )
    with op.batch_alter_table('commit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commit_revision'), ['revision'], unique=False)

    op.create_table('job',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('guid', sa.String(length=50), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('build_platform_id', sa.Integer(), nullable=False),
    sa.Column('machine_platform_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('option_collection_id', sa.Integer(), nullable=False),
    sa.Column('job_type_id', sa.Integer(), nullable=False),
    sa.Column('job_group_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('failure_classification_id', sa.Integer(), nullable=False),
    sa.Column('who', sa.String(length=50), nullable=False),
    sa.Column('reason', sa.String(length=125), nullable=False),
    sa.Column('result', sa.String(length=25), nullable=False),
    sa.Column('state', sa.String(length=25), nullable=False),
    sa.Column('state_rank', sa.SmallInteger(), nullable=False),
    sa.Column('tier', sa.SmallInteger(), server_default='1', nullable=False),
    sa.Column('submit_timestamp', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('start_timestamp', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('end_timestamp', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_modified', sa.DateTime(), nullable=False),
    sa.Column('coalesced_to_guid', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['build_platform_id'], ['build_platform.id'], name=op.f('fk_job_build_platform_id_build_platform')),
    sa.ForeignKeyConstraint(['failure_classification_id'], ['failure_classification.id'], name=op.f('fk_job_failure_classification_id_failure_classification')),
    sa.ForeignKeyConstraint(['job_group_id'], ['job_group.id'], name=op.f('fk_job_job_group_id_job_group')),
    sa.ForeignKeyConstraint(['job_type_id'], ['job_type.id'], name=op.f('fk_job_job_type_id_job_type')),
    sa.ForeignKeyConstraint(['machine_id'], ['machine.id'], name=op.f('fk_job_machine_id_machine')),
    sa.ForeignKeyConstraint(['machine_platform_id'], ['machine_platform.id'], name=op.f('fk_job_machine_platform_id_machine_platform')),
    sa.ForeignKeyConstraint(['option_collection_id'], ['option_collection.id'], name=op.f('fk_job_option_collection_id_option_collection')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_job_product_id_product')),
    sa.ForeignKeyConstraint(['push_id'], ['push.id'], name=op.f('fk_job_push_id_push')),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_job_repository_id_repository')),
    sa.ForeignKeyConstraint(['signature_id'], ['reference_data_signature.id'], name=op.f('fk_job_signature_id_reference_data_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('guid', name=op.f('uq_job_guid'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_last_modified'), ['last_modified'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_push_id_id'), ['push_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_repository_id_id'), ['repository_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_repository_id_job_type_id_push_id'), ['repository_id', 'job_type_id', 'push_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_repository_id_last_modified'), ['repository_id', 'last_modified'], unique=False)

    op.create_table('performance_alert_pending',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['performance_signature.id'], name=op.f('fk_performance_alert_pending_signature_id_performance_signature'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_performance_alert_pending'))
    )
    op.create_table('performance_alert_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('prev_push_id', sa.Integer(), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('original_prev_push_id', sa.Integer(), nullable=True),
    sa.Column('original_push_id', sa.Integer(), nullable=True),
    sa.Column('manually_created', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('last_updated', sa.DateTime(), nullable=False),
    sa.Column('first_triaged', sa.DateTime(), nullable=True),
    sa.Column('triage_due_date', sa.DateTime(), nullable=True),
    sa.Column('bug_number', sa.Integer(), nullable=True),
    sa.Column('bug_updated', sa.DateTime(), nullable=True),
    sa.Column('bug_due_date', sa.DateTime(), nullable=True),
    sa.Column('issue_tracker_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('performance_tags', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['user.id'], name=op.f('fk_performance_alert_summary_assignee_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['framework_id'], ['performance_framework.id'], name=op.f('fk_performance_alert_summary_framework_id_performance_framework')),
    sa.ForeignKeyConstraint(['issue_tracker_id'], ['issue_tracker.id'], name=op.f('fk_performance_alert_summary_issue_tracker_id_issue_tracker')),
    sa.ForeignKeyConstraint(['original_prev_push_id'], ['push.id'], name=op.f('fk_performance_alert_summary_original_prev_push_id_push')),
    sa.ForeignKeyConstraint(['original_push_id'], ['push.id'], name=op.f('fk_performance_alert_summary_original_push_id_push')),
    sa.ForeignKeyConstraint(['prev_push_id'], ['push.id'], name=op.f('fk_performance_alert_summary_prev_push_id_push')),
    sa.ForeignKeyConstraint(['push_id'], ['push.id'], name=op.f('fk_performance_alert_summary_push_id_push')),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_performance_alert_summary_repository_id_repository')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_alert_summary')),
    sa.UniqueConstraint('repository_id', 'framework_id', 'prev_push_id', 'push_id', name=op.f('uq_performance_alert_summary_repository_id_framework_id_prev_push_id_push_id'))
    )
    with op.batch_alter_table('performance_alert_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_alert_summary_created'), ['created'], unique=False)

    op.create_table('bug_job_map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('bug_id', sa.Integer(), nullable=True),
    sa.Column('internal_bug_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('who', sa.String(length=254), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['internal_bug_id'], ['bugscache.id'], name=op.f('fk_bug_job_map_internal_bug_id_bugscache'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_bug_job_map_job_id_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_bug_job_map_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bug_job_map')),
    sa.UniqueConstraint('job_id', 'bug_id', name=op.f('uq_bug_job_map_job_id_bug_id'))
    )
    with op.batch_alter_table('bug_job_map', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bug_job_map_bug_id'), ['bug_id'], unique=False)

    op.create_table('failure_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=11), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('test', sa.Text(), nullable=True),
    sa.Column('subtest', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=9), nullable=True),
    sa.Column('expected', sa.String(length=9), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('signature', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('stack', sa.Text(), nullable=True),
    sa.Column('stackwalk_stdout', sa.Text(), nullable=True),
    sa.Column('stackwalk_stderr', sa.Text(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_failure_line_job_id_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_failure_line_repository_id_repository')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failure_line')),
    sa.UniqueConstraint('job_id', 'line', name=op.f('uq_failure_line_job_id_line'))
    )
    op.create_table('job_detail',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=70), server_default='', nullable=False),
    sa.Column('value', sa.String(length=125), nullable=False),
    sa.Column('url', sa.String(length=512), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_detail_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_detail')),
    sa.UniqueConstraint('job_id', 'title', 'value', name=op.f('uq_job_detail_job_id_title_value'))
    )
    op.create_table('job_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('status', sa.SmallInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_log_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_log')),
    sa.UniqueConstraint('job_id', 'name', 'url', name=op.f('uq_job_log_job_id_name_url'))
    )
    with op.batch_alter_table('job_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_log_status'), ['status'], unique=False)

    op.create_table('job_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('failure_classification_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('who', sa.String(length=254), nullable=False),
    sa.Column('text', sa.Text(), server_default='', nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['failure_classification_id'], ['failure_classification.id'], name=op.f('fk_job_note_failure_classification_id_failure_classification')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_note_job_id_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_job_note_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_note'))
    )
    with op.batch_alter_table('job_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_note_job_id_created'), ['job_id', 'created'], unique=False)

    op.create_table('performance_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('related_summary_id', sa.Integer(), nullable=True),
    sa.Column('series_signature_id', sa.Integer(), nullable=False),
    sa.Column('is_regression', sa.Boolean(), nullable=False),
    sa.Column('starred', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('classifier_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('amount_pct', sa.Float(), nullable=False),
    sa.Column('amount_abs', sa.Float(), nullable=False),
    sa.Column('prev_value', sa.Float(), nullable=False),
    sa.Column('new_value', sa.Float(), nullable=False),
    sa.Column('t_value', sa.Float(), nullable=True),
    sa.Column('noise_profile', sa.String(length=30), server_default='N/A', nullable=False),
    sa.Column('detector', sa.String(length=30), server_default='ttest', nullable=False),
    sa.Column('manually_created', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('last_updated', sa.DateTime(), nullable=False),
    sa.Column('first_triaged', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['classifier_id'], ['user.id'], name=op.f('fk_performance_alert_classifier_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['related_summary_id'], ['performance_alert_summary.id'], name=op.f('fk_performance_alert_related_summary_id_performance_alert_summary'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_signature_id'], ['performance_signature.id'], name=op.f('fk_performance_alert_series_signature_id_performance_signature')),
    sa.ForeignKeyConstraint(['summary_id'], ['performance_alert_summary.id'], name=op.f('fk_performance_alert_summary_id_performance_alert_summary'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_alert')),
    sa.UniqueConstraint('summary_id', 'series_signature_id', name=op.f('uq_performance_alert_summary_id_series_signature_id'))
    )
    with op.batch_alter_table('performance_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_alert_series_signature_id'), ['series_signature_id'], unique=False)

    op.create_table('performance_datum',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('push_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('application_version', sa.String(length=50), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_performance_datum_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['push_id'], ['push.id'], name=op.f('fk_performance_datum_push_id_push')),
    sa.ForeignKeyConstraint(['repository_id'], ['repository.id'], name=op.f('fk_performance_datum_repository_id_repository')),
    sa.ForeignKeyConstraint(['signature_id'], ['performance_signature.id'], name=op.f('fk_performance_datum_signature_id_performance_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_datum')),
    sa.UniqueConstraint('repository_id', 'job_id', 'push_id', 'push_timestamp', 'signature_id', name=op.f('uq_performance_datum_repository_id_job_id_push_id_push_timestamp_signature_id'))
    )
    with op.batch_alter_table('performance_datum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_datum_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_datum_push_id'), ['push_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_datum_signature_id_push_timestamp'), ['signature_id', 'push_timestamp'], unique=False)

    op.create_table('taskcluster_metadata',
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.String(length=22), nullable=False),
    sa.Column('retry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_taskcluster_metadata_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_taskcluster_metadata'))
    )
    with op.batch_alter_table('taskcluster_metadata', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_taskcluster_metadata_task_id'), ['task_id'], unique=False)

    op.create_table('text_log_error',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('line_number', sa.BigInteger(), nullable=False),
    sa.Column('new_failure', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_text_log_error_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_text_log_error')),
    sa.UniqueConstraint('job_id', 'line_number', name=op.f('uq_text_log_error_job_id_line_number'))
    )
    op.create_table('group_status',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('job_log_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['test_group.id'], name=op.f('fk_group_status_group_id_test_group')),
    sa.ForeignKeyConstraint(['job_log_id'], ['job_log.id'], name=op.f('fk_group_status_job_log_id_job_log'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_status')),
    sa.UniqueConstraint('job_log_id', 'group_id', name=op.f('uq_group_status_job_log_id_group_id'))
    )
    op.create_table('performance_datum_replicate',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('performance_datum_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['performance_datum_id'], ['performance_datum.id'], name=op.f('fk_performance_datum_replicate_performance_datum_id_performance_datum'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_datum_replicate'))
    )


def downgrade() -> None:
    op.drop_table('performance_datum_replicate')
    op.drop_table('group_status')
    op.drop_table('text_log_error')
    with op.batch_alter_table('taskcluster_metadata', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_taskcluster_metadata_task_id'))

    op.drop_table('taskcluster_metadata')
    with op.batch_alter_table('performance_datum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_datum_signature_id_push_timestamp'))
        batch_op.drop_index(batch_op.f('ix_performance_datum_push_id'))
        batch_op.drop_index(batch_op.f('ix_performance_datum_job_id'))

    op.drop_table('performance_datum')
    with op.batch_alter_table('performance_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_alert_series_signature_id'))

    op.drop_table('performance_alert')
    with op.batch_alter_table('job_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_note_job_id_created'))

    op.drop_table('job_note')
    with op.batch_alter_table('job_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_log_status'))

    op.drop_table('job_log')
    op.drop_table('job_detail')
    op.drop_table('failure_line')
    with op.batch_alter_table('bug_job_map', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bug_job_map_bug_id'))

    op.drop_table('bug_job_map')
    with op.batch_alter_table('performance_alert_summary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_alert_summary_created'))

    op.drop_table('performance_alert_summary')
    op.drop_table('performance_alert_pending')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_repository_id_last_modified'))
        batch_op.drop_index(batch_op.f('ix_job_repository_id_job_type_id_push_id'))
        batch_op.drop_index(batch_op.f('ix_job_repository_id_id'))
        batch_op.drop_index(batch_op.f('ix_job_push_id_id'))
        batch_op.drop_index(batch_op.f('ix_job_last_modified'))

    op.drop_table('job')
    with op.batch_alter_table('commit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commit_revision'))

    op.drop_table('commit')
    op.drop_table('repository_branch')
    op.drop_table('reference_data_signature')
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_revision'))
        batch_op.drop_index(batch_op.f('ix_push_repository_id_push_timestamp'))

    op.drop_table('push')
    with op.batch_alter_table('performance_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_signature_repository_id_last_updated'))

    op.drop_table('performance_signature')
    op.drop_table('repository')
    op.drop_table('credentials')
    op.drop_table('user')
    op.drop_table('throttle_window')
    op.drop_table('test_group')
    op.drop_table('repository_group')
    op.drop_table('product')
    op.drop_table('performance_framework')
    op.drop_table('option_collection')
    op.drop_table('machine_platform')
    op.drop_table('machine')
    op.drop_table('job_type')
    op.drop_table('job_group')
    op.drop_table('issue_tracker')
    with op.batch_alter_table('hawk_nonce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hawk_nonce_expires_at'))

    op.drop_table('hawk_nonce')
    op.drop_table('failure_classification')
    op.drop_table('build_platform')
    op.drop_table('bugscache')
