"""The learning log: entries linked to their source and to the change they led to, listed on the
change; managers and seniors write; commissioners read it anonymised (the wording only of entries
shared with them, which must name nobody)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import CarePlanAudit, Change, Escalation, LearningEntry, Person, Theme
from tests import factories

TODAY = date.today()


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha", services=("domiciliary", "residential"))
    outcome = factories.outcome(app, ids["person"])
    with app.app_context():
        rushed = Theme(organisation_id=ids["org"], name="Feeling rushed")
        windows = Change(service_id=ids["service"], description="Flexible arrival windows for morning calls",
                         starts_on=TODAY - timedelta(days=30), co_produced_with="People and families")
        elsewhere = Change(service_id=ids["services"][1], description="Quieter breakfast time", starts_on=TODAY, co_produced_with="Residents")
        audit = CarePlanAudit(organisation_id=ids["org"], service_id=ids["service"], person_id=ids["person"], audited_on=TODAY,
                              audited_by=ids["registered_manager_id"])
        db.session.add_all([rushed, windows, elsewhere, audit])
        db.session.flush()
        escalation = Escalation(organisation_id=ids["org"], service_id=ids["service"], person_id=ids["person"], outcome_id=outcome,
                                rule="deterioration", reasons=[], review_ids=[], raised_at=datetime.now(timezone.utc))
        db.session.add(escalation)
        db.session.commit()
        ids.update(theme=rushed.id, change=windows.id, elsewhere=elsewhere.id, audit=audit.id, escalation=escalation.id,
                   person_name=db.session.get(Person, ids["person"]).name)
    return ids


def entry(org, **kw):
    body = {"service_id": org["service"], "recorded_on": (TODAY - timedelta(days=40)).isoformat(),
            "learned": "Most people said mornings felt rushed; the 7am call was too early for several.",
            "decision": "Trial flexible arrival windows for morning calls, agreed with people and families."}
    body.update(kw)
    return body


def test_the_path_feedback_theme_learning_change_can_be_followed(app, org, api_for):
    manager = api_for(org["registered_manager"])
    r = manager.post("/api/v1/learning", json=entry(org, source={"kind": "theme", "id": org["theme"]}, change_id=org["change"],
                                                     shared_with_commissioners=True))
    assert r.status_code == 201, r.get_json()
    saved = r.get_json()
    assert saved["source"] == {"kind": "theme", "id": org["theme"], "label": "Feedback theme “Feeling rushed”",
                               "url": f"/services/{org['service']}/themes"}
    assert saved["change"] == {"id": org["change"], "description": "Flexible arrival windows for morning calls",
                               "starts_on": (TODAY - timedelta(days=30)).isoformat()}
    # the change's page lists what led to it
    [shown] = manager.get(f"/api/v1/learning?change={org['change']}").get_json()["items"]
    assert shown["id"] == saved["id"] and shown["recorded_on"] == (TODAY - timedelta(days=40)).isoformat()
    assert shown["created_by_name"] == "Alpha registered_manager"
    assert manager.get(f"/api/v1/learning?change={org['elsewhere']}").get_json()["items"] == []


@pytest.mark.parametrize("kind,source_id,label", [
    ("change", "change", "The measured effect of “Flexible arrival windows for morning calls”"),
    ("escalation", "escalation", "Escalation (deterioration) for Alpha Person One: Confidence using buses"),
    ("audit", "audit", f"Care-plan audit of Alpha Person One on {TODAY.day} {TODAY:%B %Y}"),
    ("dashboard", "month", f"Monthly dashboard, {TODAY:%B %Y}"),
])
def test_each_kind_of_source(app, org, api_for, kind, source_id, label):
    sid = f"{TODAY:%Y-%m}" if source_id == "month" else org[source_id]
    r = api_for(org["senior_leader"]).post("/api/v1/learning", json=entry(org, source={"kind": kind, "id": sid}))
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["source"]["kind"], r.get_json()["source"]["label"]) == (kind, label)


@pytest.mark.parametrize("change,status,field", [
    ({"source": {"kind": "theme", "id": "00000000-0000-4000-8000-000000000000"}}, 404, "source.id"),
    ({"source": {"kind": "change", "id": "ELSEWHERE"}}, 404, "source.id"),
    ({"source": {"kind": "dashboard", "id": "2026-13"}}, 422, "source.id"),
    ({"source": {"kind": "dashboard", "id": "2999-01"}}, 422, "source.id"),
    ({"source": {"kind": "minutes", "id": "x"}}, 422, "source"),
    ({"change_id": "ELSEWHERE"}, 404, "change_id"),
    ({"learned": "   "}, 422, "learned"),
    ({"decision": "x" * 4001}, 422, "decision"),
    ({"recorded_on": (TODAY + timedelta(days=3)).isoformat()}, 422, "recorded_on"),
    ({"service_id": "SERVICE2"}, 404, "service_id"),
    ({"shared_with_commissioners": True, "learned": "Alpha Person One said mornings felt rushed."}, 422, "learned"),
    ({"shared_with_commissioners": True, "decision": "Ask alpha about it"}, 422, "decision"),  # a first name, any case
])
def test_bad_entries_name_the_field_and_save_nothing(app, org, api_for, change, status, field):
    body = entry(org, **change)
    for key in ("source", ):
        if isinstance(body.get(key), dict) and body[key].get("id") == "ELSEWHERE":
            body[key]["id"] = org["elsewhere"]
    if body.get("change_id") == "ELSEWHERE":
        body["change_id"] = org["elsewhere"]
    if body.get("service_id") == "SERVICE2":
        body["service_id"] = org["services"][1]
    r = api_for(org["registered_manager"]).post("/api/v1/learning", json=body)
    assert r.status_code == status, r.get_json()
    assert field in r.get_json()["error"]["fields"], r.get_json()
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(LearningEntry)).scalar_one() == 0


def test_commissioners_read_it_anonymised(app, org, api_for):
    manager = api_for(org["registered_manager"])
    shared = manager.post("/api/v1/learning", json=entry(org, source={"kind": "theme", "id": org["theme"]}, change_id=org["change"],
                                                          shared_with_commissioners=True)).get_json()
    private = manager.post("/api/v1/learning", json=entry(org, recorded_on=TODAY.isoformat(), source={"kind": "escalation", "id": org["escalation"]},
                                                           learned=f"{org['person_name']}'s travel training stopped.", decision="Restart it.")).get_json()
    commissioner = api_for(org["commissioner"])
    r = commissioner.get(f"/api/v1/learning?service={org['service']}")
    assert r.status_code == 200, r.get_json()
    text = r.get_data(as_text=True)
    assert org["person_name"] not in text and "Restart it" not in text and "Flexible arrival windows" not in text and "Feeling rushed" not in text
    items = {i["id"]: i for i in r.get_json()["items"]}
    assert items[private["id"]] == {"id": private["id"], "service_id": org["service"], "service_name": "Alpha domiciliary",
                                    "recorded_on": TODAY.isoformat(), "source": {"kind": "escalation"}, "led_to_change": False,
                                    "change": None, "anonymised": True, "shared_with_commissioners": False}
    assert items[shared["id"]]["learned"].startswith("Most people said") and items[shared["id"]]["change"] == {
        "id": org["change"], "starts_on": (TODAY - timedelta(days=30)).isoformat()}
    assert commissioner.post("/api/v1/learning", json=entry(org)).status_code == 403
    assert commissioner.get(f"/api/v1/learning?service={org['services'][1]}").status_code == 404  # not commissioned


def test_who_may_write_and_read(app, org, api_for):
    for role in ("support_worker", "admin"):
        api = api_for(org[role])
        assert api.post("/api/v1/learning", json=entry(org)).status_code == 403, role
        assert api.get("/api/v1/learning").status_code == 403, role
    assert api_for(org["person_email"]).get("/api/v1/learning").status_code == 403
    manager = api_for(org["registered_manager"])
    assert manager.post("/api/v1/learning", json=entry(org, service_id=org["services"][1])).status_code == 404
    senior = api_for(org["senior_leader"])
    assert senior.post("/api/v1/learning", json=entry(org, service_id=org["services"][1])).status_code == 201
    assert [i["service_id"] for i in manager.get("/api/v1/learning").get_json()["items"]] == []
    assert len(senior.get("/api/v1/learning").get_json()["items"]) == 1
    other = factories.organisation(app, "Beta")
    assert api_for(other["senior_leader"]).get("/api/v1/learning").get_json()["items"] == []
    assert api_for(other["senior_leader"]).post("/api/v1/learning", json=entry(org)).status_code == 404
