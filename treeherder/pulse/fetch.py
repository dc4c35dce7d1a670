"""HTTP fetches the Pulse transforms need: task definitions, artifact lists, pushlogs, GitHub.

The transforms take these as plain callables; :class:`HttpFetcher` provides them over
one pooled ``httpx`` client (keep-alive matters: every task message needs a fetch).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import httpx
import orjson

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "treeherder-pulse"


class HttpFetcher:
    """JSON fetches over a shared ``httpx.Client``.

    ``github_token`` (optional) is sent to ``api.github.com`` only, to lift its
    anonymous rate limit. HTTP errors raise ``httpx.HTTPStatusError``; network
    errors raise ``httpx.TransportError`` (both worth retrying later).
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        github_token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True, transport=transport
        )
        self._github_token = github_token

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``url`` and return the decoded JSON body."""
        headers = {"Accept": "application/json"}
        if self._github_token and url.startswith("https://api.github.com/"):
            headers["Authorization"] = f"token {self._github_token}"
        response = self._client.get(url, params=params, headers=headers)
        response.raise_for_status()
        return orjson.loads(response.content)

    def fetch_task(self, root_url: str, task_id: str) -> dict[str, Any]:
        """Return the definition of task ``task_id`` from the queue at ``root_url``."""
        return self.fetch_json(f"{root_url.rstrip('/')}/api/queue/v1/task/{task_id}")

    def fetch_artifacts(self, root_url: str, task_id: str, run_id: int) -> list[dict[str, Any]]:
        """Return every artifact of a task run, following the queue's continuation tokens."""
        url = f"{root_url.rstrip('/')}/api/queue/v1/task/{task_id}/runs/{run_id}/artifacts"
        artifacts: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            page = self.fetch_json(url, params=params or None)
            artifacts.extend(page.get("artifacts", ()))
            token = page.get("continuationToken")
            if not token:
                return artifacts
            params = {"continuationToken": token}
