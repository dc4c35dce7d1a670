"""Bug summary search (upstream HEAD): case-insensitive substring, trigram-similarity order, keep-rules, top 50."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from treeherder.bugs.search import MAX_BUGS_PER_TERM, search_bugs, term_matches, trigram_similarity
from treeherder.db import tables as t


def _found(database, term: str) -> list[int]:
    with database.read() as conn:
        return [bug["id"] for bug in search_bugs(conn, term)]


def test_substring_match_is_case_insensitive(database, add_bugs):
    add_bugs(
        (1, "Intermittent dom/tests/test_a.html | assertion count"),
        (2, "dom/tests/TEST_A.HTML crashes sometimes"),
        (3, "Intermittent dom/tests/test_b.html | timed out"),
    )
    assert sorted(_found(database, "test_a.html")) == [1, 2]
    assert sorted(_found(database, "TEST_a.Html")) == [1, 2]
    assert _found(database, "test_c.html") == []


def test_the_term_must_start_the_summary_or_follow_a_separator(database, add_bugs):
    add_bugs(
        (1, "test_a.html fails"),
        (2, "Intermittent dom/test_a.html"),
        (3, "windows\\test_a.html fails"),
        (4, "fails in a,test_a.html"),
        (5, "mytest_a.html is unrelated"),
        (6, "xtest_a.html then dom/test_a.html"),  # a later occurrence after '/' counts
    )
    assert sorted(_found(database, "test_a.html")) == [1, 2, 3, 4, 6]


@pytest.mark.parametrize("term", ['say "hi" 100%', "under_score'quote", "back\\slash (x) [y]"])
def test_special_characters_are_matched_literally(database, add_bugs, term):
    add_bugs((1, f"Intermittent {term} here"), (2, "Intermittent say hi 1000 underXscore backslash"))
    assert _found(database, term) == [1]


def test_unresolved_and_resolved_bugs_keep_their_fields(database, add_bugs):
    ids = add_bugs((11, "Intermittent browser_a.js | open"), (12, "Intermittent browser_a.js | fixed", "FIXED"))
    with database.read() as conn:
        bugs = search_bugs(conn, "browser_a.js")
    assert {bug["id"]: bug["resolution"] for bug in bugs} == {11: "", 12: "FIXED"}
    first = next(bug for bug in bugs if bug["id"] == 11)
    assert first["internal_id"] == ids[11] and first["status"] == "NEW" and first["occurrences"] is None
    assert set(first) == {
        "id", "internal_id", "status", "resolution", "summary", "dupe_of", "crash_signature", "keywords", "whiteboard",
        "occurrences",
    }  # fmt: skip


def test_bugs_are_ranked_by_trigram_similarity(database, add_bugs):
    add_bugs(
        (1, "Intermittent dom/media/test/test_play.html | Test timed out after a very long time waiting for events"),
        (2, "test_play.html fails"),
        (3, "Intermittent dom/media/test/test_play.html | single tracking bug"),
    )
    found = _found(database, "test_play.html")
    assert found == [2, 3, 1]
    with database.read() as conn:
        summaries = dict(conn.execute(select(t.bugscache.c.bugzilla_id, t.bugscache.c.summary)).all())
    scores = [trigram_similarity(summaries[bug_id], "test_play.html") for bug_id in found]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_at_most_50_best_candidates_before_the_keep_rule(database, add_bugs):
    # 60 matching summaries, the shortest (most similar) ones fail the keep-rule: they still use up the 50 places.
    add_bugs(*[(n, f"xleak.js {'padding ' * (n // 10)}{n}") for n in range(1, 11)])
    add_bugs(*[(n, f"Intermittent leak.js {'padding ' * (n // 5)}{n}") for n in range(11, 71)])
    found = _found(database, "leak.js")
    assert len(found) == MAX_BUGS_PER_TERM - 10
    assert set(found) < set(range(11, 71))
    add_bugs(*[(n, f"leak.js {n}") for n in range(100, 160)])
    assert len(_found(database, "leak.js")) == MAX_BUGS_PER_TERM


def test_the_index_follows_updates_and_deletes(database, add_bugs):
    ids = add_bugs((1, "Intermittent old_name.html"), (2, "Intermittent other.html"))
    with database.write() as conn:
        renamed = t.bugscache.update().where(t.bugscache.c.id == ids[1]).values(summary="Intermittent new_name.html")
        conn.execute(renamed)
        conn.execute(t.bugscache.update().where(t.bugscache.c.id == ids[2]).values(status="RESOLVED"))
    assert _found(database, "old_name.html") == []
    assert _found(database, "new_name.html") == [1]
    assert _found(database, "other.html") == [2]
    with database.write() as conn:
        conn.execute(t.bugscache.delete().where(t.bugscache.c.id == ids[1]))
    assert _found(database, "new_name.html") == []


def test_short_terms_still_match(database, add_bugs):
    add_bugs((1, "ab c"), (2, "xab"))
    assert _found(database, "ab") == [1]


def test_the_search_uses_the_index(database, add_bugs):
    with database.read() as conn:
        if database.dialect == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            query = "EXPLAIN SELECT id FROM bugscache WHERE lower(summary) LIKE '%test_a.html%'"
            plan = "\n".join(conn.execute(text(query)).scalars())
            assert "ix_bugscache_summary_trgm" in plan
        else:
            query = "EXPLAIN QUERY PLAN SELECT rowid FROM bugscache_fts WHERE bugscache_fts MATCH 'abc'"
            plan = " ".join(str(row[-1]) for row in conn.execute(text(query)))
            assert "VIRTUAL TABLE INDEX" in plan


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Intermittent dom/tests/test_a.html | assertion count", "test_a.html"),
        ("word", "two words"),
        ("Ünïcode straße 123", "straße"),
        ("", "abc"),
        ("a_b-c.d", "a b c d"),
        ("Crash in [@ mozilla::SomeCrashFn]", "mozilla::somecrashfn"),
    ],
)
def test_trigram_similarity_is_pg_trgm_similarity(database, a, b):
    python_score = trigram_similarity(a, b)
    if database.dialect != "postgresql":
        assert 0.0 <= python_score <= 1.0
        return
    with database.read() as conn:
        assert conn.execute(select(func.similarity(a, b))).scalar() == pytest.approx(python_score, abs=1e-7)


def test_keep_rule():
    assert term_matches("Foo/Bar.html x", "bar.html")
    assert not term_matches("foobar.html", "bar.html")
