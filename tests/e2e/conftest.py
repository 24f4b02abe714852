"""Real-browser fixtures: a live server on 127.0.0.1 (its own database, the demo organisation) and
Debian's Chromium driven by Playwright. In CI a missing browser is a failure, never a skip."""
from __future__ import annotations

import os
import shutil
import sys
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from server import demo as demo_data
from server.database import write_intent
from server.extensions import db
from tests.conftest import make_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", "--no-first-run"]
AXE = Path(__file__).with_name("axe.min.js").read_text()
# Generous, for a loaded 2-core CI machine; a passing step never waits for it. Waiting
# assertions (expect) get the same budget as locator waits.
TIMEOUT_MS = 45_000
expect.set_options(timeout=TIMEOUT_MS)


class LiveServer:
    """The app served on a free port, one thread per connection (as a browser keeps several open).

    Closing it waits for the requests in the app and answers any later one (a browser keeps its
    connections alive, and a page or service worker may still call after the test) with 503 without
    reaching the app. Only then may the database engine be disposed: a request still running would
    otherwise check a connection out of the disposed pool and leave it open."""

    def __init__(self, app):
        self.app = app
        self._idle = threading.Condition()
        self._in_flight = {}
        self._closing = False
        self.server = make_server("127.0.0.1", 0, self._serve, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _serve(self, environ, start_response):
        with self._idle:
            if self._closing:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Connection", "close")])
                return [b"The test server is closing."]
            key = object()
            self._in_flight[key] = (f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}", threading.get_ident())
        try:
            # Flask has ended the request's app context (and returned its database connection)
            # when this returns; only the body's bytes are left to send. Those are not waited for:
            # the server skips closing the body when the client has gone.
            return self.app(environ, start_response)
        finally:
            with self._idle:
                del self._in_flight[key]
                self._idle.notify_all()

    def __enter__(self):
        self.thread.start()
        return self

    @contextmanager
    def writing(self):
        """An app context for a test that changes the database while the server runs. On SQLite its
        transaction begins IMMEDIATE, as the app's own writes do: a deferred one that read first
        fails at once ("database is locked") if the server wrote in between, whatever the timeout."""
        with write_intent(), self.app.app_context():
            yield

    def __exit__(self, *exc):
        with self._idle:
            self._closing = True
        self.server.shutdown()
        self.thread.join(5)
        with self._idle:
            if not self._idle.wait_for(lambda: not self._in_flight, timeout=30):
                frames = sys._current_frames()
                raise RuntimeError("still running 30 s after the test ended:\n" + "\n".join(
                    f"{request}\n{''.join(traceback.format_stack(frames[ident])) if ident in frames else ''}"
                    for request, ident in self._in_flight.values()))
        self.server.server_close()


@pytest.fixture
def live(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=False)
    with app.app_context():
        demo_data.load()
        db.session.commit()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install Debian's chromium package (the browser tests need it).")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def context(browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB", service_workers="allow")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page, live, email, password="demo-password"):
    page.goto(live.url + "/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def axe_violations(page, impacts=("serious", "critical")):
    """Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the current page."""
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;true")
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]



_IDB = """const db = await new Promise((ok, fail) => { const r = indexedDB.open('tandem'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
    const ask = (store, op, ...args) => new Promise((ok, fail) => {
        const q = db.transaction(store).objectStore(store)[op](...args); q.onsuccess = () => ok(q.result); q.onerror = fail; });"""


def phone_storage(page):
    """How many rows each IndexedDB store on the phone holds: {"people": 3, "outbox": 0, ...}."""
    return page.evaluate("async () => { " + _IDB + """
        const out = {};
        for (const name of db.objectStoreNames) out[name] = await ask(name, 'count');
        db.close();
        return out;
    }""")


def phone_meta(page, key):
    """One value from the phone's `meta` store (None when absent)."""
    return page.evaluate("async (key) => { " + _IDB + """
        const value = await ask('meta', 'get', key);
        db.close();
        return value ?? null;
    }""", key)


def phone_records(page, store):
    """Every record in one IndexedDB store on the phone."""
    return page.evaluate("async (store) => { " + _IDB + """
        const rows = await ask(store, 'getAll');
        db.close();
        return rows;
    }""", store)
