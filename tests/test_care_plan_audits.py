"""Care-plan re-audits: who is due (six months, a setting; or never), an answer for every active
outcome, a note for every "no", a follow-up for an outcome that is not person-led, and who may."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.domain.care_plan_audits import add_months
from server.extensions import db
from server.models import CarePlanAudit, Person
from tests import factories

TODAY = date.today()


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    ids["buses"] = factories.outcome(app, ids["person"], domain="Confidence using buses")
    ids["money"] = factories.outcome(app, ids["person"], domain="Feeling safe with money")
    ids["retired"] = factories.outcome(app, ids["person"], domain="An old goal", status="retired")
    ids["theirs"] = factories.outcome(app, ids["other_person"], domain="Someone else's goal")
    return ids


def answer(outcome_id, yes=True, note=""):
    return {"outcome_id": outcome_id, "still_relevant": True, "person_led": yes, "person_can_describe": True, "note": note}


def audit_body(org, days_ago=0, answers=None):
    return {"person_id": org["person"], "audited_on": (TODAY - timedelta(days=days_ago)).isoformat(),
            "outcomes": answers if answers is not None else [answer(org["buses"]), answer(org["money"])]}


def due(api, org):
    r = api.get(f"/api/v1/care-plan-audits?service={org['service']}&due=true")
    assert r.status_code == 200, r.get_json()
    return {i["person_name"]: i for i in r.get_json()["items"]}


def test_an_audit_answers_for_each_active_outcome_and_follows_up_one_not_person_led(app, org, api_for):
    manager = api_for(org["registered_manager"])
    body = audit_body(org, answers=[answer(org["buses"]), answer(org["money"], yes=False, note="Written by staff; redo it with them.")])
    r = manager.post("/api/v1/care-plan-audits", json=body)
    assert r.status_code == 201, r.get_json()
    saved = r.get_json()
    assert [o["domain"] for o in saved["outcomes"]] == ["Confidence using buses", "Feeling safe with money"]
    assert saved["follow_up"] == [{"outcome_id": org["money"], "domain": "Feeling safe with money",
                                   "edit_url": f"/outcomes/{org['money']}/edit",
                                   "why": "Not person-led: redefine it with the person, in their own words."}]
    assert saved["next_due_on"] == add_months(TODAY, 6).isoformat()
    assert manager.get(f"/api/v1/care-plan-audits/{saved['id']}").get_json()["id"] == saved["id"]
    assert [a["id"] for a in manager.get(f"/api/v1/care-plan-audits?person={org['person']}").get_json()["items"]] == [saved["id"]]


@pytest.mark.parametrize("answers,field", [
    ("missing", "outcomes"),                 # every active outcome needs an answer
    ("theirs", "outcomes.2.outcome_id"),     # someone else's outcome
    ("retired", "outcomes.2.outcome_id"),    # not active
    ("twice", "outcomes.2.outcome_id"),
    ("no_without_note", "outcomes.1.note"),
])
def test_bad_audits_name_the_field_and_save_nothing(app, org, api_for, answers, field):
    base = [answer(org["buses"]), answer(org["money"])]
    chosen = {
        "missing": base[:1],
        "theirs": base + [answer(org["theirs"])],
        "retired": base + [answer(org["retired"])],
        "twice": base + [answer(org["money"])],
        "no_without_note": [answer(org["buses"]), {**answer(org["money"]), "person_can_describe": False}],
    }[answers]
    r = api_for(org["registered_manager"]).post("/api/v1/care-plan-audits", json=audit_body(org, answers=chosen))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"], r.get_json()
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(CarePlanAudit)).scalar_one() == 0


def test_more_bad_input(app, org, api_for):
    manager = api_for(org["registered_manager"])
    for body, field in (
        ({**audit_body(org), "audited_on": (TODAY + timedelta(days=5)).isoformat()}, "audited_on"),
        ({**audit_body(org), "audited_on": "yesterday"}, "audited_on"),
        ({**audit_body(org), "outcomes": [{"outcome_id": org["buses"], "still_relevant": "maybe"}]}, "outcomes"),
        ({k: v for k, v in audit_body(org).items() if k != "person_id"}, "person_id"),
    ):
        r = manager.post("/api/v1/care-plan-audits", json=body)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (field, r.get_json())


def test_due_after_six_months_or_never(app, org, api_for):
    manager = api_for(org["registered_manager"])
    assert {name: i["status"] for name, i in due(manager, org).items()} == {"Alpha Person One": "never", "Alpha Person Two": "never"}
    six_months_ago = add_months(TODAY, -6)
    assert manager.post("/api/v1/care-plan-audits", json=audit_body(org, days_ago=(TODAY - six_months_ago).days - 1)).status_code == 201
    assert "Alpha Person One" not in due(manager, org)  # six months less a day ago: not yet
    with app.app_context():
        db.session.execute(CarePlanAudit.__table__.update().values(audited_on=six_months_ago))
        db.session.commit()
    item = due(manager, org)["Alpha Person One"]  # exactly six months ago: due today
    assert (item["status"], item["due_on"], item["last_audited_on"]) == ("due", TODAY.isoformat(), six_months_ago.isoformat())
    with app.app_context():
        db.session.execute(CarePlanAudit.__table__.update().values(audited_on=six_months_ago - timedelta(days=10)))
        db.session.commit()
    item = due(manager, org)["Alpha Person One"]
    assert (item["status"], item["days_overdue"]) == ("overdue", 10)
    # the interval is a setting
    app.config["CARE_PLAN_AUDIT_MONTHS"] = 12
    assert "Alpha Person One" not in due(manager, org)
    listed = manager.get(f"/api/v1/care-plan-audits/due?service={org['service']}").get_json()
    assert listed["interval_months"] == 12 and [i["person_name"] for i in listed["items"]] == ["Alpha Person Two"]


def test_who_may_audit(app, org, api_for):
    with app.app_context():
        elsewhere = Person(organisation_id=org["org"], service_id=org["services"][1], name="Alpha Residential")
        db.session.add(elsewhere)
        db.session.commit()
        elsewhere_id = elsewhere.id
    manager = api_for(org["registered_manager"])
    r = manager.post("/api/v1/care-plan-audits", json={"person_id": elsewhere_id, "audited_on": TODAY.isoformat(), "outcomes": []})
    assert r.status_code == 404 and "person_id" in r.get_json()["error"]["fields"]
    assert manager.get(f"/api/v1/care-plan-audits?service={org['services'][1]}&due=true").status_code == 404
    senior = api_for(org["senior_leader"])
    r = senior.post("/api/v1/care-plan-audits", json={"person_id": elsewhere_id, "audited_on": TODAY.isoformat(), "outcomes": []})
    assert r.status_code == 201, r.get_json()  # no active outcomes: an audit that says so
    for role in ("support_worker", "commissioner", "admin"):
        api = api_for(org[role])
        assert api.post("/api/v1/care-plan-audits", json=audit_body(org)).status_code == 403, role
        assert api.get(f"/api/v1/care-plan-audits?service={org['service']}&due=true").status_code == 403, role
    assert api_for(org["person_email"]).get(f"/api/v1/care-plan-audits/{r.get_json()['id']}").status_code == 403
    assert manager.get(f"/api/v1/care-plan-audits/{r.get_json()['id']}").status_code == 404
    assert manager.get("/api/v1/care-plan-audits?due=true").status_code == 422
