"""SQLite in WAL mode: a transaction that reads and then writes fails at once ("database is locked",
whatever the busy timeout) if another connection wrote in between, because its snapshot is stale.
The app's writes (and tests' writes beside a running server: tests/e2e `live.writing()`) begin
IMMEDIATE through `write_intent`, so they wait their turn instead. Runs on a SQLite file in both
passes: the rule is SQLite's own."""
from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from server import create_app
from server.database import write_intent
from server.extensions import db
from tests.conftest import _config, _copy_sqlite, _Template


@pytest.fixture
def sqlite_app(tmp_path):
    path = tmp_path / "writes.sqlite3"
    _copy_sqlite(_Template.sqlite(), path)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE scratch (x INTEGER)")
    app = create_app(_config(f"sqlite:///{path}"))
    app.instance_path = str(tmp_path / "instance")
    yield app, path
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def other_writer(path, timeout_s: float):
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def test_a_read_then_write_fails_at_once_when_another_connection_wrote_in_between(sqlite_app):
    app, path = sqlite_app
    with app.app_context():
        db.session.execute(text("SELECT count(*) FROM scratch")).scalar()  # a read snapshot
        other = other_writer(path, 5)
        other.execute("INSERT INTO scratch VALUES (1)")
        other.close()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            db.session.execute(text("INSERT INTO scratch VALUES (2)"))
        assert time.monotonic() - started < 5, "the busy timeout does not help a stale snapshot"
        db.session.rollback()


def test_with_write_intent_the_transaction_holds_the_write_lock_from_its_first_read(sqlite_app):
    app, path = sqlite_app
    with write_intent(), app.app_context():
        db.session.execute(text("SELECT count(*) FROM scratch")).scalar()
        other = other_writer(path, 0)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("INSERT INTO scratch VALUES (1)")  # the other writer must wait its turn
        db.session.execute(text("INSERT INTO scratch VALUES (2)"))
        db.session.commit()
        other.execute("INSERT INTO scratch VALUES (1)")
        other.close()
    with sqlite3.connect(path) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT x FROM scratch")) == [1, 2]
