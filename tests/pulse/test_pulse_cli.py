"""`treeherder pulse-listen` and `publish-to-pulse` end to end: files -> RabbitMQ -> database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import kombu
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from treeherder.db import tables as t
from treeherder.pulse.cli import publish_to_pulse

pytestmark = pytest.mark.rabbitmq

LISTEN = ["-m", "treeherder.cli", "pulse-listen"]


def _job_file(shared_fixtures, tmp_path):
    messages = json.loads((shared_fixtures / "pulse" / "jobs" / "job_data.json").read_text())
    for message in messages:
        message["origin"]["project"] = "mozilla-central"
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(messages))
    return path, messages


def test_publish_to_pulse_publishes_every_message_of_the_file(rabbitmq_url, shared_fixtures, tmp_path):
    path, messages = _job_file(shared_fixtures, tmp_path)
    exchange = f"exchange/test-{uuid.uuid4().hex[:8]}/v1/jobs"
    queue_name = f"queue/test/{uuid.uuid4().hex[:8]}"
    with kombu.Connection(rabbitmq_url) as connection, connection.channel() as channel:
        kombu.Exchange(exchange, type="topic", durable=True)(channel).declare()
        kombu.Queue(queue_name, kombu.Exchange(exchange, type="topic"), routing_key="#")(channel).declare()
    result = CliRunner().invoke(
        publish_to_pulse, [str(path), "--exchange", exchange, "--routing-key", "x.y", "--url", rabbitmq_url]
    )
    assert result.exit_code == 0, result.output
    assert "published 26 message(s)" in result.output
    received = []
    with kombu.Connection(rabbitmq_url) as connection, connection.channel() as channel:
        queue = kombu.Queue(queue_name)(channel)
        while (message := queue.get(no_ack=True)) is not None:
            received.append((json.loads(message.body), message.delivery_info["routing_key"], message.content_type))
    assert [body for body, _, _ in received] == messages
    assert {(key, content_type) for _, key, content_type in received} == {("x.y", "application/json")}


def test_publish_to_pulse_reports_a_bad_file(tmp_path, rabbitmq_url):
    path = tmp_path / "bad.json"
    path.write_text("{nope\n")
    result = CliRunner().invoke(
        publish_to_pulse, [str(path), "--exchange", "e", "--routing-key", "k", "--url", rabbitmq_url]
    )
    assert result.exit_code == 1
    assert "not JSON" in result.output


def _job_count(database):
    with database.read() as conn:
        return conn.execute(select(func.count()).select_from(t.job)).scalar()


def test_pulse_listen_stores_published_jobs(database, fixture_pushes, rabbitmq_url, shared_fixtures, tmp_path):
    path, _ = _job_file(shared_fixtures, tmp_path)
    exchange = f"exchange/test-{uuid.uuid4().hex[:8]}/v1/jobs"
    prefix = f"queue/test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "PULSE_URL": rabbitmq_url,
        "PULSE_JOB_SOURCES": f"{exchange}.#",
        "PULSE_TASK_SOURCES": "",
        "PULSE_PUSH_SOURCES": "",
        "TREEHERDER_DATA_DIR": str(tmp_path),
    }
    listener = subprocess.Popen(
        [sys.executable, *LISTEN, "--queue-prefix", prefix, "--batch-wait", "0.1"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _queue_exists(rabbitmq_url, f"{prefix}/jobs"):
            assert listener.poll() is None, listener.stderr.read()
            assert time.monotonic() < deadline, "the listener did not declare its queue"
            time.sleep(0.1)
        result = CliRunner().invoke(
            publish_to_pulse, [str(path), "--exchange", exchange, "--routing-key", "a.b", "--url", rabbitmq_url]
        )
        assert result.exit_code == 0, result.output
        deadline = time.monotonic() + 30
        while _job_count(database) < 26:
            assert time.monotonic() < deadline, "jobs were not stored"
            time.sleep(0.1)
    finally:
        listener.send_signal(signal.SIGTERM)
        _, stderr = listener.communicate(timeout=30)
    assert listener.returncode == 0, stderr
    assert "stopped" in stderr
    assert _job_count(database) == 26


def test_pulse_listen_without_sources_fails_clearly(tmp_path):
    env = {**os.environ, "PULSE_JOB_SOURCES": "", "PULSE_TASK_SOURCES": "", "PULSE_PUSH_SOURCES": ""}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run([sys.executable, *LISTEN], check=False, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "no Pulse sources configured" in done.stderr


def _queue_exists(url, name):
    with kombu.Connection(url) as connection, connection.channel() as channel:
        try:
            channel.queue_declare(queue=name, passive=True)
            return True
        except Exception:  # noqa: BLE001 - NOT_FOUND closes the channel; any error means "not yet"
            return False
