"""Project jobs list and detail, sub-resources, the global /api/jobs/, job-log-url and jobdetail."""

from __future__ import annotations

from collections import Counter

import pytest

from tests import factories
from treeherder.db import tables as t

URL = "/api/project/mozilla-central/jobs/"

# Upstream HEAD's list-mode order (API.md 5.1).
UPSTREAM_PROPERTY_NAMES = [
    "build_architecture", "build_os", "build_platform", "build_platform_id", "build_system_type", "end_timestamp",
    "failure_classification_id", "id", "job_group_description", "job_group_id", "job_group_name", "job_group_symbol",
    "job_guid", "job_type_description", "job_type_id", "job_type_name", "job_type_symbol", "last_modified",
    "machine_name", "machine_platform_architecture", "machine_platform_os", "option_collection_hash", "platform",
    "push_id", "reason", "ref_data_name", "result", "result_set_id", "signature", "start_timestamp", "state",
    "submit_timestamp", "tier", "who", "task_id", "retry_id", "platform_option",
]  # fmt: skip
GLOBAL_PROPERTY_NAMES = [
    "failure_classification_id", "id", "job_group_name", "job_group_symbol", "job_type_name", "job_type_symbol",
    "last_modified", "platform", "push_id", "push_revision", "result", "signature", "state", "tier", "task_id",
    "retry_id", "duration", "platform_option",
]  # fmt: skip


def _all(client, **params) -> list[dict]:
    return client.get(URL, params={"count": 2000, **params}).json()["results"]


def test_dict_mode_envelope_and_values(client, fixture_jobs, fixture_pushes, job_fixture):
    body = client.get(URL).json()
    assert body["meta"] == {"repository": "mozilla-central", "offset": 0, "count": 10}
    assert len(body["results"]) == 10
    ids = [job["id"] for job in body["results"]]
    assert ids == sorted(ids)
    first = job_fixture[0]
    job = body["results"][0]
    assert list(job) == UPSTREAM_PROPERTY_NAMES
    source = first["job"]
    assert job["job_guid"] == source["job_guid"]
    assert job["id"] == fixture_jobs.job_ids[source["job_guid"]]
    assert job["push_id"] == job["result_set_id"] == fixture_pushes[first["revision"]]
    assert job["job_type_name"] == source["name"] and job["job_type_symbol"] == source["job_symbol"]
    assert job["job_group_name"] == source["group_name"] and job["job_group_symbol"] == source["group_symbol"]
    assert job["platform"] == source["machine_platform"]["platform"]
    assert job["build_platform"] == source["build_platform"]["platform"]
    assert job["machine_name"] == source["machine"]
    assert job["ref_data_name"] == source["reference_data_name"]
    assert (job["submit_timestamp"], job["start_timestamp"], job["end_timestamp"]) == (
        source["submit_timestamp"], source["start_timestamp"], source["end_timestamp"],
    )  # fmt: skip
    assert (job["state"], job["result"], job["who"], job["reason"], job["tier"]) == (
        "completed", source["result"], source["who"], "scheduled", 1,
    )  # fmt: skip
    # the two hashes upstream checks for the first line of job_data.txt
    assert job["option_collection_hash"] == "32faaecac742100f7753f0c1d0aa0add01b4046b"
    assert job["signature"] == "6202a0ad903a317ad2220d84ef19a676544b5d66"
    assert job["build_system_type"] == "buildbot"
    assert job["platform_option"] == "debug"
    assert job["failure_classification_id"] == 1
    assert job["task_id"] is None and job["retry_id"] is None
    # naive ISO-8601, as upstream serialises last_modified
    assert "T" in job["last_modified"] and "+" not in job["last_modified"] and not job["last_modified"].endswith("Z")


def test_list_mode(client, fixture_jobs):
    body = client.get(URL, params={"return_type": "list", "count": 5}).json()
    assert body["job_property_names"] == UPSTREAM_PROPERTY_NAMES
    as_dicts = client.get(URL, params={"count": 5}).json()["results"]
    assert [dict(zip(body["job_property_names"], row)) for row in body["results"]] == as_dicts


def test_offset_count_paging_covers_every_job_once(client, fixture_jobs):
    seen = []
    offset = 0
    while True:
        page = client.get(URL, params={"offset": offset, "count": 50}).json()
        assert page["meta"] == {"repository": "mozilla-central", "offset": offset, "count": 50}
        seen.extend(job["id"] for job in page["results"])
        if len(page["results"]) < 50:
            break
        offset += 50
    assert seen == sorted(fixture_jobs.job_ids.values())
    assert client.get(URL, params={"offset": 122, "count": 0}).json()["results"] == []


@pytest.mark.parametrize("params", [{"count": "abc"}, {"offset": "x"}, {"offset": "-1"}, {"count": "-3"}])
def test_bad_offset_or_count(client, params):
    response = client.get(URL, params=params)
    assert response.status_code == 400
    assert response.json() == "Invalid value for offset or count"


def test_count_over_limit(client):
    response = client.get(URL, params={"count": 2001})
    assert response.status_code == 400
    assert response.json() == {"detail": "Specified count exceeds API MAX_JOBS_COUNT value: 2000"}


def test_unknown_project(client):
    response = client.get("/api/project/nope/jobs/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No project with name nope"}


def test_filters(client, fixture_jobs, fixture_pushes, job_fixture):
    everything = _all(client)
    assert len(everything) == 122
    by_result = Counter(job["result"] for job in everything)
    assert by_result == Counter(line["job"]["result"] for line in job_fixture)
    assert {j["id"] for j in _all(client, result="testfailed")} == {
        j["id"] for j in everything if j["result"] == "testfailed"
    }
    push_id = fixture_pushes[job_fixture[0]["revision"]]
    expected_in_push = sum(1 for line in job_fixture if line["revision"] == job_fixture[0]["revision"])
    assert len(_all(client, push_id=push_id)) == expected_in_push
    assert len(_all(client, result_set_id=push_id)) == expected_in_push  # legacy name
    assert len(_all(client, push_id__in=f"{push_id},999999")) == expected_in_push
    ids = sorted(j["id"] for j in everything)
    assert [j["id"] for j in _all(client, id__gt=ids[100])] == ids[101:]
    assert [j["id"] for j in _all(client, id__lte=ids[1])] == ids[:2]
    assert [j["id"] for j in _all(client, id__in=f"{ids[3]},{ids[7]}")] == [ids[3], ids[7]]
    guids = [everything[0]["job_guid"], everything[5]["job_guid"]]
    assert [j["job_guid"] for j in _all(client, job_guid__in=",".join(guids))] == guids
    assert [j["job_guid"] for j in _all(client, job_guid=guids[1])] == [guids[1]]
    platform = everything[0]["platform"]
    assert {j["id"] for j in _all(client, platform=platform)} == {
        j["id"] for j in everything if j["platform"] == platform
    }
    name = everything[0]["job_type_name"]
    assert {j["id"] for j in _all(client, job_type_name=name)} == {
        j["id"] for j in everything if j["job_type_name"] == name
    }
    symbol = everything[0]["job_group_symbol"]
    assert {j["id"] for j in _all(client, job_group_symbol=symbol)} == {
        j["id"] for j in everything if j["job_group_symbol"] == symbol
    }
    assert len(_all(client, signature=everything[0]["signature"])) == sum(
        1 for j in everything if j["signature"] == everything[0]["signature"]
    )
    assert len(_all(client, option_collection_hash="32faaecac742100f7753f0c1d0aa0add01b4046b")) == 122
    assert len(_all(client, option_collection_hash="0" * 40)) == 0
    assert len(_all(client, machine_name=everything[0]["machine_name"])) >= 1
    assert len(_all(client, tier__in="2,3")) == 0 and len(_all(client, tier=1)) == 122
    assert len(_all(client, build_system_type="buildbot")) == 122
    assert len(_all(client, who=everything[0]["who"])) >= 1
    assert len(_all(client, unknown_param="whatever")) == 122  # unknown parameters are ignored
    submit = everything[0]["submit_timestamp"]
    assert {j["id"] for j in _all(client, submit_timestamp=submit)} == {
        j["id"] for j in everything if j["submit_timestamp"] == submit
    }
    end = sorted(j["end_timestamp"] for j in everything)[60]
    from datetime import UTC, datetime

    iso = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert {j["id"] for j in _all(client, end_time__gte=iso)} == {
        j["id"] for j in everything if j["end_timestamp"] >= end
    }
    assert {j["id"] for j in _all(client, end_time__lt=iso + "+00:00")} == {
        j["id"] for j in everything if j["end_timestamp"] < end
    }


def test_last_modified_filter(client, store, database):
    (push_ids, job_ids) = store(
        pushes=[push := factories.push()], jobs=[factories.job(push["revision"]) for _ in range(3)]
    )
    ids = sorted(job_ids.values())
    with database.write() as conn:
        from datetime import datetime

        for n, job_id in enumerate(ids):
            conn.execute(
                t.job.update()
                .where(t.job.c.id == job_id)
                .values(last_modified=datetime(2025, 1, 1 + n, 12, 0, 0, 500 * n))
            )
    assert [j["id"] for j in _all(client, last_modified__gt="2025-01-01T12:00:00")] == ids[1:]
    assert [j["id"] for j in _all(client, last_modified__lte="2025-01-02 12:00:01")] == ids[:2]
    # Python's isoformat(): a 6-digit fraction only when there are microseconds, in both list modes and endpoints
    assert [j["last_modified"] for j in _all(client)] == [
        "2025-01-01T12:00:00", "2025-01-02T12:00:00.000500", "2025-01-03T12:00:00.001000",
    ]  # fmt: skip
    listed = client.get(URL, params={"return_type": "list"}).json()
    assert [row[listed["job_property_names"].index("last_modified")] for row in listed["results"]][
        1
    ] == "2025-01-02T12:00:00.000500"
    assert client.get("/api/jobs/").json()["results"][1][6] == "2025-01-02T12:00:00.000500"
    assert client.get(f"{URL}{ids[1]}/").json()["last_modified"] == "2025-01-02T12:00:00.000500"
    bad = client.get(URL, params={"last_modified__gt": "foo"})
    assert bad.status_code == 400
    assert bad.json() == "Invalid date value for `last_modified`: foo"


def test_bad_filter_values(client):
    response = client.get(URL, params={"id": "abc", "push_id__in": "1,b", "start_time__gt": "later"})
    assert response.status_code == 400
    assert response.json() == {
        "id": ["Enter a number."],
        "push_id__in": ["Enter a number."],
        "start_time__gt": ["Enter a valid date/time."],
    }


def _tc_job(revision: str, task_id: str, retry_id: int = 0, **fields) -> dict:
    return factories.job(revision, taskcluster_task_id=task_id, taskcluster_retry_id=retry_id, **fields)


def test_job_detail(client, store):
    (push_ids, job_ids) = store(
        pushes=[push := factories.push()],
        jobs=[
            _tc_job(
                push["revision"],
                "XVK8G39_T0qaHgtsHB4_QA",
                1,
                guid="guid-a",
                log_references=[
                    {
                        "name": "live_backing_log",
                        "url": "https://example.org/a/live_backing.log",
                        "parse_status": "parsed",
                    },
                    {
                        "name": "errorsummary_json",
                        "url": "https://example.org/a/errorsummary.log",
                        "parse_status": "pending",
                    },
                ],
            ),  # fmt: skip
            factories.job(push["revision"], guid="guid-b", option_collection={}),
        ],
    )
    job_id = job_ids["guid-a"]
    body = client.get(f"{URL}{job_id}/").json()
    listed = client.get(URL, params={"id": job_id}).json()["results"][0]
    assert {k: v for k, v in body.items() if k in listed} == listed
    assert body["resource_uri"] == f"/api/project/mozilla-central/jobs/{job_id}/"
    assert body["logs"] == [
        {"name": "live_backing_log", "url": "https://example.org/a/live_backing.log"},
        {"name": "errorsummary_json", "url": "https://example.org/a/errorsummary.log"},
    ]
    assert body["taskcluster_metadata"] == {"task_id": "XVK8G39_T0qaHgtsHB4_QA", "retry_id": 1}
    assert body["task_id"] == "XVK8G39_T0qaHgtsHB4_QA" and body["retry_id"] == 1
    assert body["platform_option"] == "opt"
    plain = client.get(f"{URL}{job_ids['guid-b']}/").json()
    assert "platform_option" not in plain  # only when non-empty
    assert "taskcluster_metadata" not in plain
    missing = client.get(f"{URL}999999/")
    assert missing.status_code == 404 and missing.json() == "No job with id: 999999"
    assert client.get(f"{URL}abc/").json() == "No job with id: abc"
    assert client.get(f"/api/project/try/jobs/{job_id}/").status_code == 404


def test_similar_jobs(client, store):
    pushes = [factories.push() for _ in range(3)]
    jobs = []
    for push in pushes:
        jobs.append(factories.job(push["revision"], result="success"))
        jobs.append(factories.job(push["revision"], result="testfailed"))
        jobs.append(factories.job(push["revision"], name="other-type", job_symbol="o"))
    (push_ids, job_ids) = store(pushes=pushes, jobs=jobs)
    target = job_ids[jobs[0]["job"]["job_guid"]]
    body = client.get(f"{URL}{target}/similar_jobs/").json()
    assert body["meta"] == {"offset": 0, "count": 50, "repository": "mozilla-central"}
    results = body["results"]
    assert target not in [j["id"] for j in results]
    assert {j["job_type_name"] for j in results} == {"test-linux64/opt-mochitest-1"}
    assert len(results) == 5
    assert [j["push_id"] for j in results] == sorted((j["push_id"] for j in results), reverse=True)
    no_success = client.get(f"{URL}{target}/similar_jobs/", params={"nosuccess": ""}).json()["results"]
    assert [j["result"] for j in no_success] == ["testfailed"] * 3
    listed = client.get(f"{URL}{target}/similar_jobs/", params={"return_type": "list", "count": 2, "offset": 1}).json()
    assert [row[7] for row in listed["results"]] == [j["id"] for j in results[1:3]]
    assert client.get(f"{URL}999999/similar_jobs/").json() == "No job with id: 999999"


def test_text_log_errors(client, store):
    summary = {
        "name": "text_log_summary", "type": "json",
        "blob": {"errors": [{"linenumber": 20, "line": "TEST-UNEXPECTED-FAIL | b.html | boom"},
                            {"linenumber": 10, "line": "TEST-UNEXPECTED-FAIL | a.html | bang"}]},
    }  # fmt: skip
    (_, job_ids) = store(
        pushes=[push := factories.push()], jobs=[factories.job(push["revision"], guid="g1", artifacts=[summary])]
    )
    job_id = job_ids["g1"]
    body = client.get(f"{URL}{job_id}/text_log_errors/").json()
    assert [set(row) for row in body] == [{"id", "job", "line", "line_number", "new_failure"}] * 2
    assert [row["id"] for row in body] == sorted(row["id"] for row in body)
    assert {(row["line_number"], row["line"]) for row in body} == {
        (20, "TEST-UNEXPECTED-FAIL | b.html | boom"), (10, "TEST-UNEXPECTED-FAIL | a.html | bang"),
    }  # fmt: skip
    assert all(row["job"] == job_id and row["new_failure"] is False for row in body)
    assert client.get(f"{URL}999999/text_log_errors/").json() == "No job with id: 999999"


# --- the global /api/jobs/ ----------------------------------------------------------------------------------------


def test_global_jobs_pages(client, fixture_jobs, fixture_pushes):
    first = client.get("/api/jobs/", params={"count": 50}).json()
    assert first["count"] == 122
    assert first["job_property_names"] == GLOBAL_PROPERTY_NAMES
    assert first["previous"] is None
    assert first["next"].endswith("/api/jobs/?count=50&page=2")
    rows = list(first["results"])
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        rows.extend(page["results"])
    assert [row[1] for row in rows] == sorted(fixture_jobs.job_ids.values())
    second = client.get("/api/jobs/", params={"count": 50, "page": 2}).json()
    assert second["previous"].endswith("/api/jobs/?count=50")
    third = client.get("/api/jobs/", params={"count": 50, "page": 3}).json()
    assert third["previous"].endswith("page=2") and third["next"] is None and len(third["results"]) == 22
    for bad in ("4", "0", "x"):
        response = client.get("/api/jobs/", params={"count": 50, "page": bad})
        assert response.status_code == 404 and response.json() == {"detail": "Invalid page."}
    assert client.get("/api/jobs/", params={"count": 5000}).json()["next"] is None  # capped at 2000


def test_global_jobs_row_values(client, store):
    (push_ids, job_ids) = store(
        pushes=[push := factories.push()],
        jobs=[
            _tc_job(
                push["revision"],
                "AAAAAAAAAAAAAAAAAAAAAA",
                0,
                guid="done",
                submit_timestamp=1000,
                start_timestamp=1100,
                end_timestamp=1400,
            ),
            _tc_job(
                push["revision"],
                "BBBBBBBBBBBBBBBBBBBBBB",
                2,
                guid="quick",
                submit_timestamp=1000,
                start_timestamp=1100,
                end_timestamp=1110,
            ),
        ],
    )
    body = client.get("/api/jobs/", params={"task_id": "AAAAAAAAAAAAAAAAAAAAAA"}).json()
    assert body["count"] == 1
    row = dict(zip(body["job_property_names"], body["results"][0]))
    assert row["id"] == job_ids["done"]
    assert row["push_id"] == push_ids[push["revision"]]
    assert row["push_revision"] == push["revision"]
    assert (row["task_id"], row["retry_id"]) == ("AAAAAAAAAAAAAAAAAAAAAA", 0)
    assert row["duration"] == 5  # 300 s
    assert row["platform_option"] == "opt"
    assert (row["job_group_name"], row["job_group_symbol"], row["job_type_symbol"]) == ("Mochitests", "M", "1")
    quick = client.get("/api/jobs/", params={"retry_id": 2}).json()["results"][0]
    assert quick[GLOBAL_PROPERTY_NAMES.index("duration")] == 1  # floored at one minute
    bad = client.get("/api/jobs/", params={"id": "x"})
    assert bad.status_code == 400 and bad.json() == {"id": ["Enter a number."]}


# --- job-log-url --------------------------------------------------------------------------------------------------


def test_job_log_url(client, store):
    logs = [
        {"name": "live_backing_log", "url": "https://example.org/1.log", "parse_status": "parsed"},
        {"name": "errorsummary_json", "url": "https://example.org/1.json", "parse_status": "pending"},
    ]
    (_, job_ids) = store(
        pushes=[push := factories.push()],
        jobs=[
            factories.job(push["revision"], guid="a", log_references=logs),
            factories.job(push["revision"], guid="b"),
        ],
    )
    url = "/api/project/mozilla-central/job-log-url/"
    body = client.get(url, params={"job_id": job_ids["a"]}).json()
    assert [{k: v for k, v in row.items() if k != "id"} for row in body] == [
        {
            "job_id": job_ids["a"],
            "name": "live_backing_log",
            "url": "https://example.org/1.log",
            "parse_status": "parsed",
        },
        {
            "job_id": job_ids["a"],
            "name": "errorsummary_json",
            "url": "https://example.org/1.json",
            "parse_status": "pending",
        },
    ]
    assert client.get(url, params=[("job_id", job_ids["a"]), ("job_id", job_ids["b"])]).json() == body
    one = client.get(f"{url}{body[0]['id']}/").json()
    assert one == body[0]
    assert client.get(f"{url}999999/").status_code == 404
    missing = client.get(url)
    assert missing.status_code == 400
    assert missing.json() == {"detail": "The job_id parameter is mandatory for this endpoint"}
    bad = client.get(url, params={"job_id": "x"})
    assert bad.status_code == 400
    assert bad.json() == {"detail": "The job_id parameter(s) must be integers"}


# --- jobdetail --------------------------------------------------------------------------------------------------


def _job_info(*items) -> dict:
    return {"name": "Job Info", "type": "json", "blob": {"job_details": list(items)}}


def test_jobdetail(client, store):
    (push_ids, job_ids) = store(
        pushes=[push := factories.push()],
        jobs=[
            factories.job(
                push["revision"],
                guid="with-info",
                artifacts=[
                    _job_info(
                        {"title": "CPU usage", "value": "87%"},
                        {"title": "artifact uploaded", "value": "target.zip", "url": "https://example.org/target.zip"},
                        {"value": "no title"},
                    )
                ],
            ),  # fmt: skip
            factories.job(
                push["revision"], guid="other", artifacts=[_job_info({"title": "CPU usage", "value": "12%"})]
            ),
        ],
    )
    body = client.get("/api/jobdetail/", params={"job_guid": "with-info"}).json()
    assert body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {"job_id": job_ids["with-info"], "job_guid": "with-info", "title": "CPU usage", "value": "87%", "url": None},
        {"job_id": job_ids["with-info"], "job_guid": "with-info", "title": "artifact uploaded", "value": "target.zip",
         "url": "https://example.org/target.zip"},
        {"job_id": job_ids["with-info"], "job_guid": "with-info", "title": None, "value": "no title", "url": None},
    ]  # fmt: skip
    assert client.get("/api/jobdetail/", params={"job__guid": "with-info"}).json() == body
    assert len(client.get("/api/jobdetail/", params={"job_id": job_ids["with-info"]}).json()["results"]) == 3
    push_id = push_ids[push["revision"]]
    assert len(client.get("/api/jobdetail/", params={"push_id": push_id}).json()["results"]) == 4
    titled = client.get("/api/jobdetail/", params={"push_id": push_id, "title": "CPU usage"}).json()["results"]
    assert [row["value"] for row in titled] == ["87%", "12%"]
    ids = f"{job_ids['with-info']},{job_ids['other']}"
    assert (
        len(
            client.get("/api/jobdetail/", params={"job_id__in": ids, "repository": "mozilla-central"}).json()["results"]
        )
        == 4
    )
    assert client.get("/api/jobdetail/", params={"job_id__in": ids, "repository": "try"}).json()["results"] == []
    unfiltered = client.get("/api/jobdetail/", params={"title": "CPU usage"})
    assert unfiltered.status_code == 400
    assert unfiltered.json() == {"detail": "Must filter on one of: job_guid, job__guid, job_id, job_id__in, push_id"}
    empty = client.get("/api/jobdetail/", params={"job_id__in": ""})
    assert empty.status_code == 400 and empty.json() == {"detail": "Invalid filter on empty value: "}


def test_jobdetail_cursor_pages(client, store, monkeypatch):
    from treeherder.api import jobs as jobs_api

    monkeypatch.setattr(jobs_api, "JOB_DETAIL_PAGE_SIZE", 2)
    items = [{"title": "n", "value": str(n)} for n in range(5)]
    store(
        pushes=[push := factories.push()],
        jobs=[factories.job(push["revision"], guid="many", artifacts=[_job_info(*items)])],
    )
    page = client.get("/api/jobdetail/", params={"job_guid": "many"}).json()
    values = [row["value"] for row in page["results"]]
    pages = [page]
    while page["next"]:
        page = client.get(page["next"]).json()
        pages.append(page)
        values.extend(row["value"] for row in page["results"])
    assert values == [str(n) for n in range(5)]
    assert len(pages) == 3
    back = client.get(pages[2]["previous"]).json()
    assert [row["value"] for row in back["results"]] == ["2", "3"]
    assert client.get("/api/jobdetail/", params={"job_guid": "many", "cursor": "!!"}).status_code == 404


def test_list_rows_equal_the_joined_reference_rows(client, fixture_jobs, database):
    """The list assembles reference columns from rows kept in memory; they equal a join of the reference tables."""
    from treeherder.api import jobquery

    body = client.get(URL, params={"count": 2000, "return_type": "list"}).json()
    assert len(body["results"]) > 10
    with database.read() as conn:
        joined = jobquery.fetch_tuples(conn, jobquery.project_jobs_select().order_by(t.job.c.id))
    expected = [list(row) for row in jobquery.project_rows(joined, "list")]
    served = body["results"]
    if database.dialect == "postgresql":  # orjson prints the driver's datetimes the API way; compare as served
        expected = [[value.isoformat() if hasattr(value, "isoformat") else value for value in row] for row in expected]
    assert served == expected
    push_ids = sorted({row[body["job_property_names"].index("push_id")] for row in served})[:2]
    params = {"count": 2000, "return_type": "list", "push_id__in": ",".join(map(str, push_ids))}
    by_push = client.get(URL, params=params).json()["results"]  # the cached, push-restricted path
    assert by_push and by_push == [row for row in expected if row[body["job_property_names"].index("push_id")] in push_ids]
