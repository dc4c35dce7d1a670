"""Validation of Perfherder performance objects and their conversion into rows for bulk storage.

One performance object (``schemas/performance-artifact.json``) plus the context of the job that
produced it gives signature rows (one per series) and datum rows (one value per series), as
plain dataclasses that the storage layer inserts in bulk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema

from treeherder.perf.signature import (
    signature_hash,
    subtest_properties,
    summary_properties,
)

log = logging.getLogger(__name__)

#: Extra options longer than this are allowed only once per suite (upstream's rule).
LONG_EXTRA_OPTION = 45

ALERT_CHANGE_TYPES = {"percentage": 0, "absolute": 1}


class InvalidPerformanceData(ValueError):
    """A performance object failed the schema or one of the extra rules."""


@cache
def _schema() -> dict[str, Any]:
    schema = json.loads(resources.files("treeherder.perf").joinpath("schemas/performance-artifact.json").read_text())
    # The draft-4 style "id" (a public URL) would make a validator resolve "#/definitions/..." against that
    # URL and try to download it; without it every reference resolves inside this document.
    schema.pop("id", None)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    """The reference validator: slow, but it explains a failure well."""
    schema = _schema()
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator_class.check_schema(schema)
    return validator_class(schema)


@cache
def _fast_check() -> Any:
    """The schema compiled to Python (about 20 times faster); used first, as almost every object is valid."""
    return fastjsonschema.compile(_schema())


def validate_performance_object(obj: Any) -> None:
    """Raise :class:`InvalidPerformanceData` unless ``obj`` is a valid performance object."""
    if not isinstance(obj, dict):
        raise InvalidPerformanceData("performance data must be a JSON object")
    if not obj:
        raise InvalidPerformanceData("empty performance data")
    try:
        _fast_check()(obj)
    except fastjsonschema.JsonSchemaException as fast_error:
        error = jsonschema.exceptions.best_match(_validator().iter_errors(obj))
        if error is None:  # the two validators disagree: trust the reference one, but say so
            log.warning("fastjsonschema refused a performance object jsonschema accepts: %s", fast_error)
        else:
            location = "/".join(str(part) for part in error.absolute_path)
            raise InvalidPerformanceData(f"{location or '<root>'}: {error.message}") from None
    if not isinstance(obj["framework"].get("name"), str):
        raise InvalidPerformanceData("framework: 'name' is a required string")
    for suite in obj["suites"]:
        long_options = [option for option in suite.get("extraOptions", ()) if len(option) > LONG_EXTRA_OPTION]
        if len(long_options) > 1:
            raise InvalidPerformanceData(f"Too many extra options longer than {LONG_EXTRA_OPTION}")


def iter_performance_objects(artifact_blob: Any) -> Iterator[dict[str, Any]]:
    """Yield the performance objects of a ``performance_data`` artifact blob.

    Log-derived artifacts wrap them as ``{"logurl": ..., "performance_data": obj-or-list}``; a
    Perfherder JSON artifact is a single bare object.
    """
    if isinstance(artifact_blob, dict) and "performance_data" in artifact_blob:
        inner = artifact_blob["performance_data"]
        yield from inner if isinstance(inner, list) else [inner]
    elif isinstance(artifact_blob, list):
        yield from artifact_blob
    else:
        yield artifact_blob


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a performance object needs to know about the job that produced it."""

    repository: str
    machine_platform: str
    option_collection_hash: str
    push_timestamp: int  # Unix seconds
    push_id: int
    job_id: int | None = None
    tier: int = 1


@dataclass(slots=True)
class SignatureRow:
    """One performance series, with every descriptive field upstream stores on a signature."""

    signature_hash: str
    repository: str
    framework: str
    machine_platform: str
    option_collection_hash: str
    suite: str
    test: str
    application: str
    lower_is_better: bool
    has_subtests: bool
    parent_signature_hash: str | None
    suite_public_name: str | None
    test_public_name: str | None
    tags: str
    extra_options: str
    measurement_unit: str | None
    should_alert: bool | None
    monitor: bool
    alert_notify_emails: str
    alert_change_type: int | None
    alert_threshold: float | None
    alert_severity: str | None
    min_back_window: int | None
    max_back_window: int | None
    fore_window: int | None
    last_updated: int  # Unix seconds of the newest datum's push time

    @property
    def is_summary(self) -> bool:
        return self.has_subtests


@dataclass(slots=True)
class DatumRow:
    """One measured value of one series for one job."""

    signature_hash: str
    value: float
    push_timestamp: int
    push_id: int
    job_id: int | None
    application_version: str
    os_name: str | None
    platform_version: str | None
    multi_commit: bool
    replicates: list[float] = field(default_factory=list)


@dataclass(slots=True)
class PerformanceRows:
    """Everything one performance object stores, in insertion order (summaries before subtests)."""

    framework: str
    signatures: list[SignatureRow]
    data: list[DatumRow]
    #: signature hashes of summaries whose suite had a value, to decide subtest alerting
    summary_hashes: set[str] = field(default_factory=set)


@lru_cache(maxsize=65536)
def _series_hash(
    suite: str, test: str | None, option_hash: str, platform: str, extra_options: tuple[str, ...], parent: str | None
) -> str:
    """Signature hash of one series, memoised: the same series recur in every job of a platform."""
    if test is None:
        return signature_hash(summary_properties(suite, option_hash, platform, extra_options))
    return signature_hash(subtest_properties(suite, test, option_hash, platform, extra_options, parent))


def _space_joined(items: Any) -> str:
    return " ".join(sorted(items or ()))


def build_performance_rows(obj: Mapping[str, Any], context: JobContext) -> PerformanceRows:
    """Turn one validated performance object into signature and datum rows for ``context``'s job.

    Subtests with the same name in one suite share a signature; the first value wins, as upstream.
    """
    framework = obj["framework"]["name"]
    application = obj.get("application") or {}
    application_name = application.get("name", "")
    application_version = application.get("version", "")
    os_info = obj.get("os") or {}
    if "pushTimestamp" in obj:
        datum_timestamp, multi_commit = int(obj["pushTimestamp"]), True
    else:
        datum_timestamp, multi_commit = context.push_timestamp, False

    rows = PerformanceRows(framework=framework, signatures=[], data=[])
    seen: set[str] = set()

    def add(signature: SignatureRow, value: float, replicates: Any) -> None:
        if signature.signature_hash in seen:
            return
        seen.add(signature.signature_hash)
        rows.signatures.append(signature)
        rows.data.append(
            DatumRow(
                signature_hash=signature.signature_hash,
                value=float(value),
                push_timestamp=datum_timestamp,
                push_id=context.push_id,
                job_id=context.job_id,
                application_version=application_version,
                os_name=os_info.get("name"),
                platform_version=os_info.get("platform_version"),
                multi_commit=multi_commit,
                replicates=[float(r) for r in replicates or ()],
            )
        )

    for suite in obj["suites"]:
        extra_options = tuple(suite.get("extraOptions") or ())
        common = dict(
            repository=context.repository,
            framework=framework,
            machine_platform=context.machine_platform,
            option_collection_hash=context.option_collection_hash,
            suite=suite["name"],
            application=application_name,
            suite_public_name=suite.get("publicName"),
            tags=_space_joined(suite.get("tags")),
            extra_options=_space_joined(extra_options),
            monitor=bool(suite.get("monitor", False)),
            alert_notify_emails=_space_joined(suite.get("alertNotifyEmails")),
            last_updated=datum_timestamp,
        )
        summary_hash = None
        if suite.get("value") is not None:
            summary_hash = _series_hash(
                suite["name"], None, context.option_collection_hash, context.machine_platform, extra_options, None
            )
            rows.summary_hashes.add(summary_hash)
            add(
                SignatureRow(
                    signature_hash=summary_hash,
                    test="",
                    lower_is_better=suite.get("lowerIsBetter", True),
                    has_subtests=True,
                    parent_signature_hash=None,
                    test_public_name=None,
                    measurement_unit=suite.get("unit"),
                    should_alert=suite.get("shouldAlert"),
                    alert_change_type=ALERT_CHANGE_TYPES.get(suite.get("alertChangeType")),
                    alert_threshold=suite.get("alertThreshold"),
                    alert_severity=suite.get("alertSeverity"),
                    min_back_window=suite.get("minBackWindow"),
                    max_back_window=suite.get("maxBackWindow"),
                    fore_window=suite.get("foreWindow"),
                    **common,
                ),
                suite["value"],
                suite.get("replicates"),
            )
        for subtest in suite["subtests"]:
            subtest_hash = _series_hash(
                suite["name"],
                subtest["name"],
                context.option_collection_hash,
                context.machine_platform,
                extra_options,
                summary_hash,
            )
            add(
                SignatureRow(
                    signature_hash=subtest_hash,
                    test=subtest["name"],
                    lower_is_better=subtest.get("lowerIsBetter", True),
                    has_subtests=False,
                    parent_signature_hash=summary_hash,
                    test_public_name=subtest.get("publicName"),
                    measurement_unit=subtest.get("unit"),
                    should_alert=subtest.get("shouldAlert"),
                    alert_change_type=ALERT_CHANGE_TYPES.get(subtest.get("alertChangeType")),
                    alert_threshold=subtest.get("alertThreshold"),
                    alert_severity=subtest.get("alertSeverity", suite.get("alertSeverity")),
                    min_back_window=subtest.get("minBackWindow"),
                    max_back_window=subtest.get("maxBackWindow"),
                    fore_window=subtest.get("foreWindow"),
                    **common,
                ),
                subtest["value"],
                subtest.get("replicates"),
            )
    return rows


def wants_alert_generation(
    signature: SignatureRow,
    *,
    new_datum: bool,
    alerts_enabled: bool,
    tier: int,
    suite_has_summary: bool,
) -> bool:
    """Whether storing a datum for ``signature`` should queue alert generation (PERF.md §4).

    ``suite_has_summary`` tells, for a subtest, whether its suite reported a summary value.
    """
    if signature.monitor and signature.repository != "try":
        return True
    if not (new_datum and alerts_enabled and tier < 3):
        return False
    if signature.is_summary:
        return signature.should_alert is not False
    return signature.should_alert is True or (signature.should_alert is None and not suite_has_summary)
