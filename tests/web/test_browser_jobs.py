"""The jobs view, the job details panel and the log viewer in a real browser, on the bundled sample data."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import insert, select

from tests.web.conftest import UIServer, page_location
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.logs.fetch import FetchOptions
from treeherder.logs.service import LogParsingService
from treeherder.sample import PLATFORMS

pytestmark = pytest.mark.browser

REPO = "autoland"
# The colours users know (CSS custom properties of the stylesheet), as the browser computes them.
GREEN, ORANGE, RED = "rgb(36, 138, 43)", "rgb(224, 112, 0)", "rgb(212, 32, 32)"
FAILED = ("testfailed", "busted", "exception")


def _newest_push_ids(ui: UIServer, repo: str, count: int = 10) -> list[int]:
    with ui.db.read() as conn:
        repo_id = conn.execute(select(t.repository.c.id).where(t.repository.c.name == repo)).scalar_one()
        return conn.execute(
            select(t.push.c.id).where(t.push.c.repository_id == repo_id).order_by(t.push.c.push_timestamp.desc()).limit(count)
        ).scalars().all()


def _status(state: str, result: str) -> str:
    return result if state == "completed" else state


@pytest.fixture(scope="module")
def failed_job(ui_server: UIServer) -> dict:
    """A failed job on the first page whose log (mochitest-fail) is parsed, with a bug that matches its error."""
    pushes = _newest_push_ids(ui_server, REPO)
    j, log = t.job, t.job_log
    with ui_server.db.read() as conn:
        row = conn.execute(
            select(j.c.id, log.c.id.label("log_id"))
            .join(log, log.c.job_id == j.c.id)
            .where(j.c.push_id.in_(pushes), j.c.result == "testfailed", j.c.tier == 1, log.c.url.like("%/mochitest-fail.log.gz"))
            .order_by(j.c.id)
            .limit(1)
        ).one()
    report = LogParsingService(ui_server.db, FetchOptions(allowlist=("127.0.0.1",))).parse(row.log_id)
    assert report.status == "parsed" and report.error_lines == 1
    with ui_server.db.write() as conn:
        conn.execute(
            insert(t.bugscache),
            [
                {
                    "bugzilla_id": 1_944_222,
                    "status": "NEW",
                    "resolution": "",
                    "summary": "Intermittent devtools/client/webconsole/test/browser/browser_console_enable_network_monitoring.js | A promise chain failed to handle a rejection",
                    "keywords": "intermittent-failure",
                    "modified": datetime(2026, 1, 1),
                }
            ],
        )
        line_number = conn.execute(select(t.text_log_error.c.line_number).where(t.text_log_error.c.job_id == row.id)).scalar_one()
    return {"id": row.id, "line_number": line_number, "bug": 1_944_222}


def _open_jobs(page, ui: UIServer, query: str = "") -> None:
    page.goto(f"{ui.url}/jobs?repo={REPO}{query}")
    page.wait_for_selector("body[data-ready=true]")


def test_jobs_view_shows_pushes_rows_and_coloured_jobs(page, ui_server, output_dir):
    _open_jobs(page, ui_server)
    pushes = _newest_push_ids(ui_server, REPO)
    shown = [int(x) for x in page.eval_on_selector_all("section.push", "els => els.map(e => e.dataset.pushId)")]
    assert shown == pushes  # newest first, 10 of them

    with ui_server.db.read() as conn:
        rows = conn.execute(
            select(t.job.c.id, t.job.c.push_id, t.job.c.state, t.job.c.result, t.job.c.tier).where(t.job.c.push_id.in_(pushes))
        ).all()
    visible = {row.id: _status(row.state, row.result) for row in rows if row.tier in (1, 2)}
    buttons = page.eval_on_selector_all(".jb", "els => els.map(e => [Number(e.dataset.id), e.className])")
    assert {job_id for job_id, _ in buttons} == set(visible)  # tier 3 hidden by default
    for job_id, classes in buttons:
        assert f"r-{visible[job_id]}" in classes.split()

    # Each push lists its commits, links to the repository, and counts its jobs by result.
    first = page.locator(f'section.push[data-push-id="{pushes[0]}"]')
    assert first.locator(".revisions li").count() >= 1
    assert first.locator("a.push-rev").get_attribute("href").startswith("https://hg.mozilla.org/integration/autoland/rev/")
    counts = {}
    for row in rows:
        if row.push_id == pushes[0]:
            status = _status(row.state, row.result)
            counts[status] = counts.get(status, 0) + 1
    for status, n in counts.items():
        assert first.locator(f".push-counts .count.r-{status}").inner_text() == f"{status} {n}"
    assert first.locator(".platform-row").count() > 10
    assert "Linux x64" in first.locator(".platform-row .platform").all_inner_texts()[0:40].__str__()

    colour = "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    assert page.eval_on_selector(".jb.r-success", colour)[0] == GREEN
    assert page.eval_on_selector(".jb.r-testfailed", colour)[1] == ORANGE
    assert page.eval_on_selector(".jb.r-busted", colour)[1] == RED
    assert page.locator(".jb.tier2").count() > 0
    page.screenshot(path=str(output_dir / "jobs-view.png"))


def test_failed_job_details_and_its_log_at_the_error_line(page, ui_server, failed_job, output_dir):
    _open_jobs(page, ui_server)
    page.click(f'.jb[data-id="{failed_job["id"]}"]')
    assert f"job={failed_job['id']}" in page_location(page)
    summary = page.locator("#details .failure-summary .error-item").first
    summary.wait_for()
    assert "TEST-UNEXPECTED-FAIL" in summary.locator(".error-line").inner_text()
    assert "browser_console_enable_network_monitoring.js" in summary.inner_text()
    bug = summary.locator(".bug").first
    assert str(failed_job["bug"]) in bug.inner_text()
    assert bug.locator("a").get_attribute("href").endswith(f"id={failed_job['bug']}")
    details = page.locator("#details [data-section=summary]").inner_text()
    assert "testfailed" in details and "Machine" in details
    page.locator("#details [data-section=info] .job-info").wait_for()
    page.screenshot(path=str(output_dir / "job-details.png"))

    # From the error in the summary to its line in the log viewer.
    page.click("#details .error-line-link")
    page.wait_for_selector("body[data-ready=true]")
    target = page.locator(f'.log-line.selected[data-line="{failed_job["line_number"]}"]')
    target.wait_for()
    assert "error" in target.get_attribute("class").split()
    assert "TEST-UNEXPECTED-FAIL" in target.inner_text()
    assert target.locator(".ln").inner_text() == str(failed_job["line_number"] + 1)
    assert target.is_visible()
    assert page.locator(".log-errors li").count() == 1
    page.screenshot(path=str(output_dir / "log-viewer.png"))

    # Far away and back: virtual scrolling keeps only the lines in view in the page.
    assert page.locator(".log-line").count() < 200
    page.fill("#log-goto", "1")
    page.dispatch_event("#log-goto", "change")
    page.locator('.log-line.selected[data-line="0"]').wait_for()
    page.click(".log-errors .error-jump")
    page.locator(f'.log-line.selected[data-line="{failed_job["line_number"]}"]').wait_for()


def test_keyboard_moves_between_unclassified_failures_and_opens_the_log(page, ui_server, failed_job):
    _open_jobs(page, ui_server)
    unclassified = page.eval_on_selector_all(".jb.unclassified", "els => els.map(e => Number(e.dataset.id))")
    assert len(unclassified) >= 2
    page.keyboard.press("j")
    assert page.eval_on_selector(".jb.selected", "e => Number(e.dataset.id)") == unclassified[0]
    page.keyboard.press("j")
    assert page.eval_on_selector(".jb.selected", "e => Number(e.dataset.id)") == unclassified[1]
    page.keyboard.press("k")
    assert page.eval_on_selector(".jb.selected", "e => Number(e.dataset.id)") == unclassified[0]
    # Escape closes the details; k from nothing wraps to the last failure, far down the page, and scrolls it into
    # sight: below the top bar, above the details panel.
    page.keyboard.press("Escape")
    assert page.locator("#details").is_hidden() and page.locator(".jb.selected").count() == 0
    page.keyboard.press("k")
    assert page.eval_on_selector(".jb.selected", "e => Number(e.dataset.id)") == unclassified[-1]
    assert page.evaluate("() => window.scrollY") > 500
    top, bottom, panel, bar = page.evaluate(
        "() => { const r = document.querySelector('.jb.selected').getBoundingClientRect();"
        " return [r.top, r.bottom, document.getElementById('details').getBoundingClientRect().top,"
        " document.querySelector('.topbar').getBoundingClientRect().bottom]; }"
    )
    assert bar <= top and bottom <= panel
    page.click(f'.jb[data-id="{failed_job["id"]}"]')
    page.keyboard.press("l")
    page.wait_for_url(re.compile(r"/logviewer\?"))
    page.wait_for_selector("body[data-ready=true]")
    page.locator(f'.log-line.selected[data-line="{failed_job["line_number"]}"]').wait_for()


def test_filters_narrow_the_view_and_live_in_the_url(page, ui_server, output_dir):
    _open_jobs(page, ui_server)
    page.click("#filter-failures")
    classes = page.eval_on_selector_all(".jb", "els => els.map(e => e.className)")
    assert classes and all(any(f"r-{r}" in c.split() for r in FAILED) for c in classes)
    assert "result=testfailed%2Cbusted%2Cexception" in page_location(page) or "result=testfailed,busted,exception" in page_location(page)
    page.screenshot(path=str(output_dir / "jobs-failures-only.png"))

    # The URL alone reproduces the view.
    shared = page_location(page)
    page.goto("about:blank")
    page.goto(shared)
    page.wait_for_selector("body[data-ready=true]")
    assert page.eval_on_selector_all(".jb", "els => els.map(e => e.className)") == classes
    assert page.is_checked("#filters input[value=testfailed]") and not page.is_checked("#filters input[value=success]")

    page.click("#filter-reset")
    page.fill("#filter-text", "wpt")
    page.wait_for_function("() => [...document.querySelectorAll('.jb')].every(e => e.title.includes('web-platform-tests'))")
    assert "filter=wpt" in page_location(page)
    page.fill("#filter-text", "")
    page.check("#filter-unclassified")
    unclassified = page.eval_on_selector_all(".jb", "els => els.map(e => e.className)")
    assert unclassified and all("unclassified" in c.split() for c in unclassified)
    assert "unclassified=1" in page_location(page)
    page.uncheck("#filter-unclassified")
    page.check("#filters input[name=tier][value='3']")
    assert page.locator(".jb.tier3").count() > 0
    assert "tier=1%2C2%2C3" in page_location(page) or "tier=1,2,3" in page_location(page)


def test_new_jobs_and_state_changes_appear_without_reload(page, ui_server):
    push_id = _newest_push_ids(ui_server, REPO, 1)[0]
    with ui_server.db.read() as conn:
        revision = conn.execute(select(t.push.c.revision).where(t.push.c.id == push_id)).scalar_one()
        pending = conn.execute(
            select(t.job.c.guid, t.job.c.id).where(t.job.c.push_id == push_id, t.job.c.state == "pending", t.job.c.tier == 1).limit(1)
        ).one()
    page.goto(f"{ui_server.url}/jobs?repo={REPO}&poll=500")
    page.wait_for_selector("body[data-ready=true]")
    page.evaluate("() => { window.notReloaded = true; }")
    assert "r-pending" in page.get_attribute(f'.jb[data-id="{pending.id}"]', "class")

    new_job = {
        "project": REPO,
        "revision": revision,
        "job": {
            "job_guid": "ui-test-new-job/0", "name": "test-linux64/opt-ui-added", "job_symbol": "uiX", "group_name": "UI",
            "group_symbol": "U", "build_platform": {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"},
            "machine_platform": {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"},
            "option_collection": {"opt": True}, "state": "completed", "result": "busted", "submit_timestamp": 1_764_100_000,
            "start_timestamp": 1_764_100_100, "end_timestamp": 1_764_100_700, "machine": "m1", "who": "ui@example.org",
            "reason": "scheduled", "product_name": "firefox", "build_system_type": "taskcluster",
        },
    }  # fmt: skip
    finished = {
        "project": REPO,
        "revision": revision,
        "job": {**new_job["job"], "job_guid": pending.guid, "state": "completed", "result": "testfailed"},
    }
    stored = ui_server.ingestor.store_jobs(REPO, parse_job_collection([new_job]))
    new_id = stored.job_ids["ui-test-new-job/0"]
    page.locator(f'.jb.r-busted[data-id="{new_id}"]').wait_for(timeout=10_000)
    ui_server.ingestor.store_jobs(REPO, parse_job_collection([finished]))
    page.locator(f'.jb.r-testfailed[data-id="{pending.id}"]').wait_for(timeout=10_000)

    # A new push goes on top, with its jobs.
    with ui_server.db.read() as conn:
        newest = conn.execute(select(t.push.c.push_timestamp).where(t.push.c.id == push_id)).scalar_one()
    newer = {
        "revision": "8" * 40,
        "author": "new@example.org",
        "push_timestamp": newest + 600,
        "revisions": [{"revision": "8" * 40, "author": "New <new@example.org>", "comment": "Bug 2 - a push made while watching"}],
    }
    new_push_id = ui_server.ingestor.store_pushes(REPO, parse_push_collection([newer]))["8" * 40]
    on_new_push = {"project": REPO, "revision": "8" * 40, "job": {**new_job["job"], "job_guid": "ui-test-on-new-push/0", "state": "running", "result": "unknown"}}
    running_id = ui_server.ingestor.store_jobs(REPO, parse_job_collection([on_new_push])).job_ids["ui-test-on-new-push/0"]
    page.locator(f'section.push[data-push-id="{new_push_id}"] .jb.r-running[data-id="{running_id}"]').wait_for(timeout=10_000)
    assert page.eval_on_selector("section.push", "e => Number(e.dataset.pushId)") == new_push_id
    assert page.evaluate("() => window.notReloaded") is True


def _big_push_jobs(revision: str, count: int) -> list[dict]:
    """`count` jobs spread over 30 platform rows and 10 groups, with a realistic mix of states and results."""
    rows = [(platform, os_name, arch, options[0]) for platform, os_name, arch, option_sets in PLATFORMS for options in option_sets]
    results = ["success"] * 90 + ["testfailed"] * 4 + ["busted", "exception", "retry", "usercancel"]
    jobs = []
    for n in range(count):
        platform, os_name, arch, option = rows[n % len(rows)]
        per_row = n // len(rows)
        group = per_row % 10
        state = "running" if n % 37 == 0 else "pending" if n % 53 == 0 else "completed"
        machine = {"platform": platform, "os_name": os_name, "architecture": arch}
        jobs.append({
            "project": "mozilla-release",
            "revision": revision,
            "job": {
                "job_guid": f"big-push-{n}/0", "name": f"test-{platform}/{option}-suite{group}-{per_row}",
                "job_symbol": str(per_row), "group_name": f"Suite {group}", "group_symbol": f"S{group}",
                "build_platform": machine, "machine_platform": machine, "option_collection": {option: True},
                "state": state, "result": results[n % len(results)] if state == "completed" else "unknown",
                "submit_timestamp": 1_764_200_000, "start_timestamp": 1_764_200_100 if state != "pending" else 0,
                "end_timestamp": 1_764_200_900 if state == "completed" else 0, "machine": "m", "who": "a@example.org",
                "reason": "scheduled", "product_name": "firefox", "build_system_type": "taskcluster", "tier": 1 + (n % 29 == 0),
            },
        })  # fmt: skip
    return jobs


def test_a_push_of_9000_jobs_is_interactive_within_a_second(page, ui_server, output_dir):
    push = {
        "revision": "9" * 40,
        "author": "big@example.org",
        "push_timestamp": 1_764_200_000,
        "revisions": [{"revision": "9" * 40, "author": "Big <big@example.org>", "comment": "Bug 1 - a push with 9,000 jobs"}],
    }
    ui_server.ingestor.store_pushes("mozilla-release", parse_push_collection([push]))
    jobs = _big_push_jobs(push["revision"], 9000)
    for start in range(0, len(jobs), 3000):
        ui_server.ingestor.store_jobs("mozilla-release", parse_job_collection(jobs[start : start + 3000]))

    timings = []
    for _attempt in range(3):
        page.goto(f"{ui_server.url}/jobs?repo=mozilla-release")
        page.wait_for_selector("body[data-ready=true]")
        # Interactive: the first render is done and the main thread answers a click at once.
        page.click(".jb.r-testfailed")
        timings.append(page.evaluate("() => window.treeherderTimings"))
        assert page.locator(".jb").count() == 9000
    fastest = min(timings, key=lambda timing: timing["firstRender"])
    best = fastest["firstRender"]
    runs = ", ".join(f"{timing['firstRender']:.0f}" for timing in timings)
    print(
        f"\n9,000-job push: interactive after {best:.0f} ms from navigation start (jobs fetched in "
        f"{fastest['jobsFetch']:.0f} ms, rendered in {fastest['render']:.0f} ms; runs: {runs})"
    )
    (output_dir / "jobs-9000-timing.txt").write_text(f"{best:.0f} ms\n")
    page.screenshot(path=str(output_dir / "jobs-view-9000.png"))
    assert best < 1000


def test_load_more_pages_older_pushes_and_a_revision_shows_one_push(page, ui_server):
    _open_jobs(page, ui_server)
    page.click("#load-more")
    page.wait_for_function("() => document.querySelectorAll('section.push').length === 20")
    shown = [int(x) for x in page.eval_on_selector_all("section.push", "els => els.map(e => e.dataset.pushId)")]
    assert shown == _newest_push_ids(ui_server, REPO, 20)
    # The push's date links to a view of that push alone.
    page.click(f'section.push[data-push-id="{shown[12]}"] a.push-date')
    page.wait_for_selector("body[data-ready=true]")
    assert page.eval_on_selector_all("section.push", "els => els.map(e => Number(e.dataset.pushId))") == [shown[12]]
    assert page.locator("#load-more").is_hidden()


def test_job_info_html_is_sanitised(page, ui_server):
    push_id = _newest_push_ids(ui_server, REPO, 1)[0]
    with ui_server.db.read() as conn:
        revision = conn.execute(select(t.push.c.revision).where(t.push.c.id == push_id)).scalar_one()
    hostile = [
        {"title": "markup", "value": "<b>bold</b> <img src=x onerror=\"window.pwned=1\">", "content_type": "raw_html"},
        {"title": "link", "value": "<a href=\"javascript:window.pwned=2\">click</a><script>window.pwned=3</script>", "content_type": "raw_html"},
        {"title": "plain", "value": "<not really markup", "content_type": "text"},
    ]
    datum = {
        "project": REPO,
        "revision": revision,
        "job": {
            "job_guid": "ui-test-job-info/0", "name": "test-linux64/opt-job-info", "job_symbol": "ji", "group_name": "UI",
            "group_symbol": "U", "build_platform": {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"},
            "machine_platform": {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"},
            "option_collection": {"opt": True}, "state": "completed", "result": "success", "submit_timestamp": 1_764_100_000,
            "start_timestamp": 1_764_100_100, "end_timestamp": 1_764_100_700, "machine": "m1", "who": "ui@example.org",
            "reason": "scheduled", "product_name": "firefox", "build_system_type": "taskcluster",
            "artifacts": [{"type": "json", "name": "Job Info", "blob": {"job_details": hostile}}],
        },
    }  # fmt: skip
    job_id = ui_server.ingestor.store_jobs(REPO, parse_job_collection([datum])).job_ids["ui-test-job-info/0"]
    page.goto(f"{ui_server.url}/jobs?repo={REPO}&job={job_id}")
    info = page.locator("#details [data-section=info] .job-info")
    info.wait_for()
    assert info.locator("b").inner_text() == "bold"
    assert info.locator("img, script, [onerror]").count() == 0
    link = info.locator("a", has_text="click")
    assert link.count() == 1 and link.get_attribute("href") is None
    link.click()
    assert "<not really markup" in info.inner_text()
    assert page.evaluate("() => window.pwned") is None


def test_a_large_log_opens_at_its_errors_and_scrolls_virtually(page, ui_server, log_server, shared_fixtures, output_dir):
    """build-fail: 36 MB, 138k lines, 30 error lines; only the lines in view are ever in the page."""
    (log_server.folder / "build-fail.log.gz").write_bytes((shared_fixtures / "logs" / "build-fail.log.gz").read_bytes())
    push_id = _newest_push_ids(ui_server, REPO, 1)[0]
    with ui_server.db.read() as conn:
        revision = conn.execute(select(t.push.c.revision).where(t.push.c.id == push_id)).scalar_one()
    datum = {
        "project": REPO,
        "revision": revision,
        "job": {
            "job_guid": "ui-test-big-log/0", "name": "build-win64-cross/opt", "job_symbol": "Bx", "group_name": "Build",
            "group_symbol": "?", "build_platform": {"platform": "windows11-64", "os_name": "windows", "architecture": "x86_64"},
            "machine_platform": {"platform": "windows11-64", "os_name": "windows", "architecture": "x86_64"},
            "option_collection": {"opt": True}, "state": "completed", "result": "busted", "submit_timestamp": 1_764_100_000,
            "start_timestamp": 1_764_100_100, "end_timestamp": 1_764_100_700, "machine": "m1", "who": "ui@example.org",
            "reason": "scheduled", "product_name": "firefox", "build_system_type": "taskcluster",
            "log_references": [{"name": "live_backing_log", "url": f"{log_server.url}/build-fail.log.gz", "parse_status": "pending"}],
        },
    }  # fmt: skip
    stored = ui_server.ingestor.store_jobs(REPO, parse_job_collection([datum]))
    job_id = stored.job_ids["ui-test-big-log/0"]
    report = LogParsingService(ui_server.db, FetchOptions(allowlist=("127.0.0.1",))).parse(stored.pending_logs[0][0])
    assert report.status == "parsed" and report.error_lines == 30
    with ui_server.db.read() as conn:
        lines = conn.execute(
            select(t.text_log_error.c.line_number).where(t.text_log_error.c.job_id == job_id).order_by(t.text_log_error.c.line_number)
        ).scalars().all()

    page.goto(f"{ui_server.url}/logviewer?repo={REPO}&job_id={job_id}")
    page.wait_for_selector("body[data-ready=true]")
    opened = page.evaluate("() => performance.now()")
    page.locator(f'.log-line.selected.error[data-line="{lines[0]}"]').wait_for()
    assert page.locator(".log-errors li").count() == 30
    assert "138," in page.inner_text("#log-status") or "lines" in page.inner_text("#log-status")

    # Jump to the last error: its chunk is fetched on demand and the page still holds only a screenful of lines.
    started = page.evaluate("() => performance.now()")
    page.locator(".log-errors .error-jump").last.click()
    last = page.locator(f'.log-line.selected.error[data-line="{lines[-1]}"]')
    last.wait_for()
    page.wait_for_selector('#log-lines[data-complete="true"]')
    jumped = page.evaluate("() => performance.now()") - started
    assert last.is_visible()
    assert page.locator(".log-line").count() < 200
    # Scrolling to the end renders the last line.
    page.eval_on_selector("#log-scroller", "el => { el.scrollTop = el.scrollHeight; }")
    total = int(page.eval_on_selector("#log-status", "el => el.textContent.split(' ')[0].replace(/[^0-9]/g, '')"))
    page.locator(f'.log-line[data-line="{total - 1}"]').wait_for()
    print(f"\nlog viewer, {total} lines: first screen after {opened:.0f} ms, jump to the last error in {jumped:.0f} ms")
    page.screenshot(path=str(output_dir / "log-viewer-large.png"))


def test_details_show_the_performance_data_of_a_job(page, ui_server):
    pushes = _newest_push_ids(ui_server, REPO)
    d = t.performance_datum
    with ui_server.db.read() as conn:
        job_id = conn.execute(
            select(d.c.job_id).join(t.job, t.job.c.id == d.c.job_id).where(d.c.push_id.in_(pushes), t.job.c.tier <= 2).limit(1)
        ).scalar_one()
        values = conn.execute(select(d.c.signature_id, d.c.value).where(d.c.job_id == job_id)).all()
    page.goto(f"{ui_server.url}/jobs?repo={REPO}&job={job_id}")
    table = page.locator("#details [data-section=perf] table.perf-data")
    table.wait_for()
    assert table.locator("tr").count() == len(values)
    links = table.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert sorted(links) == sorted(f"/perf/graphs?repo={REPO}&series={sig}" for sig, _ in values)
    table.locator("a").first.click()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#chart path.series-line").count() == 1


def test_details_say_when_a_failed_jobs_log_is_not_parsed_yet(page, ui_server, failed_job):
    pushes = _newest_push_ids(ui_server, REPO)
    j, log = t.job, t.job_log
    with ui_server.db.read() as conn:
        job_id, log_name = conn.execute(
            select(j.c.id, log.c.name)
            .join(log, log.c.job_id == j.c.id)
            .where(j.c.push_id.in_(pushes), j.c.result == "testfailed", log.c.status == t.LOG_STATUS_CODE["pending"])
            .limit(1)
        ).one()
    page.goto(f"{ui_server.url}/jobs?repo={REPO}&job={job_id}")
    failures = page.locator("#details [data-section=failures] .section-body")
    page.wait_for_function(
        "() => { const body = document.querySelector('#details [data-section=failures] .section-body');"
        " return body !== null && !body.textContent.includes('Loading'); }"
    )
    assert failures.inner_text() == "The log has not been parsed yet."
    # The log viewer link names the log.
    assert page.locator("#details .open-log").first.get_attribute("href").endswith(f"&log={log_name}")
