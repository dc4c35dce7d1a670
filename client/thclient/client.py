"""The Treeherder REST client: :class:`TreeherderClient`.

A drop-in replacement for treeherder-client 4.0.0 (which could also submit jobs) and 5.0.0: the same class, method
names, arguments and return shapes, plus Hawk signing through ``mohawk``, retries of idempotent requests, and
an optional overall deadline per request.
"""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

import requests

from ._version import __version__
from .auth import HawkAuth
from .jobs import (
    TreeherderClientError,
    TreeherderCollection,
    TreeherderData,
    TreeherderJob,
    TreeherderJobCollection,
    ValidatorMixin,
)

__all__ = [
    "TreeherderClient",
    "TreeherderClientError",
    "TreeherderCollection",
    "TreeherderData",
    "TreeherderHTTPError",
    "TreeherderJob",
    "TreeherderJobCollection",
    "ValidatorMixin",
    "DEFAULT_SERVER_URL",
]

logger = logging.getLogger(__name__)

DEFAULT_SERVER_URL = "https://treeherder.mozilla.org"
SERVER_URL_ENV_VAR = "TREEHERDER_URL"

# Gateway errors are worth another try; anything else (4xx, 500) will not get better by asking again.
RETRY_STATUSES = frozenset({502, 503, 504})
# Never sleep longer than this between two attempts, whatever Retry-After says.
MAX_BACKOFF_SECONDS = 30.0


class TreeherderHTTPError(requests.exceptions.HTTPError):
    """An HTTP error answer from the server; a :class:`requests.HTTPError`, with the server's message in ``detail``."""

    def __init__(self, *args: Any, detail: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.detail = detail


def default_server_url() -> str:
    """The ``TREEHERDER_URL`` environment variable when set, else ``https://treeherder.mozilla.org``."""
    return os.environ.get(SERVER_URL_ENV_VAR) or DEFAULT_SERVER_URL


def error_detail(response: requests.Response) -> str:
    """Extract the server's explanation from an error response.

    Treeherder answers ``{"detail": ...}``, ``{"message": ...}``, a bare JSON string or a JSON list of messages;
    anything else (an HTML error page, say) is returned as text, shortened.
    """
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text if len(text) <= 500 else text[:500] + "..."
    if isinstance(body, dict):
        for key in ("detail", "message", "failure"):
            if key in body:
                return str(body[key])
    if isinstance(body, list) and all(isinstance(item, str) for item in body):
        return "; ".join(body)
    if isinstance(body, str):
        return body
    return response.text


class TreeherderClient:
    """Client for Treeherder's REST API.

    :param server_url: base URL of the server, e.g. ``http://localhost:8000``; defaults to the ``TREEHERDER_URL``
        environment variable, else ``https://treeherder.mozilla.org``.
    :param timeout: seconds to wait for the server on each attempt (connect and read).
    :param client_id: Hawk client id; with ``secret``, every request is Hawk-signed (needed to submit jobs).
    :param secret: Hawk secret of ``client_id``.
    :param retries: how many times a GET is repeated after a connection error, timeout, or a 502/503/504 answer.
        POSTs are never repeated.
    :param backoff: base delay in seconds between attempts; doubles after each attempt (with jitter).
    :param deadline: optional upper bound in seconds on one request including all its retries.
    """

    API_VERSION = "1.0"
    REQUEST_HEADERS = {
        "Accept": f"application/json; version={API_VERSION}",
        "User-Agent": f"treeherder-pyclient/{__version__}",
    }

    PUSH_ENDPOINT = "push"
    JOBS_ENDPOINT = "jobs"
    JOB_DETAIL_ENDPOINT = "jobdetail"
    JOB_LOG_URL_ENDPOINT = "job-log-url"
    OPTION_COLLECTION_HASH_ENDPOINT = "optioncollectionhash"
    REPOSITORY_ENDPOINT = "repository"
    FAILURE_CLASSIFICATION_ENDPOINT = "failureclassification"
    JOBGROUP_ENDPOINT = "jobgroup"
    JOBTYPE_ENDPOINT = "jobtype"
    PRODUCT_ENDPOINT = "product"
    MACHINE_ENDPOINT = "machine"
    MACHINE_PLATFORM_ENDPOINT = "machineplatform"
    BUILD_PLATFORM_ENDPOINT = "buildplatform"
    MAX_COUNT = 2000

    def __init__(
        self,
        server_url: str | None = None,
        timeout: float = 30,
        client_id: str | None = None,
        secret: str | None = None,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        deadline: float | None = None,
    ) -> None:
        self.server_url = (server_url or default_server_url()).rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.deadline = deadline
        self.session = requests.Session()
        self.session.headers.update(self.REQUEST_HEADERS)
        if client_id and secret:
            self.session.auth = HawkAuth(client_id, secret)

    def __enter__(self) -> TreeherderClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying keep-alive connections."""
        self.session.close()

    # URLs and transport.

    def _get_endpoint_url(self, endpoint: str, project: str | None = None) -> str:
        if project:
            return f"{self.server_url}/api/project/{project}/{endpoint}/"
        return f"{self.server_url}/api/{endpoint}/"

    def _request(self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None,
                 retry: bool) -> requests.Response:
        """Send one logical request; repeat it (re-signed) on transient failures when ``retry`` is true."""
        started = time.monotonic()
        attempt = 0
        while True:
            response: requests.Response | None = None
            try:
                response = self.session.request(method, url, params=params, json=json,
                                                timeout=self._attempt_timeout(started))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                delay = self._retry_delay(attempt, started, None) if retry else None
                if delay is None:
                    raise
                failure = type(error).__name__
            else:
                if not retry or response.status_code not in RETRY_STATUSES:
                    return response
                delay = self._retry_delay(attempt, started, response)
                if delay is None:
                    return response
                failure = f"HTTP {response.status_code}"
            attempt += 1
            logger.warning("%s requesting %s; retry %d of %d in %.1fs", failure, url, attempt, self.retries, delay)
            time.sleep(delay)

    def _attempt_timeout(self, started: float) -> float:
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - (time.monotonic() - started)
        if remaining <= 0:
            raise requests.exceptions.Timeout(f"deadline of {self.deadline}s exceeded")
        return min(self.timeout, remaining)

    def _retry_delay(self, attempt: int, started: float, response: requests.Response | None) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when retries or the deadline are used up."""
        if attempt >= self.retries:
            return None
        # Exponential backoff with jitter, so many clients that failed at the same moment do not return together.
        delay = self.backoff * (2**attempt) * (1 + random.random() * 0.25)
        retry_after = response.headers.get("Retry-After", "") if response is not None else ""
        if retry_after.isdigit():
            delay = max(delay, float(retry_after))
        delay = min(delay, MAX_BACKOFF_SECONDS)
        if self.deadline is not None and time.monotonic() - started + delay >= self.deadline:
            return None
        return delay

    def _raise_for_status(self, response: requests.Response, action: str) -> None:
        if response.ok:
            return
        detail = error_detail(response)
        logger.error("HTTPError %s %s %s: %s", response.status_code, action, response.url, detail)
        logger.debug("Request headers: %s", response.request.headers)
        logger.debug("Response headers: %s", response.headers)
        kind = "Client" if response.status_code < 500 else "Server"
        raise TreeherderHTTPError(
            f"{response.status_code} {kind} Error: {response.reason} for url: {response.url}: {detail}",
            response=response,
            request=response.request,
            detail=detail,
        )

    def _get_json(self, endpoint: str, project: str | None = None, **params: Any) -> Any:
        """GET ``endpoint`` and return the decoded JSON; raise :class:`TreeherderHTTPError` on an error answer."""
        return self._get_json_url(self._get_endpoint_url(endpoint, project=project), params)

    def _get_json_url(self, url: str, params: dict[str, Any] | None = None) -> Any:
        response = self._request("GET", url, params=params, retry=True)
        self._raise_for_status(response, "requesting")
        return response.json()

    def _get_json_list(self, endpoint: str, project: str | None = None, **params: Any) -> list[Any]:
        """GET a list endpoint and return its ``results``.

        When ``count`` is ``None`` or above :attr:`MAX_COUNT`, pages of :attr:`MAX_COUNT` rows are fetched with
        ``offset`` until the wanted number of rows is reached or the server returns a short page.
        """
        if "count" not in params or (params["count"] is not None and int(params["count"]) <= self.MAX_COUNT):
            return self._get_json(endpoint, project=project, **params)["results"]

        wanted = params.pop("count")
        offset = int(params.pop("offset", 0) or 0)
        results: list[Any] = []
        previous_first_row = None
        while wanted is None or len(results) < wanted:
            page_size = self.MAX_COUNT if wanted is None else min(self.MAX_COUNT, wanted - len(results))
            page = self._get_json(endpoint, project=project, offset=offset, count=page_size, **params)["results"]
            # A server that ignores offset would send the same full page forever; refuse rather than loop.
            if page and offset and page[0] == previous_first_row:
                raise TreeherderClientError(f"{endpoint}: the server ignored offset={offset} while paging", [])
            previous_first_row = page[0] if page else None
            results.extend(page)
            if len(page) < page_size:
                break
            offset += page_size
        return results

    def _post_json(self, project: str, endpoint: str, data: Any) -> requests.Response:
        """POST ``data`` as JSON, once (a POST is never retried), and return the response."""
        url = self._get_endpoint_url(endpoint, project=project)
        response = self._request("POST", url, json=data, retry=False)
        self._raise_for_status(response, "submitting to")
        return response

    # Reference data.

    def get_option_collection_hash(self) -> dict[str, list[dict[str, str]]]:
        """Return ``{option_collection_hash: [{"name": "opt"}, ...]}`` for every option collection."""
        return {
            item["option_collection_hash"]: item["options"]
            for item in self._get_json(self.OPTION_COLLECTION_HASH_ENDPOINT)
        }

    def get_repositories(self) -> list[dict[str, Any]]:
        """Return the active repositories."""
        return self._get_json(self.REPOSITORY_ENDPOINT)

    def get_failure_classifications(self) -> list[dict[str, Any]]:
        """Return the failure classifications (``[{"id": 1, "name": "not classified"}, ...]``)."""
        return self._get_json(self.FAILURE_CLASSIFICATION_ENDPOINT)

    def get_products(self) -> Any:
        """GET ``/api/product/`` (removed from Treeherder in 2018; kept for old scripts)."""
        return self._get_json(self.PRODUCT_ENDPOINT)

    def get_job_groups(self) -> Any:
        """GET ``/api/jobgroup/`` (removed from Treeherder in 2018; kept for old scripts)."""
        return self._get_json(self.JOBGROUP_ENDPOINT)

    def get_build_platforms(self) -> Any:
        """GET ``/api/buildplatform/`` (removed from Treeherder in 2018; kept for old scripts)."""
        return self._get_json(self.BUILD_PLATFORM_ENDPOINT)

    def get_job_types(self) -> Any:
        """GET ``/api/jobtype/`` (removed from Treeherder in 2018; kept for old scripts)."""
        return self._get_json(self.JOBTYPE_ENDPOINT)

    def get_machines(self) -> Any:
        """GET ``/api/machine/`` (removed from Treeherder in 2018; kept for old scripts)."""
        return self._get_json(self.MACHINE_ENDPOINT)

    def get_machine_platforms(self) -> Any:
        """GET ``/api/machineplatform/`` (removed from Treeherder in 2018; kept for old scripts)."""
        return self._get_json(self.MACHINE_PLATFORM_ENDPOINT)

    # Pushes and jobs.

    def get_pushes(self, project: str, **params: Any) -> list[dict[str, Any]]:
        """Return pushes of ``project``, newest first (server default: the 10 newest).

        Keyword arguments become query parameters, e.g. ``count=50``, ``revision=...``, ``author=...``.
        """
        return self._get_json_list(self.PUSH_ENDPOINT, project, **params)

    def get_resultsets(self, project: str, **params: Any) -> list[dict[str, Any]]:
        """Deprecated alias of :meth:`get_pushes`."""
        logger.warning("get_resultsets is deprecated, use get_pushes instead")
        return self.get_pushes(project, **params)

    def get_jobs(self, project: str, **params: Any) -> list[dict[str, Any]]:
        """Return jobs of ``project`` as dicts.

        Keyword arguments become query parameters (``push_id=...``, ``result=...``, ``job_guid=...``). Pass
        ``count=None`` for every matching job, or a ``count`` above 2000 to page through that many.
        """
        return self._get_json_list(self.JOBS_ENDPOINT, project, **params)

    def get_job_details(self, **params: Any) -> list[dict[str, Any]]:
        """Return job details (``job_guid=...``, ``job_id=...`` or ``push_id=...``), following every page."""
        body = self._get_json(self.JOB_DETAIL_ENDPOINT, **params)
        results = list(body["results"])
        next_url = body.get("next")
        while next_url:
            body = self._get_json_url(next_url)
            results.extend(body["results"])
            next_url = body.get("next")
        return results

    def get_job_log_url(self, project: str, **params: Any) -> list[dict[str, Any]]:
        """Return the log references of jobs (``job_id=5001``, or ``job_id=[1, 2]`` for several)."""
        return self._get_json(self.JOB_LOG_URL_ENDPOINT, project, **params)

    # Submission.

    def post_collection(self, project: str, collection_inst: TreeherderCollection) -> requests.Response:
        """Validate a collection (e.g. :class:`TreeherderJobCollection`) and POST it to ``project``.

        Needs Hawk credentials (``client_id`` and ``secret``). Large collections should be split with
        ``collection.get_chunks(n)`` and each chunk posted separately.
        """
        if not isinstance(collection_inst, TreeherderCollection):
            raise TreeherderClientError(
                f"{type(collection_inst)} should be an instance of TreeherderCollection", []
            )
        if not collection_inst.endpoint_base:
            raise TreeherderClientError("TreeherderClient: collection endpoint_base property not defined", [])
        if not collection_inst.data:
            raise TreeherderClientError("TreeherderClient: collection data property not defined", [])
        collection_inst.validate()
        return self._post_json(project, collection_inst.endpoint_base, collection_inst.get_collection_data())
