"""A push runs its mutations in groups under one savepoint and flushes once per group
(sync._apply_in_groups). What a phone and the database see must be exactly what running each
mutation alone gives: the same result per mutation, nothing of a refused one written (its rows, its
audit entry, its review date on the outcome), and a statement count that does not grow with the
batch."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import event, func, select

from server.domain import outcomes, sync
from server.extensions import db
from server.models import AuditEvent, EvidenceNote, MutationResult, Outcome, Review
from server.schemas.outcome import ReviewCreateSchema
from tests import factories
from tests.test_sync import batch, new_id, org, push, review, statuses  # noqa: F401  (org is a fixture)

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def stored(app):
    with app.app_context():
        reviews = set(db.session.execute(select(Review.id)).scalars())
        audited = set(db.session.execute(select(AuditEvent.entity_id).where(AuditEvent.entity == "review", AuditEvent.action == "create")).scalars())
        notes = db.session.scalar(select(func.count()).select_from(EvidenceNote))
        return reviews, audited, notes


def last_reviewed(app, outcome_id):
    with app.app_context():
        value = db.session.get(Outcome, outcome_id).last_reviewed_at
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def test_refusals_in_the_middle_of_a_batch_leave_nothing_and_the_rest_applies(app, api_for, org, monkeypatch):
    def create_then_crash(actor, data):
        outcomes.create_review(actor, data)  # writes the review and its note, then the code fails
        raise RuntimeError("a bug after the write")

    monkeypatch.setitem(sync.MUTATIONS, "review.crash", (ReviewCreateSchema, create_then_crash))
    api = api_for(org["support_worker"])
    device = new_id()
    first = review(org["outcome"], score=3, happened_at=at(10))
    second = review(org["outcome"], score=4, happened_at=at(9))
    drop = review(org["outcome"], score=2, happened_at=at(8), what_changed="", support_adjustment="")  # a rule refuses it
    bad = review(org["outcome"], score=9, happened_at=at(7))  # its schema refuses it
    crash = review(org["outcome"], score=4, happened_at=at(1))  # the newest date of all, never stored
    again = dict(first)  # the same record again: a duplicate
    last = review(org["outcome"], score=5, happened_at=at(6))
    reply = push(api, device, batch(
        ("review.create", first), ("review.create", second), ("review.create", drop), ("review.create", bad),
        ("review.crash", crash), ("review.create", again), ("review.create", last),
    ))

    assert statuses(reply) == ["applied", "applied", "rejected", "rejected", "rejected", "duplicate", "applied"]
    assert reply["results"][2]["error"]["fields"].keys() == {"what_changed", "support_adjustment"}
    assert reply["results"][3]["error"]["code"] == "validation" and "score" in reply["results"][3]["error"]["fields"]
    assert reply["results"][4]["error"]["code"] == "server_error"
    assert [r["record_id"] for r in reply["results"]] == [m["id"] for m in (first, second, drop, bad, crash, again, last)]
    assert reply["last_mutation_id"] == 7

    reviews, audited, notes = stored(app)
    assert reviews == audited == {first["id"], second["id"], last["id"]}  # one audit entry per stored review
    assert notes == 3
    # The outcome's latest review date is the newest stored one, not the crashed mutation's.
    assert last_reviewed(app, org["outcome"]) == datetime.fromisoformat(at(6))
    with app.app_context():
        kept = dict(db.session.execute(select(MutationResult.mutation_id, MutationResult.status)).all())
    assert kept == {1: "applied", 2: "applied", 3: "rejected", 4: "rejected", 5: "rejected", 6: "duplicate", 7: "applied"}


def test_a_batch_gives_the_results_its_mutations_give_one_push_at_a_time(app, api_for, org):
    """The same mutations, pushed as one batch by one device and one by one by another, on two
    outcomes alike: the same statuses and error codes, and the same reviews stored."""
    api = api_for(org["support_worker"])
    twin = factories.outcome(app, org["person"])

    def mutations(outcome_id):
        return [
            ("review.create", review(outcome_id, score=4, happened_at=at(20))),
            ("review.create", review(outcome_id, score=1, happened_at=at(19), what_changed=None)),  # drop, unexplained
            ("review.create", review(outcome_id, score=2, happened_at=at(18))),  # drop, explained
            ("review.create", review(outcome_id, score=3, happened_at=(NOW + timedelta(days=3)).isoformat())),  # future
            ("review.create", review(outcome_id, score=5, happened_at=at(17), rated_by="nobody")),
            ("review.create", review(outcome_id, score=5, happened_at=at(16))),
        ]

    together = push(api, new_id(), batch(*mutations(org["outcome"])))
    one_by_one, device = [], new_id()
    for n, pair in enumerate(mutations(twin), start=1):
        one_by_one.extend(push(api, device, batch(pair, start=n))["results"])

    def shape(results):
        return [(r["status"], (r.get("error") or {}).get("code"), sorted((r.get("error") or {}).get("fields") or {})) for r in results]

    assert shape(together["results"]) == shape(one_by_one)
    assert [s for s, *_ in shape(one_by_one)] == ["applied", "rejected", "applied", "rejected", "rejected", "applied"]
    with app.app_context():
        def scores(outcome_id):
            return sorted(db.session.execute(select(Review.score).where(Review.outcome_id == outcome_id)).scalars())

        assert scores(org["outcome"]) == scores(twin) == [2, 4, 5]
    assert last_reviewed(app, org["outcome"]) == datetime.fromisoformat(at(16))


def _statements_for(app, api, outcome_id, device, start, n) -> int:
    mutations = batch(*[("review.create", review(outcome_id, score=3, happened_at=at((1000 - start - i) / 1440))) for i in range(n)], start=start)
    with app.app_context():
        engine = db.engine
    count = [0]

    def seen(*_):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = push(api, device, mutations)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statuses(reply) == ["applied"] * n
    return count[0]


def test_the_statements_a_push_makes_do_not_grow_with_its_mutations(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    _statements_for(app, api, org["outcome"], device, 1, 5)  # the device's first push binds it
    ten = _statements_for(app, api, org["outcome"], device, 6, 10)
    hundred = _statements_for(app, api, org["outcome"], device, 16, 100)
    assert hundred == ten, (ten, hundred)
