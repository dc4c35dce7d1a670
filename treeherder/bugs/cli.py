"""``treeherder bugs ...``: manage the local bugs cache that bug suggestions search."""

from __future__ import annotations

from pathlib import Path

import click

from treeherder.bugs.importer import BugFileError, bug_rows, read_bug_file, store_bugs


@click.group()
def bugs() -> None:
    """The local copy of Bugzilla bugs that bug suggestions search."""


@bugs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Also remove the Bugzilla bugs that are not in FILE.")
def import_bugs(file: Path, replace: bool) -> None:
    """Load the bugs of FILE: a Bugzilla REST `bug` search reply ({"bugs": [...]}), a JSON array or JSON lines.

    Bugs are matched on their Bugzilla id: new ones are added, known ones updated. The file is checked as a whole
    before anything is stored.
    """
    # Imported here: treeherder.cli registers this group while it is itself being imported.
    from treeherder.cli import fail, friendly_errors, open_database
    from treeherder.config import get_settings

    def progress(done: int, total: int) -> None:
        click.echo(f"\r  {done}/{total} bugs", err=True, nl=done == total)

    @friendly_errors
    def run() -> None:
        try:
            rows = bug_rows(read_bug_file(file), str(file))
        except BugFileError as exc:
            fail(str(exc))
        db = open_database(get_settings())
        summary = store_bugs(db, rows, replace=replace, progress=progress)
        click.echo(
            f"imported {summary.total} bugs ({summary.inserted} new, {summary.updated} updated"
            + (f", {summary.removed} removed)" if replace else ")")
        )

    run()
