"""Perfherder helpers: time intervals, signature collections, series and PerfherderClient."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from client_support import SERVER
from responses import matchers
from thclient import (
    PerfherderClient,
    PerformanceSeries,
    PerformanceSignatureCollection,
    PerformanceTimeInterval,
)

HASH_A = "9c3bd1b4e8e7ae3d6f4c2a1b0e9f8d7c6b5a4e3d"
HASH_B = "1f2e3d4c5b6a79880716253443526170899aabbc"
HASH_C = "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00"

# Keyed by hash, as the 2018 server answered (and thclient 4.x/5.x expect).
SIGNATURES_BY_HASH = {
    HASH_A: {"id": 1, "framework_id": 1, "machine_platform": "linux64", "suite": "tp5o",
             "option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e", "has_subtests": True},
    HASH_B: {"id": 2, "framework_id": 1, "machine_platform": "linux64", "suite": "tp5o", "test": "amazon.com",
             "parent_signature": HASH_A, "option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e"},
    HASH_C: {"id": 3, "framework_id": 2, "machine_platform": "windows10-64", "suite": "build times",
             "option_collection_hash": "32faaecac742100f7753f0c1d0aa0add01b4046b", "tags": ["a", "b"]},
}

# Keyed by id with the hash inside, as current servers answer.
SIGNATURES_BY_ID = {
    "11": {"id": 11, "signature_hash": HASH_A, "framework_id": 1, "suite": "tp5o", "should_alert": None},
    "12": {"id": 12, "signature_hash": HASH_B, "framework_id": 1, "suite": "sessionrestore", "should_alert": None},
}


def test_time_intervals_in_seconds_shortest_first():
    assert PerformanceTimeInterval.all_valid_time_intervals() == [
        86400, 604800, 1209600, 5184000, 7776000, 31536000
    ]
    assert PerformanceTimeInterval.WEEK == 604800 and PerformanceTimeInterval.ONE_YEAR == 31536000


def test_filter_keeps_signatures_matching_every_pair():
    signatures = PerformanceSignatureCollection(SIGNATURES_BY_HASH)
    linux_tp5o = signatures.filter(("suite", "tp5o"), ("machine_platform", "linux64"))
    assert isinstance(linux_tp5o, PerformanceSignatureCollection)
    assert set(linux_tp5o) == {HASH_A, HASH_B}
    assert set(signatures.filter(("test", "amazon.com"))) == {HASH_B}
    assert signatures.filter(("suite", "nope")) == {}
    assert signatures.filter() == signatures


def test_signature_hashes_from_hash_keyed_answer():
    assert sorted(PerformanceSignatureCollection(SIGNATURES_BY_HASH).get_signature_hashes()) == sorted(
        [HASH_A, HASH_B, HASH_C]
    )


def test_signature_hashes_from_id_keyed_answer():
    hashes = PerformanceSignatureCollection(SIGNATURES_BY_ID).get_signature_hashes()
    assert isinstance(hashes, list) and sorted(hashes) == sorted([HASH_A, HASH_B])


def test_property_names_and_values():
    signatures = PerformanceSignatureCollection(SIGNATURES_BY_HASH)
    assert signatures.get_property_names() == {
        "id", "framework_id", "machine_platform", "suite", "option_collection_hash", "has_subtests", "test",
        "parent_signature", "tags",
    }
    assert signatures.get_property_values("suite") == {"tp5o", "build times"}
    assert signatures.get_property_values("test") == {"amazon.com"}
    assert signatures.get_property_values("tags") == {("a", "b")}
    assert PerformanceSignatureCollection(SIGNATURES_BY_ID).get_property_values("should_alert") == set()


def test_series_indexing_by_property_name_index_and_slice():
    series = PerformanceSeries([
        {"id": 1, "push_id": 10, "value": 100.5, "job_id": 7},
        {"id": 2, "push_id": 11, "value": 99.25, "job_id": 8},
    ])
    assert series["value"] == [100.5, 99.25]
    assert series["push_id"] == [10, 11]
    assert series[0]["id"] == 1
    assert series[-1]["job_id"] == 8
    assert [point["id"] for point in series[1:]] == [2]
    assert len(series) == 2


def test_get_performance_signatures_returns_a_collection(mocked):
    mocked.get(
        f"{SERVER}/api/project/autoland/performance/signatures/",
        match=[matchers.query_param_matcher({"framework": "1", "interval": "86400"})],
        json=SIGNATURES_BY_HASH,
    )
    client = PerfherderClient(server_url=SERVER)
    signatures = client.get_performance_signatures("autoland", framework=1, interval=PerformanceTimeInterval.DAY)
    assert isinstance(signatures, PerformanceSignatureCollection)
    assert signatures == SIGNATURES_BY_HASH


def test_get_performance_data_returns_series_per_signature(mocked):
    body = {
        HASH_A: [{"id": 1, "signature_id": 1, "job_id": 7, "push_id": 10, "push_timestamp": 1740660946,
                  "value": 100.5}],
        HASH_B: [],
    }
    mocked.get(f"{SERVER}/api/project/autoland/performance/data/", json=body)
    client = PerfherderClient(server_url=SERVER)
    data = client.get_performance_data("autoland", signatures=[HASH_A, HASH_B], interval=604800)
    assert set(data) == {HASH_A, HASH_B}
    assert all(isinstance(series, PerformanceSeries) for series in data.values())
    assert data[HASH_A]["value"] == [100.5]
    query = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert query == {"signatures": [HASH_A, HASH_B], "interval": ["604800"]}


def test_perfherder_client_keeps_treeherder_methods(mocked):
    mocked.get(f"{SERVER}/api/repository/", json=[{"name": "autoland"}])
    assert PerfherderClient(server_url=SERVER).get_repositories() == [{"name": "autoland"}]


def test_performance_data_error_propagates(mocked):
    import requests

    mocked.get(
        f"{SERVER}/api/project/autoland/performance/data/",
        status=400,
        json=["Need to specify either signature_id, signatures, push_id, or job_id"],
    )
    with pytest.raises(requests.HTTPError) as raised:
        PerfherderClient(server_url=SERVER).get_performance_data("autoland")
    assert raised.value.detail == "Need to specify either signature_id, signatures, push_id, or job_id"
