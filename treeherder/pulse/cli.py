"""``treeherder pulse-listen`` and ``treeherder publish-to-pulse``."""

from __future__ import annotations

import logging
import signal
import threading
from collections import defaultdict
from pathlib import Path

import click

from treeherder.process import settle_start_up_objects

from .listener import Fetchers, PulseListener, RetryPolicy
from .publish import publish_messages, read_messages
from .sources import PulseSource, SourceConfigError, job_sources, push_sources, task_sources

logger = logging.getLogger(__name__)

KINDS = ("jobs", "tasks", "pushes")


def configured_sources(settings, kinds: tuple[str, ...] = KINDS) -> list[PulseSource]:
    """The sources named by the settings, limited to ``kinds``."""
    sources: list[PulseSource] = []
    if "jobs" in kinds:
        sources += job_sources(settings.pulse_job_sources)
    if "tasks" in kinds:
        sources += task_sources(settings.pulse_task_sources)
    if "pushes" in kinds:
        sources += push_sources(settings.pulse_push_sources)
    return sources


@click.command("pulse-listen")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    help="Only these kinds of source (repeatable; default: every configured source).",
)
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    help="Most messages stored per transaction (two batches are prefetched).",
)
@click.option("--batch-wait", default=1.0, show_default=True, help="Seconds to wait for a batch to fill up.")
@click.option("--max-retries", default=10, show_default=True, help="Attempts for a job whose push has not arrived.")
@click.option("--retry-delay", default=10.0, show_default=True, help="First retry delay in seconds (then doubled).")
@click.option("--max-retry-delay", default=600.0, show_default=True, help="Longest retry delay in seconds.")
@click.option(
    "--projects",
    envvar="PROJECTS_TO_INGEST",
    default=None,
    help="Comma-separated repositories to ingest; others are dropped [env PROJECTS_TO_INGEST; default all].",
)
@click.option("--queue-prefix", default=None, help="Queue names start with this [default: queue/<broker user>].")
@click.option("--github-token", envvar="GITHUB_TOKEN", default=None, help="Token for GitHub's API [env GITHUB_TOKEN].")
def pulse_listen(
    kinds: tuple[str, ...],
    batch_size: int,
    batch_wait: float,
    max_retries: int,
    retry_delay: float,
    max_retry_delay: float,
    projects: str | None,
    queue_prefix: str | None,
    github_token: str | None,
) -> None:
    """Ingest jobs, Taskcluster tasks and pushes from Pulse until stopped (SIGTERM or Ctrl-C).

    Sources come from PULSE_JOB_SOURCES, PULSE_TASK_SOURCES and PULSE_PUSH_SOURCES, the
    broker from PULSE_URL. Each source gets a durable queue; messages that can never be
    stored end up in `<queue>.dead-letter`.
    """
    from treeherder.cli import configure_logging, open_database
    from treeherder.config import get_settings
    from treeherder.ingest.store import Ingestor
    from treeherder.work import dispatch, prepare_dispatch

    from .fetch import HttpFetcher
    from .store import IngestStore

    settings = get_settings()
    configure_logging(settings)
    try:
        sources = configured_sources(settings, kinds or KINDS)
    except SourceConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not sources:
        raise click.ClickException("no Pulse sources configured (PULSE_JOB_SOURCES, PULSE_TASK_SOURCES, ...)")
    by_url: dict[str, list[PulseSource]] = defaultdict(list)
    for source in sources:
        url = source.pulse_url or settings.pulse_url
        if not url:
            raise click.ClickException("PULSE_URL (or BROKER_URL) is not set")
        by_url[url].append(source)

    db = open_database(settings)
    stop = threading.Event()
    previous_handlers = {
        signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    retry_policy = RetryPolicy(max_retries, retry_delay, max_retry_delay)
    with HttpFetcher(github_token=github_token) as fetcher:
        fetchers = Fetchers(fetcher.fetch_task, fetcher.fetch_json, fetcher.fetch_artifacts)
        listeners = [
            # One ingestor per listener: its caches are not shared between threads.
            PulseListener(
                url,
                url_sources,
                IngestStore(
                    Ingestor(db),
                    # A batch's jobs belong to one repository, so the queue routing needs no lookup.
                    on_jobs_stored=lambda repository, stored: dispatch(settings, db, stored, repository=repository),
                ),
                fetchers,
                batch_size=batch_size,
                batch_wait=batch_wait,
                retry_policy=retry_policy,
                queue_prefix=queue_prefix,
                projects=[name.strip() for name in projects.split(",") if name.strip()] if projects else None,
            )
            for url, url_sources in by_url.items()
        ]
        for listener in listeners:
            listener.warm_up()
        prepare_dispatch(settings)
        # What exists now (modules, settings, compiled schemas: over 100,000 objects) lives as long as the process.
        # Left to the garbage collector, every full pass, which storing batches triggers every few seconds, walks
        # them all again (tens of milliseconds each time).
        settle_start_up_objects()
        threads = [threading.Thread(target=listener.run, args=(stop,), name="pulse-listener") for listener in listeners]
        for thread in threads:
            thread.start()
        click.echo(f"listening to {len(sources)} Pulse source(s) on {len(listeners)} broker(s); Ctrl-C stops", err=True)
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.5)
    for signum, handler in previous_handlers.items():
        signal.signal(signum, handler)
    db.dispose()
    click.echo("stopped", err=True)


@click.command("publish-to-pulse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--exchange", required=True, help="Topic exchange to publish to (declared if missing).")
@click.option("--routing-key", required=True, help="Routing key of every message.")
@click.option("--url", envvar="PULSE_URL", default=None, help="AMQP URL [env PULSE_URL, else BROKER_URL].")
def publish_to_pulse(file: Path, exchange: str, routing_key: str, url: str | None) -> None:
    """Publish the JSON messages in FILE (an array, one object, or JSON Lines) to a Pulse exchange."""
    if not url:
        from treeherder.config import get_settings

        url = get_settings().pulse_url
    if not url:
        raise click.ClickException("set PULSE_URL (or BROKER_URL), or pass --url")
    try:
        messages = read_messages(file)
    except ValueError as exc:
        raise click.ClickException(f"{file}: not JSON: {exc}") from None
    count = publish_messages(url, exchange, routing_key, messages)
    click.echo(f"published {count} message(s) to {exchange} with routing key {routing_key}")
