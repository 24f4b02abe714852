"""Fixtures: `app` (a fresh database per test), `client`, `api` (a client that signs in and sends
the CSRF token), `runner`, and small factories in tests/factories.py.

Which database: SQLite when TEST_DATABASE_URL is unset, PostgreSQL when it is set (`make test` runs
both passes). Either way the schema under test is the one the migrations build (`flask db upgrade`
to head, once per run), so CHECK constraints, triggers and indexes that live only in migrations are
tested on both. Between tests the data is emptied: on SQLite each test gets a copy of the migrated
template file; on PostgreSQL the tables are truncated and the rows the migrations seed are put back.
`make test` runs the browser tests and the rest side by side (scripts/test_pass.py); each part, and
under pytest-xdist each worker, has a PostgreSQL database of its own (`<name>_rest`, `<name>_gw0`, ...).
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server import create_app
from server.extensions import db

BASE_PG_URL = os.environ.get("TEST_DATABASE_URL")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PART = os.environ.get("TANDEM_TEST_PART", "")


def _worker_pg_url() -> str | None:
    if not BASE_PG_URL:
        return None
    suffix = "_".join(s for s in (PART, WORKER) if s)
    if not suffix:
        return BASE_PG_URL
    url = make_url(BASE_PG_URL)
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


PG_URL = _worker_pg_url()
DATABASE = "postgresql" if PG_URL else "sqlite"


def pytest_report_header(config):
    if BASE_PG_URL:
        url = make_url(BASE_PG_URL)
        where = f"{url.host}:{url.port or 5432}/{make_url(PG_URL).database}"
        return f"database: PostgreSQL ({where}; schema built by the migrations)"
    return "database: SQLite (a file per test; schema built by the migrations)"


def _config(url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "PUSH_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(overrides)
    return config


def _migrate(url: str, instance: Path) -> None:
    """Build the schema with the migrations, as `flask db upgrade` does in production."""
    from flask_migrate import upgrade

    app = create_app(_config(url))
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


class _Template:
    """The migrated schema, built once per run (per xdist worker)."""

    sqlite_file: Path | None = None
    pg_seed: dict[str, list[dict]] | None = None
    pg_tables: list[str] | None = None

    @classmethod
    def sqlite(cls) -> Path:
        if cls.sqlite_file is None:
            folder = Path(tempfile.mkdtemp(prefix="tandem-template-"))
            path = folder / "template.sqlite3"
            _migrate(f"sqlite:///{path}", folder)
            cls.sqlite_file = path
        return cls.sqlite_file

    @classmethod
    def postgres(cls) -> None:
        if cls.pg_seed is not None:
            return
        url = make_url(PG_URL)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        instance = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
        _migrate(PG_URL, instance)
        with engine.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                ))
            ]
            seed = {}
            for table in tables:
                rows = [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM "{table}"'))]
                if rows:
                    seed[table] = rows
        engine.dispose()
        cls.pg_tables, cls.pg_seed = tables, seed


def reset_database(app) -> None:
    """Empty every table, keeping the migrated schema and the rows the migrations seed."""
    with app.app_context():
        db.session.remove()
        if PG_URL:
            tables = ", ".join(f'"{t}"' for t in _Template.pg_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                for table, rows in _Template.pg_seed.items():
                    columns = list(rows[0])
                    names = ", ".join(f'"{c}"' for c in columns)
                    values = ", ".join(f":{c}" for c in columns)
                    conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({values})'), rows)
        else:
            db.engine.dispose()
            path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
            _copy_sqlite(_Template.sqlite(), Path(path))


def _copy_sqlite(src: Path, dst: Path) -> None:
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def make_app(tmp_path, **overrides):
    if PG_URL:
        _Template.postgres()
        url = PG_URL
    else:
        path = Path(tmp_path) / "test.sqlite3"
        _copy_sqlite(_Template.sqlite(), path)
        url = f"sqlite:///{path}"
    app = create_app(_config(url, **overrides))
    app.instance_path = str(Path(tmp_path) / "instance")
    if PG_URL:
        reset_database(app)
    return app


_STARTED = time.monotonic()


E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(config, items):
    """Browser tests carry the `e2e` mark (`-m e2e`, `-m "not e2e"`)."""
    for item in items:
        if E2E in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _migrated_test_database():
    """Create (under xdist, per worker) and migrate the PostgreSQL test database before any test."""
    if PG_URL:
        _Template.postgres()


def pytest_sessionfinish(session, exitstatus):
    """Leave a record of the pass (which database, how many tests), so CI can check both ran."""
    if WORKER or os.environ.get("TANDEM_PASS_RECORD") is None:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    counts = {k: len(reporter.stats.get(k, [])) for k in ("passed", "failed", "error", "skipped", "xfailed")} if reporter else {}
    record = {"database": DATABASE, "exitstatus": int(exitstatus), "collected": session.testscollected,
              "seconds": round(time.monotonic() - _STARTED), **counts}
    Path(os.environ["TANDEM_PASS_RECORD"]).write_text(json.dumps(record) + "\n")


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Api:
    """A signed-in test client: remembers the CSRF token and sends it on every change."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.csrf = None
        self.refresh()

    def refresh(self):
        self.csrf = self.client.get("/api/v1/session").get_json()["csrf_token"]

    def login(self, email, password="demo-password"):
        r = self.client.post("/api/v1/session", json={"email": email, "password": password}, headers=self._h())
        if r.status_code == 200:
            self.csrf = r.get_json()["csrf_token"]
        return r

    def _h(self, headers=None):
        h = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        h.update(headers or {})
        return h

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, json=None, headers=None, **kw):
        return self.client.post(url, json=json, headers=self._h(headers), **kw)

    def patch(self, url, json=None, headers=None, **kw):
        return self.client.patch(url, json=json, headers=self._h(headers), **kw)

    def delete(self, url, json=None, headers=None, **kw):
        return self.client.delete(url, json=json, headers=self._h(headers), **kw)


@pytest.fixture
def api_for(app):
    """api_for("worker@demo.example") → a signed-in Api."""

    def make(email, password="demo-password"):
        api = Api(app)
        r = api.login(email, password)
        assert r.status_code == 200, r.get_json()
        return api

    return make


@pytest.fixture
def anon(app):
    return Api(app)


@pytest.fixture
def demo(app):
    """The demo organisation, loaded as `flask demo` loads it."""
    from server import demo as demo_data

    with app.app_context():
        demo_data.load()
        db.session.commit()
    return app
