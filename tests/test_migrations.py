"""Migrations build the same schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from server import create_app
from server.extensions import db

from tests.conftest import PG_URL


def test_upgrade_empty_database_to_head_matches_models(tmp_path):
    if PG_URL:
        url = PG_URL
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            conn.execute(text("CREATE SCHEMA migration_check"))
        engine.dispose()
        opts = {"connect_args": {"options": "-csearch_path=migration_check"}}
    else:
        url, opts = f"sqlite:///{tmp_path / 'm.sqlite3'}", {}
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": opts})
    app.instance_path = str(tmp_path)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
                assert diff == [], diff
                assert conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar() == 0
            assert "reviews" in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        if PG_URL:
            engine = create_engine(PG_URL)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            engine.dispose()


def test_the_database_under_test_was_built_by_the_migrations(app):
    """The suite's own database (SQLite or PostgreSQL) is the migrations' schema at head, not create_all()."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    with app.app_context():
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == script.get_current_head()
def _schema_engine_options(schema):
    """A PostgreSQL schema of its own (dropped first), or a fresh SQLite file."""
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return {"connect_args": {"options": f"-csearch_path={schema}"}}


def _drop_schema(schema):
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def _normalised(sql: str) -> str:
    return " ".join(str(sql).replace("(", " ").replace(")", " ").split())


def test_check_constraints_in_the_migrations_match_the_models(tmp_path):
    """Alembic's comparison does not look at CHECK constraints: compare them here. Names on both
    databases; on SQLite, which keeps the text as written, the conditions too (value lists included)."""
    from sqlalchemy import CheckConstraint

    schema = "migration_checks"
    if PG_URL:
        url, opts = PG_URL, _schema_engine_options(schema)
    else:
        url, opts = f"sqlite:///{tmp_path / 'c.sqlite3'}", {}
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": opts})
    app.instance_path = str(tmp_path)
    try:
        with app.app_context():
            upgrade()
            inspector = inspect(db.engine)
            for table in db.metadata.sorted_tables:
                wanted = {c.name: _normalised(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)}
                found = {c["name"]: _normalised(c["sqltext"]) for c in inspector.get_check_constraints(table.name)}
                if PG_URL:
                    assert set(found) == set(wanted), table.name
                else:
                    assert found == wanted, table.name
            db.engine.dispose()
    finally:
        if PG_URL:
            _drop_schema(schema)


def test_upgrading_a_database_with_data_keeps_it_and_then_enforces_the_rules(tmp_path):
    """A 0001 database holding records (references between tables, an acknowledged overdue review in
    the audit trail) upgrades to head: nothing is lost, the acknowledgement moves to its own table,
    scores out of range are refused and audit rows can no longer be changed or deleted."""
    from datetime import datetime, timezone

    from sqlalchemy.exc import DBAPIError, IntegrityError

    schema = "migration_data"
    if PG_URL:
        url, opts = PG_URL, _schema_engine_options(schema)
    else:
        url, opts = f"sqlite:///{tmp_path / 'd.sqlite3'}", {}
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": opts})
    app.instance_path = str(tmp_path)
    now = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
    ids = {"org": "00000000-0000-4000-8000-000000000001", "svc": "00000000-0000-4000-8000-000000000002",
           "person": "00000000-0000-4000-8000-000000000003", "user": "00000000-0000-4000-8000-000000000004",
           "outcome": "00000000-0000-4000-8000-000000000005", "review": "00000000-0000-4000-8000-000000000006",
           "note": "00000000-0000-4000-8000-000000000007"}
    try:
        with app.app_context():
            upgrade(revision="0001")
            with db.engine.begin() as conn:
                p = {**ids, "now": now}
                conn.execute(text("INSERT INTO organisations (id, name, created_at, updated_at) VALUES (:org, 'Org', :now, :now)"), p)
                conn.execute(text("INSERT INTO services (id, organisation_id, name, kind, created_at, updated_at) "
                                  "VALUES (:svc, :org, 'Oak', 'supported_living', :now, :now)"), p)
                conn.execute(text("INSERT INTO people (id, organisation_id, service_id, name, weekly_checks, created_at, updated_at, seq, version, field_versions) "
                                  "VALUES (:person, :org, :svc, 'Sam', false, :now, :now, 1, 1, '{}')"), p)
                conn.execute(text("INSERT INTO users (id, organisation_id, email, name, role, password_hash, active, created_at, updated_at) "
                                  "VALUES (:user, :org, 'm@x.example', 'Mo', 'registered_manager', 'x', true, :now, :now)"), p)
                conn.execute(text("INSERT INTO outcomes (id, person_id, domain, persons_words, indicator, target, review_every, starts_on, review_by, status, priority, created_at, updated_at, seq, version, field_versions) "
                                  "VALUES (:outcome, :person, 'Buses', 'w', 'i', '', 'monthly', '2026-01-01', '2026-12-31', 'active', false, :now, :now, 2, 1, '{}')"), p)
                conn.execute(text("INSERT INTO reviews (id, outcome_id, person_id, score, rated_by, happened_at, achieved, created_at, updated_at, seq) "
                                  "VALUES (:review, :outcome, :person, 3, 'together', :now, false, :now, :now, 3)"), p)
                conn.execute(text("INSERT INTO evidence_notes (id, person_id, review_id, outcome_id, text, happened_at, created_at, updated_at, seq) "
                                  "VALUES (:note, :person, :review, :outcome, 'Went alone', :now, :now, :now, 4)"), p)
                for at in (now, now.replace(hour=11)):  # acknowledged twice: the first one counts
                    conn.execute(text("INSERT INTO audit_events (at, organisation_id, user_id, action, entity, entity_id, person_id, detail) "
                                      "VALUES (:at, :org, :user, 'acknowledge', 'overdue_review', :outcome, :person, :detail)"),
                                 {**p, "at": at, "detail": '{"due_on": "2026-10-20", "days_late": 12}'})
            upgrade()
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT score FROM reviews")).scalars().all() == [3]
                assert conn.execute(text("SELECT review_id FROM evidence_notes")).scalars().all() == [ids["review"]]
                assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
                [(outcome_id, due_on, user_id)] = conn.execute(text("SELECT outcome_id, due_on, user_id FROM review_acknowledgements")).all()
                assert (outcome_id, str(due_on), user_id) == (ids["outcome"], "2026-10-20", ids["user"])
            for bad in ("UPDATE reviews SET score = 7", "UPDATE reviews SET rated_by = 'nobody'",
                        "UPDATE users SET role = 'superuser'", "UPDATE outcomes SET review_by = '2025-01-01'"):
                with pytest.raises(IntegrityError), db.engine.begin() as conn:
                    conn.execute(text(bad))
            for bad in ("UPDATE audit_events SET user_id = NULL", "DELETE FROM audit_events"):
                with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
                    conn.execute(text(bad))
                assert "append-only" in str(refused.value)
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM audit_events WHERE user_id IS NOT NULL")).scalar() == 2
            # And back down again, keeping the records.
            downgrade(revision="0001")
            with db.engine.begin() as conn:
                assert conn.execute(text("SELECT score FROM reviews")).scalars().all() == [3]
                conn.execute(text("UPDATE reviews SET score = 7"))  # no constraint any more
            db.engine.dispose()
    finally:
        if PG_URL:
            _drop_schema(schema)
