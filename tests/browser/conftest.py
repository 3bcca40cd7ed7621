"""Browser journeys: pytest-django's ``live_server`` + Playwright (sync API) driving the
Debian ``chromium`` headless. Never ``playwright install``: the browser is the system one.

Every page is watched: a request to any host other than the live server, or any console
error (a CSP violation, a missing file, an htmx error all show up as one), fails the test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("YIYANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TIMEOUT_MS = 10_000
_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@pytest.fixture(scope="session")
def browser():
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        # A missing browser is a failure, not a skip: `make test` installs it (scripts/system-deps.sh).
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk")
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    # Playwright's sync API parks an asyncio loop in this thread for as long as it runs, and
    # Django then refuses ORM calls from "an async context" although every caller here is
    # plain synchronous code. Allow them exactly while the loop is there.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageWatch:
    """What a page did that it must not: requests to other hosts, console errors, uncaught
    exceptions."""

    def __init__(self, base_url: str):
        self.origin = urlsplit(base_url).netloc
        self.foreign: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.allowed: list[tuple[int, str]] = []

    def allow_status(self, status: int, path: str) -> None:
        """An answer the journey provokes on purpose (a form sent back with its errors as a
        400, a reveal without a reason as a 422): Chromium logs those as console errors too."""
        self.allowed.append((status, path))

    def on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.origin:
            self.foreign.append(request.url)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        m = _FAILED_LOAD.match(message.text)
        if m and (int(m.group(1)), urlsplit(url).path) in self.allowed:
            return
        self.console_errors.append(f"{message.text} @ {url}")

    def on_pageerror(self, error) -> None:
        self.page_errors.append(str(error))

    def check(self) -> None:
        assert not self.foreign, f"requests to other hosts: {self.foreign}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"uncaught page errors: {self.page_errors}"


@pytest.fixture
def page_factory(browser, live_server, request):
    """``page_factory("phone")`` → a fresh page with its own cookies at that viewport. Its
    watch is checked when the test ends (``check_pages`` does it inside the test)."""
    opened = []

    def make(viewport: str = "phone"):
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.watch = PageWatch(live_server.url)
        page.viewport_name = viewport
        page.on("request", page.watch.on_request)
        page.on("console", page.watch.on_console)
        page.on("pageerror", page.watch.on_pageerror)
        opened.append((context, page))
        return page

    request.node.browser_pages = opened
    yield make
    for context, page in opened:
        if getattr(request.node, "failed_call", False):
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
            except Exception:  # noqa: BLE001, S110 - best effort, the test already failed
                pass
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """After a browser test's own steps pass, its pages' watches must be clean too — checked
    inside the call so that a stray request or console error fails the test itself."""
    result = yield
    for _context, page in getattr(pyfuncitem, "browser_pages", []):
        page.watch.check()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report


def screenshot(page, name: str) -> None:
    """Save full-page PNGs of what the page shows now, at phone and at desktop width, under
    test-artifacts/ for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    current = page.viewport_name
    for viewport in (current, *(v for v in VIEWPORTS if v != current)):
        if viewport != current:
            page.set_viewport_size(VIEWPORTS[viewport])
        page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport}.png"), full_page=True)
    page.set_viewport_size(VIEWPORTS[current])


SHIPPED_DATA = (
    "yiyang.elders.migrations.0002_default_categories",
    "yiyang.surveys.migrations.0002_default_questionnaire",
    "yiyang.entitlements.migrations.0002_default_benefits",
)


@pytest.fixture
def shipped_data(transactional_db):
    """The data the migrations ship (categories, questionnaire v1, benefit rules). A
    transactional test's flush empties those tables for the tests after it, so put them back
    the way the migrations do (each is idempotent)."""
    import importlib

    from django.apps import apps

    for module in SHIPPED_DATA:
        importlib.import_module(module).forwards(apps, None)
