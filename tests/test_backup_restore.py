"""Backups restore: the commands docs/DEPLOY.md gives, run as written, on the pass's database.
PostgreSQL: `pg_dump --format=custom` then `pg_restore` into an empty database. SQLite: the sqlite3
shell's `.backup` (safe while the app is writing, unlike copying the file). The restored database
holds every record, is at the migrations' head, and the app signs in against it."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from server import create_app
from server.extensions import db
from server.models import AuditEvent, EvidenceNote, Outcome, Person, Review, User
from tests.conftest import Api, _config

COUNTED = (Person, Outcome, Review, EvidenceNote, User, AuditEvent)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {m.__tablename__: conn.execute(select(func.count()).select_from(m.__table__)).scalar_one() for m in COUNTED}


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; the backup commands in docs/DEPLOY.md need it.")
    return found


def test_a_backup_restores_into_an_empty_database_and_the_app_runs_on_it(demo, tmp_path):
    url = make_url(demo.config["SQLALCHEMY_DATABASE_URI"])
    with demo.app_context():
        before = counts(db.engine)
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.remove()
        db.engine.dispose()

    if url.get_backend_name() == "postgresql":
        dump = tmp_path / "tandem.dump"
        target = f"{url.database}_restored"
        conn = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--username", url.username or "postgres"]
        subprocess.run([tool("pg_dump"), *conn, "--format=custom", "--file", str(dump), url.database], check=True)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{target}"'))
            c.execute(text(f'CREATE DATABASE "{target}"'))
        try:
            subprocess.run([tool("pg_restore"), *conn, "--no-owner", "--dbname", target, str(dump)], check=True)
            restored_url = url.set(database=target)
            check_restored(restored_url.render_as_string(hide_password=False), before, head, tmp_path)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
            admin.dispose()
    else:
        copy = tmp_path / "restored.sqlite3"
        subprocess.run([tool("sqlite3"), url.database, f".backup '{copy}'"], check=True)
        check_restored(f"sqlite:///{copy}", before, head, tmp_path)


def check_restored(restored: str, before: dict, head: str, tmp_path) -> None:
    engine = create_engine(restored)
    try:
        assert counts(engine) == before
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    finally:
        engine.dispose()
    app = create_app(_config(restored))
    app.instance_path = str(tmp_path / "restored-instance")
    try:
        api = Api(app)
        assert api.login("manager@demo.example").status_code == 200
        people = api.get("/api/v1/people/manage?q=Sam")
        assert people.status_code == 200
        assert [p["name"] for p in people.get_json()["items"]] == ["Sam Taylor"]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
