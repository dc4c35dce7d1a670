"""The data model, as SQLAlchemy Core tables.

Names follow upstream Treeherder where it has them. Times that the API serves as Unix seconds
(push_timestamp, submit/start/end timestamps, perf push_timestamp) are stored as integer seconds, which both
databases index and compare cheaply and which need no conversion on the hot read paths; times the API serves as ISO
strings (last_modified, created, ...) are naive UTC DateTimes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-incrementing rowid.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


def _pk() -> Column:
    return Column("id", Integer, primary_key=True)


def _big_pk() -> Column:
    return Column("id", BigId, primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False, ondelete: str | None = None, type_=Integer) -> Column:
    return Column(name, type_, ForeignKey(target, ondelete=ondelete), nullable=nullable)


# --- Reference data -----------------------------------------------------------------------------------------------

repository_group = Table(
    "repository_group",
    metadata,
    _pk(),
    Column("name", String(50), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
)

repository = Table(
    "repository",
    metadata,
    _pk(),
    _fk("repository_group_id", "repository_group.id"),
    Column("name", String(50), nullable=False, unique=True),
    Column("dvcs_type", String(25), nullable=False),
    Column("url", String(255), nullable=False),
    Column("branch", String(255), nullable=True),
    Column("codebase", String(50), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    Column("active_status", String(7), nullable=False, server_default="active"),
    Column("life_cycle_order", Integer, nullable=True),
    Column("performance_alerts_enabled", Boolean, nullable=False, server_default="0"),
    Column("expire_performance_data", Boolean, nullable=False, server_default="1"),
    Column("is_try_repo", Boolean, nullable=False, server_default="0"),
    Column("tc_root_url", String(255), nullable=False, server_default="https://firefox-ci-tc.services.mozilla.com"),
    Column("accepts_pull_requests", Boolean, nullable=False, server_default="0"),
)

repository_branch = Table(
    "repository_branch",
    metadata,
    _pk(),
    _fk("repository_id", "repository.id", ondelete="CASCADE"),
    Column("branch", String(255), nullable=False),
    UniqueConstraint("repository_id", "branch"),
)

failure_classification = Table(
    "failure_classification",
    metadata,
    _pk(),
    Column("name", String(50), nullable=False, unique=True),
)

def _platform_table(name: str) -> Table:
    """Build and machine platforms have the same shape: (os, platform, architecture), unique together."""
    return Table(
        name,
        metadata,
        _pk(),
        Column("os_name", String(25), nullable=False),
        Column("platform", String(100), nullable=False),
        Column("architecture", String(25), nullable=False),
        UniqueConstraint("os_name", "platform", "architecture"),
    )


build_platform = _platform_table("build_platform")
machine_platform = _platform_table("machine_platform")

machine = Table("machine", metadata, _pk(), Column("name", String(100), nullable=False, unique=True))

product = Table("product", metadata, _pk(), Column("name", String(100), nullable=False, unique=True))

job_group = Table(
    "job_group",
    metadata,
    _pk(),
    Column("symbol", String(25), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    UniqueConstraint("name", "symbol"),
)

job_type = Table(
    "job_type",
    metadata,
    _pk(),
    Column("symbol", String(25), nullable=False),
    Column("name", String(140), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    UniqueConstraint("name", "symbol"),
)

# One row per distinct set of options; `options` is the sorted option names joined by spaces ("asan debug").
option_collection = Table(
    "option_collection",
    metadata,
    _pk(),
    Column("option_collection_hash", String(40), nullable=False, unique=True),
    Column("options", String(255), nullable=False),
)

reference_data_signature = Table(
    "reference_data_signature",
    metadata,
    _pk(),
    _fk("repository_id", "repository.id"),
    Column("signature", String(40), nullable=False),
    Column("name", String(255), nullable=False),
    Column("build_system_type", String(25), nullable=False),
    UniqueConstraint("repository_id", "signature"),
)

# --- Pushes -------------------------------------------------------------------------------------------------------

push = Table(
    "push",
    metadata,
    _pk(),
    _fk("repository_id", "repository.id"),
    Column("revision", String(40), nullable=False),
    Column("author", String(150), nullable=False),
    Column("push_timestamp", BigInteger, nullable=False),
    Column("branch", String(255), nullable=True),
    UniqueConstraint("repository_id", "revision"),
    Index(None, "repository_id", "push_timestamp"),
    Index(None, "revision"),
)

commit = Table(
    "commit",
    metadata,
    _pk(),
    _fk("push_id", "push.id", ondelete="CASCADE"),
    Column("revision", String(40), nullable=False),
    Column("author", String(150), nullable=False),
    Column("comments", Text, nullable=False, server_default=""),
    UniqueConstraint("push_id", "revision"),
    Index(None, "revision"),
)

# --- Jobs ---------------------------------------------------------------------------------------------------------

job = Table(
    "job",
    metadata,
    _big_pk(),
    Column("guid", String(50), nullable=False, unique=True),
    _fk("repository_id", "repository.id"),
    _fk("push_id", "push.id"),
    _fk("signature_id", "reference_data_signature.id"),
    _fk("build_platform_id", "build_platform.id"),
    _fk("machine_platform_id", "machine_platform.id"),
    _fk("machine_id", "machine.id"),
    _fk("option_collection_id", "option_collection.id"),
    _fk("job_type_id", "job_type.id"),
    _fk("job_group_id", "job_group.id"),
    _fk("product_id", "product.id"),
    _fk("failure_classification_id", "failure_classification.id"),
    Column("who", String(50), nullable=False),
    Column("reason", String(125), nullable=False),
    Column("result", String(25), nullable=False),
    Column("state", String(25), nullable=False),
    # State rank (unscheduled 0, pending 1, running 2, completed 3) lets the upsert refuse to go backwards in SQL.
    Column("state_rank", SmallInteger, nullable=False),
    Column("tier", SmallInteger, nullable=False, server_default="1"),
    Column("submit_timestamp", BigInteger, nullable=False, server_default="0"),
    Column("start_timestamp", BigInteger, nullable=False, server_default="0"),
    Column("end_timestamp", BigInteger, nullable=False, server_default="0"),
    Column("last_modified", DateTime, nullable=False),
    Column("coalesced_to_guid", String(50), nullable=True),
    # last_modified rides along so a push's job-list version (count, newest change) is read from the index alone.
    Index(None, "push_id", "id", "last_modified"),
    Index(None, "repository_id", "id"),
    Index(None, "repository_id", "last_modified"),
    Index(None, "repository_id", "job_type_id", "push_id"),
    Index(None, "last_modified"),
)
# The job's foreign keys (all to reference data) are enforced on SQLite only. On PostgreSQL each one costs a lookup
# and a row lock on the referred row for every job written: eleven per job, a third of a bulk insert's time, and lock
# contention between concurrent writers of the same pushes and platforms. Job rows are written by the ingestion path
# alone (treeherder/ingest/store.py), with ids it resolved in the same transaction or holds in its cache, and the
# cache is kept valid against the only deleter of reference rows, cycle.cycle_reference_data, by
# reference_data_generation below. (SQLite checks them in-process for a few per cent, and keeps them.)
for _constraint in job.foreign_key_constraints:
    _constraint.ddl_if(dialect="sqlite")
SQLITE_ONLY_FOREIGN_KEYS = frozenset(constraint.name for constraint in job.foreign_key_constraints)

# One row, bumped by every removal of reference rows (cycle.cycle_reference_data), so that every process forgets
# the reference ids it caches. Ingestion reads it FOR SHARE at the start of each batch, so on PostgreSQL it is also
# the lock that keeps a batch and a removal apart.
reference_data_generation = Table(
    "reference_data_generation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)

taskcluster_metadata = Table(
    "taskcluster_metadata",
    metadata,
    Column("job_id", BigId, ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", String(22), nullable=False),
    Column("retry_id", Integer, nullable=False),
    Index(None, "task_id"),
)

# Parse status codes of a job log; the API serves the names.
LOG_STATUS = {0: "pending", 1: "parsed", 2: "failed", 3: "skipped-size"}
LOG_STATUS_CODE = {name: code for code, name in LOG_STATUS.items()}

job_log = Table(
    "job_log",
    metadata,
    _big_pk(),
    _fk("job_id", "job.id", ondelete="CASCADE", type_=BigId),
    Column("name", String(50), nullable=False),
    Column("url", String(255), nullable=False),
    Column("status", SmallInteger, nullable=False, server_default="0"),
    UniqueConstraint("job_id", "name", "url"),
    Index(None, "status"),
)

# "Job Info" items. A missing title is stored as "" so the (job, title, value) key stays unique on both databases.
job_detail = Table(
    "job_detail",
    metadata,
    _big_pk(),
    _fk("job_id", "job.id", ondelete="CASCADE", type_=BigId),
    Column("title", String(70), nullable=False, server_default=""),
    Column("value", String(125), nullable=False),
    Column("url", String(512), nullable=True),
    UniqueConstraint("job_id", "title", "value"),
)

text_log_error = Table(
    "text_log_error",
    metadata,
    _big_pk(),
    _fk("job_id", "job.id", ondelete="CASCADE", type_=BigId),
    Column("line", Text, nullable=False),
    Column("line_number", BigInteger, nullable=False),
    Column("new_failure", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("job_id", "line_number"),
)

# Lines of structured error summaries (`*_errorsummary.log`).
failure_line = Table(
    "failure_line",
    metadata,
    _big_pk(),
    _fk("job_id", "job.id", ondelete="CASCADE", type_=BigId),
    _fk("repository_id", "repository.id"),
    Column("action", String(11), nullable=False),
    Column("line", Integer, nullable=False),
    Column("test", Text, nullable=True),
    Column("subtest", Text, nullable=True),
    # Long enough for every mozlog status (PRECONDITION_FAILED is the longest).
    Column("status", String(20), nullable=True),
    Column("expected", String(20), nullable=True),
    Column("message", Text, nullable=True),
    Column("signature", Text, nullable=True),
    Column("level", String(8), nullable=True),
    Column("stack", Text, nullable=True),
    Column("stackwalk_stdout", Text, nullable=True),
    Column("stackwalk_stderr", Text, nullable=True),
    Column("created", DateTime, nullable=False),
    UniqueConstraint("job_id", "line"),
)

test_group = Table("test_group", metadata, _pk(), Column("name", String(255), nullable=False, unique=True))

# Status of one test group in one errorsummary log: 1 OK, 2 ERROR (upstream's codes).
group_status = Table(
    "group_status",
    metadata,
    _big_pk(),
    _fk("job_log_id", "job_log.id", ondelete="CASCADE", type_=BigId),
    _fk("group_id", "test_group.id"),
    Column("status", SmallInteger, nullable=False),
    Column("duration", Integer, nullable=True),
    UniqueConstraint("job_log_id", "group_id"),
)

# --- People, credentials ------------------------------------------------------------------------------------------

user = Table(
    "user",
    metadata,
    _pk(),
    Column("email", String(254), nullable=False, unique=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("is_staff", Boolean, nullable=False, server_default="0"),
    Column("is_superuser", Boolean, nullable=False, server_default="0"),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("created", DateTime, nullable=False),
    Column("last_login", DateTime, nullable=True),
)

# Hawk needs the shared secret itself to compute the MAC, so it is stored as issued (as upstream does).
credentials = Table(
    "credentials",
    metadata,
    _pk(),
    Column("client_id", String(32), nullable=False, unique=True),
    Column("secret", String(64), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    _fk("owner_id", "user.id", nullable=True, ondelete="SET NULL"),
    Column("authorized", Boolean, nullable=False, server_default="1"),
    Column("revoked", Boolean, nullable=False, server_default="0"),
    Column("created", DateTime, nullable=False),
)

# Hawk nonces seen recently; shared by every API process so a replay is caught whichever process receives it.
hawk_nonce = Table(
    "hawk_nonce",
    metadata,
    Column("client_id", String(32), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Index(None, "expires_at"),
)

# Fixed-window request counters for per-credential throttling, shared by every API process.
throttle_window = Table(
    "throttle_window",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
)

# --- Classification -----------------------------------------------------------------------------------------------

job_note = Table(
    "job_note",
    metadata,
    _pk(),
    _fk("job_id", "job.id", ondelete="CASCADE", type_=BigId),
    _fk("failure_classification_id", "failure_classification.id"),
    _fk("user_id", "user.id", nullable=True, ondelete="SET NULL"),
    Column("who", String(254), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("created", DateTime, nullable=False),
    Index(None, "job_id", "created"),
)

bugscache = Table(
    "bugscache",
    metadata,
    _pk(),
    Column("bugzilla_id", Integer, nullable=True, unique=True),
    Column("status", String(64), nullable=False, server_default=""),
    Column("resolution", String(64), nullable=False, server_default=""),
    Column("summary", String(255), nullable=False),
    Column("dupe_of", Integer, nullable=True),
    Column("crash_signature", Text, nullable=False, server_default=""),
    Column("keywords", Text, nullable=False, server_default=""),
    Column("whiteboard", String(100), nullable=False, server_default=""),
    Column("modified", DateTime, nullable=False),
)

bug_job_map = Table(
    "bug_job_map",
    metadata,
    _pk(),
    _fk("job_id", "job.id", ondelete="CASCADE", type_=BigId),
    Column("bug_id", Integer, nullable=True),
    _fk("internal_bug_id", "bugscache.id", nullable=True, ondelete="SET NULL"),
    _fk("user_id", "user.id", nullable=True, ondelete="SET NULL"),
    Column("who", String(254), nullable=False),
    Column("created", DateTime, nullable=False),
    UniqueConstraint("job_id", "bug_id"),
    Index(None, "bug_id"),
)

# --- Performance --------------------------------------------------------------------------------------------------

performance_framework = Table(
    "performance_framework",
    metadata,
    _pk(),
    Column("name", String(255), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, server_default="0"),
)

issue_tracker = Table(
    "issue_tracker",
    metadata,
    _pk(),
    Column("name", String(255), nullable=False),
    Column("task_base_url", String(512), nullable=False),
)

performance_signature = Table(
    "performance_signature",
    metadata,
    _pk(),
    Column("signature_hash", String(40), nullable=False),
    _fk("repository_id", "repository.id"),
    _fk("framework_id", "performance_framework.id"),
    _fk("platform_id", "machine_platform.id"),
    _fk("option_collection_id", "option_collection.id"),
    Column("suite", String(80), nullable=False),
    Column("test", String(80), nullable=False, server_default=""),
    Column("application", String(10), nullable=False, server_default=""),
    Column("lower_is_better", Boolean, nullable=False, server_default="1"),
    Column("last_updated", DateTime, nullable=False),
    # When the row was last written (last_updated is the newest datum's push time): cached signature lists are
    # rebuilt when it moves. Empty for rows not written since migration 0005.
    Column("last_modified", DateTime, nullable=True),
    Column("has_subtests", Boolean, nullable=False, server_default="0"),
    Column("extra_options", String(360), nullable=False, server_default=""),
    Column("tags", String(360), nullable=False, server_default=""),
    Column("measurement_unit", String(50), nullable=True),
    Column("suite_public_name", String(30), nullable=True),
    Column("test_public_name", String(30), nullable=True),
    Column("should_alert", Boolean, nullable=True),
    Column("monitor", Boolean, nullable=False, server_default="0"),
    Column("alert_notify_emails", String(360), nullable=False, server_default=""),
    Column("alert_change_type", SmallInteger, nullable=True),
    Column("alert_threshold", Float, nullable=True),
    Column("alert_severity", String(12), nullable=True),
    Column("min_back_window", SmallInteger, nullable=True),
    Column("max_back_window", SmallInteger, nullable=True),
    Column("fore_window", SmallInteger, nullable=True),
    _fk("parent_signature_id", "performance_signature.id", nullable=True),
    UniqueConstraint("repository_id", "framework_id", "application", "signature_hash"),
    Index(None, "repository_id", "last_updated"),
    Index(None, "repository_id", "last_modified"),
)

performance_datum = Table(
    "performance_datum",
    metadata,
    _big_pk(),
    _fk("repository_id", "repository.id"),
    _fk("signature_id", "performance_signature.id"),
    _fk("job_id", "job.id", nullable=True, ondelete="SET NULL", type_=BigId),
    _fk("push_id", "push.id"),
    Column("push_timestamp", BigInteger, nullable=False),
    Column("value", Float, nullable=False),
    Column("application_version", String(50), nullable=False, server_default=""),
    UniqueConstraint("repository_id", "job_id", "push_id", "push_timestamp", "signature_id"),
    # job_id rides along so the version of a series' response (count and job-id sum of its points) is read from
    # the index alone (api/performance.py).
    Index(None, "signature_id", "push_timestamp", "job_id"),
    Index(None, "push_id"),
    Index(None, "job_id"),
)

performance_datum_replicate = Table(
    "performance_datum_replicate",
    metadata,
    _big_pk(),
    _fk("performance_datum_id", "performance_datum.id", ondelete="CASCADE", type_=BigId),
    Column("value", Float, nullable=False),
)

# Alert summary statuses (upstream's codes): 0 untriaged, 1 downstream, 2 reassigned, 3 invalid, 4 improvement,
# 5 investigating, 6 wontfix, 7 fixed, 8 backedout. Alert statuses: 0 untriaged, 1 downstream, 2 reassigned,
# 3 invalid, 4 acknowledged.
performance_alert_summary = Table(
    "performance_alert_summary",
    metadata,
    _pk(),
    _fk("repository_id", "repository.id"),
    _fk("framework_id", "performance_framework.id"),
    _fk("prev_push_id", "push.id"),
    _fk("push_id", "push.id"),
    _fk("original_prev_push_id", "push.id", nullable=True),
    _fk("original_push_id", "push.id", nullable=True),
    Column("manually_created", Boolean, nullable=False, server_default="0"),
    Column("created", DateTime, nullable=False),
    Column("last_updated", DateTime, nullable=False),
    Column("first_triaged", DateTime, nullable=True),
    Column("triage_due_date", DateTime, nullable=True),
    Column("bug_number", Integer, nullable=True),
    # The bug's state as a sheriff records it (PERF.md: 0 NEW ... 8 MOVED); cleared when the bug number changes.
    Column("bug_status", SmallInteger, nullable=True),
    Column("bug_updated", DateTime, nullable=True),
    Column("bug_due_date", DateTime, nullable=True),
    _fk("issue_tracker_id", "issue_tracker.id", nullable=True),
    Column("notes", Text, nullable=True),
    Column("status", SmallInteger, nullable=False, server_default="0"),
    _fk("assignee_id", "user.id", nullable=True, ondelete="SET NULL"),
    Column("performance_tags", Text, nullable=False, server_default=""),
    # False for summaries of monitored series (signature.monitor): kept apart from the sheriffs' ones, and listed
    # only on request (monitored_alerts).
    Column("sheriffed", Boolean, nullable=False, server_default="1"),
    UniqueConstraint("repository_id", "framework_id", "prev_push_id", "push_id", "sheriffed"),
    Index(None, "created"),
)

performance_alert = Table(
    "performance_alert",
    metadata,
    _pk(),
    _fk("summary_id", "performance_alert_summary.id", ondelete="CASCADE"),
    _fk("related_summary_id", "performance_alert_summary.id", nullable=True, ondelete="SET NULL"),
    _fk("series_signature_id", "performance_signature.id"),
    Column("is_regression", Boolean, nullable=False),
    Column("starred", Boolean, nullable=False, server_default="0"),
    _fk("classifier_id", "user.id", nullable=True, ondelete="SET NULL"),
    Column("status", SmallInteger, nullable=False, server_default="0"),
    Column("amount_pct", Float, nullable=False),
    Column("amount_abs", Float, nullable=False),
    Column("prev_value", Float, nullable=False),
    Column("new_value", Float, nullable=False),
    Column("t_value", Float, nullable=True),
    Column("noise_profile", String(30), nullable=False, server_default="N/A"),
    Column("detector", String(30), nullable=False, server_default="ttest"),
    Column("manually_created", Boolean, nullable=False, server_default="0"),
    Column("created", DateTime, nullable=False),
    Column("last_updated", DateTime, nullable=False),
    Column("first_triaged", DateTime, nullable=True),
    UniqueConstraint("summary_id", "series_signature_id"),
    Index(None, "series_signature_id"),
)

# Signatures that received data since alerts were last generated for them. The durable record of pending alert
# work: a sweep re-queues these if a queue message was lost.
performance_alert_pending = Table(
    "performance_alert_pending",
    metadata,
    Column("signature_id", Integer, ForeignKey("performance_signature.id", ondelete="CASCADE"), primary_key=True),
    Column("queued_at", DateTime, nullable=False),
)
