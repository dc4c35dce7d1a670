"""The push list, detail and status endpoints, on the upstream push fixtures (stored through ingestion)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import factories

URL = "/api/project/mozilla-central/push/"
PUSH_KEYS = {"id", "revision", "author", "branch", "revisions", "revision_count", "push_timestamp", "repository_id"}
COMMIT_KEYS = {"result_set_id", "repository_id", "revision", "author", "comments"}


def _newest_first(pushes: list[dict]) -> list[dict]:
    return sorted(pushes, key=lambda p: p["push_timestamp"], reverse=True)


def test_default_list_is_ten_newest_with_envelope(client, fixture_pushes, push_fixture):
    body = client.get(URL).json()
    assert body["meta"] == {"count": 10, "repository": "mozilla-central", "filter_params": {}}
    expected = _newest_first(push_fixture)[:10]
    assert [p["revision"] for p in body["results"]] == [p["revision"] for p in expected]
    for push, source in zip(body["results"], expected):
        assert set(push) == PUSH_KEYS
        assert push["id"] == fixture_pushes[source["revision"]]
        assert push["author"] == source["author"]
        assert push["push_timestamp"] == source["push_timestamp"]
        assert push["repository_id"] == 1
        assert push["branch"] is None
        assert push["revision_count"] == len(source["revisions"])
        # newest commit (last submitted) first
        assert [c["revision"] for c in push["revisions"]] == [c["revision"] for c in reversed(source["revisions"])]
        for commit, source_commit in zip(push["revisions"], reversed(source["revisions"])):
            assert set(commit) == COMMIT_KEYS
            assert commit["result_set_id"] == push["id"]
            assert commit["repository_id"] == 1
            assert commit["author"] == source_commit["author"]
            assert commit["comments"] == source_commit["comment"]


def test_revisions_capped_at_twenty_with_total_count(client, store):
    push = factories.push(commits=25)
    store(pushes=[push])
    (result,) = client.get(URL).json()["results"]
    assert result["revision_count"] == 25
    assert len(result["revisions"]) == 20
    assert [c["revision"] for c in result["revisions"]] == [c["revision"] for c in reversed(push["revisions"])][:20]


def test_count(client, fixture_pushes):
    body = client.get(URL, params={"count": 3}).json()
    assert body["meta"]["count"] == 3
    assert body["meta"]["filter_params"] == {"count": "3"}
    assert len(body["results"]) == 3
    assert len(client.get(URL, params={"count": 1000}).json()["results"]) == 22


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("abc", "Valid count value required"),
        ("1001", "Specified count exceeds api limit: 1000"),
        ("0", "count requires a positive integer, not: 0"),
        ("-5", "count requires a positive integer, not: -5"),
    ],
)
def test_bad_count(client, count, message):
    response = client.get(URL, params={"count": count})
    assert response.status_code == 400
    assert response.json() == {"detail": message}


def test_unknown_project(client):
    response = client.get("/api/project/no-such-repo/push/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No project with name no-such-repo"}


def test_revision_filter_long_and_short(client, fixture_pushes, push_fixture):
    target = push_fixture[5]["revision"]
    long = client.get(URL, params={"revision": target}).json()
    assert [p["revision"] for p in long["results"]] == [target]
    assert long["meta"]["revision"] == target
    assert long["meta"]["filter_params"] == {"revisions_long_revision": target}
    short = client.get(URL, params={"revision": target[:12]}).json()
    assert [p["revision"] for p in short["results"]] == [target]
    assert short["meta"]["filter_params"] == {"revisions_short_revision": target[:12]}
    # only tip revisions match `revision`, not other commits of a push
    inner = push_fixture[2]["revisions"][1]["revision"]
    assert inner != push_fixture[2]["revision"]
    assert client.get(URL, params={"revision": inner}).json()["results"] == []


def test_commit_revision_matches_any_commit(client, fixture_pushes, push_fixture):
    inner = push_fixture[2]["revisions"][1]["revision"]
    body = client.get(URL, params={"commit_revision": inner}).json()
    assert [p["revision"] for p in body["results"]] == [push_fixture[2]["revision"]]
    assert body["meta"]["commit_revision"] == inner


def test_fromchange_tochange(client, fixture_pushes, push_fixture):
    ordered = _newest_first(push_fixture)
    newer, older = ordered[3], ordered[8]
    body = client.get(URL, params={"fromchange": older["revision"][:12], "tochange": newer["revision"]}).json()
    assert [p["revision"] for p in body["results"]] == [p["revision"] for p in ordered[3:9]]
    assert body["meta"]["fromchange"] == older["revision"][:12]
    assert body["meta"]["tochange"] == newer["revision"]
    assert body["meta"]["filter_params"] == {
        "push_timestamp__gte": older["push_timestamp"],
        "push_timestamp__lte": newer["push_timestamp"],
    }
    missing = client.get(URL, params={"fromchange": "f" * 12})
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"No push with revision: {'f' * 12}"}


def test_startdate_enddate(client, fixture_pushes, push_fixture):
    day = datetime(2024, 11, 2, tzinfo=UTC)  # pushes 4 (1730564940) and 5 (1730664029) fall on 2-3 Nov 2024
    start = int(day.timestamp())
    body = client.get(URL, params={"startdate": "2024-11-02", "enddate": "2024-11-02"}).json()
    expected = [p for p in push_fixture if start <= p["push_timestamp"] <= start + 86400]
    assert expected  # the fixture has a push that day
    assert {p["revision"] for p in body["results"]} == {p["revision"] for p in expected}
    assert body["meta"]["filter_params"] == {"push_timestamp__gte": start, "push_timestamp__lt": start + 86400}
    assert body["meta"]["startdate"] == "2024-11-02"
    bad = client.get(URL, params={"startdate": "2024-13-40"})
    assert bad.status_code == 400
    assert "startdate" in bad.json()["detail"]


def test_push_timestamp_ranges(client, fixture_pushes, push_fixture):
    stamps = sorted(p["push_timestamp"] for p in push_fixture)
    pivot = stamps[10]
    for op, keep in (
        ("lt", lambda s: s < pivot),
        ("lte", lambda s: s <= pivot),
        ("gt", lambda s: s > pivot),
        ("gte", lambda s: s >= pivot),
    ):
        body = client.get(URL, params={f"push_timestamp__{op}": pivot, "count": 100}).json()
        assert sorted(p["push_timestamp"] for p in body["results"]) == [s for s in stamps if keep(s)], op
    bad = client.get(URL, params={"push_timestamp__lt": "yesterday"})
    assert bad.status_code == 400
    assert bad.json() == {"detail": "Invalid timestamp specified for push_timestamp__lt"}


def test_id_filters(client, fixture_pushes):
    ids = sorted(fixture_pushes.values())
    pivot = ids[5]

    def got(**params):
        return sorted(p["id"] for p in client.get(URL, params={"count": 100, **params}).json()["results"])

    assert got(id=pivot) == [pivot]
    assert got(id__lt=pivot) == [i for i in ids if i < pivot]
    assert got(id__lte=pivot) == [i for i in ids if i <= pivot]
    assert got(id__gt=pivot) == [i for i in ids if i > pivot]
    assert got(id__gte=pivot) == [i for i in ids if i >= pivot]
    assert got(id=0) == ids  # 0 is ignored, as upstream
    assert got(id__in=f"{ids[0]},{ids[3]}") == [ids[0], ids[3]]
    bad = client.get(URL, params={"id__lt": "x"})
    assert bad.status_code == 400
    assert bad.json() == {"detail": "Invalid timestamp specified for id__lt"}
    bad_in = client.get(URL, params={"id__in": "1,x"})
    assert bad_in.status_code == 400
    assert bad_in.json() == {"detail": "Invalid id__in specification"}


def test_author_filters(client, fixture_pushes, push_fixture):
    def authors(**params):
        return sorted(p["author"] for p in client.get(URL, params={"count": 100, **params}).json()["results"])

    all_authors = sorted(p["author"] for p in push_fixture)
    assert authors(author="HACKER3@example.com") == ["hacker3@example.com"]
    assert authors(author="-hacker3@example.com") == [a for a in all_authors if a != "hacker3@example.com"]
    assert authors(author_contains="KER1") == [a for a in all_authors if "ker1" in a]


def test_hide_reviewbot_and_search(client, store, fixture_pushes):
    bot = factories.push(author="reviewbot")
    bot["revisions"][0]["comment"] = "Bug 99 - automated change with a NeedleInTheHaystack marker"
    store(pushes=[bot])
    everything = client.get(URL, params={"count": 100}).json()["results"]
    assert "reviewbot" in {p["author"] for p in everything}
    hidden = client.get(URL, params={"count": 100, "hide_reviewbot_pushes": "true"}).json()["results"]
    assert "reviewbot" not in {p["author"] for p in hidden}
    assert len(hidden) == len(everything) - 1
    by_comment = client.get(URL, params={"search": "needleinthehaystack"}).json()["results"]
    assert [p["revision"] for p in by_comment] == [bot["revision"]]
    by_revision = client.get(URL, params={"search": bot["revision"][5:15].upper()}).json()["results"]
    assert [p["revision"] for p in by_revision] == [bot["revision"]]
    by_author = client.get(URL, params={"search": "hacker17@"}).json()["results"]
    assert [p["author"] for p in by_author] == ["hacker17@example.com"]


def test_all_repos_and_full(client, store, fixture_pushes):
    elsewhere = factories.push()
    store(pushes=[elsewhere], repository="try")
    assert elsewhere["revision"] not in {
        p["revision"] for p in client.get(URL, params={"count": 100}).json()["results"]
    }
    body = client.get(URL, params={"count": 100, "all_repos": "1", "full": "true"}).json()
    assert body["meta"]["repository"] == "all"
    assert body["meta"]["filter_params"] == {"count": "100", "all_repos": "1", "full": "true"}
    assert elsewhere["revision"] in {p["revision"] for p in body["results"]}
    assert len(body["results"]) == 23


def test_push_detail(client, fixture_pushes, push_fixture):
    source = push_fixture[2]
    push_id = fixture_pushes[source["revision"]]
    body = client.get(f"{URL}{push_id}/").json()
    assert set(body) == PUSH_KEYS
    assert body["id"] == push_id and body["revision"] == source["revision"]
    assert body["revision_count"] == 6
    missing = client.get(f"{URL}999999/")
    assert missing.status_code == 404
    assert missing.json() == "No push with id: 999999"
    assert client.get(f"{URL}abc/").json() == "No push with id: abc"


def test_push_in_another_repository_is_not_found(client, store):
    (push_ids, _) = store(pushes=[factories.push()], repository="try")
    push_id = next(iter(push_ids.values()))
    assert client.get(f"{URL}{push_id}/").status_code == 404
    assert client.get(f"/api/project/try/push/{push_id}/").status_code == 200


def test_resultset_alias(client, fixture_pushes):
    assert client.get("/api/project/mozilla-central/resultset/").json() == client.get(URL).json()
    push_id = next(iter(fixture_pushes.values()))
    assert client.get(f"/api/project/mozilla-central/resultset/{push_id}/").json()["id"] == push_id


def test_push_status_counts(client, store):
    (push_ids, _) = store(pushes=[push := factories.push()])
    rev = push["revision"]
    jobs = [
        factories.job(rev, result="success"),
        factories.job(rev, result="success"),
        factories.job(rev, result="testfailed"),
        factories.job(rev, result="superseded"),
        factories.job(rev, state="running"),
        factories.job(rev, state="pending"),
        factories.job(rev, result="busted", tier=3),  # tier 3 is not counted
    ]
    store(jobs=jobs)
    push_id = push_ids[rev]
    body = client.get(f"{URL}{push_id}/status/").json()
    assert body == {
        "success": 2, "testfailed": 1, "superseded": 1, "coalesced": 1, "completed": 4, "pending": 1, "running": 1,
    }  # fmt: skip
    missing = client.get(f"{URL}424242/status/")
    assert missing.status_code == 404 and missing.json() == "No push with id: 424242"


def test_push_status_empty_push(client, store):
    (push_ids, _) = store(pushes=[factories.push()])
    push_id = next(iter(push_ids.values()))
    assert client.get(f"{URL}{push_id}/status/").json() == {"completed": 0, "pending": 0, "running": 0}
