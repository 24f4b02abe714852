"""The bulk insert path (server/database.py: insert_new, insert_rows) that the reminders job and
the audit trail write through, on SQLite and PostgreSQL: values stored exactly as the ORM stores
them (UTC times, dates, JSON, nulls), a conflicting key skipped and reported as not ours, and the
time-ordered ids the inbox and escalations take."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select, text

from server.database import insert_new, insert_rows, write_intent
from server.domain import audit
from server.extensions import db
from server.models import AuditEvent, Escalation, Notification, User
from server.models.base import new_id, new_time_ordered_id
from tests import factories

AT = datetime(2026, 3, 29, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 23:30 UTC the day before


def notification(user_id: str, key: str, **extra) -> dict:
    return {"id": new_time_ordered_id(), "user_id": user_id, "kind": "review_due", "title": "Review due",
            "body": "Line one\nline two, with 'quotes' and a tab\t.", "url": "/reviews", "dedupe_key": key,
            "push_status": "pending", "created_at": AT, "read_at": None, **extra}


def test_rows_come_back_as_the_orm_would_have_stored_them(app):
    org = factories.organisation(app)
    outcome_id = factories.outcome(app, org["person"])
    with app.app_context(), write_intent():
        rows = [notification(org["support_worker_id"], f"k:{i}") for i in range(3)]
        rows[1]["read_at"] = AT + timedelta(days=1)
        assert insert_new(Notification.__table__, rows, ["dedupe_key"]) == {row["id"] for row in rows}
        escalation = {"id": new_time_ordered_id(), "status": "open", "organisation_id": org["org"], "service_id": org["service"],
                      "person_id": org["person"], "outcome_id": outcome_id, "rule": "overdue",
                      "reasons": ["review_overdue", "ünïcode \"quoted\""], "review_ids": [], "due_on": date(2026, 2, 28),
                      "raised_at": AT}
        assert insert_new(Escalation.__table__, [escalation], ["outcome_id", "due_on", "rule"]) == {escalation["id"]}
        db.session.commit()
        db.session.expunge_all()
        stored = {n.dedupe_key: n for n in db.session.execute(select(Notification)).scalars()}
        assert stored["k:1"].read_at == AT + timedelta(days=1)
        assert stored["k:0"].read_at is None
        assert stored["k:0"].created_at == AT and stored["k:0"].created_at.utcoffset() == timedelta(0)
        assert stored["k:2"].body == rows[2]["body"]
        found = db.session.get(Escalation, escalation["id"])
        assert found.reasons == escalation["reasons"] and found.review_ids == []
        assert found.due_on == date(2026, 2, 28) and found.raised_at == AT


def test_a_key_already_taken_is_skipped_and_not_reported_as_ours(app):
    org = factories.organisation(app)
    user = org["support_worker_id"]
    with app.app_context(), write_intent():
        first = [notification(user, "k:taken")]
        insert_new(Notification.__table__, first, ["dedupe_key"])
        db.session.commit()
        second = [notification(user, "k:before"), notification(user, "k:taken"), notification(user, "k:after")]
        ours = insert_new(Notification.__table__, second, ["dedupe_key"])
        db.session.commit()
        assert ours == {second[0]["id"], second[2]["id"]}
        stored = dict(db.session.execute(select(Notification.dedupe_key, Notification.id)).all())
        assert stored == {"k:taken": first[0]["id"], "k:before": second[0]["id"], "k:after": second[2]["id"]}
        assert insert_new(Notification.__table__, [], ["dedupe_key"]) == set()


def test_audit_entries_written_in_bulk_read_back_like_any_other(app):
    org = factories.organisation(app)
    with app.app_context(), write_intent():
        actor = db.session.get(User, org["registered_manager_id"])
        rows = [audit.entry(actor, "view", "person", org["person"], service_id=org["service"], page=i, note="tab\there")
                for i in range(1500)]
        insert_rows(AuditEvent.__table__, rows)
        db.session.commit()
        stored = db.session.execute(select(AuditEvent).where(AuditEvent.action == "view").order_by(AuditEvent.id)).scalars().all()
        assert len(stored) == 1500
        assert [e.detail["page"] for e in stored] == list(range(1500))
        assert stored[0].user_id == org["registered_manager_id"] and stored[0].service_id == org["service"]
        assert stored[0].at.utcoffset() == timedelta(0) and stored[0].detail["note"] == "tab\there"
        if db.engine.dialect.name == "postgresql":
            # A table that grew by more than a fifth in one go is analysed at once, so the planner
            # does not go on treating it as empty for the rest of the job.
            assert db.session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'audit_events'")).scalar() >= 1000
        insert_rows(AuditEvent.__table__, [])
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "view")) == 1500


def test_time_ordered_ids_are_uuid7_and_sort_by_when_they_were_made():
    made = []
    for _ in range(5):
        made.append(new_time_ordered_id())
        start = datetime.now()
        while datetime.now() - start < timedelta(milliseconds=2):
            pass
    for value in made:
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert made == sorted(made)
    assert len({new_time_ordered_id() for _ in range(10_000)}) == 10_000
    assert uuid.UUID(new_id()).version == 4  # records made elsewhere keep random ids


def test_present_finds_exactly_the_stored_keys_among_many(app, monkeypatch):
    """database.present, the reminders job's look-up of keys already claimed: one parameter per
    statement (a JSON array on SQLite, an array on PostgreSQL), several statements for many keys."""
    import server.database as database

    org = factories.organisation(app)
    stored = ["plain", "with 'quotes' and \"doubles\"", "ünïcode: ✓", "back\\slash", "x" * 300]
    with app.app_context(), write_intent():
        insert_new(Notification.__table__, [notification(org["support_worker_id"], key) for key in stored], ["dedupe_key"])
        db.session.commit()
    monkeypatch.setattr(database, "PRESENT_PER_STATEMENT", 2)
    with app.app_context():
        asked = sorted(stored + ["absent", "PLAIN", "plain ", ""])
        assert database.present(Notification.dedupe_key, asked) == set(stored)
        assert database.present(Notification.dedupe_key, []) == set()
