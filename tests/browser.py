"""Headless Chromium for tests that look at a page as a person would (dbt docs, the report card).

Debian's `chromium` package (`.ci/run` installs it when missing) driven by Playwright's Python
package; `playwright install` is never run (it downloads its own browsers). Use in a test module:

    from tests.browser import browser_page  # noqa: F401  (pytest fixture)

    def test_x(browser_page):
        browser_page.goto(path.as_uri())
        ...
        assert browser_page.console_errors == []

`browser_page.console_errors` collects console errors and uncaught page errors, so a test can fail on them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("BPO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture
def browser_page():
    """A fresh Playwright page in Debian's headless chromium, closed after the test."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.console_errors = []
            page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            yield page
        finally:
            browser.close()
