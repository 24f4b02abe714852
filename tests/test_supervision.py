"""Supervision linked to outcome progress: the agenda built from what is recorded, one record per
staff member per month, what a worker and their supervisors may read, and bad input."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.domain.care_plan_audits import add_months
from server.extensions import db
from server.models import Action, AuditEvent, Escalation, Outcome, Person, Review, Supervision, User, UserService
from tests import factories

TODAY = date.today()
THIS_MONTH = TODAY.replace(day=1)
M0 = add_months(THIS_MONTH, -1)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=timezone.utc)


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    with app.app_context():
        p1 = db.session.get(Person, ids["person"])  # on the worker's caseload
        buses = Outcome(person_id=p1.id, domain="Confidence using buses", persons_words="w", indicator="i",
                        starts_on=M0 - timedelta(days=200), review_by=M0 + timedelta(days=200))
        money = Outcome(person_id=p1.id, domain="Feeling safe with money", persons_words="w", indicator="i",
                        starts_on=M0 - timedelta(days=200), review_by=M0 + timedelta(days=200))
        db.session.add_all([buses, money])
        db.session.flush()
        for day, score in ((M0 - timedelta(days=20), 3), (M0 + timedelta(days=4), 4)):
            db.session.add(Review(outcome_id=buses.id, person_id=p1.id, score=score, rated_by="together", happened_at=at(day)))
        # money: last reviewed 80 days before the month: overdue at its end
        db.session.add(Review(outcome_id=money.id, person_id=p1.id, score=2, rated_by="staff", happened_at=at(M0 - timedelta(days=80))))
        db.session.add(Action(outcome_id=money.id, person_id=p1.id, description="Open a bank account", owner_kind="person",
                              due_on=M0 + timedelta(days=10)))
        db.session.add(Action(outcome_id=money.id, person_id=p1.id, description="Done already", owner_kind="person",
                              due_on=M0 + timedelta(days=10), status="done"))
        db.session.add(Action(outcome_id=money.id, person_id=p1.id, description="Not yet due", owner_kind="person",
                              due_on=THIS_MONTH + timedelta(days=40)))
        db.session.add(Escalation(organisation_id=ids["org"], service_id=ids["service"], person_id=p1.id, outcome_id=money.id,
                                  rule="stagnation", reasons=["low_at_two_in_a_row"], review_ids=[], raised_at=at(M0)))
        db.session.commit()
        ids.update(buses=buses.id, money=money.id)
    return ids


def prepare(api, user_id, month=M0):
    return api.get(f"/api/v1/supervisions/prepare?user_id={user_id}&month={month:%Y-%m}")


def test_the_agenda_is_built_from_what_is_recorded(app, org, api_for):
    manager = api_for(org["registered_manager"])
    r = prepare(manager, org["support_worker_id"])
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["user"]["name"] == "Alpha support_worker" and body["month_label"] == M0.strftime("%B %Y")
    [item] = body["people"]  # the worker's caseload: one person
    assert item["person"]["id"] == org["person"]
    [review] = item["reviews"]
    assert (review["domain"], review["score"], review["previous_score"], review["movement"]) == ("Confidence using buses", 4, 3, "improved")
    assert item["outcomes"] == [{"outcome_id": org["buses"], "domain": "Confidence using buses", "before": 3, "last": 4, "movement": "improved"}]
    [late] = item["overdue"]
    assert late["domain"] == "Feeling safe with money" and late["due_on"] == (M0 - timedelta(days=50)).isoformat()
    assert [e["rule"] for e in item["escalations"]] == ["stagnation"]
    assert [a["description"] for a in item["actions_due"]] == ["Open a bank account"]
    assert item["previous_next_step"] is None and body["existing"] is None
    with app.app_context():  # the supervisor's view of the person's records is audited
        assert db.session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "view", AuditEvent.entity == "supervision_agenda")).scalar_one() == 1


def test_record_then_next_month_shows_last_times_next_step(app, org, api_for):
    manager = api_for(org["registered_manager"])
    body = {"user_id": org["support_worker_id"], "month": f"{M0:%Y-%m}", "held_on": (M0 + timedelta(days=20)).isoformat(),
            "entries": [{"person_id": org["person"], "what_changed": "Travelled to town alone for the first time.",
                         "next_step": "Try the new route to the leisure centre."}]}
    r = manager.post("/api/v1/supervisions", json=body)
    assert r.status_code == 201, r.get_json()
    saved = r.get_json()
    assert saved["entries"][0]["person_name"] == "Alpha Person One" and saved["supervisor_name"] == "Alpha registered_manager"
    again = manager.post("/api/v1/supervisions", json=body)
    assert again.status_code == 409 and "month" in again.get_json()["error"]["fields"]
    assert prepare(manager, org["support_worker_id"]).get_json()["existing"]["id"] == saved["id"]
    [item] = prepare(manager, org["support_worker_id"], THIS_MONTH).get_json()["people"]
    assert item["previous_next_step"] == {"month": f"{M0:%Y-%m}", "month_label": M0.strftime("%B %Y"),
                                          "next_step": "Try the new route to the leisure centre."}
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Supervision)).scalar_one() == 1
        actions = db.session.execute(select(AuditEvent.entity).where(AuditEvent.action == "create")).scalars().all()
        assert sorted(actions) == ["supervision", "supervision_entry"]


def test_a_worker_reads_their_own_records_only(app, org, api_for):
    senior = api_for(org["senior_leader"])
    entry = {"person_id": org["person"], "what_changed": "More confident", "next_step": "Keep going"}
    for month in (add_months(M0, -1), M0):
        assert senior.post("/api/v1/supervisions", json={"user_id": org["support_worker_id"], "month": f"{month:%Y-%m}",
                                                          "held_on": month.isoformat(), "entries": [entry]}).status_code == 201
    worker = api_for(org["support_worker"])
    mine = worker.get("/api/v1/supervisions").get_json()
    assert [s["month"] for s in mine["items"]] == [f"{M0:%Y-%m}", f"{add_months(M0, -1):%Y-%m}"]
    assert mine["items"][0]["entries"][0]["what_changed"] == "More confident"
    assert worker.get(f"/api/v1/supervisions?user_id={org['support_worker_id']}").status_code == 200
    assert worker.get(f"/api/v1/supervisions?user_id={org['registered_manager_id']}").status_code == 404
    assert worker.get(f"/api/v1/supervisions/prepare?user_id={org['support_worker_id']}&month={M0:%Y-%m}").status_code == 403
    assert worker.post("/api/v1/supervisions", json={"user_id": org["support_worker_id"], "month": f"{M0:%Y-%m}",
                                                      "held_on": M0.isoformat(), "entries": [entry]}).status_code == 403
    paged = api_for(org["registered_manager"]).get("/api/v1/supervisions?limit=1").get_json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = api_for(org["registered_manager"]).get(f"/api/v1/supervisions?limit=1&cursor={paged['next_cursor']}").get_json()
    assert [s["month"] for s in rest["items"]] == [f"{add_months(M0, -1):%Y-%m}"] and rest["next_cursor"] is None
    for role in ("commissioner", "admin"):
        assert api_for(org[role]).get("/api/v1/supervisions").status_code == 403


def test_managers_supervise_only_workers_with_someone_from_their_services(app, org, api_for):
    with app.app_context():
        elsewhere = Person(organisation_id=org["org"], service_id=org["services"][1], name="Alpha Residential")
        db.session.add(elsewhere)
        hash_ = db.session.get(User, org["support_worker_id"]).password_hash
        other_worker = User(organisation_id=org["org"], email="resi@alpha.example", name="Resi Worker", role="support_worker", password_hash=hash_)
        db.session.add(other_worker)
        db.session.flush()
        from server.models import CaseloadAssignment
        db.session.add(CaseloadAssignment(user_id=other_worker.id, person_id=elsewhere.id))
        db.session.commit()
        other_id, elsewhere_id = other_worker.id, elsewhere.id
    manager = api_for(org["registered_manager"])
    assert prepare(manager, other_id).status_code == 404
    assert manager.post("/api/v1/supervisions", json={"user_id": other_id, "month": f"{M0:%Y-%m}", "held_on": M0.isoformat(),
                                                       "entries": [{"person_id": elsewhere_id, "what_changed": "x", "next_step": "y"}]}).status_code == 404
    assert {s["name"] for s in manager.get("/api/v1/supervisions/staff").get_json()} == {"Alpha support_worker"}
    senior = api_for(org["senior_leader"])
    assert {s["name"] for s in senior.get("/api/v1/supervisions/staff").get_json()} == {"Alpha support_worker", "Resi Worker", "Alpha registered_manager"}
    # a senior's record that names someone the manager cannot see: the manager reads it without that entry
    assert senior.post("/api/v1/supervisions", json={"user_id": other_id, "month": f"{M0:%Y-%m}", "held_on": M0.isoformat(),
                                                      "entries": [{"person_id": elsewhere_id, "what_changed": "x", "next_step": "y"}]}).status_code == 201
    with app.app_context():  # the manager now also manages the residential service, then stops
        db.session.add(UserService(user_id=org["registered_manager_id"], service_id=org["services"][1]))
        db.session.commit()
    [record] = manager.get(f"/api/v1/supervisions?user_id={other_id}").get_json()["items"]
    assert record["hidden_entries"] == 0 and record["entries"][0]["person_name"] == "Alpha Residential"
    with app.app_context():
        db.session.execute(UserService.__table__.delete().where(UserService.user_id == org["registered_manager_id"],
                                                                UserService.service_id == org["services"][1]))
        db.session.commit()
    assert manager.get(f"/api/v1/supervisions?user_id={other_id}").status_code == 404
    other_org = factories.organisation(app, "Beta")
    assert prepare(api_for(other_org["senior_leader"]), org["support_worker_id"]).status_code == 404


@pytest.mark.parametrize("change,field", [
    ({"month": "2026-13"}, "month"),
    ({"month": f"{add_months(THIS_MONTH, 1):%Y-%m}"}, "month"),
    ({"held_on": (TODAY + timedelta(days=3)).isoformat()}, "held_on"),
    ({"held_on": (M0 - timedelta(days=1)).isoformat()}, "held_on"),
    ({"entries": []}, "entries"),
    ({"entries": [{"person_id": "PERSON", "what_changed": " ", "next_step": "y"}]}, "entries"),
    ({"entries": [{"person_id": "OTHER", "what_changed": "x", "next_step": "y"}]}, "entries.0.person_id"),
    ({"entries": [{"person_id": "PERSON", "what_changed": "x", "next_step": "y"}] * 2}, "entries.1.person_id"),
    ({"user_id": "not-a-uuid"}, "user_id"),
    ({"extra": 1}, "extra"),
])
def test_bad_input_names_the_field_and_saves_nothing(app, org, api_for, change, field):
    body = {"user_id": org["support_worker_id"], "month": f"{M0:%Y-%m}", "held_on": M0.isoformat(),
            "entries": [{"person_id": org["person"], "what_changed": "x", "next_step": "y"}], **change}
    for entry in body["entries"]:
        entry["person_id"] = {"PERSON": org["person"], "OTHER": org["other_person"]}.get(entry["person_id"], entry["person_id"])
    r = api_for(org["registered_manager"]).post("/api/v1/supervisions", json=body)
    assert r.status_code in {404, 422}, r.get_json()
    assert field in r.get_json()["error"]["fields"], r.get_json()
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Supervision)).scalar_one() == 0
