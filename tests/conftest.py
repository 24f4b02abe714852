"""Fixtures: `app` (a fresh database per test), `client`, `api` (a client that signs in and sends
the CSRF token), `runner`, and small factories in tests/factories.py.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from server import create_app
from server.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL")
_pg_ready = False


def _reset_postgres(app) -> None:
    global _pg_ready
    with app.app_context():
        if not _pg_ready:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()
            _pg_ready = True
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            conn.execute(text("INSERT INTO change_counter (id, value) VALUES (1, 0)"))


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "PUSH_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(overrides)
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    if PG_URL:
        _reset_postgres(app)
    else:
        with app.app_context():
            db.create_all()
            db.session.execute(text("INSERT INTO change_counter (id, value) VALUES (1, 0)"))
            db.session.commit()
    return app


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
