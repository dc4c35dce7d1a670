"""The internal form every way in is turned into before it is stored.

REST collections, Pulse messages, Taskcluster tasks, `treeherder load` and the sample data all become these
objects; the store (``treeherder.ingest.store``) takes them in batches and knows nothing of where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATE_RANK = {"unscheduled": 0, "pending": 1, "running": 2, "completed": 3}
RESULTS = ("success", "testfailed", "busted", "exception", "retry", "usercancel", "superseded", "unknown")
PARSE_STATUSES = ("pending", "parsed", "failed", "skipped-size")


@dataclass(slots=True)
class CommitDatum:
    revision: str
    author: str
    comment: str


@dataclass(slots=True)
class PushDatum:
    revision: str
    author: str
    push_timestamp: int
    commits: list[CommitDatum]
    branch: str | None = None


@dataclass(slots=True, frozen=True)
class Platform:
    os_name: str
    platform: str
    architecture: str


@dataclass(slots=True)
class LogReference:
    name: str
    url: str
    parse_status: str = "pending"


@dataclass(slots=True)
class JobDetail:
    title: str
    value: str
    url: str | None = None


@dataclass(slots=True)
class ErrorLine:
    line_number: int
    line: str


@dataclass(slots=True)
class JobDatum:
    revision: str
    guid: str
    name: str
    symbol: str
    group_name: str
    group_symbol: str
    build_platform: Platform
    machine_platform: Platform
    machine: str
    options: tuple[str, ...]
    product: str
    who: str
    reason: str
    state: str
    result: str
    tier: int
    submit_timestamp: int
    start_timestamp: int
    end_timestamp: int
    build_system_type: str
    reference_data_name: str | None
    logs: list[LogReference] = field(default_factory=list)
    details: list[JobDetail] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    task_id: str | None = None
    retry_id: int | None = None
    # Pre-parsed error lines (a `text_log_summary` artifact) and performance artifacts carried by the submission.
    text_log_errors: list[ErrorLine] = field(default_factory=list)
    perf_artifacts: list[dict] = field(default_factory=list)

    @property
    def state_rank(self) -> int:
        return STATE_RANK[self.state]
