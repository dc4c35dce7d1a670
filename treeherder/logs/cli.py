"""``treeherder parse-log``: print the error summary of a log file or URL."""

from __future__ import annotations

import sys
from dataclasses import replace

import click
import orjson

from treeherder.logs.fetch import FetchOptions, fetch_options_from_settings
from treeherder.logs.remote import PARSED, parse_text_log


def _options(allow_hosts: tuple[str, ...]) -> FetchOptions:
    try:
        from treeherder.config import get_settings

        base = fetch_options_from_settings(get_settings())
    except Exception:  # noqa: BLE001 - settings are optional for this offline tool
        base = FetchOptions()
    if not allow_hosts:
        return base
    return replace(base, allowlist=(*base.allowlist, *allow_hosts))


@click.command("parse-log")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (upstream's text_log_summary shape).")
@click.option("--logurl", help="Value of the `logurl` field (default: SOURCE).")
@click.option("--perf", is_flag=True, help="Also print the PERFHERDER_DATA objects found.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="Host, address or network the fetcher may read although private (adds to LOG_FETCH_ALLOWLIST).",
)
def parse_log(source: str, as_json: bool, logurl: str | None, perf: bool, allow_hosts: tuple[str, ...]) -> None:
    """Print the error lines of the log at SOURCE (an http(s) URL or a local file, gzip or plain)."""
    outcome = parse_text_log(source, _options(allow_hosts), allow_local=True)
    if outcome.status != PARSED or outcome.result is None:
        click.echo(f"{outcome.status}: {outcome.error}", err=True)
        sys.exit(1 if outcome.status != "skipped-size" else 2)
    result = outcome.result
    summary = result.summary(logurl or source)
    if perf:
        summary["performance_data"] = result.performance_data
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"{summary['logurl']}: {len(result.errors)} error line(s) in {result.line_count} lines")
    for error in result.errors:
        click.echo(f"{error.linenumber:>8}  {error.line}")
    if perf:
        click.echo(f"{len(result.performance_data)} PERFHERDER_DATA object(s)")
        for obj in result.performance_data:
            click.echo(orjson.dumps(obj).decode())
