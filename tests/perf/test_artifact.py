import copy

import pytest

from treeherder.perf.artifact import (
    InvalidPerformanceData,
    build_performance_rows,
    iter_performance_objects,
    validate_performance_object,
    wants_alert_generation,
)

FULL = {
    "framework": {"name": "browsertime"},
    "application": {"name": "firefox", "version": "140.0a1"},
    "os": {"name": "linux", "platform_version": "22.04"},
    "suites": [
        {
            "name": "speedometer3",
            "unit": "score",
            "value": 27.3,
            "lowerIsBetter": False,
            "shouldAlert": True,
            "alertThreshold": 2.0,
            "alertSeverity": "critical",
            "tags": ["interactive", "benchmark"],
            "extraOptions": ["webrender", "fission"],
            "replicates": [27.1, 27.5],
            "subtests": [
                {"name": "TodoMVC-React", "value": 41.2, "unit": "ms", "replicates": [40.9, 41.5]},
                {"name": "TodoMVC-React", "value": 99.0},
                {"name": "Editor", "value": 5, "lowerIsBetter": False, "alertChangeType": "absolute"},
            ],
        }
    ],
}


def test_fixture_objects_are_valid(perfherder_objects):
    counts = {name: len(objs) for name, objs in perfherder_objects.items()}
    assert counts == {"android-opt-build": 5, "win-aarch64-build": 4}
    for objs in perfherder_objects.values():
        for obj in objs:
            validate_performance_object(obj)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda o: o.pop("framework"), "framework"),
        (lambda o: o.pop("suites"), "suites"),
        (lambda o: o["framework"].pop("name"), "name"),
        (lambda o: o["suites"][0].update(tags=["no spaces allowed"]), "does not match"),
        (lambda o: o["suites"][0].update(value=2e12), "maximum"),
        (lambda o: o["application"].update(name="netscape"), "netscape"),
        (lambda o: o["suites"][0]["subtests"][0].pop("value"), "value"),
        (lambda o: o["suites"][0].update(extraOptions=["x" * 46, "y" * 46]), "longer than 45"),
    ],
)
def test_invalid_objects_are_rejected(mutate, message):
    obj = copy.deepcopy(FULL)
    mutate(obj)
    with pytest.raises(InvalidPerformanceData, match=message):
        validate_performance_object(obj)


def test_one_long_extra_option_is_allowed():
    obj = copy.deepcopy(FULL)
    obj["suites"][0]["extraOptions"] = ["x" * 46, "short"]
    validate_performance_object(obj)


def test_empty_object_is_rejected():
    with pytest.raises(InvalidPerformanceData, match="empty"):
        validate_performance_object({})


def test_rows_carry_descriptive_fields(job_context):
    validate_performance_object(FULL)
    rows = build_performance_rows(FULL, job_context)
    assert rows.framework == "browsertime"
    summary, react, editor = rows.signatures  # the duplicate subtest name collapses into one series
    assert summary.has_subtests and summary.test == "" and summary.parent_signature_hash is None
    assert summary.lower_is_better is False and summary.should_alert is True
    assert summary.tags == "benchmark interactive" and summary.extra_options == "fission webrender"
    assert summary.application == "firefox" and summary.measurement_unit == "score"
    assert react.parent_signature_hash == summary.signature_hash and react.lower_is_better is True
    assert react.alert_severity == "critical"  # inherited from the suite
    assert editor.alert_change_type == 1 and editor.lower_is_better is False
    values = {d.signature_hash: d for d in rows.data}
    assert values[react.signature_hash].value == 41.2  # first value wins
    assert values[react.signature_hash].replicates == [40.9, 41.5]
    assert values[summary.signature_hash].replicates == [27.1, 27.5]
    datum = values[editor.signature_hash]
    assert (datum.push_id, datum.job_id, datum.push_timestamp) == (1, 2, 1_700_000_000)
    assert (datum.application_version, datum.os_name, datum.platform_version) == ("140.0a1", "linux", "22.04")
    assert not datum.multi_commit


def test_push_timestamp_in_artifact_overrides_job_push_time(job_context):
    obj = copy.deepcopy(FULL)
    obj["pushTimestamp"] = 1_600_000_000
    rows = build_performance_rows(obj, job_context)
    assert {d.push_timestamp for d in rows.data} == {1_600_000_000}
    assert all(d.multi_commit for d in rows.data)
    assert {s.last_updated for s in rows.signatures} == {1_600_000_000}


def test_fixture_rows_count(perfherder_objects, job_context):
    series = sum(
        len(build_performance_rows(obj, job_context).signatures) for obj in perfherder_objects["android-opt-build"]
    )
    # vcs: 6 summaries; build_metrics: 1 + 1 + 1 subtest + 9 summaries + 15 build-time steps
    assert series == 6 + 1 + 1 + 1 + 9 + 15


def test_log_artifact_wrapper_is_unwrapped():
    assert list(iter_performance_objects({"logurl": "u", "performance_data": [FULL, FULL]})) == [FULL, FULL]
    assert list(iter_performance_objects({"logurl": "u", "performance_data": FULL})) == [FULL]
    assert list(iter_performance_objects(FULL)) == [FULL]


def _signature(job_context, **suite_fields):
    suite = {"name": "s", "subtests": [{"name": "t", "value": 1.0}], **suite_fields}
    rows = build_performance_rows({"framework": {"name": "talos"}, "suites": [suite]}, job_context)
    return rows.signatures


def test_alert_generation_rules(job_context):
    summary, subtest = _signature(job_context, value=1.0)
    common = dict(new_datum=True, alerts_enabled=True, tier=1)
    assert wants_alert_generation(summary, suite_has_summary=True, **common)
    # a subtest with no preference does not alert when its suite has a summary
    assert not wants_alert_generation(subtest, suite_has_summary=True, **common)
    (lone_subtest,) = _signature(job_context)
    assert wants_alert_generation(lone_subtest, suite_has_summary=False, **common)
    assert not wants_alert_generation(summary, suite_has_summary=True, new_datum=False, alerts_enabled=True, tier=1)
    assert not wants_alert_generation(summary, suite_has_summary=True, new_datum=True, alerts_enabled=True, tier=3)
    assert not wants_alert_generation(summary, suite_has_summary=True, new_datum=True, alerts_enabled=False, tier=1)
    muted, _ = _signature(job_context, value=1.0, shouldAlert=False)
    assert not wants_alert_generation(muted, suite_has_summary=True, **common)
    monitored, _ = _signature(job_context, value=1.0, shouldAlert=False, monitor=True)
    assert wants_alert_generation(monitored, suite_has_summary=True, new_datum=False, alerts_enabled=False, tier=3)


_BASE = {"framework": {"name": "x"}, "suites": [{"name": "s", "subtests": [{"name": "t", "value": 1}], "tags": ["a"]}]}


@pytest.mark.parametrize(
    "mutate, valid",
    [
        (lambda o: None, True),
        (lambda o: o["suites"][0]["subtests"][0].update(value=True), False),  # a boolean is not a number
        (lambda o: o["suites"][0]["subtests"][0].update(value="1"), False),
        (lambda o: o["suites"][0].update(tags=["a", "a"]), False),
        (lambda o: o["suites"][0].update(minBackWindow=1.5), False),  # integer for suites
        (lambda o: o["suites"][0]["subtests"][0].update(minBackWindow=1.5), True),  # "number" for subtests
        (lambda o: o["suites"][0].update(value=None), False),
        (lambda o: o.update(framework=[]), False),
        (lambda o: o["suites"][0].update(alertThreshold=-1), False),
        (lambda o: o.update(application={"name": "firefox", "version": "x" * 41}), False),
    ],
)
def test_fast_and_reference_validators_agree_without_network(mutate, valid):
    from treeherder.perf.artifact import _fast_check, _validator

    obj = copy.deepcopy(_BASE)
    mutate(obj)
    assert _validator().is_valid(obj) is valid  # would raise if a $ref were fetched from the internet
    try:
        _fast_check()(obj)
        fast_valid = True
    except Exception:
        fast_valid = False
    assert fast_valid is valid
    if valid:
        validate_performance_object(obj)
    else:
        with pytest.raises(InvalidPerformanceData):
            validate_performance_object(obj)
