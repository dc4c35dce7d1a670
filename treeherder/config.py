"""Settings, read from the environment (12-factor).

Every setting is listed in ``SETTINGS`` with its default and a one-line description; the README's configuration
table is checked against this list by a test, so a setting cannot exist without documentation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TREEHERDER_DATA_DIR", "./var", "Folder for the embedded SQLite database and other local state."),
    Setting(
        "DATABASE_URL",
        "sqlite:///$TREEHERDER_DATA_DIR/treeherder.db",
        "SQLAlchemy URL of the database: a SQLite file (embedded) or `postgresql+psycopg://user:pw@host/db`.",
    ),
    Setting(
        "BROKER_URL",
        "",
        "Celery broker for background work (`amqp://...`, `redis://...`). Empty: work runs in-process.",
    ),
    Setting(
        "EMBEDDED_WORKER",
        "on",
        "`on`: without BROKER_URL, `treeherder serve` runs background work in its own threads; `off`: it does none.",
    ),
    Setting("WORKER_CONCURRENCY", "2", "Threads of the embedded worker; default processes of `treeherder worker`."),
    Setting(
        "WORKER_SWEEP_INTERVAL",
        "60",
        "Seconds between the embedded worker's looks for pending work stored by other processes (0: at start only).",
    ),
    Setting("PULSE_URL", "$BROKER_URL", "AMQP URL of the Pulse broker that `treeherder pulse-listen` consumes."),
    Setting(
        "PULSE_JOB_SOURCES",
        "exchange/taskcluster-treeherder/v1/jobs.#",
        "Comma-separated `<exchange>.<routing key pattern>` bindings for Pulse job messages.",
    ),
    Setting(
        "PULSE_TASK_SOURCES",
        "",
        "Comma-separated bindings for Taskcluster queue exchanges (task-pending, task-completed, ...).",
    ),
    Setting(
        "PULSE_PUSH_SOURCES",
        "exchange/taskcluster-github/v1/push.#,exchange/taskcluster-github/v1/pull-request.#,exchange/hgpushes/v1.#",
        "Comma-separated bindings for push messages (GitHub pushes and pull requests, hg pushes).",
    ),
    Setting(
        "TASKCLUSTER_ROOT_URL",
        "https://firefox-ci-tc.services.mozilla.com",
        "Taskcluster deployment whose task definitions `pulse-listen` fetches for task sources given as bindings.",
    ),
    Setting("PROJECTS_TO_INGEST", "", "Comma-separated repositories `pulse-listen` stores; empty: all of them."),
    Setting("GITHUB_TOKEN", "", "Token for GitHub's API (commits of GitHub pushes); sent to api.github.com only."),
    Setting(
        "PERF_DATA_FROM_LOGS",
        "on",
        "`on`: `PERFHERDER_DATA:` lines found in parsed text logs are stored as performance data (as upstream did "
        "before it moved to JSON artifacts); `off`: they are ignored, as upstream HEAD does.",
    ),
    Setting(
        "PERF_DETECTORS",
        "",
        "Regression detector per performance framework, e.g. `talos=edivisive,awsy=pelt`; others use `ttest` "
        "(upstream's t-test).",
    ),
    Setting("SITE_URL", "http://127.0.0.1:8000", "Public URL of this server (used in links and for Hawk behind a proxy)."),
    Setting("LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING, ERROR."),
    Setting(
        "DISALLOWED_USER_AGENTS",
        "^libcurl/,^Python-urllib/,^python-requests/,^Go-http-client/,^Go 1.1 package http",
        "Comma-separated regexes; requests whose User-Agent matches one get HTTP 403.",
    ),
    Setting("HAWK_MAX_SKEW", "60", "Seconds of clock difference tolerated in Hawk-signed requests."),
    Setting("THROTTLE_JOBS", "220/minute", "Rate of job submissions allowed per Hawk credential."),
    Setting("THROTTLE_PUSH", "400/minute", "Rate of push submissions allowed per Hawk credential."),
    Setting("MAX_REQUEST_BYTES", "20971520", "Largest request body accepted, in bytes (larger: HTTP 413)."),
    Setting("MAX_JSON_DEPTH", "64", "Deepest JSON nesting accepted in a request body (deeper: HTTP 400)."),
    Setting(
        "REQUEST_READ_TIMEOUT",
        "30",
        "Seconds a client has to send a request's headers, and again its body (slower: closed, or HTTP 408).",
    ),
    Setting(
        "RESPONSE_CACHE_MB",
        "32",
        "Memory per API process for job and push list responses, served again while their data is unchanged (0: off).",
    ),
    Setting(
        "SQL_TIME_LIMIT_MS",
        "10000",
        "Time limit for one read query, in milliseconds (longer: cancelled, HTTP 503; 0: none). Writes are not limited.",
    ),
    Setting("LOG_FETCH_ALLOWLIST", "", "Comma-separated hosts the log fetcher may read even if they are private."),
    Setting("LOG_MAX_BYTES", "5242880", "Largest compressed log the parser downloads (larger: `skipped-size`)."),
    Setting("LOG_FETCH_TIMEOUT", "60", "Seconds allowed for fetching one log."),
    Setting(
        "SECRET_KEY",
        "",
        "Key that signs session cookies. Empty: a random key kept in `$TREEHERDER_DATA_DIR/secret_key`.",
    ),
    Setting("OIDC_ISSUER", "", "OpenID Connect issuer URL for sign-in (empty: password sign-in only)."),
    Setting("OIDC_CLIENT_ID", "", "Client id registered with the OpenID Connect provider."),
    Setting("OIDC_CLIENT_SECRET", "", "Client secret registered with the OpenID Connect provider."),
    Setting("OIDC_GROUPS_CLAIM", "groups", "ID token / userinfo claim that lists the user's groups."),
    Setting("OIDC_SHERIFF_GROUP", "", "Group whose members are sheriffs when they sign in (empty: not managed)."),
)

_DEFAULTS = {s.name: s.default for s in SETTINGS}


def _env(name: str) -> str:
    return os.environ.get(name, _DEFAULTS[name])


class ConfigError(Exception):
    """A setting has a value we cannot use; the message says which and why."""


def _int(name: str) -> int:
    raw = _env(name)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _env(name).split(",") if item.strip())


def _switch(name: str) -> bool:
    raw = _env(name).strip().lower()
    if raw in {"on", "true", "yes", "1"}:
        return True
    if raw in {"off", "false", "no", "0"}:
        return False
    raise ConfigError(f"{name} must be on or off, got {raw!r}")


def parse_rate(name: str, value: str) -> tuple[int, int]:
    """Parse ``220/minute`` into (requests, seconds)."""
    periods = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    try:
        count, period = value.split("/")
        return int(count), periods[period.strip().rstrip("s")]
    except (ValueError, KeyError):
        raise ConfigError(f"{name} must look like '220/minute', got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broker_url: str
    pulse_url: str
    pulse_job_sources: tuple[str, ...]
    pulse_task_sources: tuple[str, ...]
    pulse_push_sources: tuple[str, ...]
    site_url: str
    perf_detectors: str
    log_level: str
    disallowed_user_agents: tuple[str, ...]
    hawk_max_skew: int
    throttle_jobs: tuple[int, int]
    throttle_push: tuple[int, int]
    max_request_bytes: int
    max_json_depth: int
    request_read_timeout: int
    sql_time_limit_ms: int
    response_cache_mb: int
    log_fetch_allowlist: tuple[str, ...]
    log_max_bytes: int
    log_fetch_timeout: int
    embedded_worker: bool = True
    perf_data_from_logs: bool = True
    worker_concurrency: int = 2
    worker_sweep_interval: int = 60
    secret_key: str = ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_groups_claim: str = "groups"
    oidc_sheriff_group: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Read the settings from the environment, failing with a ConfigError naming the bad one."""
    data_dir = Path(_env("TREEHERDER_DATA_DIR"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'treeherder.db'}"
    if not database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            f"DATABASE_URL must start with sqlite:/// or postgresql+psycopg://, got {database_url.split(':')[0]!r}"
        )
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; accept the common spelling without a driver.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    broker_url = _env("BROKER_URL")
    level = _env("LOG_LEVEL").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {level!r}")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        broker_url=broker_url,
        pulse_url=os.environ.get("PULSE_URL") or broker_url,
        pulse_job_sources=_list("PULSE_JOB_SOURCES"),
        pulse_task_sources=_list("PULSE_TASK_SOURCES"),
        pulse_push_sources=_list("PULSE_PUSH_SOURCES"),
        site_url=_env("SITE_URL").rstrip("/"),
        perf_detectors=_env("PERF_DETECTORS"),
        log_level=level,
        disallowed_user_agents=_list("DISALLOWED_USER_AGENTS"),
        hawk_max_skew=_int("HAWK_MAX_SKEW"),
        throttle_jobs=parse_rate("THROTTLE_JOBS", _env("THROTTLE_JOBS")),
        throttle_push=parse_rate("THROTTLE_PUSH", _env("THROTTLE_PUSH")),
        max_request_bytes=_int("MAX_REQUEST_BYTES"),
        max_json_depth=_int("MAX_JSON_DEPTH"),
        request_read_timeout=_int("REQUEST_READ_TIMEOUT"),
        sql_time_limit_ms=_int("SQL_TIME_LIMIT_MS"),
        response_cache_mb=_int("RESPONSE_CACHE_MB"),
        log_fetch_allowlist=_list("LOG_FETCH_ALLOWLIST"),
        log_max_bytes=_int("LOG_MAX_BYTES"),
        log_fetch_timeout=_int("LOG_FETCH_TIMEOUT"),
        embedded_worker=_switch("EMBEDDED_WORKER"),
        perf_data_from_logs=_switch("PERF_DATA_FROM_LOGS"),
        worker_concurrency=_int("WORKER_CONCURRENCY"),
        worker_sweep_interval=_int("WORKER_SWEEP_INTERVAL"),
        secret_key=_env("SECRET_KEY"),
        oidc_issuer=_env("OIDC_ISSUER").rstrip("/"),
        oidc_client_id=_env("OIDC_CLIENT_ID"),
        oidc_client_secret=_env("OIDC_CLIENT_SECRET"),
        oidc_groups_claim=_env("OIDC_GROUPS_CLAIM"),
        oidc_sheriff_group=_env("OIDC_SHERIFF_GROUP"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
