"""Push messages (hg.mozilla.org pushlog, GitHub push and pull-request events) -> pushes.

Every transform returns :class:`RepositoryPush` values whose ``push`` is the
ingestion push dict::

    {"revision": <tip>, "author": <email>, "push_timestamp": <unix s>,
     "revisions": [{"revision", "author": "Name <email>", "comment"}, ...],
     "branch": <only when a wildcard branch rule chose the repository>}

The commits are not in the messages, so they are fetched with the injected
``fetch_json(url)``; which repository a message belongs to is decided from the
injected list of :class:`PushRepository`. Messages for repositories Treeherder does
not know (or that are not active) give no push, and are not errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import PulseMessageError, UnsupportedExchangeError
from .timestamps import to_timestamp

FetchJson = Callable[[str], Any]

GITHUB_API = "https://api.github.com"
HG_PUSH_CHANGESET_LIMIT = 200  # only the newest changesets of a huge push are kept
NULL_SHA = "0" * 40  # GitHub's base sha when a push creates a branch
TAG_BRANCH = "tag"  # the branch tag pushes are matched against


@dataclass(frozen=True, slots=True)
class PushRepository:
    """What push ingestion needs to know about a repository.

    ``branches`` are the accepted branches of a git repository: exact names, or
    patterns ending in ``*`` that accept every branch with that prefix.
    """

    name: str
    url: str
    active: bool = True
    accepts_pull_requests: bool = False
    branches: tuple[str, ...] = ()


class RepositoryPush(NamedTuple):
    """A push and the name of the repository it belongs to."""

    repository: str
    push: dict[str, Any]


def push_repository(row: Mapping[str, Any]) -> PushRepository:
    """Build a :class:`PushRepository` from a repository dict.

    Reads ``name``, ``url``, ``active_status`` (``active`` or not; default active) or
    a boolean ``active``, ``accepts_pull_requests`` and ``branches`` (names or rows
    with a ``branch`` key).
    """
    if "active" in row:
        active = bool(row["active"])
    else:
        active = row.get("active_status", "active") == "active"
    branches = tuple(item["branch"] if isinstance(item, Mapping) else item for item in row.get("branches") or ())
    return PushRepository(
        name=row["name"],
        url=row["url"],
        active=active,
        accepts_pull_requests=bool(row.get("accepts_pull_requests")),
        branches=branches,
    )


def repositories_from_fixture(
    repository_rows: Iterable[Mapping[str, Any]], branch_rows: Iterable[Mapping[str, Any]] = ()
) -> list[PushRepository]:
    """Build repositories from Django-fixture rows (``repository.json``, ``repository_branch.json``)."""
    branches: dict[Any, list[str]] = {}
    for row in branch_rows:
        fields = row["fields"]
        branches.setdefault(fields["repository"], []).append(fields["branch"])
    return [push_repository({**row["fields"], "branches": branches.get(row["pk"], ())}) for row in repository_rows]


def push_message_to_pushes(
    exchange: str, body: Mapping[str, Any], repositories: Iterable[PushRepository], fetch_json: FetchJson
) -> list[RepositoryPush]:
    """Transform a push message from any supported exchange.

    Raises :class:`UnsupportedExchangeError` for exchanges that carry no pushes and
    :class:`PulseMessageError` for messages missing the fields a push needs.
    """
    if "github" in exchange and exchange.endswith("push"):
        transform = github_push_to_pushes
    elif "github" in exchange and exchange.endswith("pull-request"):
        transform = github_pull_request_to_pushes
    elif "/hgpushes/" in exchange:
        transform = hg_push_to_pushes
    else:
        raise UnsupportedExchangeError(f"no push transform for exchange {exchange}")
    try:
        return transform(body, repositories, fetch_json)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise PulseMessageError(f"malformed push message from {exchange}: {exc!r}", body=body) from exc


def hg_push_to_pushes(
    body: Mapping[str, Any], repositories: Iterable[PushRepository], fetch_json: FetchJson
) -> list[RepositoryPush]:
    """Transform an ``exchange/hgpushes/v1`` message; commits come from the pushlog."""
    payload = body["payload"]
    repository = next((repo for repo in repositories if repo.active and repo.url == payload["repo_url"]), None)
    if repository is None:
        return []
    result = []
    for pushlog_push in payload["pushlog_pushes"]:
        reply = fetch_json(pushlog_push["push_full_json_url"])
        result.extend(RepositoryPush(repository.name, push) for push in pushes_from_json_pushes(reply))
    return result


def pushes_from_json_pushes(reply: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Pushes of an hg ``json-pushes?version=2&full=1`` reply, oldest first.

    Only the newest 200 changesets of a push are kept; a push without changesets
    (all of them obsolete) gives nothing. Also the reply format of pushlog polling.
    """
    result = []
    for _push_id, push in sorted(reply["pushes"].items(), key=lambda item: int(item[0])):
        changesets = push["changesets"][-HG_PUSH_CHANGESET_LIMIT:]
        if not changesets:
            continue
        revisions = [
            {"revision": changeset["node"], "author": changeset["author"], "comment": changeset["desc"]}
            for changeset in changesets
        ]
        result.append(
            {
                "revision": changesets[-1]["node"],
                "author": push["user"],
                "push_timestamp": int(push["date"]),
                "revisions": revisions,
            }
        )
    return result


def github_push_to_pushes(
    body: Mapping[str, Any], repositories: Iterable[PushRepository], fetch_json: FetchJson
) -> list[RepositoryPush]:
    """Transform an ``exchange/taskcluster-github/v1/push`` message.

    The repository is chosen by URL and branch (see :func:`select_branch_repository`);
    commits come from GitHub's compare API, or from the webhook body when the push
    created the branch (there is no base to compare with).
    """
    details = body["details"]
    url = _repository_url(details["event.head.repo.url"])
    branch = TAG_BRANCH if details.get("event.head.tag") else details["event.base.repo.branch"]
    selected = select_branch_repository(repositories, url, branch)
    if selected is None:
        return []
    repository, recorded_branch = selected
    base, head = details["event.base.sha"], details["event.head.sha"]
    if base == NULL_SHA:
        commits = [_webhook_commit(commit) for commit in body["body"]["commits"]]
    else:
        compare_url = f"{GITHUB_API}/repos/{body['organization']}/{body['repository']}/compare/{base}...{head}"
        commits = [_api_commit(commit) for commit in fetch_json(compare_url)["commits"]]
    push = _github_push(commits)
    if push is None:
        return []
    if recorded_branch is not None:
        push["branch"] = recorded_branch
    return [RepositoryPush(repository.name, push)]


def github_pull_request_to_pushes(
    body: Mapping[str, Any], repositories: Iterable[PushRepository], fetch_json: FetchJson
) -> list[RepositoryPush]:
    """Transform an ``exchange/taskcluster-github/v1/pull-request`` message.

    Only active repositories that accept pull requests take them; the commits are
    the pull request's commits from GitHub's API.
    """
    details = body["details"]
    url = _repository_url(details["event.base.repo.url"])
    repository = next(
        (repo for repo in repositories if repo.active and repo.accepts_pull_requests and repo.url == url), None
    )
    if repository is None:
        return []
    commits_url = (
        f"{GITHUB_API}/repos/{body['organization']}/{body['repository']}/pulls/{details['event.pullNumber']}/commits"
    )
    push = _github_push([_api_commit(commit) for commit in fetch_json(commits_url)])
    return [] if push is None else [RepositoryPush(repository.name, push)]


def select_branch_repository(
    repositories: Iterable[PushRepository], url: str, branch: str
) -> tuple[PushRepository, str | None] | None:
    """Choose the active repository at ``url`` that accepts ``branch``.

    An exact branch rule wins over a ``prefix*`` rule. Returns the repository and
    the branch to record on the push: None for an exact match, ``branch`` for a
    wildcard match. None when no repository accepts the branch.
    """
    candidates = [repo for repo in repositories if repo.active and repo.url == url]
    for repo in candidates:
        if branch in repo.branches:
            return repo, None
    for repo in candidates:
        for rule in repo.branches:
            if rule.endswith("*") and branch.startswith(rule[:-1]):
                return repo, branch
    return None


class _Commit(NamedTuple):
    sha: str
    message: str
    author_name: str
    author_email: str
    pushed_at: str  # the committer's date: when the commit reached the repository


def _api_commit(commit: Mapping[str, Any]) -> _Commit:
    """A commit as GitHub's REST API returns it (compare and pull-request commits)."""
    detail = commit["commit"]
    return _Commit(
        sha=commit["sha"],
        message=detail["message"],
        author_name=detail["author"]["name"],
        author_email=detail["author"]["email"],
        pushed_at=detail["committer"]["date"],
    )


def _webhook_commit(commit: Mapping[str, Any]) -> _Commit:
    """A commit as listed in a push webhook body."""
    return _Commit(
        sha=commit["id"],
        message=commit["message"],
        author_name=commit["author"]["name"],
        author_email=commit["author"]["email"],
        pushed_at=commit["timestamp"],
    )


def _github_push(commits: Sequence[_Commit]) -> dict[str, Any] | None:
    if not commits:
        return None
    tip = commits[-1]
    try:
        push_timestamp = to_timestamp(tip.pushed_at)
    except (TypeError, ValueError) as exc:
        raise PulseMessageError(f"commit {tip.sha} has no valid date: {tip.pushed_at!r}") from exc
    return {
        "revision": tip.sha,
        "author": tip.author_email,
        "push_timestamp": push_timestamp,
        "revisions": [
            {
                "revision": commit.sha,
                "author": f"{commit.author_name} <{commit.author_email}>",
                "comment": commit.message,
            }
            for commit in commits
        ],
    }


def _repository_url(git_url: str) -> str:
    return git_url.removesuffix(".git")
