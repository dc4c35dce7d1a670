"""The UI's pages and assets: served with a strict CSP, scripts only as external modules, `/` to a repository."""

from __future__ import annotations

import re

import pytest

from tests import factories
from treeherder.ingest.parse import parse_push_collection
from treeherder.web.routes import WEB_DIR

PAGES = ("/jobs?repo=autoland", "/logviewer?repo=autoland&job_id=1", "/perf/graphs?repo=autoland", "/perf/alerts")


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_a_strict_csp_and_no_inline_script(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "unsafe-inline" not in csp
    html = page.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "each page loads its module"
    for attributes, body in scripts:
        assert 'type="module"' in attributes and 'src="/static/js/' in attributes
        assert body.strip() == ""
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert not re.search(r"\sstyle\s*=", html), "no inline styles (CSP style-src 'self')"


def test_static_assets_and_no_inline_handlers_in_scripts(client):
    for path in sorted((WEB_DIR / "static").rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(WEB_DIR / "static").as_posix()
        response = client.get(f"/static/{relative}")
        assert response.status_code == 200, relative
        assert response.headers["cache-control"] == "no-cache"
        if path.suffix == ".js":
            assert "javascript" in response.headers["content-type"]
            source = path.read_text()
            # Markup built in scripts must not carry handlers or inline styles either (the CSP would block them).
            assert not re.search(r"<[a-z][^>]*\son[a-z]+=", source), relative
            assert not re.search(r"<[a-z][^>]*\sstyle=", source), relative
            assert "eval(" not in source and "new Function" not in source, relative
    assert client.get("/static/../routes.py").status_code == 404


def test_root_redirects_to_a_repository_with_pushes(client, ingestor):
    # No pushes anywhere: the first active repository.
    first = client.get("/", follow_redirects=False)
    assert first.status_code == 302 and first.headers["location"] == "/jobs?repo=mozilla-central"
    ingestor.store_pushes("try", parse_push_collection([factories.push(1)]))
    assert client.get("/", follow_redirects=False).headers["location"] == "/jobs?repo=try"
    ingestor.store_pushes("autoland", parse_push_collection([factories.push(2)]))
    assert client.get("/", follow_redirects=False).headers["location"] == "/jobs?repo=autoland"
