"""Perfherder (performance data) helpers: signatures, series and the :class:`PerfherderClient`."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, SupportsIndex, overload

from .client import TreeherderClient

__all__ = [
    "PerfherderClient",
    "PerformanceSeries",
    "PerformanceSignatureCollection",
    "PerformanceTimeInterval",
]


class PerformanceTimeInterval:
    """The time ranges (in seconds) Perfherder's ``interval`` parameter accepts."""

    DAY = 86400
    WEEK = 86400 * 7
    TWO_WEEKS = 86400 * 14
    SIXTY_DAYS = 86400 * 60
    NINETY_DAYS = 86400 * 90
    ONE_YEAR = 86400 * 365

    @staticmethod
    def all_valid_time_intervals() -> list[int]:
        """All intervals, shortest first."""
        cls = PerformanceTimeInterval
        return [cls.DAY, cls.WEEK, cls.TWO_WEEKS, cls.SIXTY_DAYS, cls.NINETY_DAYS, cls.ONE_YEAR]


def _hashable(value: Any) -> Hashable:
    # Some signature properties (tags, extra_options) are lists; make them usable as set members.
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    return value


class PerformanceSignatureCollection(dict[str, dict[str, Any]]):
    """The answer of ``performance/signatures/``: ``{key: signature properties}``.

    Older servers key the signatures by their hash, newer ones by their id (with the hash in ``signature_hash``);
    :meth:`get_signature_hashes` handles both.
    """

    def filter(self, *args: tuple[str, Any]) -> PerformanceSignatureCollection:
        """Return the signatures whose properties match every ``(name, value)`` pair.

        Example: ``signatures.filter(("suite", "tp5o"), ("machine_platform", "linux64"))``.
        """
        return PerformanceSignatureCollection(
            (key, signature)
            for key, signature in self.items()
            if all(signature.get(name) == value for name, value in args)
        )

    def get_signature_hashes(self) -> list[str]:
        """Return the signature hashes, usable as ``signatures=`` for :meth:`PerfherderClient.get_performance_data`."""
        return [signature.get("signature_hash", key) for key, signature in self.items()]

    def get_property_names(self) -> set[str]:
        """Return every property name used by any signature."""
        names: set[str] = set()
        for signature in self.values():
            names.update(signature)
        return names

    def get_property_values(self, property_name: str) -> set[Any]:
        """Return the distinct truthy values of one property (lists come back as tuples)."""
        return {
            _hashable(signature[property_name])
            for signature in self.values()
            if signature.get(property_name)
        }


class PerformanceSeries(list[dict[str, Any]]):
    """The data points of one signature; ``series["value"]`` gives the list of one property across all points."""

    @overload
    def __getitem__(self, key: str) -> list[Any]: ...

    @overload
    def __getitem__(self, key: SupportsIndex) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, key: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return [point.get(key) for point in self]
        return super().__getitem__(key)


class PerfherderClient(TreeherderClient):
    """A :class:`TreeherderClient` with Perfherder queries."""

    PERFORMANCE_SIGNATURES_ENDPOINT = "performance/signatures"
    PERFORMANCE_DATA_ENDPOINT = "performance/data"

    def get_performance_signatures(self, project: str, **params: Any) -> PerformanceSignatureCollection:
        """Return the performance signatures of ``project``.

        Useful parameters: ``framework`` (id), ``platform``, ``interval`` (seconds, see
        :class:`PerformanceTimeInterval`), ``subtests=0``.
        """
        return PerformanceSignatureCollection(
            self._get_json(self.PERFORMANCE_SIGNATURES_ENDPOINT, project, **params)
        )

    def get_performance_data(self, project: str, **params: Any) -> dict[str, PerformanceSeries]:
        """Return ``{signature_hash: PerformanceSeries}``.

        Select data with ``signatures=<hash>`` (or a list of hashes), ``signature_id=``, ``push_id=`` or
        ``job_id=``, and limit it with ``interval=`` or ``start_date=``/``end_date=``.
        """
        body = self._get_json(self.PERFORMANCE_DATA_ENDPOINT, project, **params)
        return {key: PerformanceSeries(points) for key, points in body.items()}
