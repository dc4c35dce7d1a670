"""Builders for job submissions: :class:`TreeherderJob` and :class:`TreeherderJobCollection`.

These reproduce treeherder-client 4.0.0's submission classes (removed from upstream's 5.0.0): the same names, setter
methods, JSON skeleton, validation rules and error messages, so existing submission scripts keep working.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any


class TreeherderClientError(Exception):
    """A client-side error: invalid job data or an unusable collection.

    ``str(error)`` is the message; ``error.Errors`` is a list of further details (kept for compatibility, usually
    empty).
    """

    def __init__(self, msg: str, Errors: list[Any] | None = None) -> None:  # noqa: N803 - upstream's argument name
        super().__init__(msg)
        self.msg = msg
        self.Errors = Errors if Errors is not None else []

    def __str__(self) -> str:
        return self.msg


class TreeherderData:
    """Base of every submittable object: a plain ``dict`` in :attr:`data`, serialisable with :meth:`to_json`."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = data if data else self.init_data()

    def init_data(self) -> dict[str, Any]:
        """Return the empty skeleton used when no data is given."""
        return {}

    def to_json(self) -> str:
        """Serialise :attr:`data` to a JSON string."""
        return json.dumps(self.data)


# One validation rule: the dotted path to a property plus optional constraints on its value.
ValidationRule = Mapping[str, Any]


class ValidatorMixin:
    """Checks :attr:`data` against ``required_properties`` rules and raises :class:`TreeherderClientError`.

    A rule maps a dotted property name (``"job.job_guid"``) to a dict with an optional ``"type"`` (a Python type the
    value must be an instance of) and ``"len"`` (the maximum length of the value). Every rule also requires the
    property to exist and hold a truthy value.
    """

    data: dict[str, Any]
    required_properties: dict[str, ValidationRule] = {}

    def validate(self, required_properties: dict[str, ValidationRule] | None = None) -> None:
        """Raise :class:`TreeherderClientError` describing the first property that breaks its rule."""
        rules = required_properties or self.required_properties
        for property_name, rule in rules.items():
            details = self._property_errors(property_name, rule)
            if details:
                raise TreeherderClientError(
                    f"{type(self).__name__} structure validation errors detected for property:{property_name}\n"
                    f"{details}\n{json.dumps(self.data)}\n",
                    [],
                )

    def validate_existence(self, keys: list[str], values: Mapping[str, Any], property_key: str) -> str:
        """Return an error line when the nested ``keys`` path does not exist in ``values``, else ``""``."""
        current: Any = values
        for key in keys:
            if not isinstance(current, Mapping) or key not in current:
                return f"\tThe required Property, {property_key}, is missing\n"
            current = current[key]
        return ""

    def _property_errors(self, property_name: str, rule: ValidationRule) -> str:
        keys = property_name.split(".")
        details = self.validate_existence(keys, self.data, property_name)
        value = self._lookup(keys)
        if not value:
            return details + f"\tValue not defined for {property_name}\n"
        expected_type = rule.get("type")
        if expected_type is not None and not isinstance(value, expected_type):
            return details + f"\tThe value type, {type(value)}, should be {expected_type}\n"
        max_length = rule.get("len")
        if max_length is not None and len(value) > max_length:
            return details + f"\tValue length exceeds maximum {max_length} char limit: {value}\n"
        return details

    def _lookup(self, keys: list[str]) -> Any:
        current: Any = self.data
        for key in keys:
            if not isinstance(current, Mapping):
                return None
            current = current.get(key)
        return current


def _empty_platform() -> dict[str, str]:
    return {"os_name": "", "platform": "", "architecture": ""}


class TreeherderJob(TreeherderData, ValidatorMixin):
    """One job datum for ``POST /api/project/{project}/jobs/``, filled in with the ``add_*`` setters.

    Fields that are never set are sent as empty strings, exactly as treeherder-client 4.0.0 did; the server then
    applies its defaults (see INGESTION.md A.4).
    """

    PARSE_STATUSES = frozenset({"pending", "parsed", "error"})
    # Deterministic order for the error message (a set's own order varies between runs).
    _PARSE_STATUS_ORDER = ("pending", "parsed", "error")

    required_properties: dict[str, ValidationRule] = {
        "revision": {"len": 40},
        "project": {},
        "job": {"type": dict},
        "job.job_guid": {"len": 50},
    }

    def init_data(self) -> dict[str, Any]:
        return {
            "revision": "",
            "project": "",
            "job": {
                "job_guid": "",
                "name": "",
                "desc": "",
                "job_symbol": "",
                "group_name": "",
                "group_symbol": "",
                "product_name": "",
                "state": "",
                "result": "",
                "reason": "",
                "who": "",
                "submit_timestamp": "",
                "start_timestamp": "",
                "end_timestamp": "",
                "machine": "",
                "build_platform": _empty_platform(),
                "machine_platform": _empty_platform(),
                "option_collection": {},
                "log_references": [],
                "artifacts": [],
            },
            # The server marks the jobs listed here as superseded. (PyPI's 4.0.0 wrote "coalesced", a key the server
            # never reads; the repository copy of the client already used "superseded".)
            "superseded": [],
        }

    @property
    def _job(self) -> dict[str, Any]:
        return self.data["job"]

    # Top-level fields.
    def add_revision(self, revision: str) -> None:
        """Set the push's tip revision (at most 40 characters)."""
        self.data["revision"] = revision

    def add_project(self, project: str) -> None:
        """Set the repository name (validated locally; the server uses the URL's project)."""
        self.data["project"] = project

    def add_coalesced_guid(self, guids: list[str]) -> None:
        """Mark the jobs with these guids as superseded by this one."""
        if guids:
            self.data.setdefault("superseded", []).extend(guids)

    add_superseded_guid = add_coalesced_guid

    # Fields of the "job" object.
    def add_job_guid(self, guid: str) -> None:
        """Set the job's unique guid (at most 50 characters)."""
        self._job["job_guid"] = guid

    def add_job_name(self, name: str) -> None:
        self._job["name"] = name

    def add_job_symbol(self, symbol: str) -> None:
        self._job["job_symbol"] = symbol

    def add_group_name(self, name: str) -> None:
        self._job["group_name"] = name

    def add_group_symbol(self, symbol: str) -> None:
        self._job["group_symbol"] = symbol

    def add_description(self, desc: str) -> None:
        self._job["desc"] = desc

    def add_product_name(self, name: str) -> None:
        self._job["product_name"] = name

    def add_state(self, state: str) -> None:
        """Set ``pending``, ``running`` or ``completed``."""
        self._job["state"] = state

    def add_result(self, result: str) -> None:
        """Set the result of a completed job (``success``, ``testfailed``, ``busted``, ...)."""
        self._job["result"] = result

    def add_reason(self, reason: str) -> None:
        self._job["reason"] = reason

    def add_who(self, who: str) -> None:
        self._job["who"] = who

    def add_submit_timestamp(self, tstamp: int) -> None:
        self._job["submit_timestamp"] = tstamp

    def add_start_timestamp(self, tstamp: int) -> None:
        self._job["start_timestamp"] = tstamp

    def add_end_timestamp(self, tstamp: int) -> None:
        self._job["end_timestamp"] = tstamp

    def add_machine(self, machine: str) -> None:
        self._job["machine"] = machine

    def add_build_info(self, os_name: str, platform: str, arch: str) -> None:
        """Describe the platform the job's build targets."""
        self._job["build_platform"] = {"os_name": os_name, "platform": platform, "architecture": arch}

    def add_machine_info(self, os_name: str, platform: str, arch: str) -> None:
        """Describe the platform of the machine that ran the job."""
        self._job["machine_platform"] = {"os_name": os_name, "platform": platform, "architecture": arch}

    def add_option_collection(self, option_collection: dict[str, bool]) -> None:
        """Merge build options such as ``{"opt": True}`` or ``{"debug": True}``."""
        if option_collection:
            self._job.setdefault("option_collection", {}).update(option_collection)

    def add_tier(self, tier: int) -> None:
        self._job["tier"] = tier

    def add_log_reference(self, name: str, url: str, parse_status: str = "pending") -> None:
        """Attach a log (e.g. ``live_backing_log``); ``pending`` asks the server to parse it."""
        if parse_status not in self.PARSE_STATUSES:
            allowed = ", ".join(self._PARSE_STATUS_ORDER)
            raise TreeherderClientError(
                f"TreeherderJob: Invalid parse_status '{parse_status}': must be one of: {allowed}", []
            )
        if name and url:
            self._job["log_references"].append({"url": url, "name": name, "parse_status": parse_status})

    def add_artifact(self, name: str, artifact_type: str, blob: Any) -> None:
        """Attach an artifact; it records the current job guid, so set that first."""
        if blob:
            self._job["artifacts"].append(
                {"name": name, "type": artifact_type, "blob": blob, "job_guid": self._job.get("job_guid")}
            )


class TreeherderCollection:
    """A batch of :class:`TreeherderData` objects posted together to ``/api/project/{p}/{endpoint_base}/``."""

    def __init__(self, endpoint_base: str, data: list[TreeherderData] | None = None) -> None:
        self.endpoint_base = endpoint_base
        self.data: list[TreeherderData] = list(data) if data else []

    def get_collection_data(self) -> list[dict[str, Any]]:
        """Return the request body: the ``data`` dict of every item."""
        return [item.data for item in self.data]

    def to_json(self) -> str:
        return json.dumps(self.get_collection_data())

    def add(self, datum_instance: TreeherderData) -> None:
        self.data.append(datum_instance)

    def validate(self) -> None:
        """Validate every item; raises :class:`TreeherderClientError` on the first invalid one."""
        for item in self.data:
            validate: Callable[[], None] | None = getattr(item, "validate", None)
            if validate is not None:
                validate()

    def get_chunks(self, chunk_size: int) -> Iterator[TreeherderCollection]:
        """Yield collections of the same class holding at most ``chunk_size`` items each; post each one separately."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be a positive integer")
        for start in range(0, len(self.data), chunk_size):
            chunk = copy.copy(self)
            chunk.data = self.data[start : start + chunk_size]
            yield chunk

    def __len__(self) -> int:
        return len(self.data)


class TreeherderJobCollection(TreeherderCollection):
    """A batch of :class:`TreeherderJob` for ``POST /api/project/{project}/jobs/``."""

    def __init__(self, data: list[TreeherderData] | None = None) -> None:
        super().__init__("jobs", data)

    def get_job(self, data: dict[str, Any] | None = None) -> TreeherderJob:
        """Return a new :class:`TreeherderJob` (not yet added to the collection)."""
        return TreeherderJob(data)
