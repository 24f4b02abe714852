"""Engine set-up that differs between SQLite and PostgreSQL, and the write-transaction rule.

SQLite runs in WAL mode with synchronous=FULL (a sync reply is sent only after the commit is on
disk), foreign keys on and a busy timeout. Requests that change data open their transaction with
BEGIN IMMEDIATE, so a transaction that read first never fails to upgrade its lock when another
writer got there in between; reads stay concurrent.
"""
from __future__ import annotations

from contextvars import ContextVar

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)

    @app.before_request
    def _mark_writes() -> None:
        if request.method not in SAFE_METHODS:
            _immediate.set(True)

    @app.teardown_request
    def _unmark_writes(_exc=None) -> None:
        _immediate.set(False)


class write_intent:
    """Use outside requests (commands, tests): writes inside begin with BEGIN IMMEDIATE on SQLite."""

    def __enter__(self):
        self._token = _immediate.set(True)
        return self

    def __exit__(self, *exc):
        _immediate.reset(self._token)


def _configure_sqlite(engine: Engine) -> None:
    if getattr(engine, "_tandem_configured", False):
        return
    engine._tandem_configured = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")
