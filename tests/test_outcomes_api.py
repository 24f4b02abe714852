"""Outcomes and actions through the REST API (issue 3): definition, the priority limit, actions under
their outcome, versioned edits that merge or conflict, idempotent creates, audit, ordering and
the trajectory shape."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Action, AuditEvent, Change, ChangeOutcome, EvidenceNote, Outcome, Review
from server.domain.outcomes import quarter_bounds, quarter_of
from tests import factories

TODAY = date.today()


def counts(app) -> dict:
    with app.app_context():
        return {
            m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Outcome, Action, Review, EvidenceNote, Change)
        }


def audits(app, action=None, entity=None) -> list[AuditEvent]:
    with app.app_context():
        q = select(AuditEvent)
        if action:
            q = q.where(AuditEvent.action == action)
        if entity:
            q = q.where(AuditEvent.entity == entity)
        rows = db.session.execute(q.order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        return rows


def outcome_body(person_id, **kw) -> dict:
    body = {
        "person_id": person_id,
        "domain": "Confidence using buses",
        "persons_words": "Going into town on my own, like everyone else.",
        "indicator": "Travels alone by bus to planned places, with a check-in text only",
        "target": "Alone to town twice a month within eight weeks",
        "starts_on": TODAY.isoformat(),
        "review_by": (TODAY + timedelta(days=90)).isoformat(),
    }
    body.update(kw)
    return body


@pytest.fixture
def org(app):
    return factories.organisation(app, "Alpha")


@pytest.fixture
def worker(org, api_for):
    return api_for(org["support_worker"])


# ---- defining an outcome ----

def test_worker_defines_an_outcome_with_the_person(app, org, worker):
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], priority=True))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["domain"] == "Confidence using buses"
    assert body["persons_words"].startswith("Going into town")
    assert body["indicator"].startswith("Travels alone")
    assert body["target"] == "Alone to town twice a month within eight weeks"
    assert body["review_every"] == "monthly"  # the default
    assert body["status"] == "active"
    assert body["priority"] is True
    assert body["starts_on"] == TODAY.isoformat()
    assert body["version"] == 1
    assert body["actions"] == []
    assert body["next_review_due"] == (TODAY + timedelta(days=30)).isoformat()
    with app.app_context():
        stored = db.session.get(Outcome, body["id"])
        assert stored.person_id == org["person"] and stored.created_by == org["support_worker_id"]
    [event] = audits(app, "create", "outcome")
    assert event.entity_id == body["id"] and event.person_id == org["person"]
    assert event.user_id == org["support_worker_id"] and event.organisation_id == org["org"]


def test_review_every_and_status_are_checked(app, org, worker):
    before = counts(app)
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], review_every="daily", status="done"))
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"review_every", "status"}
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], review_every="quarterly"))
    assert r.status_code == 201 and r.get_json()["review_every"] == "quarterly"
    assert counts(app)["outcomes"] == before["outcomes"] + 1


def test_missing_and_mistyped_fields_are_each_named(app, org, worker):
    before = counts(app)
    r = worker.post("/api/v1/outcomes", json={"person_id": "not-a-uuid", "priority": "very", "starts_on": "soon"})
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation"
    assert {"person_id", "priority", "starts_on", "domain", "persons_words", "indicator", "review_by"} <= set(error["fields"])
    assert all(isinstance(v, list) and v for v in error["fields"].values())
    assert counts(app) == before


def test_blank_text_is_refused(app, org, worker):
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain="   ", indicator=""))
    assert r.status_code == 422
    assert {"domain", "indicator"} <= set(r.get_json()["error"]["fields"])
    assert counts(app)["outcomes"] == 0


def test_review_by_before_starts_on_is_refused(app, org, worker):
    r = worker.post("/api/v1/outcomes", json=outcome_body(
        org["person"], starts_on=TODAY.isoformat(), review_by=(TODAY - timedelta(days=1)).isoformat()))
    assert r.status_code == 422
    assert "review_by" in r.get_json()["error"]["fields"]
    assert counts(app)["outcomes"] == 0
    # and on an edit, against the stored start date
    oid = factories.outcome(app, org["person"])
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "review_by": (TODAY - timedelta(days=200)).isoformat()})
    assert r.status_code == 422
    assert "review_by" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Outcome, oid).version == 1


def test_unknown_extra_fields_are_named(app, org, worker):
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], colour="blue", created_by=org["admin_id"]))
    assert r.status_code == 422
    assert {"colour", "created_by"} <= set(r.get_json()["error"]["fields"])
    oid = factories.outcome(app, org["person"])
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "person_id": org["other_person"]})
    assert r.status_code == 422 and "person_id" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Outcome, oid).person_id == org["person"]
    assert counts(app)["outcomes"] == 1


def test_malformed_json_is_a_400(app, org, worker):
    r = worker.post("/api/v1/outcomes", data="{domain: buses", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] in {"invalid_json", "bad_request"}
    r = worker.post("/api/v1/outcomes", json=["a", "list"])
    assert r.status_code in {400, 422}
    assert counts(app)["outcomes"] == 0


def test_outcome_for_someone_outside_scope_is_not_found(app, org, worker):
    before = counts(app)
    for person_id in (org["other_person"], str(uuid.uuid4())):
        r = worker.post("/api/v1/outcomes", json=outcome_body(person_id))
        assert r.status_code == 404
        assert r.get_json()["error"]["code"] == "not_found"
    assert counts(app) == before


# ---- at most three active priority outcomes per person per quarter ----

def test_a_fourth_active_priority_outcome_is_refused_naming_the_three(app, org, worker):
    domains = ["Confidence using buses", "Feeling safe with money", "Going to the art group"]
    ids = []
    for d in domains:
        r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain=d, priority=True))
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    before = counts(app)
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain="Cooking a meal for friends", priority=True))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert "priority" in error["fields"]
    for d in domains:
        assert d in error["message"]
    assert sorted(error["active"]) == sorted(ids)
    assert counts(app) == before
    # not a priority: fine
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain="Cooking a meal for friends"))
    assert r.status_code == 201
    fourth = r.get_json()
    # making it a priority by an edit is refused the same way
    r = worker.patch(f"/api/v1/outcomes/{fourth['id']}", json={"version": 1, "priority": True})
    assert r.status_code == 422 and "priority" in r.get_json()["error"]["fields"]
    # another person is not affected
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain="x", priority=True, status="paused"))
    assert r.status_code == 201  # a paused priority does not count
    # pause one of the three: now the fourth may become a priority
    r = worker.patch(f"/api/v1/outcomes/{ids[0]}", json={"version": 1, "status": "paused"})
    assert r.status_code == 200, r.get_json()
    r = worker.patch(f"/api/v1/outcomes/{fourth['id']}", json={"version": 1, "priority": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["priority"] is True


def test_priority_limit_is_per_quarter(app, org, worker):
    y, q = quarter_of(TODAY)
    q_start, q_end = quarter_bounds(y, q)
    for i in range(3):
        r = worker.post("/api/v1/outcomes", json=outcome_body(
            org["person"], domain=f"Goal {i}", priority=True, starts_on=q_start.isoformat(), review_by=q_end.isoformat()))
        assert r.status_code == 201, r.get_json()
    next_start = q_end + timedelta(days=1)
    r = worker.post("/api/v1/outcomes", json=outcome_body(
        org["person"], domain="Next quarter", priority=True, starts_on=next_start.isoformat(),
        review_by=(next_start + timedelta(days=60)).isoformat()))
    assert r.status_code == 201, r.get_json()


def _three_priorities_in_q2(org, worker, year):
    ids = []
    for i in range(3):
        r = worker.post("/api/v1/outcomes", json=outcome_body(
            org["person"], domain=f"Spring goal {i}", priority=True,
            starts_on=date(year, 4, 1).isoformat(), review_by=date(year, 6, 30).isoformat()))
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    return ids


def test_a_priority_spanning_a_full_quarter_is_refused_though_it_starts_earlier(app, org, worker):
    """January to September spans Q2, which already has three priorities: refused, naming them."""
    year = TODAY.year + 1
    q2 = _three_priorities_in_q2(org, worker, year)
    before = counts(app)
    r = worker.post("/api/v1/outcomes", json=outcome_body(
        org["person"], domain="All year goal", priority=True,
        starts_on=date(year, 1, 1).isoformat(), review_by=date(year, 9, 30).isoformat()))
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert "priority" in error["fields"] and f"{year}Q2" in error["message"]
    assert all(f"Spring goal {i}" in error["message"] for i in range(3))
    assert sorted(error["active"]) == sorted(q2)
    assert counts(app) == before
    # The same outcome ending in March (Q1 only) is fine ...
    r = worker.post("/api/v1/outcomes", json=outcome_body(
        org["person"], domain="Winter goal", priority=True,
        starts_on=date(year, 1, 1).isoformat(), review_by=date(year, 3, 31).isoformat()))
    assert r.status_code == 201, r.get_json()
    winter = r.get_json()
    # ... but moving its review date into Q2 is refused the same way.
    r = worker.patch(f"/api/v1/outcomes/{winter['id']}", json={"version": 1, "review_by": date(year, 8, 1).isoformat()})
    assert r.status_code == 422 and "priority" in r.get_json()["error"]["fields"]
    # Q3 alone has room: a July to September priority is accepted.
    r = worker.post("/api/v1/outcomes", json=outcome_body(
        org["person"], domain="Summer goal", priority=True,
        starts_on=date(year, 7, 1).isoformat(), review_by=date(year, 9, 30).isoformat()))
    assert r.status_code == 201, r.get_json()


def test_a_synced_priority_spanning_a_full_quarter_is_rejected_by_the_same_rule(app, org, worker):
    year = TODAY.year + 1
    _three_priorities_in_q2(org, worker, year)
    args = outcome_body(org["person"], id=str(uuid.uuid4()), domain="All year goal", priority=True,
                        starts_on=date(year, 2, 1).isoformat(), review_by=date(year + 1, 1, 31).isoformat())
    r = worker.post("/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": [
        {"id": 1, "name": "outcome.create", "args": args, "at": datetime.now(timezone.utc).isoformat()}]})
    assert r.status_code == 200, r.get_json()
    [result] = r.get_json()["results"]
    assert result["status"] == "rejected" and "priority" in result["error"]["fields"]
    assert f"{year}Q2" in result["error"]["message"]
    with app.app_context():
        assert db.session.get(Outcome, args["id"]) is None


# ---- actions ----

def test_actions_with_each_kind_of_owner_show_under_their_outcome(app, org, worker):
    oid = factories.outcome(app, org["person"])
    due = (TODAY + timedelta(days=14)).isoformat()
    made = []
    for body in (
        {"description": "Practise the route on Tuesdays", "owner_kind": "staff", "owner_user_id": org["support_worker_id"], "due_on": due},
        {"description": "Keep the bus pass in the wallet", "owner_kind": "person"},
        {"description": "Sister to come on the first trip", "owner_kind": "other", "owner_name": "Nadia (sister)"},
    ):
        r = worker.post("/api/v1/actions", json={"outcome_id": oid, **body})
        assert r.status_code == 201, r.get_json()
        made.append(r.get_json())
    assert made[0]["owner_label"] == "Alpha support_worker" and made[0]["due_on"] == due
    assert made[1]["owner_label"] == "The person"
    assert made[2]["owner_label"] == "Nadia (sister)"
    assert all(a["status"] == "open" and a["version"] == 1 and a["person_id"] == org["person"] for a in made)

    [listed] = worker.get(f"/api/v1/people/{org['person']}/outcomes").get_json()
    assert {a["id"] for a in listed["actions"]} == {a["id"] for a in made}
    assert {a["owner_kind"] for a in listed["actions"]} == {"staff", "person", "other"}
    assert len(audits(app, "create", "action")) == 3


def test_action_owner_must_be_named(app, org, worker):
    oid = factories.outcome(app, org["person"])
    r = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Do it", "owner_kind": "staff"})
    assert r.status_code == 422 and "owner_user_id" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Do it", "owner_kind": "other"})
    assert r.status_code == 422 and "owner_name" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Do it", "owner_kind": "robot"})
    assert r.status_code == 422 and "owner_kind" in r.get_json()["error"]["fields"]
    assert counts(app)["actions"] == 0


def test_action_owner_must_be_staff_of_this_organisation(app, org, worker):
    other = factories.organisation(app, "Beta")
    oid = factories.outcome(app, org["person"])
    r = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Do it", "owner_kind": "staff",
                                             "owner_user_id": other["support_worker_id"]})
    assert r.status_code == 422 and "owner_user_id" in r.get_json()["error"]["fields"]
    # the person's own account is not a staff member either
    r = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Do it", "owner_kind": "staff",
                                             "owner_user_id": org["person_id"]})
    assert r.status_code == 422 and "owner_user_id" in r.get_json()["error"]["fields"]
    assert counts(app)["actions"] == 0


def test_action_on_unknown_outcome_is_not_found(app, org, worker):
    r = worker.post("/api/v1/actions", json={"outcome_id": str(uuid.uuid4()), "description": "Do it", "owner_kind": "person"})
    assert r.status_code == 404 and "outcome_id" in r.get_json()["error"]["fields"]
    assert counts(app)["actions"] == 0


# ---- versioned edits ----

def test_outcome_edit_bumps_version_and_is_audited(app, org, worker):
    oid = factories.outcome(app, org["person"])
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "target": "Three times a month"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["target"] == "Three times a month" and body["version"] == 2
    assert body["domain"] == "Confidence using buses"  # untouched fields stay
    assert body["status"] == "active" and body["review_every"] == "monthly"
    [event] = audits(app, "update", "outcome")
    assert event.entity_id == oid and event.detail["fields"] == ["target"]


def test_stale_edit_of_the_same_field_is_a_conflict_with_the_current_record(app, org, api_for):
    oid = factories.outcome(app, org["person"])
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    assert manager.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "target": "Weekly"}).status_code == 200
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "target": "Daily"})
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "conflict" and "target" in error["fields"]
    assert error["current"]["id"] == oid
    assert error["current"]["target"] == "Weekly" and error["current"]["version"] == 2
    with app.app_context():
        stored = db.session.get(Outcome, oid)
        assert stored.target == "Weekly" and stored.version == 2
    # re-applied from the current version, it goes through
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 2, "target": "Daily"})
    assert r.status_code == 200 and r.get_json()["version"] == 3


def test_stale_edit_of_a_different_field_merges(app, org, api_for):
    oid = factories.outcome(app, org["person"])
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    assert manager.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "target": "Weekly"}).status_code == 200
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "indicator": "Takes the bus alone"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["target"] == "Weekly" and body["indicator"] == "Takes the bus alone" and body["version"] == 3


def test_a_version_from_the_future_is_refused(app, org, worker):
    oid = factories.outcome(app, org["person"])
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 7, "target": "Weekly"})
    assert r.status_code == 422 and "version" in r.get_json()["error"]["fields"]
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"target": "Weekly"})
    assert r.status_code == 422 and "version" in r.get_json()["error"]["fields"]


def test_action_edits_conflict_or_merge_like_outcomes(app, org, api_for):
    oid = factories.outcome(app, org["person"])
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    action = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Practise the route", "owner_kind": "person"}).get_json()
    url = f"/api/v1/actions/{action['id']}"
    r = manager.patch(url, json={"version": 1, "status": "done"})
    assert r.status_code == 200 and r.get_json()["version"] == 2
    r = worker.patch(url, json={"version": 1, "status": "dropped"})
    assert r.status_code == 409
    assert r.get_json()["error"]["current"]["status"] == "done"
    r = worker.patch(url, json={"version": 1, "due_on": (TODAY + timedelta(days=7)).isoformat()})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "done" and r.get_json()["version"] == 3
    r = worker.patch(url, json={"version": 3, "owner_kind": "other", "owner_name": "Jo (friend)"})
    assert r.status_code == 200 and r.get_json()["owner_label"] == "Jo (friend)"
    assert len(audits(app, "update", "action")) == 3


def test_edit_of_unknown_outcome_or_action_is_not_found(app, org, worker):
    for url in (f"/api/v1/outcomes/{uuid.uuid4()}", f"/api/v1/actions/{uuid.uuid4()}", "/api/v1/outcomes/nonsense"):
        r = worker.patch(url, json={"version": 1, "status": "done" if "actions" in url else "paused"})
        assert r.status_code == 404, url
        assert r.get_json()["error"]["code"] == "not_found"


# ---- idempotent creates ----

def test_same_client_id_and_payload_twice_makes_one_outcome(app, org, worker):
    body = outcome_body(org["person"], id=str(uuid.uuid4()))
    first = worker.post("/api/v1/outcomes", json=body)
    second = worker.post("/api/v1/outcomes", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"] == body["id"]
    assert counts(app)["outcomes"] == 1
    assert len(audits(app, "create", "outcome")) == 1


def test_same_client_id_with_a_different_payload_is_refused(app, org, worker):
    body = outcome_body(org["person"], id=str(uuid.uuid4()))
    assert worker.post("/api/v1/outcomes", json=body).status_code == 201
    r = worker.post("/api/v1/outcomes", json={**body, "domain": "Something else"})
    assert r.status_code == 422 and "id" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Outcome, body["id"]).domain == "Confidence using buses"
    assert counts(app)["outcomes"] == 1


def test_same_client_id_twice_makes_one_action(app, org, worker):
    oid = factories.outcome(app, org["person"])
    body = {"id": str(uuid.uuid4()), "outcome_id": oid, "description": "Practise the route", "owner_kind": "person"}
    assert worker.post("/api/v1/actions", json=body).status_code == 201
    assert worker.post("/api/v1/actions", json=body).status_code == 200
    r = worker.post("/api/v1/actions", json={**body, "description": "Something else"})
    assert r.status_code == 422 and "id" in r.get_json()["error"]["fields"]
    assert counts(app)["actions"] == 1


# ---- reading ----

def test_person_outcomes_are_newest_quarter_first(app, org, worker):
    def q_start(days_ago):
        y, q = quarter_of(TODAY - timedelta(days=days_ago))
        return quarter_bounds(y, q)[0]

    old = factories.outcome(app, org["person"], domain="Old", starts_on=q_start(400), review_by=q_start(400) + timedelta(days=80))
    mid = factories.outcome(app, org["person"], domain="Middle", starts_on=q_start(200), review_by=q_start(200) + timedelta(days=80))
    this_q = q_start(0)
    # in the same (newest) quarter: the active priority goal comes before a paused one that started later
    paused = factories.outcome(app, org["person"], domain="Paused", status="paused", starts_on=this_q + timedelta(days=1),
                               review_by=this_q + timedelta(days=80))
    new = factories.outcome(app, org["person"], domain="New", priority=True, starts_on=this_q, review_by=this_q + timedelta(days=80))
    r = worker.get(f"/api/v1/people/{org['person']}/outcomes")
    assert r.status_code == 200
    assert [o["id"] for o in r.get_json()] == [new, paused, mid, old]


def test_staff_views_of_a_person_are_audited(app, org, api_for):
    factories.outcome(app, org["person"])
    factories.outcome(app, org["person"], domain="Retired goal", status="retired")
    worker = api_for(org["support_worker"])
    r = worker.get(f"/api/v1/people/{org['person']}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["id"] == org["person"] and [o["domain"] for o in body["outcomes"]] == ["Confidence using buses"]
    assert body["active_outcomes"] == 1
    api_for(org["senior_leader"]).get(f"/api/v1/people/{org['person']}")
    views = audits(app, "view", "person")
    assert [(v.user_id, v.person_id) for v in views] == [
        (org["support_worker_id"], org["person"]), (org["senior_leader_id"], org["person"])]
    assert all(v.service_id == org["service"] for v in views)


def test_the_audit_names_the_device_bound_to_the_session_not_one_a_header_claims(app, org, worker, api_for):
    device = str(uuid.uuid4())
    # Before the app registers, a header naming a device is not believed.
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain="First"), headers={"X-Device-Id": device})
    assert r.status_code == 201
    [event] = audits(app, "create", "outcome")
    assert event.device_id is None
    # The app registers its device with the session; from then on every entry names it, whatever
    # a request's headers say.
    r = worker.client.put("/api/v1/session/device", json={"device_id": device.upper()}, headers=worker._h())
    assert r.status_code == 200 and r.get_json()["device_id"] == device
    assert worker.get("/api/v1/session").get_json()["device_id"] == device
    other = str(uuid.uuid4())
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], domain="Second"), headers={"X-Device-Id": other})
    assert r.status_code == 201
    assert worker.get(f"/api/v1/people/{org['person']}", headers={"X-Device-Id": other}).status_code == 200
    assert [e.device_id for e in audits(app, "create", "outcome")] == [None, device]
    assert [e.device_id for e in audits(app, "view", "person")] == [device]
    # Another account cannot claim that device for its session.
    manager = api_for(org["registered_manager"])
    r = manager.client.put("/api/v1/session/device", json={"device_id": device}, headers=manager._h())
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "device_taken"
    r = manager.client.put("/api/v1/session/device", json={"device_id": "phone-1"}, headers=manager._h())
    assert r.status_code == 422 and "device_id" in r.get_json()["error"]["fields"]
    # A new sign-in is a new session: it names no device until the app registers again.
    again = api_for(org["support_worker"])
    assert again.get("/api/v1/session").get_json()["device_id"] is None
    # A sync push binds the device it comes from (a device of this user only) to the session too.
    phone = str(uuid.uuid4())
    assert again.post("/api/v1/sync/push", json={"device_id": phone, "mutations": []}).status_code == 200
    assert again.get("/api/v1/outcomes/" + audits(app, "create", "outcome")[0].entity_id).status_code == 200
    assert [e.device_id for e in audits(app, "view", "outcome")] == [phone]
    assert again.post("/api/v1/sync/push", json={"device_id": device, "mutations": []}).status_code == 200  # the worker's own
    r = again.post("/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": []})
    assert r.status_code == 200
    with app.app_context():
        from server.models import Device
        assert db.session.get(Device, phone).user_agent  # kept, so the audit can say which browser


def test_trajectory_has_points_with_evidence_and_markers(app, org, worker):
    oid = factories.outcome(app, org["person"])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for days, score, rated_by, notes in ((60, 2, "together", ["Travelled with staff to town"]),
                                         (30, 3, "person", ["Travelled alone to GP appointment", "Paid the fare himself"])):
        r = worker.post("/api/v1/reviews", json={"outcome_id": oid, "score": score, "rated_by": rated_by,
                                                 "happened_at": (now - timedelta(days=days)).isoformat(), "evidence": notes})
        assert r.status_code == 201, r.get_json()
    due = TODAY - timedelta(days=45)
    worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Practise the route", "owner_kind": "person",
                                         "due_on": due.isoformat()})
    with app.app_context():
        change = Change(service_id=org["service"], description="Bus buddy scheme", starts_on=TODAY - timedelta(days=40),
                        co_produced_with="Tenants' meeting")
        db.session.add(change)
        db.session.flush()
        db.session.add(ChangeOutcome(change_id=change.id, outcome_id=oid))
        db.session.commit()

    r = worker.get(f"/api/v1/outcomes/{oid}/trajectory")
    assert r.status_code == 200
    body = r.get_json()
    assert {"outcome", "points", "markers"} <= set(body)
    assert body["outcome"]["id"] == oid and body["outcome"]["domain"] == "Confidence using buses"
    points = body["points"]
    assert [p["score"] for p in points] == [2, 3]
    for p in points:
        assert {"happened_at", "score", "rated_by", "evidence"} <= set(p)
        datetime.fromisoformat(p["happened_at"])
    assert points[0]["rated_by"] == "together" and points[1]["rated_by"] == "person"
    assert points[0]["evidence"] == ["Travelled with staff to town"]
    assert sorted(points[1]["evidence"]) == ["Paid the fare himself", "Travelled alone to GP appointment"]
    markers = body["markers"]
    for m in markers:
        assert {"date", "kind", "label"} <= set(m) and m["kind"] in {"action", "change"}
    assert [(m["date"], m["kind"]) for m in markers] == [(due.isoformat(), "action"), ((TODAY - timedelta(days=40)).isoformat(), "change")]
    assert "Practise the route" in markers[0]["label"]
    assert markers[1]["label"] == "Bus buddy scheme"


def test_get_one_outcome(app, org, worker):
    oid = factories.outcome(app, org["person"])
    r = worker.get(f"/api/v1/outcomes/{oid}")
    assert r.status_code == 200 and r.get_json()["id"] == oid
    assert worker.get(f"/api/v1/outcomes/{uuid.uuid4()}").status_code == 404
    assert worker.get(f"/api/v1/outcomes/{uuid.uuid4()}/trajectory").status_code == 404
    assert worker.get("/api/v1/outcomes/" + "x" * 300).status_code == 404


@pytest.mark.parametrize("field,value", [
    ("starts_on", "0001-01-01"),
    ("review_by", "9999-12-31"),
    ("domain", "Buses\x00"),
    ("persons_words", ["a", "list"]),
    ("domain", "x" * 121),
    ("target", "x" * 201),
])
def test_values_the_database_cannot_hold_are_refused_by_name(app, org, worker, field, value):
    """Never a 500 for bad input, on SQLite or PostgreSQL: far-off dates overflow date arithmetic,
    NUL cannot be stored in PostgreSQL text, and over-long text does not fit its column."""
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], priority=True, **{field: value}))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    assert counts(app)["outcomes"] == 0


def test_far_future_dates_on_an_edit_are_refused(app, org, worker):
    oid = factories.outcome(app, org["person"], priority=True)
    r = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "starts_on": "9999-12-20", "review_by": "9999-12-31"})
    assert r.status_code == 422 and {"starts_on", "review_by"} <= set(r.get_json()["error"]["fields"])
    action = worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "x", "owner_kind": "person",
                                                  "due_on": "10000-01-01"})
    assert action.status_code == 422 and "due_on" in action.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Outcome, oid).version == 1


def test_the_api_document_says_an_edit_needs_only_its_version(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["OutcomeUpdate"]["required"] == ["version"]
    assert schemas["ActionUpdate"]["required"] == ["version"]
    assert {"domain", "starts_on", "review_by", "person_id"} <= set(schemas["OutcomeCreate"]["required"])


def test_two_priority_outcomes_created_at_once_cannot_make_a_fourth(app, org, api_for, monkeypatch):
    """Two phones syncing at the same moment for one person: each must see the other's priority."""
    import threading
    import time

    from server.domain import outcomes as domain

    for i in range(2):
        factories.outcome(app, org["person"], domain=f"Existing {i}", priority=True, starts_on=TODAY, review_by=TODAY + timedelta(days=60))
    checked = domain._check_priority_limit

    def slow_check(*args, **kwargs):
        checked(*args, **kwargs)
        time.sleep(0.6)  # the other request arrives while this one is between its check and its commit

    monkeypatch.setattr(domain, "_check_priority_limit", slow_check)
    worker, manager = api_for(org["support_worker"]), api_for(org["registered_manager"])
    replies = {}

    def post(name, api, delay):
        time.sleep(delay)
        replies[name] = api.post("/api/v1/outcomes", json=outcome_body(org["person"], domain=f"From {name}", priority=True))

    threads = [threading.Thread(target=post, args=("worker", worker, 0)), threading.Thread(target=post, args=("manager", manager, 0.2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in replies.values()) == [201, 422], {k: r.get_json() for k, r in replies.items()}
    with app.app_context():
        active = db.session.execute(select(func.count()).select_from(Outcome).where(
            Outcome.person_id == org["person"], Outcome.priority.is_(True), Outcome.status == "active")).scalar_one()
    assert active == 3


def test_a_create_retried_while_the_first_is_in_flight_makes_one_row(app, org, api_for, monkeypatch):
    """A phone that timed out retries while its first request is still being written: one row, and
    the retry is told it already exists (200), not a 409."""
    import threading
    import time

    from server.domain import outcomes as domain

    checked = domain.check_retry

    def slow_check(*args, **kwargs):
        digest = checked(*args, **kwargs)
        time.sleep(0.6)
        return digest

    monkeypatch.setattr(domain, "check_retry", slow_check)
    worker = api_for(org["support_worker"])
    retry = api_for(org["support_worker"])
    body = outcome_body(org["person"], id=str(uuid.uuid4()))
    replies = {}

    def post(name, api, delay):
        time.sleep(delay)
        replies[name] = api.post("/api/v1/outcomes", json=body)

    threads = [threading.Thread(target=post, args=("first", worker, 0)), threading.Thread(target=post, args=("retry", retry, 0.2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert (replies["first"].status_code, replies["retry"].status_code) == (201, 200), replies["retry"].get_json()
    assert replies["retry"].get_json()["id"] == body["id"]
    assert counts(app)["outcomes"] == 1
    assert len(audits(app, "create", "outcome")) == 1
