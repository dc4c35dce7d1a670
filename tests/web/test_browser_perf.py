"""The performance graphs and alerts views in a real browser, on the sample data's performance series."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import UIServer, page_location
from treeherder.db import tables as t
from treeherder.perf.generate import generate_alerts
from treeherder.sample import DatasetSize

pytestmark = pytest.mark.browser

REPO = "autoland"


@pytest.fixture(scope="module")
def alerted_signature(ui_server: UIServer) -> dict:
    """Run regression detection over autoland's series as of a day after the sample pushes; one alerted series."""
    size = DatasetSize()
    now = size.first_push_time(30) + 30 * size.push_interval + 86400
    with ui_server.db.read() as conn:
        repo_id = conn.execute(select(t.repository.c.id).where(t.repository.c.name == REPO)).scalar_one()
        signature_ids = conn.execute(
            select(t.performance_signature.c.id).where(t.performance_signature.c.repository_id == repo_id)
        ).scalars().all()
    for signature_id in signature_ids:
        generate_alerts(ui_server.db, signature_id, now=now)
    a, s, sig = t.performance_alert, t.performance_alert_summary, t.performance_signature
    with ui_server.db.read() as conn:
        row = conn.execute(
            select(a.c.id, a.c.series_signature_id, a.c.is_regression, s.c.id.label("summary_id"), sig.c.framework_id)
            .join(s, s.c.id == a.c.summary_id)
            .join(sig, sig.c.id == a.c.series_signature_id)
            .where(s.c.repository_id == repo_id, sig.c.suite == "tp5o", sig.c.test == "")
            .order_by(a.c.id)
            .limit(1)
        ).one()
        summaries = conn.execute(select(s.c.id).where(s.c.repository_id == repo_id)).scalars().all()
    assert row.is_regression  # tp5o (lower is better) steps up in the sample data
    return {"alert": row.id, "signature": row.series_signature_id, "summary": row.summary_id,
            "framework": row.framework_id, "summaries": summaries}  # fmt: skip


def test_graph_shows_the_series_with_its_alert(page, ui_server, alerted_signature, output_dir):
    sig = alerted_signature["signature"]
    page.goto(f"{ui_server.url}/perf/graphs?repo={REPO}&series={sig}")
    page.wait_for_selector("body[data-ready=true]")
    with ui_server.db.read() as conn:
        points = conn.execute(
            select(t.performance_datum.c.id).where(t.performance_datum.c.signature_id == sig)
        ).all()
    assert page.locator(f'#chart path.series-line[data-series="{sig}"]').count() == 1
    assert page.locator("#chart circle.point").count() == len(points)
    marker = page.locator(f'#chart .alert-marker[data-alert-id="{alerted_signature["alert"]}"]')
    assert marker.count() == 1 and "regression" in marker.get_attribute("class")
    # The framework of the series is picked, and its signatures are listed with this one ticked.
    assert page.input_value("#framework-select") == str(alerted_signature["framework"])
    assert page.is_checked(f'#signature-list input[value="{sig}"]')
    assert "1 alert" in page.inner_text("#series-legend")

    # Clicking the alert pins a tooltip that links to the push and the alert summary.
    marker.click()
    tooltip = page.locator("#chart-tooltip")
    tooltip.wait_for()
    assert "Regression" in tooltip.inner_text()
    assert f"revision=" in tooltip.locator("a").first.get_attribute("href")
    assert tooltip.locator(f'a[href*="id={alerted_signature["summary"]}"]').count() == 1
    page.screenshot(path=str(output_dir / "perf-graph.png"))

    # Drag across the left half of the plot: zoom in, then reset.
    box = page.locator("#chart svg").bounding_box()
    page.keyboard.press("Escape")
    page.mouse.move(box["x"] + 80, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 150, steps=5)
    page.mouse.up()
    assert "zoom=" in page_location(page)
    assert 0 < page.locator("#chart circle.point").count() < len(points)
    page.click("#zoom-reset")
    assert page.locator("#chart circle.point").count() == len(points)
    assert "zoom=" not in page_location(page)


def test_alerts_view_lists_summaries_with_magnitude_and_confidence(page, ui_server, alerted_signature, output_dir):
    page.goto(f"{ui_server.url}/perf/alerts?repo={REPO}")
    page.wait_for_selector("body[data-ready=true]")
    shown = [int(x) for x in page.eval_on_selector_all(".alert-summary", "els => els.map(e => e.dataset.summaryId)")]
    assert sorted(shown) == sorted(alerted_signature["summaries"])
    row = page.locator(f'.alert-row[data-alert-id="{alerted_signature["alert"]}"]')
    cells = row.locator("td").all_inner_texts()
    with ui_server.db.read() as conn:
        alert = conn.execute(select(t.performance_alert).where(t.performance_alert.c.id == alerted_signature["alert"])).one()
    assert cells[2] == "regression"
    assert cells[3] == f"{alert.amount_pct:.2f}%"
    assert float(cells[5]) == pytest.approx(alert.t_value, abs=0.01)
    assert row.locator("a").get_attribute("href").endswith(f"series={alerted_signature['signature']}")
    page.screenshot(path=str(output_dir / "perf-alerts.png"))

    # Status filter: nothing is fixed yet.
    page.select_option("#alert-status", "7")
    page.wait_for_function("() => document.querySelectorAll('.alert-summary').length === 0")
    assert "status=7" in page_location(page)
