"""Which Pulse exchanges the listener binds to, read from settings.

Each setting is either a comma-separated list of bindings ``<exchange>.<key1>:<key2>...``
(the text up to the **first** dot is the exchange, the rest colon-separated routing
keys), or, for tasks and pushes, upstream's JSON array of source objects. The
settings layer may hand over the comma-split items; they are joined back first.

``PULSE_JOB_SOURCES``
    Bindings for Treeherder job messages (``pulse-job.yml``). As upstream, key ``k``
    is bound as ``#.k``: ``mozilla-inbound._`` selects routing keys ending in
    ``.mozilla-inbound._`` and ``#`` selects everything.
``PULSE_TASK_SOURCES``
    Bindings for Taskcluster queue exchanges, e.g.
    ``exchange/taskcluster-queue/v1/task-completed.#``; the task definitions are
    fetched from ``TASKCLUSTER_ROOT_URL`` (default firefox-ci). Or a JSON array of
    ``{"root_url", "pulse_url"?, "vhost"?, "tasks"?: true}``; each entry binds the
    six ``exchange/taskcluster-queue/v1/task-*`` exchanges with key ``#``.
``PULSE_PUSH_SOURCES``
    Bindings for push exchanges (``exchange/hgpushes/v1.#``,
    ``exchange/taskcluster-github/v1/push.#``, ...). Or a JSON array of
    ``{"pulse_url"?, "vhost"?, "hgmo"?: bool, "github"?: bool}``.

A source without ``pulse_url`` uses ``PULSE_URL``. Empty settings add no source.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

SourceKind = Literal["jobs", "tasks", "pushes"]

DEFAULT_JOB_SOURCES = "exchange/taskcluster-treeherder/v1/jobs.#"
DEFAULT_TASKCLUSTER_ROOT_URL = "https://firefox-ci-tc.services.mozilla.com"
TASK_EXCHANGES = tuple(
    f"exchange/taskcluster-queue/v1/task-{event}"
    for event in ("defined", "pending", "running", "completed", "failed", "exception")
)
HG_PUSH_EXCHANGE = "exchange/hgpushes/v1"
GITHUB_PUSH_EXCHANGES = ("exchange/taskcluster-github/v1/push", "exchange/taskcluster-github/v1/pull-request")

# Queue name suffixes, as upstream names its queues ``queue/<user>/<suffix>``.
QUEUE_SUFFIXES: dict[SourceKind, str] = {"jobs": "jobs", "tasks": "tasks", "pushes": "resultsets"}


class SourceConfigError(ValueError):
    """A Pulse source setting that cannot be understood."""


@dataclass(frozen=True, slots=True)
class Binding:
    """One exchange and the routing-key patterns bound to it."""

    exchange: str
    routing_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PulseSource:
    """A set of bindings whose messages share one queue and one transform.

    ``pulse_url`` is None for the default broker; ``root_url`` is the Taskcluster
    deployment of task sources.
    """

    kind: SourceKind
    bindings: tuple[Binding, ...]
    pulse_url: str | None = None
    root_url: str | None = None
    queue_suffix: str = ""

    @property
    def suffix(self) -> str:
        """The queue name suffix: explicit, else the default of the kind."""
        return self.queue_suffix or QUEUE_SUFFIXES[self.kind]


def parse_binding(text: str, *, prefix_keys: bool = False) -> Binding:
    """Parse ``<exchange>.<key1>:<key2>...``; ``prefix_keys`` binds each key as ``#.<key>``."""
    exchange, dot, keys = text.strip().partition(".")
    if not exchange or not dot or not keys:
        raise SourceConfigError(f"binding must be <exchange>.<key>[:<key>...]: {text!r}")
    routing_keys = tuple(f"#.{key}" if prefix_keys else key for key in keys.split(":") if key)
    if not routing_keys:
        raise SourceConfigError(f"binding has no routing key: {text!r}")
    return Binding(exchange, routing_keys)


Setting = str | Iterable[str] | None


def job_sources(setting: Setting) -> list[PulseSource]:
    """Sources for ``PULSE_JOB_SOURCES`` (one queue for all its bindings)."""
    items = _items(setting)
    if not items:
        return []
    return [PulseSource("jobs", tuple(parse_binding(item, prefix_keys=True) for item in items))]


def task_sources(setting: Setting, root_url: str | None = None) -> list[PulseSource]:
    """Sources for ``PULSE_TASK_SOURCES``; ``root_url`` serves binding lists (default ``TASKCLUSTER_ROOT_URL``)."""
    text = _joined(setting)
    if not text.startswith("["):
        items = _items(setting)
        if not items:
            return []
        root = root_url or os.environ.get("TASKCLUSTER_ROOT_URL") or DEFAULT_TASKCLUSTER_ROOT_URL
        return [PulseSource("tasks", tuple(parse_binding(item) for item in items), root_url=root.rstrip("/"))]
    sources = []
    for index, entry in enumerate(_json_entries(text, "PULSE_TASK_SOURCES")):
        if not entry.get("tasks", True):
            continue
        entry_root = entry.get("root_url")
        if not isinstance(entry_root, str) or not entry_root:
            raise SourceConfigError("every PULSE_TASK_SOURCES entry needs a root_url")
        bindings = tuple(Binding(exchange, ("#",)) for exchange in TASK_EXCHANGES)
        suffix = "tasks" if index == 0 else f"tasks-{index}"
        sources.append(PulseSource("tasks", bindings, _pulse_url(entry), entry_root.rstrip("/"), suffix))
    return sources


def push_sources(setting: Setting) -> list[PulseSource]:
    """Sources for ``PULSE_PUSH_SOURCES``."""
    text = _joined(setting)
    if not text.startswith("["):
        items = _items(setting)
        return [PulseSource("pushes", tuple(parse_binding(item) for item in items))] if items else []
    sources = []
    for index, entry in enumerate(_json_entries(text, "PULSE_PUSH_SOURCES")):
        bindings: list[Binding] = []
        if entry.get("hgmo"):
            bindings.append(Binding(HG_PUSH_EXCHANGE, ("#",)))
        if entry.get("github"):
            bindings.extend(Binding(exchange, ("#",)) for exchange in GITHUB_PUSH_EXCHANGES)
        if bindings:
            suffix = "resultsets" if index == 0 else f"resultsets-{index}"
            sources.append(PulseSource("pushes", tuple(bindings), _pulse_url(entry), queue_suffix=suffix))
    return sources


def _joined(setting: Setting) -> str:
    if setting is None:
        return ""
    if isinstance(setting, str):
        return setting.strip()
    # Settings split at commas; joining restores a JSON value (commas inside it included).
    return ",".join(item.strip() for item in setting).strip()


def _items(setting: Setting) -> list[str]:
    return [item.strip() for item in _joined(setting).split(",") if item.strip()]


def _json_entries(setting: str, name: str) -> list[Mapping[str, Any]]:
    try:
        entries = json.loads(setting)
    except ValueError as exc:
        raise SourceConfigError(f"{name} is not JSON: {exc}") from exc
    if not isinstance(entries, list) or not all(isinstance(entry, Mapping) for entry in entries):
        raise SourceConfigError(f"{name} must be a JSON array of objects")
    return entries


def _pulse_url(entry: Mapping[str, Any]) -> str | None:
    url = entry.get("pulse_url")
    if not url:
        return None
    vhost = entry.get("vhost") or "/"
    if vhost != "/":
        # The AMQP URL path is the virtual host.
        url = urlunsplit(urlsplit(url)._replace(path="/" + vhost))
    return url
