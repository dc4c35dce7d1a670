"""``thclient``: a small command line for common Treeherder queries, built on :class:`PerfherderClient`.

Examples::

    thclient pushes autoland --count 5
    thclient jobs autoland --push-id 1201 --result testfailed
    thclient perf-data autoland --signature 3c4e5a... --interval 604800 --format json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import requests

from ._version import __version__
from .client import default_server_url
from .perfherder import PerfherderClient

# A column of table output: its heading and how to get the cell text from a row.
Column = tuple[str, Callable[[dict[str, Any]], Any]]

MAX_CELL_WIDTH = 60


def _timestamp(value: Any) -> str:
    if not value:
        return ""
    return datetime.fromtimestamp(int(value), tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _first_line(text: Any) -> str:
    return str(text or "").split("\n", 1)[0]


def _tip_comment(push: dict[str, Any]) -> str:
    revisions = push.get("revisions") or []
    return _first_line(revisions[0].get("comments")) if revisions else ""


def _job_symbol(job: dict[str, Any]) -> str:
    group = job.get("job_group_symbol")
    symbol = job.get("job_type_symbol") or ""
    return f"{group}({symbol})" if group and group != "?" else symbol


PUSH_COLUMNS: list[Column] = [
    ("id", lambda push: push.get("id")),
    ("revision", lambda push: (push.get("revision") or "")[:12]),
    ("author", lambda push: push.get("author")),
    ("pushed (UTC)", lambda push: _timestamp(push.get("push_timestamp"))),
    ("commits", lambda push: push.get("revision_count")),
    ("tip commit", _tip_comment),
]

JOB_COLUMNS: list[Column] = [
    ("id", lambda job: job.get("id")),
    ("push", lambda job: job.get("push_id")),
    ("platform", lambda job: f"{job.get('platform', '')} {job.get('platform_option', '')}".strip()),
    ("symbol", _job_symbol),
    ("name", lambda job: job.get("job_type_name")),
    ("state", lambda job: job.get("state")),
    ("result", lambda job: job.get("result")),
    ("tier", lambda job: job.get("tier")),
]

PERF_DATA_COLUMNS: list[Column] = [
    ("signature", lambda point: (point.get("_signature") or "")[:12]),
    ("push", lambda point: point.get("push_id")),
    ("pushed (UTC)", lambda point: _timestamp(point.get("push_timestamp"))),
    ("job", lambda point: point.get("job_id")),
    ("value", lambda point: point.get("value")),
]

PERF_SIGNATURE_COLUMNS: list[Column] = [
    ("signature", lambda sig: sig.get("signature_hash") or sig.get("_key")),
    ("framework", lambda sig: sig.get("framework_id")),
    ("platform", lambda sig: sig.get("machine_platform")),
    ("suite", lambda sig: sig.get("suite")),
    ("test", lambda sig: sig.get("test")),
]

REPOSITORY_COLUMNS: list[Column] = [
    ("id", lambda repo: repo.get("id")),
    ("name", lambda repo: repo.get("name")),
    ("dvcs", lambda repo: repo.get("dvcs_type")),
    ("url", lambda repo: repo.get("url")),
]

LOG_URL_COLUMNS: list[Column] = [
    ("job", lambda log: log.get("job_id")),
    ("name", lambda log: log.get("name")),
    ("status", lambda log: log.get("parse_status")),
    ("url", lambda log: log.get("url")),
]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_CELL_WIDTH else text[: MAX_CELL_WIDTH - 1] + "…"


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """Lay ``rows`` out as a plain-text table with one column per entry of ``columns``."""
    headings = [heading for heading, _ in columns]
    cells = [[_cell(extract(row)) for _, extract in columns] for row in rows]
    widths = [max([len(heading), *(len(line[index]) for line in cells)]) for index, heading in enumerate(headings)]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in [headings, *cells]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn repeated ``KEY=VALUE`` options into query parameters; a repeated key becomes a list."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {pair!r}")
        if key in params:
            existing = params[key]
            params[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            params[key] = value
    return params


def _query(args: argparse.Namespace, **named: Any) -> dict[str, Any]:
    params = dict(args.params)
    params.update({key: value for key, value in named.items() if value is not None})
    return params


def _cmd_pushes(client: PerfherderClient, args: argparse.Namespace) -> tuple[Any, list[Column]]:
    params = _query(args, count=args.count, revision=args.revision, author=args.author)
    return client.get_pushes(args.repo, **params), PUSH_COLUMNS


def _cmd_jobs(client: PerfherderClient, args: argparse.Namespace) -> tuple[Any, list[Column]]:
    params = _query(args, push_id=args.push_id, result=args.result, state=args.state, job_guid=args.job_guid)
    if args.all:
        params["count"] = None
    elif args.count is not None:
        params["count"] = args.count
    return client.get_jobs(args.repo, **params), JOB_COLUMNS


def _cmd_job_log_url(client: PerfherderClient, args: argparse.Namespace) -> tuple[Any, list[Column]]:
    return client.get_job_log_url(args.repo, **_query(args, job_id=args.job_id)), LOG_URL_COLUMNS


def _cmd_perf_signatures(client: PerfherderClient, args: argparse.Namespace) -> tuple[Any, list[Column]]:
    params = _query(args, framework=args.framework, platform=args.platform, interval=args.interval)
    signatures = client.get_performance_signatures(args.repo, **params)
    if args.format == "json":
        return dict(signatures), PERF_SIGNATURE_COLUMNS
    return [{"_key": key, **signature} for key, signature in signatures.items()], PERF_SIGNATURE_COLUMNS


def _cmd_perf_data(client: PerfherderClient, args: argparse.Namespace) -> tuple[Any, list[Column]]:
    params = _query(args, signatures=args.signature, interval=args.interval)
    series = client.get_performance_data(args.repo, **params)
    if args.format == "json":
        return {key: list(points) for key, points in series.items()}, PERF_DATA_COLUMNS
    rows = [{"_signature": key, **point} for key, points in series.items() for point in points]
    return rows, PERF_DATA_COLUMNS


def _cmd_repositories(client: PerfherderClient, args: argparse.Namespace) -> tuple[Any, list[Column]]:
    return client.get_repositories(), REPOSITORY_COLUMNS


def _add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options accepted both before and after the command name; only the top level carries the defaults."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--server", default=default(None), metavar="URL",
                        help="Treeherder base URL (default: $TREEHERDER_URL or https://treeherder.mozilla.org)")
    parser.add_argument("--format", choices=("table", "json"), default=default("table"), help="output format")
    parser.add_argument("--timeout", type=float, default=default(30.0), metavar="SECONDS",
                        help="time limit for each request attempt")
    parser.add_argument("-v", "--verbose", action="count", default=default(0), help="log requests (-vv: debug)")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``thclient`` argument parser."""
    parser = argparse.ArgumentParser(prog="thclient", description="Query a Treeherder server.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, defaults=False)
    common.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                        help="extra query parameter, repeatable")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pushes = commands.add_parser("pushes", parents=[common], help="list pushes of a repository, newest first")
    pushes.add_argument("repo")
    pushes.add_argument("--count", type=int, help="number of pushes (server default 10, at most 1000)")
    pushes.add_argument("--revision", help="push whose tip revision starts with this")
    pushes.add_argument("--author", help="pushes by this author")
    pushes.set_defaults(handler=_cmd_pushes)

    jobs = commands.add_parser("jobs", parents=[common], help="list jobs of a repository")
    jobs.add_argument("repo")
    jobs.add_argument("--push-id", type=int, help="jobs of this push")
    jobs.add_argument("--result", help="e.g. success, testfailed, busted")
    jobs.add_argument("--state", help="pending, running or completed")
    jobs.add_argument("--job-guid", help="the job with this guid")
    how_many = jobs.add_mutually_exclusive_group()
    how_many.add_argument("--count", type=int, help="number of jobs (above 2000 pages automatically)")
    how_many.add_argument("--all", action="store_true", help="every matching job, page after page")
    jobs.set_defaults(handler=_cmd_jobs)

    log_urls = commands.add_parser("job-log-url", parents=[common], help="list the logs of jobs")
    log_urls.add_argument("repo")
    log_urls.add_argument("--job-id", type=int, action="append", required=True, help="job id, repeatable")
    log_urls.set_defaults(handler=_cmd_job_log_url)

    signatures = commands.add_parser("perf-signatures", parents=[common], help="list performance signatures")
    signatures.add_argument("repo")
    signatures.add_argument("--framework", type=int, help="framework id")
    signatures.add_argument("--platform", help="machine platform, e.g. linux64")
    signatures.add_argument("--interval", type=int, help="only signatures updated within this many seconds")
    signatures.set_defaults(handler=_cmd_perf_signatures)

    perf_data = commands.add_parser("perf-data", parents=[common], help="show the performance series of signatures")
    perf_data.add_argument("repo")
    perf_data.add_argument("--signature", action="append", required=True, metavar="HASH",
                           help="signature hash, repeatable")
    perf_data.add_argument("--interval", type=int, metavar="SECONDS", help="e.g. 604800 for one week")
    perf_data.set_defaults(handler=_cmd_perf_data)

    repositories = commands.add_parser("repositories", parents=[common], help="list active repositories")
    repositories.set_defaults(handler=_cmd_repositories)
    return parser


def write_output(result: Any, columns: Sequence[Column], output_format: str, stream: TextIO) -> None:
    """Print ``result`` as indented JSON or, for a list of rows, as a table."""
    if output_format == "json":
        json.dump(result, stream, indent=2, sort_keys=False)
        stream.write("\n")
        return
    rows = result if isinstance(result, list) else [result]
    stream.write(render_table(rows, columns) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.params = _parse_params(args.param)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO,
                            format="%(levelname)s %(name)s: %(message)s")
    else:
        # The client logs HTTP errors itself; without -v we print one clean line instead.
        logging.basicConfig(level=logging.CRITICAL)

    with PerfherderClient(server_url=args.server or default_server_url(), timeout=args.timeout) as client:
        try:
            result, columns = args.handler(client, args)
        except requests.exceptions.HTTPError as error:
            detail = getattr(error, "detail", "") or str(error)
            status = error.response.status_code if error.response is not None else "?"
            print(f"thclient: error: HTTP {status}: {detail}", file=sys.stderr)
            return 1
        except requests.exceptions.RequestException as error:
            print(f"thclient: error: {error}", file=sys.stderr)
            return 1
    write_output(result, columns, args.format, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
