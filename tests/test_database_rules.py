"""The database itself refuses what the API refuses: scores out of range and values outside each
enumeration (CHECK constraints), and any change to the audit trail (triggers). Checked with plain SQL,
past the application, on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.domain import audit
from server.extensions import db
from server.models import AuditEvent, Review, User
from tests import factories

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha")
    ids["outcome"] = factories.outcome(app, ids["person"])
    return ids


def _insert_review(app, org, score, rated_by="together"):
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO reviews (id, outcome_id, person_id, score, rated_by, happened_at, achieved, created_at, updated_at, seq) "
            "VALUES (:id, :outcome, :person, :score, :rated_by, :now, false, :now, :now, 1)"),
            {"id": f"00000000-0000-4000-8000-00000000000{score % 10}", "outcome": org["outcome"], "person": org["person"],
             "score": score, "rated_by": rated_by, "now": NOW.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else NOW})


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_review_score_outside_1_to_5_is_refused_by_the_database(app, org, score):
    with pytest.raises(IntegrityError):
        _insert_review(app, org, score)


def test_a_score_in_range_is_stored_and_an_unknown_rater_is_refused(app, org):
    _insert_review(app, org, 5)
    with pytest.raises(IntegrityError):
        _insert_review(app, org, 4, rated_by="robot")
    with app.app_context():
        assert [r.score for r in db.session.query(Review).all()] == [5]


@pytest.mark.parametrize("statement", [
    "UPDATE users SET role = 'superuser'",
    "UPDATE services SET kind = 'hotel'",
    "UPDATE outcomes SET status = 'forgotten'",
    "UPDATE outcomes SET review_every = 'hourly'",
    "UPDATE outcomes SET review_by = '1999-01-01'",
])
def test_enumerations_and_outcome_dates_are_enforced(app, org, statement):
    with pytest.raises(IntegrityError), app.app_context(), db.engine.begin() as conn:
        conn.execute(text(statement))


@pytest.mark.parametrize("column,value", [("incidents", -1), ("engagement", 0), ("engagement", 6), ("mood", 0), ("mood", 9)])
def test_weekly_check_figures_are_enforced(app, org, column, value):
    figures = {"incidents": 0, "engagement": 3, "mood": 3, column: value}
    with pytest.raises(IntegrityError), app.app_context(), db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO weekly_checks (id, person_id, week_of, incidents, engagement, mood, note, created_at, updated_at, seq) "
            "VALUES ('00000000-0000-4000-8000-0000000000aa', :person, '2026-11-16', :incidents, :engagement, :mood, '', :now, :now, 1)"),
            {"person": org["person"], "now": NOW.isoformat(), **figures})


def test_an_unknown_event_kind_is_refused(app, org):
    with pytest.raises(IntegrityError), app.app_context(), db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO service_events (id, person_id, kind, happened_at, note, created_at, updated_at, seq) "
            "VALUES ('00000000-0000-4000-8000-0000000000bb', :person, 'party', :now, '', :now, :now, 1)"),
            {"person": org["person"], "now": NOW.isoformat()})


def test_audit_rows_cannot_be_changed_or_deleted(app, org):
    with app.app_context():
        user = db.session.get(User, org["registered_manager_id"])
        audit.record(user, "view", "person", org["person"])
        db.session.commit()
        for statement in ("UPDATE audit_events SET action = 'nothing'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
                conn.execute(text(statement))
            assert "append-only" in str(refused.value)
        # Through the ORM as well.
        event = db.session.query(AuditEvent).one()
        event.action = "nothing"
        with pytest.raises(DBAPIError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.query(AuditEvent).one())
        with pytest.raises(DBAPIError):
            db.session.commit()
        db.session.rollback()
        assert [(e.action, e.entity) for e in db.session.query(AuditEvent).all()] == [("view", "person")]
