"""/api/perfcompare/results/ over real HTTP."""

from __future__ import annotations

import math

import pytest

from tests import factories
from tests.perf.helpers import REPO, T0
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.perf import store as perf_store

URL = "/api/perfcompare/results/"


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


@pytest.fixture
def two_pushes(ingestor):
    """Base push: tp5o runs 10, 12, 14; new push: 15, 17, 19 (one job each), with subtest 'a.com'."""
    pushes = [factories.push(8000 + i, timestamp=T0 + 3600 * i) for i in range(2)]
    ingestor.store_pushes(REPO, parse_push_collection(pushes))
    jobs = []
    for push, runs in zip(pushes, ([10.0, 12.0, 14.0], [15.0, 17.0, 19.0])):
        for value in runs:
            obj = {
                "framework": {"name": "talos"},
                "suites": [{"name": "tp5o", "value": value, "extraOptions": ["e10s"], "unit": "ms",
                            "replicates": [value - 1, value + 1],
                            "subtests": [{"name": "a.com", "value": value * 2}]}],
            }  # fmt: skip
            blob = {"performance_data": obj}
            jobs.append(
                factories.job(push["revision"], artifacts=[{"type": "json", "name": "performance_data", "blob": blob}])
            )
    ingestor.store_jobs(REPO, parse_job_collection(jobs))
    return [p["revision"] for p in pushes]


def _rows(client, **params):
    response = client.get(URL, params={"base_repository": REPO, "new_repository": REPO, **params})
    assert response.status_code == 200, response.text
    return {(row["suite"], row["test"]): row for row in response.json()}


def test_compare_two_revisions(client, two_pushes):
    base, new = two_pushes
    rows = _rows(client, base_revision=base, new_revision=new, framework=1)
    assert set(rows) == {("tp5o", ""), ("tp5o", "a.com")}
    row = rows[("tp5o", "")]
    assert row["base_runs"] == [10.0, 12.0, 14.0] and row["new_runs"] == [15.0, 17.0, 19.0]
    assert row["base_avg_value"] == 12 and row["new_avg_value"] == 17
    assert row["confidence"] == pytest.approx(5 / math.sqrt(8 / 3))
    assert row["confidence_text"] == "Medium" and row["delta_percentage"] == pytest.approx(500 / 12)
    assert row["header_name"] == "tp5o opt e10s" and row["option_name"] == "opt" and row["extra_options"] == "e10s"
    assert row["is_complete"] and len(row["base_retriggerable_job_ids"]) == 3
    assert row["base_runs_replicates"] == [9.0, 11.0, 11.0, 13.0, 13.0, 15.0]
    assert row["lower_is_better"] is True and row["has_subtests"] is True and row["framework_id"] == 1
    assert row["new_measurement_unit"] == "ms"
    subtest = rows[("tp5o", "a.com")]
    assert subtest["new_parent_signature"] == row["new_signature_id"]
    assert set(_rows(client, base_revision=base, new_revision=new, no_subtests="true")) == {("tp5o", "")}


def test_compare_with_replicates(client, two_pushes):
    base, new = two_pushes
    row = _rows(client, base_revision=base, new_revision=new, replicates="true", no_subtests="1")[("tp5o", "")]
    assert row["base_avg_value"] == 12 and row["base_stddev"] == pytest.approx(2.0976, abs=1e-4)


def test_compare_against_an_interval(client, two_pushes):
    _base, new = two_pushes
    row = _rows(client, new_revision=new, interval=86400, no_subtests="1")[("tp5o", "")]
    # the base side is every run in the day before the new push, including the new push itself
    assert sorted(row["base_runs"]) == [10.0, 12.0, 14.0, 15.0, 17.0, 19.0]


def test_compare_errors(client, two_pushes):
    base, new = two_pushes
    common = {"base_repository": REPO, "new_repository": REPO}
    missing_new = client.get(URL, params={**common, "new_revision": "f" * 40, "base_revision": base})
    assert missing_new.status_code == 400
    assert missing_new.json() == f"No new push with revision {'f' * 40} from repo {REPO}."
    missing_base = client.get(URL, params={**common, "new_revision": new, "base_revision": "e" * 40})
    assert missing_base.json() == f"No base push with revision {'e' * 40} from repo {REPO}."
    no_interval = client.get(URL, params={**common, "new_revision": new})
    assert no_interval.status_code == 400
    assert no_interval.json() == {"non_field_errors": ["Field required: interval."]}
    assert client.get(URL, params={**common, "new_revision": new, "interval": 5}).status_code == 400
