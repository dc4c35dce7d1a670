"""Sheriffing in a real browser: sign in, classify two failures with a bug number from the jobs view (keyboard),
see them classified after a reload, and read the intermittent failures page with its chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from treeherder.auth.users import create_user
from treeherder.db import tables as t

pytestmark = pytest.mark.browser

REPO = "autoland"
EMAIL = "sheriff@example.org"
PASSWORD = "sheriff password 1"
BUG = 1234567


@pytest.fixture(scope="module")
def sheriff(ui_server):
    return create_user(ui_server.db, EMAIL, PASSWORD, sheriff=True)


def _sign_in(page, ui_server) -> None:
    page.goto(f"{ui_server.url}/login?next=/jobs?repo={REPO}")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#login-email", EMAIL)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs\?repo="))
    page.wait_for_selector("section.push .jb")


def test_wrong_password_shows_the_refusal(page, ui_server, sheriff):
    page.goto(f"{ui_server.url}/login")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#login-email", EMAIL)
    page.fill("#login-password", "not the password")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "Invalid email or password" in page.text_content("#login-error")


def test_sheriff_classifies_two_failures_and_sees_them_after_reload(page, ui_server, sheriff, output_dir):
    _sign_in(page, ui_server)
    page.wait_for_selector(".login-link.signed-in")
    assert page.text_content(".login-link") == EMAIL  # the top bar says who is signed in
    unclassified = page.eval_on_selector_all(".jb.unclassified", "els => els.map(e => Number(e.dataset.id))")
    assert len(unclassified) >= 2
    # j selects the next unclassified failure, space pins it; c opens the classification form for the pinned jobs.
    page.keyboard.press("j")
    page.keyboard.press(" ")
    page.keyboard.press("j")
    page.keyboard.press(" ")
    assert page.eval_on_selector_all(".jb.pinned", "els => els.map(e => Number(e.dataset.id))") == unclassified[:2]
    page.keyboard.press("c")
    page.wait_for_selector("#classify-form:not([hidden])")
    assert page.input_value("#classify-classification") == "4"  # intermittent
    page.fill("#classify-bug", str(BUG))
    page.click("#classify-save")
    page.wait_for_selector("#classify-form[hidden]", state="attached")
    for job_id in unclassified[:2]:
        page.wait_for_selector(f'.jb.classified[data-id="{job_id}"]')
    page.screenshot(path=str(output_dir / "sheriff-classified.png"))

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    for job_id in unclassified[:2]:
        assert "classified" in page.get_attribute(f'.jb[data-id="{job_id}"]', "class").split()
    # u shows unclassified failures only: the two are gone from the view.
    page.keyboard.press("u")
    assert page.locator(f'.jb[data-id="{unclassified[0]}"]').count() == 0
    assert "unclassified=1" in page.evaluate("() => window.location.search")
    with ui_server.db.read() as conn:
        links = conn.execute(
            select(t.bug_job_map.c.job_id, t.bug_job_map.c.bug_id, t.bug_job_map.c.who)
            .where(t.bug_job_map.c.job_id.in_(unclassified[:2]))
            .order_by(t.bug_job_map.c.job_id)
        ).all()
        classes = conn.execute(
            select(t.job.c.failure_classification_id).where(t.job.c.id.in_(unclassified[:2]))
        ).scalars().all()
    assert [tuple(link) for link in links] == [(job_id, BUG, EMAIL) for job_id in sorted(unclassified[:2])]
    assert classes == [4, 4]

    # The intermittent failures page counts them, draws failures and pushes per day, and lists them per bug.
    today = datetime.now(UTC).date()
    query = f"startday={(today - timedelta(days=60)).isoformat()}&endday={today.isoformat()}&tree={REPO}"
    page.goto(f"{ui_server.url}/intermittent-failures?{query}")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#failures-chart path.series-line").count() == 2
    assert page.text_content(f'#failures-body tr[data-bug="{BUG}"] .bug-count') == "2"
    page.screenshot(path=str(output_dir / "intermittent-failures.png"))
    page.click(f'#failures-body tr[data-bug="{BUG}"] a.bug-link')
    page.wait_for_selector("#failures-body tr[data-job]")
    shown = page.eval_on_selector_all("#failures-body tr[data-job]", "els => els.map(e => Number(e.dataset.job))")
    assert sorted(shown) == sorted(unclassified[:2])
    assert page.locator("#failures-body a.log-link").count() == 2
