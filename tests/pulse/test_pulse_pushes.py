"""hg.mozilla.org and GitHub push messages -> pushes, checked against upstream's fixtures."""

from __future__ import annotations

import copy
import json

import pytest

from treeherder.pulse.errors import PulseMessageError, UnsupportedExchangeError
from treeherder.pulse.pushes import (
    NULL_SHA,
    PushRepository,
    push_message_to_pushes,
    push_repository,
    pushes_from_json_pushes,
    repositories_from_fixture,
    select_branch_repository,
)

HG_EXCHANGE = "exchange/hgpushes/v1"
GITHUB_PUSH_EXCHANGE = "exchange/taskcluster-github/v1/push"
GITHUB_PR_EXCHANGE = "exchange/taskcluster-github/v1/pull-request"
HG_PUSH_URL = "https://hg.mozilla.org/try/json-pushes?version=2&full=1&startID=136597&endID=136598"
AC_COMPARE_URL = (
    "https://api.github.com/repos/mozilla-mobile/android-components/compare/"
    "7285afe57ae6207fdb5d6db45133dac2053b7820...5fdb785b28b356f50fc1d9cb180d401bb03fc1f1"
)
SERVO_COMPARE_URL = (
    "https://api.github.com/repos/servo/servo/compare/"
    "4c25e02f26f7536edbf23a360d56604fb9507378...ad9bfc2a62b70b9f3dbb1c3a5969f30bacce3d74"
)
PR_COMMITS_URL = "https://api.github.com/repos/mozilla/test_treeherder/pulls/1692/commits"

TEST_REPOSITORIES = [
    PushRepository("try", "https://hg.mozilla.org/try"),
    PushRepository("android-components", "https://github.com/mozilla-mobile/android-components", branches=("master",)),
    PushRepository("test_treeherder", "https://github.com/mozilla/test_treeherder", accepts_pull_requests=True),
]


@pytest.fixture(scope="module")
def pushes_dir(shared_fixtures):
    return shared_fixtures / "pulse" / "pushes"


def _load(pushes_dir, name):
    return json.loads((pushes_dir / name).read_text())


class FakeWeb:
    """``fetch_json`` over canned replies; records what was asked for."""

    def __init__(self, replies):
        self.replies = replies
        self.requested = []

    def __call__(self, url):
        self.requested.append(url)
        return copy.deepcopy(self.replies[url])


@pytest.fixture(scope="module")
def web_replies(pushes_dir):
    compare = _load(pushes_dir, "github_push_compare.json")
    return {
        HG_PUSH_URL: _load(pushes_dir, "hg_push_commits.json"),
        AC_COMPARE_URL: compare[0],
        SERVO_COMPARE_URL: compare[1],
        PR_COMMITS_URL: _load(pushes_dir, "github_pr_commits.json"),
    }


@pytest.fixture
def web(web_replies):
    return FakeWeb(web_replies)


@pytest.fixture
def android_push(pushes_dir):
    return _load(pushes_dir, "github_push.json")[0]["payload"]


def test_hg_push(pushes_dir, web):
    [result] = push_message_to_pushes(HG_EXCHANGE, _load(pushes_dir, "hg_push.json"), TEST_REPOSITORIES, web)
    assert result.repository == "try"
    assert result.push == _load(pushes_dir, "transformed_hg_push.json")
    assert web.requested == [HG_PUSH_URL]


def test_hg_push_keeps_the_last_200_changesets(pushes_dir, web):
    reply = web.replies[HG_PUSH_URL] = copy.deepcopy(web.replies[HG_PUSH_URL])
    push = reply["pushes"]["136598"]
    push["changesets"] = [
        {"node": f"{index:040x}", "author": "A <a@example.org>", "desc": f"commit {index}"} for index in range(250)
    ]
    [result] = push_message_to_pushes(HG_EXCHANGE, _load(pushes_dir, "hg_push.json"), TEST_REPOSITORIES, web)
    revisions = result.push["revisions"]
    assert len(revisions) == 200
    assert revisions[0]["comment"] == "commit 50"
    assert result.push["revision"] == f"{249:040x}"


def test_hg_push_for_unknown_or_inactive_repository_is_skipped(pushes_dir, web):
    message = _load(pushes_dir, "hg_push.json")
    assert push_message_to_pushes(HG_EXCHANGE, message, TEST_REPOSITORIES[1:], web) == []
    inactive = [PushRepository("try", "https://hg.mozilla.org/try", active=False)]
    assert push_message_to_pushes(HG_EXCHANGE, message, inactive, web) == []
    assert web.requested == []


def test_github_push(pushes_dir, android_push, web):
    [result] = push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, TEST_REPOSITORIES, web)
    assert result.repository == "android-components"
    assert result.push == _load(pushes_dir, "transformed_gh_push.json")
    assert web.requested == [AC_COMPARE_URL]


def test_github_push_creating_a_branch_takes_commits_from_the_webhook(android_push, web):
    android_push["details"]["event.base.sha"] = NULL_SHA
    [result] = push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, TEST_REPOSITORIES, web)
    assert web.requested == []
    assert result.push == {
        "revision": "5fdb785b28b356f50fc1d9cb180d401bb03fc1f1",
        "author": "26634292+bors[bot]@users.noreply.github.com",
        "push_timestamp": 1581521352,
        "revisions": [
            {
                "revision": "8a4cb15deb60e490ec7dfae03ca350bde3688dcb",
                "author": "User <user@mozilla.com>",
                "comment": "Closes #4779 - Fix `ExperimentsDebugActivity` command to change server",
            },
            {
                "revision": "5fdb785b28b356f50fc1d9cb180d401bb03fc1f1",
                "author": "bors[bot] <26634292+bors[bot]@users.noreply.github.com>",
                "comment": "[ci skip][skip ci][skip netlify] -bors-staging-tmp-5835",
            },
        ],
    }


def test_github_push_to_unknown_repository_or_branch_is_skipped(android_push, web):
    assert push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, TEST_REPOSITORIES[:1], web) == []
    other_branch = [PushRepository("ac", "https://github.com/mozilla-mobile/android-components", branches=("main",))]
    assert push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, other_branch, web) == []
    assert web.requested == []


def test_servo_push_picks_the_repository_by_branch(shared_fixtures, pushes_dir, web):
    """Production's three active servo repositories share one URL; the branch decides."""
    repositories_dir = shared_fixtures / "repositories"
    repositories = repositories_from_fixture(
        json.loads((repositories_dir / "repository.json").read_text()),
        json.loads((repositories_dir / "repository_branch.json").read_text()),
    )
    message = _load(pushes_dir, "github_push.json")[1]
    [result] = push_message_to_pushes(message["exchange"], message["payload"], repositories, web)
    assert result.repository == "servo-try"
    compare_commits = web.replies[SERVO_COMPARE_URL]["commits"]
    assert result.push["revision"] == compare_commits[-1]["sha"]
    assert [rev["revision"] for rev in result.push["revisions"]] == [c["sha"] for c in compare_commits]
    assert "branch" not in result.push  # an exact branch rule matched


def test_branch_rules_exact_beats_wildcard_and_only_wildcard_is_recorded():
    url = "https://github.com/mozilla/enterprise-firefox"
    repositories = [
        PushRepository("anything", url, branches=("*",)),
        PushRepository("users", url, branches=("user/*",)),
        PushRepository("main", url, branches=("main", "release")),
        PushRepository("retired", url, active=False, branches=("old",)),
    ]
    assert select_branch_repository(repositories, url, "main") == (repositories[2], None)
    assert select_branch_repository(repositories, url, "release") == (repositories[2], None)
    assert select_branch_repository(repositories, url, "feature") == (repositories[0], "feature")
    assert select_branch_repository(repositories, url, "old") == (repositories[0], "old")
    assert select_branch_repository(repositories[1:], url, "user/jdoe/fix") == (repositories[1], "user/jdoe/fix")
    assert select_branch_repository(repositories[1:], url, "feature") is None
    assert select_branch_repository(repositories, "https://github.com/other/repo", "main") is None


def test_wildcard_match_records_the_branch_on_the_push(android_push, web):
    repositories = [PushRepository("ac", "https://github.com/mozilla-mobile/android-components", branches=("mas*",))]
    [result] = push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, repositories, web)
    assert result.push["branch"] == "master"


def test_tag_push_matches_the_tag_branch_rule(android_push, web):
    android_push["details"]["event.head.tag"] = "v1.0"
    repositories = [
        PushRepository("ac", "https://github.com/mozilla-mobile/android-components", branches=("master",)),
        PushRepository("ac-tags", "https://github.com/mozilla-mobile/android-components", branches=("tag",)),
    ]
    [result] = push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, repositories, web)
    assert result.repository == "ac-tags"


def test_github_pull_request(pushes_dir, web):
    [result] = push_message_to_pushes(GITHUB_PR_EXCHANGE, _load(pushes_dir, "github_pr.json"), TEST_REPOSITORIES, web)
    assert result.repository == "test_treeherder"
    assert result.push == _load(pushes_dir, "transformed_gh_pr.json")
    assert web.requested == [PR_COMMITS_URL]


def test_pull_request_needs_a_repository_that_accepts_them(pushes_dir, web):
    closed = [PushRepository("test_treeherder", "https://github.com/mozilla/test_treeherder", branches=("*",))]
    assert push_message_to_pushes(GITHUB_PR_EXCHANGE, _load(pushes_dir, "github_pr.json"), closed, web) == []
    assert web.requested == []


def test_unsupported_exchange(android_push, web):
    with pytest.raises(UnsupportedExchangeError):
        push_message_to_pushes("exchange/taskcluster-queue/v1/task-pending", android_push, TEST_REPOSITORIES, web)


def test_malformed_push_message_is_a_pulse_error(android_push, web):
    del android_push["details"]["event.head.repo.url"]
    with pytest.raises(PulseMessageError, match="malformed"):
        push_message_to_pushes(GITHUB_PUSH_EXCHANGE, android_push, TEST_REPOSITORIES, web)
    with pytest.raises(PulseMessageError):
        push_message_to_pushes(HG_EXCHANGE, {"payload": {}}, TEST_REPOSITORIES, web)


def test_push_repository_from_dicts():
    repository = push_repository(
        {
            "name": "x",
            "url": "https://github.com/a/x",
            "active_status": "onhold",
            "branches": [{"branch": "main"}, "dev"],
        }
    )
    assert repository == PushRepository("x", "https://github.com/a/x", active=False, branches=("main", "dev"))
    assert push_repository({"name": "y", "url": "u", "active": True, "accepts_pull_requests": 1}).accepts_pull_requests


def test_json_pushes_reply_in_push_order_without_empty_pushes(web_replies):
    reply = copy.deepcopy(web_replies[HG_PUSH_URL])
    first = reply["pushes"]["136598"]
    reply["pushes"] = {
        "10": {**first, "date": 10, "changesets": first["changesets"][:1]},
        "9": {**first, "date": 9, "changesets": []},
        "8": {**first, "date": 8},
    }
    pushes = pushes_from_json_pushes(reply)
    assert [push["push_timestamp"] for push in pushes] == [8, 10]
    assert pushes[1]["revision"] == first["changesets"][0]["node"]
