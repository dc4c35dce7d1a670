"""`treeherder bugs import FILE`: Bugzilla bug lists into the bugs cache."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime

import orjson
import pytest
from sqlalchemy import select

from treeherder.bugs.importer import BugFileError, bug_rows, import_bug_file, read_bug_file
from treeherder.db import tables as t


def _cached(database) -> dict[int, dict]:
    with database.read() as conn:
        return {row.bugzilla_id: row._asdict() for row in conn.execute(select(t.bugscache))}


def _bug(bug_id: int, summary: str, **fields) -> dict:
    return {"id": bug_id, "summary": summary, "status": "NEW", "resolution": "", "keywords": [], **fields}


def test_the_fixture_reply_is_stored_as_upstream_stores_it(cli, database, shared_fixtures):
    source = orjson.loads((shared_fixtures / "bugs" / "bug_list.json").read_bytes())["bugs"]
    result = cli("bugs", "import", str(shared_fixtures / "bugs" / "bug_list.json"))
    assert result.exit_code == 0, result.output
    assert "imported 28 bugs (28 new, 0 updated)" in result.output
    cached = _cached(database)
    assert set(cached) == {bug["id"] for bug in source}
    for bug in source:
        row = cached[bug["id"]]
        assert row["summary"] == bug["summary"][:255]  # the column's size, as upstream cuts it
        assert (row["status"], row["resolution"]) == (bug["status"], bug["resolution"])
        assert row["keywords"] == ",".join(bug["keywords"])
        assert row["crash_signature"] == bug["cf_crash_signature"]
        assert row["dupe_of"] == bug["dupe_of"]
        assert row["whiteboard"] == bug["whiteboard"]
        assert row["modified"] == datetime.fromisoformat(bug["last_change_time"]).replace(tzinfo=None)  # all UTC
    assert any("," in row["keywords"] for row in cached.values())  # the fixture has multi-keyword bugs
    assert any(len(bug["summary"]) > 255 for bug in source)


def test_importing_again_updates_in_place(cli, database, shared_fixtures):
    path = shared_fixtures / "bugs" / "bug_list.json"
    cli("bugs", "import", str(path))
    before = _cached(database)
    again = cli("bugs", "import", str(path))
    assert "imported 28 bugs (0 new, 28 updated)" in again.output
    assert _cached(database) == before  # same internal ids, same fields


def test_changed_bugs_are_updated_and_new_ones_added(database, tmp_path):
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"bugs": [_bug(1, "Intermittent a.html"), _bug(2, "Intermittent b.html")]}))
    import_bug_file(database, first)
    internal_ids = {bug_id: row["id"] for bug_id, row in _cached(database).items()}
    second = tmp_path / "second.json"
    changed = _bug(2, "Intermittent b.html | now a longer title", status="RESOLVED", resolution="FIXED",
                   keywords=["intermittent-failure", "regression"], cf_crash_signature="[@ Foo]", dupe_of=1,
                   last_change_time="2026-11-01T10:00:00Z")  # fmt: skip
    second.write_text(json.dumps({"bugs": [changed, _bug(3, "Intermittent c.html")]}))
    summary = import_bug_file(database, second)
    assert (summary.inserted, summary.updated, summary.removed) == (1, 1, 0)
    cached = _cached(database)
    assert set(cached) == {1, 2, 3}  # without --replace, bug 1 stays
    assert cached[2]["id"] == internal_ids[2]
    assert cached[2]["summary"] == "Intermittent b.html | now a longer title"
    assert (cached[2]["status"], cached[2]["resolution"]) == ("RESOLVED", "FIXED")
    assert cached[2]["keywords"] == "intermittent-failure,regression"
    assert (cached[2]["crash_signature"], cached[2]["dupe_of"]) == ("[@ Foo]", 1)
    assert cached[2]["modified"] == datetime(2026, 11, 1, 10, 0)  # UTC, stored naive


def test_replace_removes_bugzilla_bugs_missing_from_the_file_but_keeps_local_ones(cli, database, tmp_path):
    with database.write() as conn:
        conn.execute(
            t.bugscache.insert().values(bugzilla_id=None, summary="filed locally", modified=datetime(2026, 1, 1))
        )
    old = tmp_path / "old.json"
    old.write_text(json.dumps([_bug(1, "one"), _bug(2, "two")]))
    cli("bugs", "import", str(old))
    new = tmp_path / "new.json"
    new.write_text(json.dumps([_bug(2, "two"), _bug(3, "three")]))
    result = cli("bugs", "import", "--replace", str(new))
    assert result.exit_code == 0, result.output
    assert "(1 new, 1 updated, 1 removed)" in result.output
    assert set(_cached(database)) == {None, 2, 3}


def test_json_lines_and_gzip_are_read(database, tmp_path):
    lines = tmp_path / "bugs.jsonl.gz"
    lines.write_bytes(gzip.compress(b"\n".join(orjson.dumps(_bug(n, f"bug {n}")) for n in (5, 6, 7)) + b"\n\n"))
    assert [bug["id"] for bug in read_bug_file(lines)] == [5, 6, 7]
    single = tmp_path / "one.jsonl"
    single.write_bytes(orjson.dumps(_bug(8, "bug 8")) + b"\n")
    assert import_bug_file(database, single).inserted == 1
    assert set(_cached(database)) == {8}


def test_long_text_is_cut_to_the_column_sizes_and_a_repeated_id_counts_once(database):
    rows = bug_rows([_bug(1, "x" * 300, whiteboard="w" * 150), _bug(1, "y" * 300)])
    assert len(rows) == 1 and rows[0]["summary"] == "y" * 255
    assert len(bug_rows([_bug(2, "s", whiteboard="w" * 150)])[0]["whiteboard"]) == 100


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "line 2: not JSON"),  # after a good JSON line
        (b'{"bugs": 3}', 'expected a Bugzilla reply {"bugs": [...]}'),
        (b'{"bugs": [{"summary": "no id"}]}', "item 0: id must be a positive integer"),
        (b'{"bugs": [{"id": 4, "summary": null}]}', "bug 4: summary must be a string"),
        (b'[{"id": 4, "summary": "s", "keywords": [1]}]', "bug 4: keywords must be a list of strings"),
        (b'[{"id": 4, "summary": "s", "last_change_time": "yesterday"}]', "bug 4: last_change_time 'yesterday'"),
    ],
)
def test_a_bad_file_is_one_line_of_error_and_stores_nothing(cli, database, tmp_path, content, message):
    path = tmp_path / "bugs.json"
    good_line = b'{"bugs": [{"id": 1, "summary": "good"}]}\n'
    path.write_bytes(good_line + content if content.startswith(b"{not") else content)
    with pytest.raises(BugFileError, match=re.escape(message)):
        import_bug_file(database, path)
    result = cli("bugs", "import", str(path))
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("treeherder: error:")]
    assert len(error_lines) == 1 and message in error_lines[0] and str(path) in error_lines[0]
    assert _cached(database) == {}
