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
        # ANALYZE (run by `optimize` below) reads at most this many index rows per index, so keeping
        # the planner's statistics up to date stays cheap on a large database.
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def optimize(engine: Engine | None = None, bulk_load: bool = False) -> None:
    """Keep the query planner's statistics current. SQLite keeps none unless asked: without them it
    may walk a whole index where a few rows would do (the pull's scope, a service's people). The
    first run ANALYZEs (bounded by analysis_limit); later runs are `PRAGMA optimize`, which
    re-analyses only the tables that changed a lot. Run after migrations (migrations/env.py), by
    `flask reminders send`, and after a bulk load. PostgreSQL's autovacuum keeps its own statistics,
    so there this does nothing unless `bulk_load` (one ANALYZE, before autovacuum gets to it)."""
    engine = engine or db.engine
    # BEGIN IMMEDIATE on SQLite: PRAGMA optimize and ANALYZE write their statistics, and a
    # transaction that began by reading cannot upgrade its snapshot once another process (a second
    # `reminders send`, an app server) has committed since: it fails at once with "database is
    # locked", whatever the busy timeout. Taking the write lock first waits for it instead.
    with write_intent(), engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            analysed = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
            connection.exec_driver_sql("PRAGMA optimize" if analysed else "ANALYZE")
        elif bulk_load:
            connection.exec_driver_sql("ANALYZE")
        connection.commit()


def insert_ignoring_conflict(target, index_elements=None):
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL (`target`: a model or a table): a
    row whose unique key another transaction took first is skipped, and a RETURNING added by the
    caller names only the rows inserted. The exactly-once claims (devices, reminders, escalations,
    acknowledgements) all insert this way."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(target).on_conflict_do_nothing(index_elements=index_elements)
