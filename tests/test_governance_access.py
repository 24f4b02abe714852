"""The governance endpoints in the access matrix (ACCESS.md): every role of one organisation against
every governance endpoint that takes an id, given another organisation's ids, gets nothing, learns
nothing (an id that exists elsewhere reads like one that exists nowhere) and changes nothing. Each
endpoint is in the OpenAPI document."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import CarePlanAudit, Change, Escalation, Person, Theme
from tests import factories

ROLES = ("support_worker", "registered_manager", "senior_leader", "commissioner", "admin", "person")
TODAY = date.today()
MONTH = f"{TODAY:%Y-%m}"


def records(app, ids):
    outcome = factories.outcome(app, ids["person"], domain="Beta secret goal")
    with app.app_context():
        change = Change(service_id=ids["service"], description="Beta secret change", starts_on=TODAY, co_produced_with="x")
        audit = CarePlanAudit(organisation_id=ids["org"], service_id=ids["service"], person_id=ids["person"], audited_on=TODAY,
                              audited_by=ids["registered_manager_id"])
        theme = Theme(organisation_id=ids["org"], name="Beta theme")
        db.session.add_all([change, audit, theme])
        db.session.flush()
        escalation = Escalation(organisation_id=ids["org"], service_id=ids["service"], person_id=ids["person"], outcome_id=outcome,
                                rule="deterioration", reasons=[], review_ids=[], raised_at=datetime.now(timezone.utc))
        db.session.add(escalation)
        db.session.commit()
        return {"escalation": escalation.id, "person": ids["person"], "service": ids["service"], "worker": ids["support_worker_id"],
                "audit": audit.id, "change": change.id, "theme": theme.id, "outcome": outcome}


# (method, url, body) from the target's ids
ENDPOINTS = {
    "GET escalations/{id}": lambda t: ("GET", f"/api/v1/escalations/{t['escalation']}", None),
    "POST escalations/{id}/acknowledge": lambda t: ("POST", f"/api/v1/escalations/{t['escalation']}/acknowledge", None),
    "POST escalations/{id}/answer": lambda t: ("POST", f"/api/v1/escalations/{t['escalation']}/answer", {"answer": "Planted"}),
    "GET escalations?service": lambda t: ("GET", f"/api/v1/escalations?service={t['service']}", None),
    "GET people/{id}/escalations": lambda t: ("GET", f"/api/v1/people/{t['person']}/escalations", None),
    "GET services/{id}/escalation-counts": lambda t: ("GET", f"/api/v1/services/{t['service']}/escalation-counts", None),
    "GET services/{id}/dashboard": lambda t: ("GET", f"/api/v1/services/{t['service']}/dashboard?month={MONTH}", None),
    "GET supervisions/prepare": lambda t: ("GET", f"/api/v1/supervisions/prepare?user_id={t['worker']}&month={MONTH}", None),
    "GET supervisions?user_id": lambda t: ("GET", f"/api/v1/supervisions?user_id={t['worker']}", None),
    "POST supervisions": lambda t: ("POST", "/api/v1/supervisions", {
        "user_id": t["worker"], "month": MONTH, "held_on": TODAY.isoformat(),
        "entries": [{"person_id": t["person"], "what_changed": "Planted", "next_step": "Planted"}]}),
    "GET care-plan-audits?due": lambda t: ("GET", f"/api/v1/care-plan-audits?service={t['service']}&due=true", None),
    "GET care-plan-audits?person": lambda t: ("GET", f"/api/v1/care-plan-audits?person={t['person']}", None),
    "GET care-plan-audits/{id}": lambda t: ("GET", f"/api/v1/care-plan-audits/{t['audit']}", None),
    "POST care-plan-audits": lambda t: ("POST", "/api/v1/care-plan-audits", {
        "person_id": t["person"], "audited_on": TODAY.isoformat(),
        "outcomes": [{"outcome_id": t["outcome"], "still_relevant": True, "person_led": True, "person_can_describe": True}]}),
    "GET learning?service": lambda t: ("GET", f"/api/v1/learning?service={t['service']}", None),
    "POST learning": lambda t: ("POST", "/api/v1/learning", {
        "service_id": t["service"], "recorded_on": TODAY.isoformat(), "learned": "Planted", "decision": "Planted",
        "source": {"kind": "theme", "id": t["theme"]}, "change_id": t["change"]}),
}
OPENAPI_PATHS = {
    "/api/v1/escalations": {"get"}, "/api/v1/escalations/{escalation_id}": {"get"},
    "/api/v1/escalations/{escalation_id}/acknowledge": {"post"}, "/api/v1/escalations/{escalation_id}/answer": {"post"},
    "/api/v1/people/{person_id}/escalations": {"get"}, "/api/v1/services/{service_id}/escalation-counts": {"get"},
    "/api/v1/services/{service_id}/dashboard": {"get"}, "/api/v1/supervisions/prepare": {"get"},
    "/api/v1/supervisions": {"get", "post"}, "/api/v1/supervisions/staff": {"get"},
    "/api/v1/care-plan-audits": {"get", "post"}, "/api/v1/care-plan-audits/due": {"get"},
    "/api/v1/care-plan-audits/{audit_id}": {"get"}, "/api/v1/learning": {"get", "post"},
}


def call(api, endpoint, target):
    method, url, body = ENDPOINTS[endpoint](target)
    if method == "GET":
        return api.get(url)
    return api.post(url, json=body)


def snapshot(app) -> dict:
    with app.app_context():
        out = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
               for t in db.metadata.sorted_tables if t.name != "audit_events"}
        out["escalations*"] = sorted(db.session.execute(select(Escalation.id, Escalation.status, Escalation.answer)).all())
        return out


@pytest.fixture
def two_orgs(app):
    a = factories.organisation(app, "Alpha")
    b = factories.organisation(app, "Beta")
    a["emails"] = {role: a["person_email"] if role == "person" else a[role] for role in ROLES}
    b["records"] = records(app, b)
    with app.app_context():
        b["person_name"] = db.session.get(Person, b["person"]).name
    return a, b


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_organisations_governance_records(app, api_for, two_orgs, role):
    a, b = two_orgs
    api = api_for(a["emails"][role])
    before = snapshot(app)
    for endpoint in ENDPOINTS:
        r = call(api, endpoint, b["records"])
        assert r.status_code in {403, 404}, (role, endpoint, r.status_code, r.get_json())
        assert r.get_json()["error"]["code"] in {"not_found", "forbidden"}, (role, endpoint)
        text = r.get_data(as_text=True)
        assert "Beta secret" not in text and b["person_name"] not in text, (role, endpoint)
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ROLES)
def test_an_id_that_exists_elsewhere_reads_like_one_that_exists_nowhere(app, api_for, two_orgs, role):
    a, b = two_orgs
    api = api_for(a["emails"][role])
    made_up = {k: str(uuid.uuid4()) for k in b["records"]}
    for endpoint in ENDPOINTS:
        theirs, nobodys = call(api, endpoint, b["records"]), call(api, endpoint, made_up)
        assert (theirs.status_code, theirs.get_json()) == (nobodys.status_code, nobodys.get_json()), (role, endpoint)


def test_the_same_requests_work_inside_the_organisation_for_those_allowed(app, api_for, two_orgs):
    """The matrix above is not vacuous: a senior leader of Beta gets 200/201 on each."""
    _, b = two_orgs
    senior = api_for(b["senior_leader"])
    for endpoint in ENDPOINTS:
        r = call(senior, endpoint, b["records"])
        assert r.status_code in {200, 201}, (endpoint, r.get_json())


def test_signed_out_requests_get_a_json_401(app, anon, two_orgs):
    _, b = two_orgs
    for endpoint in ENDPOINTS:
        r = call(anon, endpoint, b["records"])
        assert r.status_code in {401, 403}, endpoint  # a signed-out POST without a CSRF token may be refused first
        if r.status_code == 403:
            assert r.get_json()["error"]["code"] == "csrf"


def test_every_governance_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, methods in OPENAPI_PATHS.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path
        for method in methods:
            assert spec["paths"][path][method].get("description") or spec["paths"][path][method].get("summary"), (path, method)
