import hashlib

from treeherder.perf.artifact import build_performance_rows
from treeherder.perf.signature import (
    option_collection_hash,
    signature_hash,
    subtest_properties,
    summary_properties,
)


def test_upstream_test_vector():
    properties = {
        "suite": "youtube-watch",
        "option_collection_hash": "my_option_hash",
        "machine_platform": "my_platform",
        "test_options": ["e10s", "shell"],
    }
    assert signature_hash(properties) == "78aaeaf7d3a0170f8a1fb0c4dc34ca276da47e1c"


def test_hash_ignores_property_order():
    a = {"suite": "s", "test": "t", "machine_platform": "p", "option_collection_hash": "o"}
    b = dict(reversed(list(a.items())))
    assert signature_hash(a) == signature_hash(b)


def test_option_collection_hash_matches_upstream():
    assert option_collection_hash({"debug": True}) == "32faaecac742100f7753f0c1d0aa0add01b4046b"
    assert option_collection_hash(["b", "a"]) == hashlib.sha1(b"ab").hexdigest()


def test_summary_properties_sort_extra_options_and_omit_empty():
    with_options = summary_properties("tp5o", "h", "linux64", ["shell", "e10s"])
    assert with_options["test_options"] == ["e10s", "shell"]
    assert "test_options" not in summary_properties("tp5o", "h", "linux64", [])
    assert "test_options" not in summary_properties("tp5o", "h", "linux64", None)


def test_subtest_parent_only_when_suite_has_summary():
    assert "parent_signature" not in subtest_properties("s", "t", "h", "p", None, None)
    assert subtest_properties("s", "t", "h", "p", None, "abc")["parent_signature"] == "abc"


def test_summary_hash_is_sha1_of_sorted_names_and_values(job_context):
    # Spelled out by hand for one fixture suite: names and values sorted, concatenated, SHA-1.
    parts = sorted(
        [
            "suite",
            "option_collection_hash",
            "machine_platform",
            "fetch_content",
            job_context.option_collection_hash,
            job_context.machine_platform,
        ]
    )
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    obj = {"framework": {"name": "build_metrics"}, "suites": [{"name": "fetch_content", "value": 1.0, "subtests": []}]}
    assert build_performance_rows(obj, job_context).signatures[0].signature_hash == expected


# Hashes of the win-aarch64 build log's series for repository mozilla-central, platform
# windows2012-aarch64 and option collection "opt"; any change to hashing shows up here.
PINNED = {
    ("vcs", "clone", ""): "b24f3c798412164cafc903f3ee38339ffee63260",
    ("build_metrics", "fetch_content", ""): "f4501303c1314a56606b6f86752e0372f55c74c0",
    ("build_metrics", "compiler_metrics", "num_static_constructors"): "9cba6776c7868b158dfcf366873107e3b93c58ac",
    ("build_metrics", "build times", ""): "64ccf19ba5222f69272dc615991f62533d7be962",
    ("build_metrics", "build times", "compile"): "3a30db5f14850b264c24da78ba20611ba174f9b6",
    ("build_metrics", "sccache percent hit C/C++", ""): "8191dfcce113d8bad06c942391c8e969e651a73c",
    ("build_metrics", "compiler warnings", ""): "2860487c1e347f32fc37aaf902f5b7e6f136e8e8",
}


def test_fixture_artifacts_ingest_into_pinned_signatures(perfherder_objects, job_context):
    found = {}
    for obj in perfherder_objects["win-aarch64-build"]:
        rows = build_performance_rows(obj, job_context)
        for signature in rows.signatures:
            found[(rows.framework, signature.suite, signature.test)] = signature
    for key, expected in PINNED.items():
        assert found[key].signature_hash == expected, key
    compile_step = found[("build_metrics", "build times", "compile")]
    assert compile_step.parent_signature_hash == PINNED[("build_metrics", "build times", "")]
    # compiler_metrics has no suite value, so its subtest has no parent
    assert found[("build_metrics", "compiler_metrics", "num_static_constructors")].parent_signature_hash is None
