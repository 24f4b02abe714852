"""Monthly reviews and evidence through the REST API (issue 3): a 1-5 score with who rated it, when,
and at least one evidence note; a drop needs what changed and what support changes; bad input is
refused by name and leaves nothing half-saved."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, EvidenceNote, Outcome, Review
from tests import factories

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def counts(app) -> tuple[int, int]:
    """(reviews, evidence notes)"""
    with app.app_context():
        return (
            db.session.execute(select(func.count()).select_from(Review)).scalar_one(),
            db.session.execute(select(func.count()).select_from(EvidenceNote)).scalar_one(),
        )


def review(outcome_id, score=3, days_ago=1, **kw) -> dict:
    body = {
        "outcome_id": outcome_id,
        "score": score,
        "rated_by": "together",
        "happened_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "evidence": ["Travelled alone to GP appointment"],
    }
    body.update(kw)
    return body


@pytest.fixture
def org(app):
    return factories.organisation(app, "Alpha")


@pytest.fixture
def outcome_id(app, org):
    return factories.outcome(app, org["person"])


@pytest.fixture
def worker(org, api_for):
    return api_for(org["support_worker"])


def test_a_review_with_evidence_is_recorded_and_audited(app, org, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, 4, evidence=["Travelled alone to GP appointment", "Paid the fare"]))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["score"] == 4 and body["rated_by"] == "together" and body["outcome_id"] == outcome_id
    assert body["person_id"] == org["person"]
    assert datetime.fromisoformat(body["happened_at"]) == NOW - timedelta(days=1)
    assert sorted(e["text"] for e in body["evidence"]) == ["Paid the fare", "Travelled alone to GP appointment"]
    assert counts(app) == (1, 2)
    with app.app_context():
        notes = db.session.execute(select(EvidenceNote)).scalars().all()
        assert {n.review_id for n in notes} == {body["id"]} and {n.outcome_id for n in notes} == {outcome_id}
        [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity == "review")).scalars().all()
        assert event.entity_id == body["id"] and event.user_id == org["support_worker_id"] and event.person_id == org["person"]
    # the outcome now shows it
    o = worker.get(f"/api/v1/outcomes/{outcome_id}").get_json()
    assert o["last_score"] == 4
    assert o["next_review_due"] == ((NOW - timedelta(days=1)).date() + timedelta(days=30)).isoformat()


@pytest.mark.parametrize("rated_by", ["person", "staff", "together"])
def test_each_kind_of_rater(app, outcome_id, worker, rated_by):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, rated_by=rated_by))
    assert r.status_code == 201 and r.get_json()["rated_by"] == rated_by


@pytest.mark.parametrize("score", [0, 6, -1, "three", "3", 3.5, None, True])
def test_score_must_be_a_whole_number_from_1_to_5(app, outcome_id, worker, score):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, score))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation" and list(error["fields"]) == ["score"]
    assert counts(app) == (0, 0)


@pytest.mark.parametrize("rated_by", ["manager", "", None, 1])
def test_rated_by_must_be_person_staff_or_together(app, outcome_id, worker, rated_by):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, rated_by=rated_by))
    assert r.status_code == 422 and list(r.get_json()["error"]["fields"]) == ["rated_by"]
    assert counts(app) == (0, 0)


def test_review_more_than_a_day_in_the_future_is_refused(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, happened_at=(NOW + timedelta(days=1, hours=2)).isoformat()))
    assert r.status_code == 422 and "happened_at" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)
    # a phone clock a few hours ahead (or a different zone) is fine
    r = worker.post("/api/v1/reviews", json=review(outcome_id, happened_at=(NOW + timedelta(hours=3)).isoformat()))
    assert r.status_code == 201, r.get_json()


def test_review_times_keep_their_zone(app, outcome_id, worker):
    local = datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    with app.app_context():
        o = db.session.get(Outcome, outcome_id)
        o.starts_on = date(2025, 12, 1)
        db.session.commit()
    r = worker.post("/api/v1/reviews", json=review(outcome_id, happened_at=local.isoformat()))
    assert r.status_code == 201, r.get_json()
    assert datetime.fromisoformat(r.get_json()["happened_at"]) == local
    with app.app_context():
        assert db.session.execute(select(Review.happened_at)).scalar_one() == local


@pytest.mark.parametrize("happened_at", ["yesterday", "2026-13-01T10:00:00Z", "", None, 12])
def test_happened_at_must_be_a_date_time(app, outcome_id, worker, happened_at):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, happened_at=happened_at))
    assert r.status_code == 422 and list(r.get_json()["error"]["fields"]) == ["happened_at"]
    assert counts(app) == (0, 0)


def test_review_before_its_outcome_starts_is_refused(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, days_ago=400))
    assert r.status_code == 422 and "happened_at" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


@pytest.mark.parametrize("evidence", ["missing", [], [""], ["   "], "Travelled alone", [None], ["x" * 2001]])
def test_a_review_needs_at_least_one_evidence_note(app, outcome_id, worker, evidence):
    body = review(outcome_id)
    if evidence == "missing":
        del body["evidence"]
    else:
        body["evidence"] = evidence
    r = worker.post("/api/v1/reviews", json=body)
    assert r.status_code == 422
    assert list(r.get_json()["error"]["fields"]) == ["evidence"]
    assert counts(app) == (0, 0)


def test_a_drop_needs_what_changed_and_the_support_adjustment(app, outcome_id, worker):
    assert worker.post("/api/v1/reviews", json=review(outcome_id, 4, days_ago=30)).status_code == 201
    before = counts(app)

    r = worker.post("/api/v1/reviews", json=review(outcome_id, 2))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert set(error["fields"]) == {"what_changed", "support_adjustment"}
    assert "4" in error["message"] and "2" in error["message"]
    assert error["previous_score"] == 4
    assert counts(app) == before

    # blank answers are no answers
    r = worker.post("/api/v1/reviews", json=review(outcome_id, 2, what_changed="  ", support_adjustment=None))
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"what_changed", "support_adjustment"}
    # one answer: the other is still asked for
    r = worker.post("/api/v1/reviews", json=review(outcome_id, 2, what_changed="The bus route changed"))
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"support_adjustment"}
    assert counts(app) == before

    r = worker.post("/api/v1/reviews", json=review(
        outcome_id, 2, what_changed="The bus route changed after roadworks",
        support_adjustment="Staff travel the new route twice with him"))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["what_changed"] == "The bus route changed after roadworks"
    assert body["support_adjustment"] == "Staff travel the new route twice with him"
    assert counts(app) == (before[0] + 1, before[1] + 1)
    points = worker.get(f"/api/v1/outcomes/{outcome_id}/trajectory").get_json()["points"]
    assert [p["score"] for p in points] == [4, 2]


def test_same_or_higher_score_needs_no_answers(app, outcome_id, worker):
    for days, score in ((60, 2), (30, 2), (1, 5)):
        assert worker.post("/api/v1/reviews", json=review(outcome_id, score, days_ago=days)).status_code == 201


def test_the_drop_is_measured_against_the_review_before_it(app, outcome_id, worker):
    """A late-synced review from last month is compared with the one before it, not today's."""
    assert worker.post("/api/v1/reviews", json=review(outcome_id, 2, days_ago=60)).status_code == 201
    assert worker.post("/api/v1/reviews", json=review(outcome_id, 5, days_ago=1)).status_code == 201
    r = worker.post("/api/v1/reviews", json=review(outcome_id, 3, days_ago=30))
    assert r.status_code == 201, r.get_json()
    r = worker.post("/api/v1/reviews", json=review(outcome_id, 1, days_ago=20))
    assert r.status_code == 422 and r.get_json()["error"]["previous_score"] == 3


def test_achieved_at_review_marks_the_outcome_achieved(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, 5, achieved=True))
    assert r.status_code == 201 and r.get_json()["achieved"] is True
    o = worker.get(f"/api/v1/outcomes/{outcome_id}").get_json()
    assert o["status"] == "achieved" and o["version"] == 2 and o["next_review_due"] is None


def test_a_retired_outcome_is_not_reviewed(app, org, worker):
    oid = factories.outcome(app, org["person"], status="retired")
    r = worker.post("/api/v1/reviews", json=review(oid))
    assert r.status_code == 422 and "outcome_id" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


def test_unknown_outcome_is_not_found(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(str(uuid.uuid4())))
    assert r.status_code == 404 and "outcome_id" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/reviews", json=review("not-a-uuid"))
    assert r.status_code == 422 and "outcome_id" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


def test_review_for_someone_outside_the_workers_caseload_is_not_found(app, org, worker):
    oid = factories.outcome(app, org["other_person"])
    r = worker.post("/api/v1/reviews", json=review(oid))
    assert r.status_code == 404
    assert counts(app) == (0, 0)


def test_review_for_another_organisation_is_not_found(app, org, worker):
    other = factories.organisation(app, "Beta")
    oid = factories.outcome(app, other["person"])
    r = worker.post("/api/v1/reviews", json=review(oid))
    assert r.status_code == 404
    assert "Beta" not in r.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_unknown_extra_fields_are_refused_by_name(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, created_by=str(uuid.uuid4()), person_id=str(uuid.uuid4())))
    assert r.status_code == 422
    assert {"created_by", "person_id"} <= set(r.get_json()["error"]["fields"])
    assert counts(app) == (0, 0)


def test_many_problems_are_named_together(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json={"outcome_id": outcome_id, "score": 9, "rated_by": "dog", "evidence": []})
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"score", "rated_by", "happened_at", "evidence"}
    assert counts(app) == (0, 0)


def test_malformed_json_and_missing_csrf(app, outcome_id, worker):
    r = worker.post("/api/v1/reviews", data='{"score": 3,', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = worker.client.post("/api/v1/reviews", json=review(outcome_id))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf"
    assert counts(app) == (0, 0)


# ---- idempotent creates ----

def test_same_client_id_and_payload_twice_makes_one_review(app, outcome_id, worker):
    body = review(outcome_id, id=str(uuid.uuid4()), evidence=["Travelled alone", "Checked the times"])
    first = worker.post("/api/v1/reviews", json=body)
    second = worker.post("/api/v1/reviews", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert second.get_json()["id"] == body["id"]
    assert len(second.get_json()["evidence"]) == 2
    assert counts(app) == (1, 2)
    # the id in another spelling is the same id
    assert worker.post("/api/v1/reviews", json={**body, "id": body["id"].upper()}).status_code == 200
    assert counts(app) == (1, 2)


def test_same_client_id_with_a_different_payload_is_refused(app, outcome_id, worker):
    body = review(outcome_id, id=str(uuid.uuid4()))
    assert worker.post("/api/v1/reviews", json=body).status_code == 201
    r = worker.post("/api/v1/reviews", json={**body, "score": 5})
    assert r.status_code == 422 and "id" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Review, body["id"]).score == 3
    assert counts(app) == (1, 1)


def test_a_review_id_taken_by_another_record_type_is_fine(app, outcome_id, worker):
    """Ids are per record type: a review may not reuse a review's id, but nothing else is affected."""
    rid = str(uuid.uuid4())
    assert worker.post("/api/v1/reviews", json=review(outcome_id, id=rid)).status_code == 201
    r = worker.post("/api/v1/reviews", json=review(outcome_id, id=rid, evidence=["Different"]))
    assert r.status_code == 422


# ---- the person rates their own goals ----

def test_person_rates_their_own_outcome_as_themself(app, org, outcome_id, api_for):
    me = api_for(org["person_email"])
    r = me.post("/api/v1/reviews", json=review(outcome_id, 4, rated_by="person", evidence=["I went on the bus"]))
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        stored = db.session.get(Review, r.get_json()["id"])
        assert stored.created_by == org["person_id"] and stored.rated_by == "person"
    for rated_by in ("staff", "together"):
        r = me.post("/api/v1/reviews", json=review(outcome_id, 4, rated_by=rated_by))
        assert r.status_code == 422 and list(r.get_json()["error"]["fields"]) == ["rated_by"]
    assert counts(app) == (1, 1)


def test_person_cannot_rate_someone_elses_outcome(app, org, api_for):
    me = api_for(org["person_email"])
    oid = factories.outcome(app, org["other_person"])
    r = me.post("/api/v1/reviews", json=review(oid, rated_by="person"))
    assert r.status_code == 404
    assert counts(app) == (0, 0)


# ---- evidence notes on their own ----

def test_evidence_note_on_a_person_or_a_review(app, org, outcome_id, worker):
    r = worker.post("/api/v1/evidence", json={"person_id": org["person"], "text": "Made a cup of tea for a visitor"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["review_id"] is None
    rid = worker.post("/api/v1/reviews", json=review(outcome_id)).get_json()["id"]
    r = worker.post("/api/v1/evidence", json={"review_id": rid, "text": "Also bought a return ticket"})
    assert r.status_code == 201 and r.get_json()["review_id"] == rid and r.get_json()["person_id"] == org["person"]
    assert counts(app) == (1, 3)
    r = worker.post("/api/v1/evidence", json={"review_id": rid, "person_id": org["other_person"], "text": "x"})
    assert r.status_code == 422 and "person_id" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/evidence", json={"text": "About nobody"})
    assert r.status_code == 422 and "review_id" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/evidence", json={"person_id": org["person"], "text": " "})
    assert r.status_code == 422 and "text" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/evidence", json={"review_id": str(uuid.uuid4()), "text": "x"})
    assert r.status_code == 404 and "review_id" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/evidence", json={"person_id": org["other_person"], "text": "x"})
    assert r.status_code == 404
    assert counts(app) == (1, 3)


def test_evidence_dated_more_than_a_day_ahead_is_refused(app, org, worker):
    for when in ((NOW + timedelta(days=3)).isoformat(), "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        r = worker.post("/api/v1/evidence", json={"person_id": org["person"], "text": "x", "happened_at": when})
        assert r.status_code == 422, (when, r.get_json())
        assert "happened_at" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


def test_extreme_review_dates_are_refused_not_crashed(app, outcome_id, worker):
    for when in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z"):
        r = worker.post("/api/v1/reviews", json=review(outcome_id, happened_at=when))
        assert r.status_code == 422, (when, r.get_json())
        assert "happened_at" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


def test_nul_characters_are_refused_on_every_database(app, org, outcome_id, worker):
    r = worker.post("/api/v1/reviews", json=review(outcome_id, evidence=["Travelled\x00alone"]))
    assert r.status_code == 422 and "evidence" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/reviews", json=review(outcome_id, what_changed="a\x00b"))
    assert r.status_code == 422 and "what_changed" in r.get_json()["error"]["fields"]
    r = worker.post("/api/v1/evidence", json={"person_id": org["person"], "text": "a\x00b"})
    assert r.status_code == 422 and "text" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


def test_evidence_notes_are_audited_and_idempotent(app, org, worker):
    body = {"id": str(uuid.uuid4()), "person_id": org["person"], "text": "Made a cup of tea for a visitor"}
    assert worker.post("/api/v1/evidence", json=body).status_code == 201
    assert worker.post("/api/v1/evidence", json=body).status_code == 200
    r = worker.post("/api/v1/evidence", json={**body, "text": "Something else"})
    assert r.status_code == 422 and "id" in r.get_json()["error"]["fields"]
    assert counts(app) == (0, 1)
    with app.app_context():
        [event] = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "evidence")).scalars().all()
        assert event.action == "create" and event.entity_id == body["id"] and event.person_id == org["person"]
        assert db.session.get(EvidenceNote, body["id"]).text == "Made a cup of tea for a visitor"
