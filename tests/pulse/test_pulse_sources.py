"""Pulse source settings and the message-file reader of publish-to-pulse."""

from __future__ import annotations

import json

import pytest

from treeherder.pulse.publish import read_messages
from treeherder.pulse.sources import (
    TASK_EXCHANGES,
    Binding,
    SourceConfigError,
    job_sources,
    parse_binding,
    push_sources,
    task_sources,
)


def test_binding_splits_at_the_first_dot_and_keys_at_colons():
    assert parse_binding("exchange/fxtesteng/jobs.mozilla-inbound._:try.#") == Binding(
        "exchange/fxtesteng/jobs", ("mozilla-inbound._", "try.#")
    )
    assert parse_binding("exchange/x/v1/jobs.#", prefix_keys=True) == Binding("exchange/x/v1/jobs", ("#.#",))
    for bad in ("exchange-without-key", "exchange.", ".key"):
        with pytest.raises(SourceConfigError):
            parse_binding(bad)


def test_job_sources_share_one_queue():
    [source] = job_sources("exchange/a/v1/jobs.#, exchange/b/v1/jobs.mozilla-central._")
    assert source.kind == "jobs" and source.suffix == "jobs"
    assert source.bindings == (
        Binding("exchange/a/v1/jobs", ("#.#",)),
        Binding("exchange/b/v1/jobs", ("#.mozilla-central._",)),
    )
    assert job_sources(None) == job_sources("  ") == []


def test_task_sources():
    setting = json.dumps(
        [
            {"root_url": "https://firefox-ci-tc.services.mozilla.com/", "pulse_url": "amqp://u:p@pulse:5671/?ssl=1"},
            {"root_url": "https://community-tc.services.mozilla.com", "pulse_url": "amqp://u:p@pulse", "vhost": "c"},
            {"root_url": "https://off.example.org", "tasks": False},
        ]
    )
    first, second = task_sources(setting)
    assert first.root_url == "https://firefox-ci-tc.services.mozilla.com"
    assert first.pulse_url == "amqp://u:p@pulse:5671/?ssl=1"
    assert [b.exchange for b in first.bindings] == list(TASK_EXCHANGES)
    assert all(b.routing_keys == ("#",) for b in first.bindings)
    assert (first.suffix, second.suffix) == ("tasks", "tasks-1")
    assert second.pulse_url == "amqp://u:p@pulse/c"
    with pytest.raises(SourceConfigError):
        task_sources('[{"pulse_url": "amqp://x"}]')
    with pytest.raises(SourceConfigError):
        task_sources("[not json")


def test_task_sources_as_bindings_use_the_root_url_setting(monkeypatch):
    setting = ("exchange/taskcluster-queue/v1/task-pending.#", "exchange/taskcluster-queue/v1/task-completed.#")
    monkeypatch.setenv("TASKCLUSTER_ROOT_URL", "https://tc.example.org/")
    [source] = task_sources(setting)
    assert source.root_url == "https://tc.example.org"
    assert source.bindings == (
        Binding("exchange/taskcluster-queue/v1/task-pending", ("#",)),
        Binding("exchange/taskcluster-queue/v1/task-completed", ("#",)),
    )
    monkeypatch.delenv("TASKCLUSTER_ROOT_URL")
    assert task_sources(setting)[0].root_url == "https://firefox-ci-tc.services.mozilla.com"
    assert task_sources(setting, root_url="https://other.example.org")[0].root_url == "https://other.example.org"
    assert task_sources(()) == task_sources("") == []


def test_json_settings_survive_being_split_at_commas():
    raw = (
        '[{"root_url": "https://a.example.org", "pulse_url": "amqp://u:p@h//"}, {"root_url": "https://b.example.org"}]'
    )
    assert task_sources(tuple(raw.split(","))) == task_sources(raw)
    assert len(task_sources(raw)) == 2


def test_push_sources():
    [source] = push_sources('[{"hgmo": true, "github": true}, {"hgmo": false}]')
    assert source.kind == "pushes" and source.suffix == "resultsets" and source.pulse_url is None
    assert [b.exchange for b in source.bindings] == [
        "exchange/hgpushes/v1",
        "exchange/taskcluster-github/v1/push",
        "exchange/taskcluster-github/v1/pull-request",
    ]
    with pytest.raises(SourceConfigError):
        push_sources('[{"hgmo": true}, 3]')


def test_push_sources_as_bindings():
    setting = (
        "exchange/taskcluster-github/v1/push.#,exchange/taskcluster-github/v1/pull-request.#,exchange/hgpushes/v1.#"
    )
    [source] = push_sources(tuple(setting.split(",")))
    assert source.suffix == "resultsets"
    assert source.bindings[2] == Binding("exchange/hgpushes/v1", ("#",))


def test_read_messages_accepts_arrays_single_values_and_json_lines(tmp_path):
    array = tmp_path / "array.json"
    array.write_text('[{"a": 1}, {"b": 2}]')
    single = tmp_path / "single.json"
    single.write_text('{"a": 1}')
    lines = tmp_path / "lines.jsonl"
    lines.write_text('{"a": 1}\n\n{"b": 2}\n')
    assert read_messages(array) == [{"a": 1}, {"b": 2}]
    assert read_messages(single) == [{"a": 1}]
    assert read_messages(lines) == [{"a": 1}, {"b": 2}]
