"""``treeherder perf ...`` commands."""

from __future__ import annotations

import click
import orjson

from treeherder.perf.detect import DETECTORS, get_detector, parse_detector_choices
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
@click.option("--detector", "detector_name", type=click.Choice(sorted(DETECTORS)), help="Score only this detector.")
@click.option(
    "--tolerance",
    type=click.IntRange(min=0),
    default=DEFAULT_TOLERANCE,
    show_default=True,
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


def _detector_choices(pairs: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_detector_choices(",".join(pairs))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--framework-detector") from None


@perf.command("generate-alerts")
@click.option("--signature", "signature_ids", type=int, multiple=True, help="Only this signature id (repeatable).")
@click.option(
    "--framework-detector",
    "pairs",
    multiple=True,
    metavar="FRAMEWORK=DETECTOR",
    help="Use another detector for a framework (repeatable), e.g. talos=edivisive.",
)
def generate_alerts_command(signature_ids: tuple[int, ...], pairs: tuple[str, ...]) -> None:
    """Run regression detection now: for the given signatures, or every signature with pending new data."""
    from treeherder.config import get_settings
    from treeherder.db.engine import Database
    from treeherder.perf.generate import generate_alerts, process_pending

    choices = _detector_choices(pairs)
    db = Database(get_settings().database_url)
    db.check()
    try:
        if signature_ids:
            written = sum(len(generate_alerts(db, sid, detector_choices=choices)) for sid in signature_ids)
            click.echo(f"{len(signature_ids)} signature(s) analysed, {written} alert(s) written")
        else:
            done = process_pending(db, detector_choices=choices)
            click.echo(f"{done} pending signature(s) analysed")
    finally:
        db.dispose()
