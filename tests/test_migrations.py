"""Migrations build the same schema the models describe, on SQLite and PostgreSQL."""
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from server import create_app
from server.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL")


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
