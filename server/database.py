"""Engine set-up that differs between SQLite and PostgreSQL, and the write-transaction rule.

SQLite runs in WAL mode with synchronous=FULL (a sync reply is sent only after the commit is on
disk), foreign keys on and a busy timeout. Requests that change data open their transaction with
BEGIN IMMEDIATE, so a transaction that read first never fails to upgrade its lock when another
writer got there in between; reads stay concurrent.
"""
from __future__ import annotations

import json
from contextvars import ContextVar

from flask import Flask, request
from sqlalchemy import JSON, event
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
    so there this does nothing unless `bulk_load`: then one VACUUM ANALYZE, before autovacuum gets to
    it (statistics, and the visibility map that lets a scope be read from an index alone)."""
    engine = engine or db.engine
    if engine.dialect.name == "postgresql":
        if bulk_load:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        return
    # BEGIN IMMEDIATE on SQLite: PRAGMA optimize and ANALYZE write their statistics, and a
    # transaction that began by reading cannot upgrade its snapshot once another process (a second
    # `reminders send`, an app server) has committed since: it fails at once with "database is
    # locked", whatever the busy timeout. Taking the write lock first waits for it instead.
    with write_intent(), engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            analysed = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
            connection.exec_driver_sql("PRAGMA optimize" if analysed else "ANALYZE")
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


def insert_new(table, rows: list[dict], key: list[str]) -> set:
    """Insert the rows whose unique `key` (column names) no stored row holds yet, skipping the
    others as insert_ignoring_conflict does, and return the primary keys of the rows inserted: the
    bulk path for claims of many thousands of rows at once (the reminders job's inbox rows and
    escalations). Every row has the same keys, the table's primary key among them. See insert_rows.

    Rows go in in the order given (claimers insert in one global order, so concurrent runs never
    wait on each other in a cycle). On SQLite, when the insert changed fewer rows than it was given
    (another run took some keys first), the primary keys are read back to see which are ours."""
    if not rows:
        return set()
    (pk,) = [column.name for column in table.primary_key.columns]
    conflict = ", ".join(f'"{name}"' for name in key)
    result, changed = _insert(table, rows, f" ON CONFLICT ({conflict}) DO NOTHING", f' RETURNING "{pk}"')
    if result is not None:
        return {row[0] for row in result}
    ours = [row[pk] for row in rows]
    return set(ours) if changed == len(rows) else present(table.c[pk], ours)


PRESENT_PER_STATEMENT = 5_000


def present(column, values: list) -> set:
    """Which of `values` (strings) some row holds in `column` (an indexed string column). The values
    go in as one parameter per statement, PRESENT_PER_STATEMENT at a time (SQLite: a JSON array read
    by json_each; PostgreSQL: an array read by unnest), joined to the column, so each value probes
    its index: for look-ups of thousands of keys or ids, where a bound parameter per value cost more
    than the probes. (On PostgreSQL, `= ANY(array)` was planned as a scan of the whole table once
    the array was long.)"""
    connection = db.session.connection()
    table, name = column.table.name, column.name
    if connection.dialect.name == "postgresql":
        statement = f'SELECT t."{name}" FROM unnest(%s::text[]) AS k(value) JOIN "{table}" AS t ON t."{name}" = k.value'
        encode = list
    else:
        statement = f'SELECT t."{name}" FROM json_each(?) AS j JOIN "{table}" AS t ON t."{name}" = j.value'
        encode = json.dumps
    found: set = set()
    for start in range(0, len(values), PRESENT_PER_STATEMENT):
        chunk = values[start:start + PRESENT_PER_STATEMENT]
        found.update(row[0] for row in connection.exec_driver_sql(statement, (encode(chunk),)))
    return found


def insert_rows(table, rows: list[dict]) -> None:
    """Insert many rows (dicts with the same keys) in one statement, without the per-row work of
    SQLAlchemy's executemany, which at thousands of rows cost more than the database's own work:
    values go through each column's own bind processing (UTC times, dates, JSON) and then straight
    to the driver. PostgreSQL: INSERT … SELECT FROM unnest(one array per column); SQLite: the
    driver's executemany."""
    if rows:
        _insert(table, rows, "", "")


def _insert(table, rows: list[dict], on_conflict: str, returning: str):
    """(the RETURNING rows on PostgreSQL or None, how many rows SQLite inserted or None)."""
    connection = db.session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    values = _bound_columns(table, columns, rows, dialect)
    names = ", ".join(f'"{name}"' for name in columns)
    if dialect.name == "postgresql":
        types = ", ".join(f"%s::{table.c[name].type.compile(dialect)}[]" for name in columns)
        statement = f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({types}){on_conflict}{returning}'
        result = connection.exec_driver_sql(statement, tuple(values))
        returned = result.all() if returning else None
        _analyze_if_grown(connection, table, len(rows))
        return returned, None
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in columns)}){on_conflict}'
    return None, connection.exec_driver_sql(statement, list(zip(*values))).rowcount


ANALYZE_AFTER_ROWS = 1000


def _analyze_if_grown(connection, table, added: int) -> None:
    """PostgreSQL: ANALYZE a table that a bulk insert grew by a fifth or more, as its documentation
    advises after loading. Autovacuum would, but only a minute or more later: meanwhile the planner
    still sees the table as it was (empty, for the first run of the reminders job over a backlog)
    and plans the next chunk's look-ups as if it were, scanning the whole table each time. ANALYZE
    samples a bounded number of rows, so it stays cheap on a large table."""
    if added < ANALYZE_AFTER_ROWS:
        return
    estimate = connection.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (table.name,)).scalar()
    if estimate is None or added * 5 > max(estimate, 0):
        connection.exec_driver_sql(f'ANALYZE "{table.name}"')


def _bound_columns(table, columns: list[str], rows: list[dict], dialect) -> list[list]:
    """Each column's values, as the driver takes them: through the column type's bind processing
    (on PostgreSQL, JSON as its text, for a json[] array). A value repeated down a column (a run's
    one timestamp) is processed once."""
    out = []
    for name in columns:
        kind = table.c[name].type
        column = [row[name] for row in rows]
        if isinstance(kind, JSON):  # lists and dicts: not hashable, and each one its own value
            process = json.dumps if dialect.name == "postgresql" else kind.dialect_impl(dialect).bind_processor(dialect)
            column = [None if value is None else process(value) for value in column]
        else:
            process = kind.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                done = {None: None}
                column = [done[value] if value in done else done.setdefault(value, process(value)) for value in column]
        out.append(column)
    return out
