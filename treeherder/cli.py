"""The `treeherder` command line."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from treeherder import __version__
from treeherder.config import ConfigError, Settings, get_settings
from treeherder.db import schema
from treeherder.db.engine import Database, DatabaseUnavailable
from treeherder.ingest.loader import LoadError, LoadSummary, describe_invalid, load_objects, read_objects, split_by_kind
from treeherder.ingest.parse import InvalidCollection
from treeherder.ingest.store import Ingestor, MissingPushes, UnknownRepository


def fail(message: str) -> None:
    """Stop with one clear line on stderr and exit status 1."""
    click.echo(f"treeherder: error: {message}", err=True)
    sys.exit(1)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can fix into one line each, instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, DatabaseUnavailable, LoadError, UnknownRepository, MissingPushes) as exc:
            fail(str(exc))
        except InvalidCollection as exc:
            fail(f"invalid data: {describe_invalid(exc)}")

    return wrapper


def open_database(settings: Settings, *, init: bool = True) -> Database:
    db = Database(settings.database_url, read_time_limit_ms=settings.sql_time_limit_ms)
    if init:
        schema.init(db)
    else:
        db.check()
    return db


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO; the background log fetches would drown everything else.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="treeherder")
def main() -> None:
    """A fast, self-hostable CI results service compatible with Mozilla Treeherder.

    Settings come from the environment (DATABASE_URL, TREEHERDER_DATA_DIR, BROKER_URL, ...; see the README).
    """


@main.command()
@friendly_errors
def init() -> None:
    """Create or upgrade the database schema and load the reference data (safe to run again)."""
    settings = get_settings()
    db = open_database(settings)
    click.echo(f"database ready at {db.safe_url} (schema {schema.current_revision(db)})")


def _has_pushes(db: Database) -> bool:
    from sqlalchemy import select

    from treeherder.db import tables as t

    with db.read() as conn:
        return conn.execute(select(t.push.c.id).limit(1)).first() is not None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Server processes (PostgreSQL only).")
@click.option("--sample-data", is_flag=True, help="Load the sample dataset first if the database has no pushes.")
@friendly_errors
def serve(host: str, port: int, workers: int, sample_data: bool) -> None:
    """Serve the API and the web UI (creating or upgrading the schema first)."""
    import uvicorn

    from treeherder.api.protocol import PROTOCOL

    if not os.environ.get("SITE_URL"):
        # Links (and the sample data's log URLs) point at where this server actually listens.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["SITE_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings)
    db = open_database(settings)
    if workers > 1 and db.is_sqlite:
        fail("--workers > 1 needs PostgreSQL; the embedded SQLite database has one writer per process")
    if sample_data and not _has_pushes(db):
        _load_sample(settings, db)
    db.dispose()
    click.echo(f"serving on http://{host}:{port}/ (database {db.safe_url}); press Ctrl-C to stop", err=True)
    uvicorn.run(
        "treeherder.cli:server_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=5,
        http=PROTOCOL,  # closes connections whose request head is too slow (REQUEST_READ_TIMEOUT)
    )


def server_app() -> Any:
    """The app `treeherder serve` runs: its embedded worker also sweeps the background work pending in the database."""
    from treeherder.api.app import create_app
    from treeherder.process import settle_start_up_objects

    app = create_app(sweep_pending_work=True)
    settle_start_up_objects()
    return app


class _Progress:
    """One line of progress on stderr, rewritten in place."""

    def __init__(self, total_jobs: int | None = None) -> None:
        self.counts = {"pushes": 0, "jobs": 0}
        self.total_jobs = total_jobs

    def __call__(self, kind: str, n: int) -> None:
        self.counts[kind] += n
        total = f"/{self.total_jobs}" if self.total_jobs else ""
        click.echo(f"\r  loaded {self.counts['pushes']} pushes, {self.counts['jobs']}{total} jobs", nl=False, err=True)

    def done(self) -> None:
        click.echo("", err=True)


def _report(summary: LoadSummary) -> None:
    click.echo(
        f"stored {summary.pushes} pushes and {summary.jobs} jobs"
        + (f" ({summary.skipped} jobs unchanged: already stored in a final state)" if summary.skipped else "")
    )


@main.command()
@click.option("--repo", "repo", default=None, help="Repository for objects that carry no `project`.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def load(repo: str | None, files: tuple[Path, ...]) -> None:
    """Load pushes and jobs from FILES (JSON arrays or JSON lines, REST submission formats).

    Pushes are stored before jobs. Each batch is all-or-nothing: an invalid item stops the load with its position.
    """
    settings = get_settings()
    db = open_database(settings)
    ingestor = Ingestor(db)
    all_pushes: dict[str, list] = {}
    all_jobs: dict[str, list] = {}
    for path in files:
        pushes, jobs = split_by_kind(read_objects(path), repo, str(path))
        for target, source in ((all_pushes, pushes), (all_jobs, jobs)):
            for name, items in source.items():
                target.setdefault(name, []).extend(items)
    for name in set(all_pushes) | set(all_jobs):
        ingestor.repository(name)  # fail early, before anything is stored, on an unknown repository
    progress = _Progress(sum(len(v) for v in all_jobs.values()))
    summary = load_objects(ingestor, all_pushes, all_jobs, progress)
    progress.done()
    _dispatch_background_work(settings, db, summary)
    _report(summary)


def _load_sample(settings: Settings, db: Database) -> LoadSummary:
    from treeherder.sample import sample_dataset

    ingestor = Ingestor(db)
    summary = LoadSummary()
    progress = _Progress()
    click.echo("loading the sample dataset:", err=True)
    for repository, kind, items in sample_dataset(site_url=settings.site_url):
        part = load_objects(ingestor, {repository: items} if kind == "pushes" else {}, {repository: items} if kind == "jobs" else {}, progress)
        summary.pushes += part.pushes
        summary.jobs += part.jobs
        summary.pending_logs.extend(part.pending_logs)
        summary.perf_signature_ids.update(part.perf_signature_ids)
    progress.done()
    _load_sample_bugs(db)
    _dispatch_background_work(settings, db, summary)
    return summary


def _load_sample_bugs(db: Database) -> None:
    """The bundled bugs whose summaries match the sample logs' error lines, so failed jobs show bug suggestions."""
    from treeherder.bugs.importer import import_bug_file
    from treeherder.sample import SAMPLE_BUGS

    imported = import_bug_file(db, SAMPLE_BUGS)
    click.echo(f"  {imported.total} bugs in the bugs cache", err=True)


def _dispatch_background_work(settings: Settings, db: Database, summary: LoadSummary) -> None:
    """Hand the loaded batch's background work (log parsing, perf alerts) on, and say where it will run."""
    from treeherder.work import dispatch

    handed_over = dispatch(settings, db, summary)
    waiting = len(summary.pending_logs) + len(summary.perf_signature_ids)
    if not waiting:
        return
    if settings.broker_url:
        click.echo(f"  queued {handed_over} background tasks (log parsing, perf alerts) for the workers", err=True)
    elif handed_over < waiting:
        click.echo(
            f"  {waiting} background work items (log parsing, perf alerts) are pending in the database; "
            "`treeherder serve` does them (a running server within WORKER_SWEEP_INTERVAL seconds)",
            err=True,
        )


@main.command("load-sample-data")
@friendly_errors
def load_sample_data() -> None:
    """Load the bundled sample dataset (several repositories, tens of pushes, thousands of jobs)."""
    settings = get_settings()
    db = open_database(settings)
    _report(_load_sample(settings, db))


@main.command("cycle-data")
@click.option("--days", default=120, show_default=True, type=click.IntRange(min=1), help="Expire jobs older than this.")
@click.option("--repo", "repository", default=None, help="Only expire the jobs of this repository.")
@click.option("--chunk-size", default=100, show_default=True, type=click.IntRange(min=1), help="Rows per transaction.")
@click.option("--sleep-time", default=0.0, show_default=True, type=float, help="Seconds to pause between chunks.")
@friendly_errors
def cycle_data(days: int, repository: str | None, chunk_size: int, sleep_time: float) -> None:
    """Expire old jobs (with their logs, errors, notes...) and old performance data, in short chunks."""
    from treeherder.cycle import cycle_all

    settings = get_settings()
    db = open_database(settings)
    try:
        report = cycle_all(
            db,
            days=days,
            repository=repository,
            chunk_size=chunk_size,
            sleep=sleep_time,
            progress=lambda message: click.echo(f"  {message}", err=True),
        )
    except LookupError as exc:
        fail(str(exc))
    unused = sum(report.reference_rows.values())
    click.echo(
        f"expired {report.jobs} jobs, {report.performance_data} performance data points, "
        f"{report.alert_summaries} empty alert summaries, {unused} unused reference rows"
    )


@main.command()
@click.option(
    "-Q",
    "--queues",
    default=None,
    help="Comma-separated queues to consume (default: all, failure log parsing listed first).",
)
@click.option(
    "-c", "--concurrency", type=int, default=None, help="Processes or threads (default: WORKER_CONCURRENCY)."
)
@click.option(
    "--pool",
    type=click.Choice(["prefork", "threads", "solo"]),
    default="prefork",
    show_default=True,
    help="How tasks run in parallel.",
)
@click.option("--sweep/--no-sweep", default=True, help="Queue the work still pending in the database first.")
@friendly_errors
def worker(queues: str | None, concurrency: int | None, pool: str, sweep: bool) -> None:
    """Run a Celery worker for background work (log parsing, perf alerts); needs BROKER_URL.

    Without a broker there is nothing to run: `treeherder serve` does the background work in its own threads.
    """
    from treeherder import tasks
    from treeherder.work.routing import ALL_QUEUES

    settings = get_settings()
    configure_logging(settings)
    if not settings.broker_url:
        fail("BROKER_URL is empty: background work runs inside `treeherder serve`; set BROKER_URL for separate workers")
    wanted = [q.strip() for q in (queues or ",".join(ALL_QUEUES)).split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(ALL_QUEUES))
    if unknown:
        fail(f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(ALL_QUEUES)}")
    db = open_database(settings, init=False)
    app = tasks.configure(settings)
    if sweep:
        click.echo(f"queued {tasks.sweep_to_broker(settings, db)} pending background tasks", err=True)
    db.dispose()
    app.worker_main(
        [
            "worker",
            f"--queues={','.join(wanted)}",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--pool={pool}",
            f"--loglevel={settings.log_level}",
            f"--hostname=treeherder-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def _register_commands() -> None:
    """Commands that live beside their domain (logs/, perf/, pulse/, ...)."""
    from treeherder.auth.cli import credentials
    from treeherder.auth.users_cli import users
    from treeherder.bugs.cli import bugs
    from treeherder.logs.cli import parse_log
    from treeherder.perf.cli import perf
    from treeherder.perf.store import register as register_perf_storage
    from treeherder.pulse.cli import publish_to_pulse, pulse_listen

    for command in (bugs, credentials, users, parse_log, perf, pulse_listen, publish_to_pulse):
        main.add_command(command)
    register_perf_storage()  # jobs loaded by the CLI store their performance artifacts


_register_commands()

if __name__ == "__main__":
    main()
