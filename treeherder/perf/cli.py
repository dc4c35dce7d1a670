"""``treeherder perf ...`` commands."""

from __future__ import annotations

import click
import orjson

from treeherder.perf.detect import DETECTORS, get_detector
from treeherder.perf.evaluate import (
    DEFAULT_TOLERANCE,
    InvalidSeriesFile,
    evaluate,
    format_table,
    load_series_file,
    uses_annotators,
)


@click.group()
def perf() -> None:
    """Performance data tools."""


@perf.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--detector", "detector_name", type=click.Choice(sorted(DETECTORS)), help="Score only this detector."
)
@click.option(
    "--tolerance", type=click.IntRange(min=0), default=DEFAULT_TOLERANCE, show_default=True,
    help="How many points a detection may be off and still count.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"<detector>": {"precision", "recall", "f1"}}.')
def evaluate_command(file: str, detector_name: str | None, tolerance: int, as_json: bool) -> None:
    """Score regression detectors on the labelled series in FILE."""
    try:
        series = load_series_file(file)
    except InvalidSeriesFile as error:
        raise click.BadParameter(str(error), param_hint="FILE") from None
    detectors = [get_detector(detector_name)] if detector_name else None
    scores = evaluate(series, detectors, tolerance)
    if as_json:
        click.echo(orjson.dumps({name: score.as_dict() for name, score in scores.items()}).decode())
    else:
        click.echo(format_table(scores, len(series), tolerance, uses_annotators(series)))
