"""Bad input never makes a 500: numbers beyond any column's range, NUL characters, junk in every kind of parameter."""

from __future__ import annotations

from urllib.parse import quote

HUGE = "9" * 25
BAD_VALUES = [HUGE, "-" + HUGE, str(2**40), "1e300", "1e400", "nan", "inf", "\x00", "1.5", "", " ", "a,b", ","]
P = "/api/project/mozilla-central"
PATH_TEMPLATES = [
    f"{P}/jobs/{{v}}/", f"{P}/jobs/{{v}}/similar_jobs/", f"{P}/jobs/{{v}}/text_log_errors/", f"{P}/jobs/{{v}}/bug_suggestions/",
    f"{P}/push/{{v}}/", f"{P}/push/{{v}}/status/", f"{P}/job-log-url/{{v}}/", f"{P}/note/{{v}}/", f"{P}/bug-job-map/{{v}}-{{v}}/",
    "/api/failureclassification/{v}/", "/api/repository/{v}/", "/api/project/{v}/push/",
]  # fmt: skip
QUERY_KEYS = {
    f"{P}/jobs/": ["id", "id__in", "push_id", "push_id__lt", "tier__in", "retry_id", "offset", "count", "last_modified__gt",
                   "submit_time__gte", "submit_timestamp", "job_guid__in", "result_set_id", "task_id", "platform"],
    "/api/jobs/": ["id", "page", "count", "push_id__in", "task_id", "last_modified__gt"],
    f"{P}/push/": ["count", "id", "id__in", "id__gt", "push_timestamp__gt", "fromchange", "tochange", "startdate", "enddate",
                   "revision", "author", "search", "commit_revision", "author_contains"],
    f"{P}/job-log-url/": ["job_id"], f"{P}/note/": ["job_id"], f"{P}/bug-job-map/": ["job_id"],
    "/api/taskclustermetadata/": ["job_ids"], "/api/jobdetail/": ["job_id", "job_id__in", "push_id"],
    f"{P}/push/decisiontask/": ["push_ids"], f"{P}/push/health/": ["revision"], f"{P}/push/health_summary/": ["revision"],
    f"{P}/note/push_notes/": ["revision"],
}  # fmt: skip


def test_no_server_error_for_bad_values(client, fixture_pushes):
    failures = []
    for template in PATH_TEMPLATES:
        for value in BAD_VALUES:
            if not value.strip():
                continue
            url = template.replace("{v}", quote(value, safe=","))
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {url}")
    for url, keys in QUERY_KEYS.items():
        for key in keys:
            for value in BAD_VALUES:
                response = client.get(url, params={key: value})
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {url}?{key}={value!r}")
    assert failures == []


def test_out_of_range_ids_are_not_found_or_refused(client, fixture_pushes):
    assert client.get(f"{P}/jobs/{HUGE}/").json() == f"No job with id: {HUGE}"
    assert client.get(f"{P}/push/{HUGE}/").json() == f"No push with id: {HUGE}"
    response = client.get(f"{P}/jobs/", params={"id": HUGE})
    assert response.status_code == 400 and response.json() == {"id": ["Enter a number."]}
    response = client.get(f"{P}/push/", params={"id__in": f"1,{HUGE}"})
    assert response.status_code == 400 and response.json() == {"detail": "Invalid id__in specification"}
