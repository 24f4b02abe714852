"""Who owns an outcome (PRODUCT.md: "define outcome (… owner)"), and a goal marked achieved at a 5,
through REST and sync alike: the same domain rules (server/domain/outcomes.py) answer both, and
bad input is refused naming the field, with nothing written."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.domain import measures
from server.domain.outcomes import quarter_of
from server.extensions import db
from server.models import Outcome, Review, Service
from tests import factories

TODAY = date.today()
NOW = datetime.now(timezone.utc).replace(microsecond=0)
PUSH = "/api/v1/sync/push"


def outcome_body(person_id, **kw) -> dict:
    body = {
        "person_id": person_id,
        "domain": "Cooking a meal for friends",
        "persons_words": "I want to cook a curry for my mates.",
        "indicator": "Cooks a meal with a picture recipe, staff nearby",
        "starts_on": TODAY.isoformat(),
        "review_by": (TODAY + timedelta(days=90)).isoformat(),
        "wellbeing_areas": ["participation"],
    }
    body.update(kw)
    return body


def outcome_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Outcome)).scalar_one()


def push(api, mutations):
    r = api.post(PUSH, json={"device_id": str(uuid.uuid4()), "mutations": [
        {"id": i + 1, "name": name, "args": args, "at": NOW.isoformat()} for i, (name, args) in enumerate(mutations)]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


@pytest.fixture
def org(app):
    return factories.organisation(app, "Alpha")


@pytest.fixture
def worker(org, api_for):
    return api_for(org["support_worker"])


# ---- the owner, over REST ----

@pytest.mark.parametrize("owner, label", [
    ({"owner_kind": "person"}, "The person"),
    ({"owner_kind": "other", "owner_name": "Brother, Kieran"}, "Brother, Kieran"),
    ({"owner_kind": "staff"}, "Alpha support_worker"),
])
def test_an_outcome_names_its_owner(app, org, worker, owner, label):
    if owner["owner_kind"] == "staff":
        owner = {**owner, "owner_user_id": org["support_worker_id"]}
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], **owner))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["owner_kind"] == owner["owner_kind"] and body["owner_label"] == label
    fetched = worker.get(f"/api/v1/outcomes/{body['id']}").get_json()
    assert fetched["owner_label"] == label


def test_an_outcome_without_an_owner_is_still_accepted(app, org, worker):
    """A phone with an app from before the field existed sends no owner at all."""
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"]))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["owner_kind"], body["owner_user_id"], body["owner_name"], body["owner_label"]) == (None, None, None, None)


def test_owner_fields_that_do_not_belong_to_the_kind_are_not_kept(app, org, worker):
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], owner_kind="person", owner_name="Nadia",
                                                          owner_user_id=org["support_worker_id"]))
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["owner_name"], r.get_json()["owner_user_id"]) == (None, None)


@pytest.mark.parametrize("owner, field", [
    ({"owner_kind": "boss"}, "owner_kind"),
    ({"owner_kind": "staff"}, "owner_user_id"),
    ({"owner_kind": "staff", "owner_user_id": "not-a-uuid"}, "owner_user_id"),
    ({"owner_kind": "staff", "owner_user_id": str(uuid.uuid4())}, "owner_user_id"),
    ({"owner_kind": "other"}, "owner_name"),
    ({"owner_kind": "other", "owner_name": "   "}, "owner_name"),
    ({"owner_kind": "other", "owner_name": "x" * 201}, "owner_name"),
    ({"owner_kind": "other", "owner_name": "Line\nbreak"}, "owner_name"),
    ({"owner_kind": 7}, "owner_kind"),
])
def test_a_bad_owner_is_refused_naming_the_field(app, org, worker, owner, field):
    r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], **owner))
    assert 400 <= r.status_code < 500, r.get_json()
    assert field in r.get_json()["error"]["fields"], r.get_json()
    assert outcome_count(app) == 0


def test_the_owner_must_be_staff_of_the_same_organisation(app, org, worker):
    beta = factories.organisation(app, "Beta")
    for user_id in (beta["support_worker_id"], org["person_id"]):  # another provider's worker; the person's own account
        r = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], owner_kind="staff", owner_user_id=user_id))
        assert r.status_code == 422 and "owner_user_id" in r.get_json()["error"]["fields"], r.get_json()
    assert outcome_count(app) == 0


def test_editing_the_owner_checks_the_merged_record(app, org, worker):
    created = worker.post("/api/v1/outcomes", json=outcome_body(org["person"], owner_kind="other", owner_name="Sister, Nadia")).get_json()
    # Naming the kind alone, staff, needs the staff member too: refused, nothing changed.
    r = worker.patch(f"/api/v1/outcomes/{created['id']}", json={"version": 1, "owner_kind": "staff"})
    assert r.status_code == 422 and "owner_user_id" in r.get_json()["error"]["fields"], r.get_json()
    # To the person: the other's name goes.
    r = worker.patch(f"/api/v1/outcomes/{created['id']}", json={"version": 1, "owner_kind": "person"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["owner_kind"], body["owner_name"], body["owner_label"], body["version"]) == ("person", None, "The person", 2)
    with app.app_context():
        stored = db.session.get(Outcome, created["id"])
        assert (stored.owner_kind, stored.owner_name) == ("person", None)


# ---- the owner, through sync (the phone) ----

def test_sync_applies_and_refuses_the_owner_as_rest_does(app, org, worker):
    good = outcome_body(org["person"], id=str(uuid.uuid4()), owner_kind="other", owner_name="Brother, Kieran")
    bad = outcome_body(org["person"], id=str(uuid.uuid4()), domain="Another goal", owner_kind="staff")
    results = push(worker, [("outcome.create", good), ("outcome.create", bad)])
    assert [r["status"] for r in results] == ["applied", "rejected"], results
    assert "owner_user_id" in results[1]["error"]["fields"]
    with app.app_context():
        stored = db.session.get(Outcome, good["id"])
        assert (stored.owner_kind, stored.owner_name) == ("other", "Brother, Kieran")
        assert db.session.get(Outcome, bad["id"]) is None


# ---- a 5 marked achieved counts as achieving a goal ----

def _percent_achieving(app, person_id):
    with app.app_context():
        from server.models import Person

        service = db.session.get(Service, db.session.get(Person, person_id).service_id)
        return measures.service_measures(service, *quarter_of(TODAY), with_trajectories=False)["percent_achieving_goal"]


def review_args(outcome_id, score, days_ago, **kw):
    return {"outcome_id": outcome_id, "score": score, "rated_by": "together",
            "happened_at": (NOW - timedelta(days=days_ago)).isoformat(), "evidence": ["Cooked for three friends"], **kw}


def test_a_goal_marked_achieved_at_a_five_counts_over_rest_and_sync(app, org, worker):
    rest_goal = factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=5))
    sync_goal = factories.outcome(app, org["person"], domain="Cooking", starts_on=TODAY - timedelta(days=5))
    assert worker.post("/api/v1/reviews", json=review_args(rest_goal, 5, 2)).status_code == 201
    assert _percent_achieving(app, org["person"]) == 0  # rated 5, not yet marked achieved

    r = worker.post("/api/v1/reviews", json=review_args(rest_goal, 5, 1, achieved=True))
    assert r.status_code == 201 and r.get_json()["achieved"] is True
    assert _percent_achieving(app, org["person"]) > 0

    results = push(worker, [("review.create", {**review_args(sync_goal, 5, 1, achieved=True), "id": str(uuid.uuid4())})])
    assert results[0]["status"] == "applied", results
    with app.app_context():
        assert db.session.get(Outcome, rest_goal).status == "achieved"
        assert db.session.get(Outcome, sync_goal).status == "achieved"


def test_a_bad_achieved_answer_is_refused_naming_the_field(app, org, worker):
    goal = factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=5))
    r = worker.post("/api/v1/reviews", json=review_args(goal, 5, 1, achieved="perhaps"))
    assert r.status_code == 422 and "achieved" in r.get_json()["error"]["fields"], r.get_json()
    results = push(worker, [("review.create", {**review_args(goal, 5, 1, achieved=[True]), "id": str(uuid.uuid4())})])
    assert results[0]["status"] == "rejected" and "achieved" in results[0]["error"]["fields"], results
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 0
