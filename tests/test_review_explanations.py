"""A drop needs what changed and the support adjustment, whatever order phones sync in: a review that
syncs late, dated before one already stored, can make that later review a drop. The later review is
then flagged `needs_explanation` in the trajectory and in its author's list until someone explains it
(REST or the `review.explain` mutation, one domain function)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Review
from tests import factories

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PUSH = "/api/v1/sync/push"


def review_args(outcome_id, score, days_ago, **kw) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "outcome_id": outcome_id,
        "score": score,
        "rated_by": "together",
        "happened_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "evidence": ["Went to the shop with a list"],
    }
    body.update(kw)
    return body


def push(api, device, *mutations, start=1):
    r = api.post(PUSH, json={"device_id": device, "mutations": [
        {"id": start + i, "name": name, "args": args, "at": NOW.isoformat()} for i, (name, args) in enumerate(mutations)]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha")
    ids["outcome"] = factories.outcome(app, ids["person"])
    return ids


def flags(api, outcome_id) -> dict:
    points = api.get(f"/api/v1/outcomes/{outcome_id}/trajectory").get_json()["points"]
    return {p["id"]: p["needs_explanation"] for p in points}


def test_a_review_synced_late_flags_the_later_review_until_it_is_explained(app, org, api_for):
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    # The worker records a 3 on the 10th (online) ...
    later = review_args(org["outcome"], 3, days_ago=10)
    r = worker.post("/api/v1/reviews", json=later)
    assert r.status_code == 201, r.get_json()
    assert flags(worker, org["outcome"]) == {later["id"]: False}
    # ... then a manager's phone syncs a 5 recorded on the 20th, before it: the 3 is now a drop.
    earlier = review_args(org["outcome"], 5, days_ago=20)
    [result] = push(manager, str(uuid.uuid4()), ("review.create", earlier))
    assert result["status"] == "applied", result
    assert flags(worker, org["outcome"]) == {earlier["id"]: False, later["id"]: True}

    # The author's list says so.
    mine = worker.get("/api/v1/reviews?author=me&needs_explanation=true").get_json()
    assert [(i["review"]["id"], i["previous_score"], i["needs_explanation"]) for i in mine["items"]] == [(later["id"], 5, True)]
    assert mine["items"][0]["outcome_domain"] == "Confidence using buses" and mine["next_cursor"] is None
    # The manager's own list has no drop (theirs is the first review).
    assert manager.get("/api/v1/reviews?needs_explanation=true").get_json()["items"] == []
    assert [i["review"]["id"] for i in manager.get("/api/v1/reviews").get_json()["items"]] == [earlier["id"]]

    # Explaining needs both answers, named.
    r = worker.post(f"/api/v1/reviews/{later['id']}/explanation", json={"what_changed": "  "})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"what_changed", "support_adjustment"}
    explanation = {"what_changed": "Bus route changed", "support_adjustment": "Practise the new route together"}
    r = worker.post(f"/api/v1/reviews/{later['id']}/explanation", json=explanation)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["what_changed"] == "Bus route changed"
    assert flags(worker, org["outcome"]) == {earlier["id"]: False, later["id"]: False}
    assert worker.get("/api/v1/reviews?needs_explanation=true").get_json()["items"] == []
    # A retry is harmless; a different explanation does not overwrite the first.
    assert worker.post(f"/api/v1/reviews/{later['id']}/explanation", json=explanation).status_code == 200
    r = worker.post(f"/api/v1/reviews/{later['id']}/explanation", json={**explanation, "what_changed": "Something else"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_explained"
    with app.app_context():
        stored = db.session.get(Review, later["id"])
        assert (stored.score, stored.what_changed, stored.support_adjustment) == (3, "Bus route changed", "Practise the new route together")
        [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity == "review")).scalars().all()
        assert event.user_id == org["support_worker_id"] and event.entity_id == later["id"]


def test_review_explain_through_sync_clears_the_flag_and_reaches_other_phones(app, org, api_for):
    worker = api_for(org["support_worker"])
    device = str(uuid.uuid4())
    later = review_args(org["outcome"], 2, days_ago=5)
    earlier = review_args(org["outcome"], 4, days_ago=15)
    # Two phones' reviews arrive out of order: the later one first.
    assert [r["status"] for r in push(worker, device, ("review.create", later))] == ["applied"]
    cursor = worker.get("/api/v1/sync/pull?cursor=0").get_json()["cursor"]
    assert [r["status"] for r in push(worker, device, ("review.create", earlier), start=2)] == ["applied"]
    assert flags(worker, org["outcome"])[later["id"]] is True

    explain = {"id": later["id"], "what_changed": "Felt unwell this month", "support_adjustment": "Shorter trips for now"}
    [result] = push(worker, device, ("review.explain", explain), start=3)
    assert result["status"] == "applied" and result["record_id"] == later["id"], result
    assert flags(worker, org["outcome"])[later["id"]] is False
    # The explained review comes back in the next pull, so other phones get it.
    changes = worker.get(f"/api/v1/sync/pull?cursor={cursor}").get_json()["changes"]
    pulled = {c["id"]: c["data"] for c in changes if c["entity"] == "review"}
    assert pulled[later["id"]]["what_changed"] == "Felt unwell this month"
    # Replayed: a duplicate, nothing changes.
    [again] = push(worker, device, ("review.explain", explain), start=3)
    assert again["status"] == "duplicate"


def test_explaining_is_refused_for_a_review_that_is_not_a_drop_or_out_of_scope(app, org, api_for):
    worker = api_for(org["support_worker"])
    first = review_args(org["outcome"], 2, days_ago=20)
    second = review_args(org["outcome"], 4, days_ago=10)
    for body in (first, second):
        assert worker.post("/api/v1/reviews", json=body).status_code == 201
    body = {"what_changed": "x", "support_adjustment": "y"}
    r = worker.post(f"/api/v1/reviews/{second['id']}/explanation", json=body)
    assert r.status_code == 422 and "id" in r.get_json()["error"]["fields"]
    r = worker.post(f"/api/v1/reviews/{first['id']}/explanation", json=body)  # the first review: nothing before it
    assert r.status_code == 422
    assert worker.post(f"/api/v1/reviews/{uuid.uuid4()}/explanation", json=body).status_code == 404
    # Another organisation's worker cannot touch it, and learns nothing about it.
    other = factories.organisation(app, "Beta")
    outsider = api_for(other["support_worker"])
    r = outsider.post(f"/api/v1/reviews/{second['id']}/explanation", json=body)
    assert r.status_code == 404
    # A worker without the person on their caseload: the same "not found" through sync.
    [result] = push(outsider, str(uuid.uuid4()), ("review.explain", {"id": second["id"], **body}))
    assert result["status"] == "rejected" and result["error"]["code"] == "not_found"
    # Commissioners see no named reviews.
    assert api_for(org["commissioner"]).get("/api/v1/reviews").status_code == 403
    # A cursor the server did not give out is refused by name.
    r = worker.get("/api/v1/reviews?cursor=not-a-cursor")
    assert r.status_code == 422 and "cursor" in r.get_json()["error"]["fields"]


def test_the_authors_list_pages_newest_first(app, org, api_for):
    worker = api_for(org["support_worker"])
    ids = []
    for n in range(5):
        body = review_args(org["outcome"], 3, days_ago=30 - n)
        assert worker.post("/api/v1/reviews", json=body).status_code == 201
        ids.append(body["id"])
    seen, cursor = [], None
    while True:
        page = worker.get("/api/v1/reviews?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        assert len(page["items"]) <= 2
        seen += [i["review"]["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
