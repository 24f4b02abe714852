"""Each outcome keeps when its latest review happened (outcomes.last_reviewed_at), for the overdue
list. However a review is written (REST, a sync push, straight through the ORM), backdated,
re-dated or removed, the kept date is the latest of the outcome's reviews, and the overdue list
shows the due date the outcome itself shows."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from server.extensions import db
from server.models import Outcome, Review
from tests import factories
from tests.test_sync import NOW, batch, push, review


def kept_and_actual(app) -> list[tuple]:
    """(outcome id, kept date, latest review date) for every outcome whose two differ."""
    with app.app_context():
        latest = select(func.max(Review.happened_at)).where(Review.outcome_id == Outcome.id).scalar_subquery()
        rows = db.session.execute(select(Outcome.id, Outcome.last_reviewed_at, latest)).all()
        db.session.remove()
    return [row for row in rows if row[1] != row[2]]


def kept(app, outcome_id):
    with app.app_context():
        value = db.session.get(Outcome, outcome_id).last_reviewed_at
        db.session.remove()
    return value


def test_the_kept_date_follows_reviews_from_rest_and_sync_including_backdated_ones(app, api_for):
    org = factories.organisation(app, "Kept")
    first, second = factories.outcome(app, org["person"]), factories.outcome(app, org["person"])
    assert kept(app, first) is None
    worker = api_for(org["support_worker"])

    def rest(outcome_id, days_ago, score=3):
        body = review(outcome_id, score=score, happened_at=(NOW - timedelta(days=days_ago)).isoformat())
        r = worker.post("/api/v1/reviews", json=body)
        assert r.status_code == 201, r.get_json()

    rest(first, 10)
    assert kept(app, first) == NOW - timedelta(days=10)
    rest(first, 20)  # backdated: not the latest
    assert kept(app, first) == NOW - timedelta(days=10)
    rest(first, 3)
    assert kept(app, first) == NOW - timedelta(days=3)

    # One push, several reviews of two outcomes, not in date order.
    reply = push(worker, str(uuid.uuid4()), batch(
        ("review.create", review(second, happened_at=(NOW - timedelta(days=5)).isoformat())),
        ("review.create", review(first, happened_at=(NOW - timedelta(days=1)).isoformat())),
        ("review.create", review(second, happened_at=(NOW - timedelta(days=2)).isoformat())),
        ("review.create", review(second, happened_at=(NOW - timedelta(days=8)).isoformat())),
    ))
    assert {r["status"] for r in reply["results"]} == {"applied"}
    assert kept(app, first) == NOW - timedelta(days=1)
    assert kept(app, second) == NOW - timedelta(days=2)
    assert kept_and_actual(app) == []


def test_a_review_re_dated_or_removed_sets_the_date_again_from_the_reviews(app):
    org = factories.organisation(app, "Redated")
    outcome_id = factories.outcome(app, org["person"])
    with app.app_context():
        reviews = [Review(outcome_id=outcome_id, person_id=org["person"], score=3, rated_by="staff",
                          happened_at=NOW - timedelta(days=days)) for days in (30, 15, 5)]
        db.session.add_all(reviews)
        db.session.commit()
        ids = [r.id for r in reviews]
        db.session.remove()
    assert kept(app, outcome_id) == NOW - timedelta(days=5)
    with app.app_context():
        db.session.get(Review, ids[2]).happened_at = NOW - timedelta(days=40)
        db.session.commit()
        db.session.remove()
    assert kept(app, outcome_id) == NOW - timedelta(days=15)
    with app.app_context():
        db.session.delete(db.session.get(Review, ids[1]))
        db.session.commit()
        db.session.remove()
    assert kept(app, outcome_id) == NOW - timedelta(days=30)
    with app.app_context():
        for review_id in (ids[0], ids[2]):
            db.session.delete(db.session.get(Review, review_id))
        db.session.commit()
        db.session.remove()
    assert kept(app, outcome_id) is None


def test_a_loaded_outcome_reads_the_new_date_in_the_same_session(app):
    org = factories.organisation(app, "Loaded")
    outcome_id = factories.outcome(app, org["person"])
    with app.app_context():
        outcome = db.session.get(Outcome, outcome_id)
        assert outcome.last_reviewed_at is None
        db.session.add(Review(outcome_id=outcome_id, person_id=org["person"], score=4, rated_by="person",
                              happened_at=NOW - timedelta(days=1)))
        db.session.flush()
        assert outcome.last_reviewed_at == NOW - timedelta(days=1)
        db.session.rollback()
        db.session.remove()
    assert kept(app, outcome_id) is None


def test_the_overdue_list_shows_the_due_date_the_outcome_shows(app, api_for):
    """An outcome reviewed 40 days ago (monthly) is overdue from its last review; one reviewed
    yesterday is not, though its earlier reviews were long ago."""
    org = factories.organisation(app, "Due")
    late, recent = factories.outcome(app, org["person"]), factories.outcome(app, org["person"])
    worker = api_for(org["support_worker"])
    for outcome_id, days in ((late, 70), (late, 40), (recent, 70), (recent, 1)):
        r = worker.post("/api/v1/reviews", json=review(outcome_id, happened_at=(NOW - timedelta(days=days)).isoformat()))
        assert r.status_code == 201, r.get_json()
    manager = api_for(org["registered_manager"])
    listed = {item["outcome_id"]: item for item in manager.get("/api/v1/reviews/overdue").get_json()["overdue"]}
    assert recent not in listed
    shown = manager.get(f"/api/v1/outcomes/{late}").get_json()
    assert listed[late]["due_on"] == shown["next_review_due"]
