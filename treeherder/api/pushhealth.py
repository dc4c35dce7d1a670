"""Push health: the test, build and lint failures of a push and whether each still needs investigation.

Jobs of tier 1 and 2 are sorted into three kinds as upstream does: lint jobs (platform ``lint`` or job symbol
``mozlint``), builds (job type name containing ``build``/``Build``) and tests (everything else). The failure result
of a kind is ``testfailed`` for tests and lint and ``busted`` for builds. A failed job with a classification note or a
linked bug is *classified*: it is listed under ``knownIssues`` and left out of the failure counts. Test failures are
reported per failing test when the job's structured error summary named one (``failure_line``), else per job type.

A kind's result is ``none`` without jobs, ``fail`` with an unclassified failure, ``indeterminate`` while jobs are
still running, else ``pass``; the push's result is the worst of the three.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, exists, or_, select

from treeherder.api import pushquery
from treeherder.db import tables as t

HEALTH_EXAMPLE: dict[str, Any] = {
    "revision": "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "id": 1201,
    "result": "fail",
    "jobs": {"test-linux64/opt-mochitest-1": [{"id": 5001, "result": "testfailed", "state": "completed"}]},
    "metrics": {
        "commitHistory": {"name": "Commit History", "result": "none", "details": None},
        "linting": {"name": "Linting", "result": "pass", "details": []},
        "tests": {
            "name": "Tests",
            "result": "fail",
            "details": {
                "needInvestigation": [
                    {
                        "testName": "dom/tests/test_a.html",
                        "action": "test_result",
                        "jobName": "test-linux64/opt-mochitest-1",
                        "jobSymbol": "1",
                        "jobGroup": "Mochitests",
                        "jobGroupSymbol": "M",
                        "platform": "linux64",
                        "config": "opt",
                        "key": "dom/tests/test_a.htmltest-linux64/opt-mochitest-1linux64opt",
                        "tier": 1,
                        "failedInJobs": [5001],
                        "totalFailures": 1,
                        "totalJobs": 1,
                        "isClassifiedIntermittent": False,
                    }
                ],  # fmt: skip
                "knownIssues": [],
            },
        },
        "builds": {"name": "Builds", "result": "pass", "details": []},
    },
    "status": {"completed": 13, "pending": 0, "running": 0, "success": 12, "testfailed": 1},
}

_SEVERITY = {"none": 0, "pass": 0, "indeterminate": 1, "fail": 2}


@dataclass
class KindHealth:
    """The jobs of one kind (tests, builds or lint) in a push."""

    failure_result: str
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [job for job in self.jobs if job["result"] == self.failure_result and not job["classified"]]

    @property
    def classified_failures(self) -> list[dict[str, Any]]:
        return [job for job in self.jobs if job["result"] == self.failure_result and job["classified"]]

    @property
    def in_progress(self) -> int:
        return sum(1 for job in self.jobs if job["state"] != "completed")

    @property
    def result(self) -> str:
        if not self.jobs:
            return "none"
        if self.failures:
            return "fail"
        return "indeterminate" if self.in_progress else "pass"


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in job.items() if key not in ("classified", "kind")}


@dataclass
class PushHealth:
    push_id: int
    tests: KindHealth
    builds: KindHealth
    lint: KindHealth
    status: dict[str, int]
    failing_tests: dict[int, list[str]]

    @property
    def result(self) -> str:
        worst = "pass"
        for kind in (self.tests, self.lint, self.builds):
            if _SEVERITY[kind.result] > _SEVERITY[worst]:
                worst = kind.result
        return worst

    def test_failure_details(self) -> dict[str, list[dict[str, Any]]]:
        """Test failures grouped by (test, job type, platform, options): unclassified and classified."""
        jobs_by_type: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for job in self.tests.jobs:
            jobs_by_type[(job["job_type_name"], job["platform"], job["platform_option"])].append(job)
        grouped: dict[tuple, dict[str, Any]] = {}
        for job in self.tests.failures + self.tests.classified_failures:
            names = self.failing_tests.get(job["id"]) or [job["job_type_name"]]
            action = "test_result" if job["id"] in self.failing_tests else "job"
            for name in names:
                key = (name, job["job_type_name"], job["platform"], job["platform_option"], job["classified"])
                item = grouped.get(key)
                if item is None:
                    same_type = jobs_by_type[(job["job_type_name"], job["platform"], job["platform_option"])]
                    item = grouped[key] = {
                        "testName": name,
                        "action": action,
                        "jobName": job["job_type_name"],
                        "jobSymbol": job["job_type_symbol"],
                        "jobGroup": job["job_group_name"],
                        "jobGroupSymbol": job["job_group_symbol"],
                        "platform": job["platform"],
                        "config": job["platform_option"],
                        "key": f"{name}{job['job_type_name']}{job['platform']}{job['platform_option']}",
                        "tier": job["tier"],
                        "failedInJobs": [],
                        "totalFailures": 0,
                        "totalJobs": len(same_type),
                        "isClassifiedIntermittent": job["classified"],
                    }
                item["failedInJobs"].append(job["id"])
                item["totalFailures"] += 1
        items = list(grouped.values())
        return {
            "needInvestigation": [item for item in items if not item["isClassifiedIntermittent"]],
            "knownIssues": [item for item in items if item["isClassifiedIntermittent"]],
        }

    def failure_count(self) -> int:
        return (
            len(self.test_failure_details()["needInvestigation"]) + len(self.builds.failures) + len(self.lint.failures)
        )

    def summary(self, *, revision: str, repository: str, history: Any, with_in_progress_tests: bool) -> dict[str, Any]:
        """One ``health_summary/`` item."""
        test_failures = len(self.test_failure_details()["needInvestigation"])
        build_failures = len(self.builds.failures)
        lint_failures = len(self.lint.failures)
        return {
            "revision": revision,
            "repository": repository,
            "testFailureCount": test_failures,
            "testInProgressCount": self.tests.in_progress if with_in_progress_tests else 0,
            "buildFailureCount": build_failures,
            "buildInProgressCount": self.builds.in_progress,
            "lintFailureCount": lint_failures,
            "lintingInProgressCount": self.lint.in_progress,
            "needInvestigation": test_failures + build_failures + lint_failures,
            "status": self.status,
            "history": history,
            "metrics": {
                "linting": {"name": "Linting", "result": self.lint.result},
                "tests": {"name": "Tests", "result": self.tests.result},
                "builds": {"name": "Builds", "result": self.builds.result},
            },
        }

    def detail(self, conn: Connection, push_row: Any, *, repository_id: int) -> dict[str, Any]:
        """The ``health/`` body of the push."""
        tests = self.test_failure_details()
        failing_types = {job["job_type_name"] for job in self.tests.failures + self.tests.classified_failures}
        jobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for job in self.tests.jobs:
            if job["job_type_name"] in failing_types:
                jobs[job["job_type_name"]].append(_public(job))
        status = dict(self.status)
        status["testfailed"] = self.failure_count()
        return {
            "revision": push_row.revision,
            "id": push_row.id,
            "result": self.result,
            "jobs": dict(jobs),
            "metrics": {
                "commitHistory": {
                    "name": "Commit History",
                    "result": "none",
                    "details": commit_history(conn, push_row, repository_id),
                },
                "linting": {
                    "name": "Linting",
                    "result": self.lint.result,
                    "details": [_public(j) for j in self.lint.failures],
                },
                "tests": {"name": "Tests", "result": self.tests.result, "details": tests},
                "builds": {
                    "name": "Builds",
                    "result": self.builds.result,
                    "details": [_public(j) for j in self.builds.failures],
                },
            },
            "status": status,
        }


def _kind(job_type_name: str, job_type_symbol: str, platform: str) -> str:
    if platform == "lint" or job_type_symbol == "mozlint":
        return "lint"
    if "build" in job_type_name or "Build" in job_type_name:
        return "builds"
    return "tests"


def evaluate(conn: Connection, push_id: int) -> PushHealth:
    """Read the push's tier 1-2 jobs (one query) and their failing tests (one more) and sort them."""
    j, jt, jg, mp, oc, tcm = (
        t.job,
        t.job_type,
        t.job_group,
        t.machine_platform,
        t.option_collection,
        t.taskcluster_metadata,
    )
    classified = or_(
        exists().where(t.job_note.c.job_id == j.c.id),
        exists().where(t.bug_job_map.c.job_id == j.c.id),
    )
    rows = conn.execute(
        select(
            j.c.id,
            j.c.result,
            j.c.state,
            j.c.tier,
            j.c.failure_classification_id,
            j.c.push_id,
            jt.c.name,
            jt.c.symbol,
            jg.c.name,
            jg.c.symbol,
            mp.c.platform,
            oc.c.options,
            tcm.c.task_id,
            tcm.c.retry_id,
            classified.label("classified"),
        )  # fmt: skip
        .select_from(
            j.join(jt, jt.c.id == j.c.job_type_id)
            .join(jg, jg.c.id == j.c.job_group_id)
            .join(mp, mp.c.id == j.c.machine_platform_id)
            .join(oc, oc.c.id == j.c.option_collection_id)
            .outerjoin(tcm, tcm.c.job_id == j.c.id)
        )
        .where(j.c.push_id == push_id, j.c.tier <= 2)
        .order_by(j.c.id)
    ).all()
    kinds = {"tests": KindHealth("testfailed"), "builds": KindHealth("busted"), "lint": KindHealth("testfailed")}
    for row in rows:
        job = {
            "id": row[0], "result": row[1], "state": row[2], "tier": row[3], "failure_classification_id": row[4],
            "push_id": row[5], "job_type_name": row[6], "job_type_symbol": row[7], "job_group_name": row[8],
            "job_group_symbol": row[9], "platform": row[10], "platform_option": row[11], "task_id": row[12],
            "retry_id": row[13], "classified": bool(row[14]),
        }  # fmt: skip
        kinds[_kind(row[6], row[7], row[10])].jobs.append(job)
    failed_ids = [job["id"] for job in kinds["tests"].jobs if job["result"] == "testfailed"]
    failing_tests: dict[int, list[str]] = defaultdict(list)
    if failed_ids:
        fl = t.failure_line
        for job_id, test in conn.execute(
            select(fl.c.job_id, fl.c.test)
            .where(fl.c.job_id.in_(failed_ids), fl.c.action == "test_result", fl.c.test.is_not(None))
            .order_by(fl.c.job_id, fl.c.line)
        ):
            if test not in failing_tests[job_id]:
                failing_tests[job_id].append(test)
    return PushHealth(
        push_id=push_id,
        tests=kinds["tests"],
        builds=kinds["builds"],
        lint=kinds["lint"],
        status=pushquery.push_status(conn, push_id),
        failing_tests=dict(failing_tests),
    )


def commit_history(conn: Connection, push_row: Any, repository_id: int) -> dict[str, Any]:
    """The push's commits and its parent push (the previous push of the repository)."""
    p = t.push
    parent = conn.execute(
        pushquery.push_select()
        .where(
            p.c.repository_id == repository_id,
            or_(
                p.c.push_timestamp < push_row.push_timestamp,
                (p.c.push_timestamp == push_row.push_timestamp) & (p.c.id < push_row.id),
            ),
        )
        .order_by(p.c.push_timestamp.desc(), p.c.id.desc())
        .limit(1)
    ).first()
    current = pushquery.push_objects(conn, [push_row])[0]
    return {
        "parentSha": parent.revision if parent else None,
        "exactMatch": parent is not None,
        "parentPushRevision": parent.revision if parent else None,
        "id": parent.id if parent else None,
        "jobCounts": pushquery.push_status(conn, parent.id) if parent else None,
        "revisions": current["revisions"],
        "revisionCount": current["revision_count"],
        "currentPush": current,
    }
