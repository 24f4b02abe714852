"""The phone's outbox never wedges (SYNC.md): whatever goes wrong with one mutation becomes a
`rejected` result the worker can read, the rest of the batch applies, and the device's queue moves on.
Only a failure of timing (a deadlock, a locked database) fails the push, and then it is run again."""
from __future__ import annotations

import logging
import re

from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError

from server.domain import outcomes, sync
from server.extensions import db
from server.models import Device, EvidenceNote, MutationResult, Review, utcnow
from server.schemas.outcome import ReviewCreateSchema
from tests.test_sync import batch, new_id, org, push, review, statuses  # noqa: F401  (org is a fixture)

REFERENCE = re.compile(r"reference ([0-9A-F]{8})\)")


def reviews_in(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(Review.id)).scalars())


def test_an_unexpected_error_rejects_only_its_mutation_with_a_reference_the_worker_can_quote(app, api_for, org, monkeypatch, caplog):
    def create_then_crash(actor, data):
        outcomes.create_review(actor, data)  # writes rows, then the code fails
        raise RuntimeError("a bug in the review code")

    monkeypatch.setitem(sync.MUTATIONS, "review.crash", (ReviewCreateSchema, create_then_crash))
    api = api_for(org["support_worker"])
    device = new_id()
    before, broken, after = review(org["outcome"]), review(org["outcome"]), review(org["outcome"])
    mutations = batch(("review.create", before), ("review.crash", broken), ("review.create", after))
    with caplog.at_level(logging.ERROR, logger="server.domain.sync"):
        reply = push(api, device, mutations)

    assert statuses(reply) == ["applied", "rejected", "applied"]
    assert reply["last_mutation_id"] == 3 and reply["gap"] is None
    error = reply["results"][1]["error"]
    assert error["code"] == "server_error" and reply["results"][1]["record_id"] == broken["id"]
    reference = REFERENCE.search(error["message"]).group(1)
    assert error["reference"] == reference
    assert "tell your manager" in error["message"] and "RuntimeError" not in error["message"]
    # The log says what failed, with the same reference and the traceback.
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert len(logged) == 1 and "review.crash" in logged[0].getMessage()
    assert logged[0].exc_info and "a bug in the review code" in str(logged[0].exc_info[1])

    # Nothing of the failed mutation was written; its neighbours were.
    assert reviews_in(app) == {before["id"], after["id"]}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceNote)) == 2
        assert db.session.get(Device, device).last_mutation_id == 3
        assert db.session.scalar(select(MutationResult.status).where(MutationResult.mutation_id == 2)) == "rejected"

    # The phone resends (its reply was lost): the same results, from the stored ones, nothing new.
    again = push(api, device, mutations)
    assert statuses(again) == ["duplicate"] * 3
    assert [r["original"] for r in again["results"]] == reply["results"]
    assert reviews_in(app) == {before["id"], after["id"]}


def test_a_record_that_keeps_breaking_a_database_constraint_does_not_wedge_the_queue(app, api_for, org, monkeypatch):
    """A unique-key violation is retried once (another device may have just created the record);
    when it happens again it is this record's fault: rejected with a reference, the batch goes on."""
    calls = []

    def clash(actor, data):
        calls.append(data["id"])
        outcomes.create_review(actor, data)
        now = utcnow()  # then a row whose key is taken: the database refuses it every time
        db.session.execute(insert(Device).values(id=device, user_id=actor.id, last_mutation_id=0, created_at=now, last_seen_at=now))

    monkeypatch.setitem(sync.MUTATIONS, "review.clash", (ReviewCreateSchema, clash))
    api = api_for(org["support_worker"])
    device = new_id()
    existing = review(org["outcome"])
    push(api, device, batch(("review.create", existing)))
    clashing, after = review(org["outcome"]), review(org["outcome"])
    reply = push(api, device, batch(("review.clash", clashing), ("review.create", after), start=2))
    assert statuses(reply) == ["rejected", "applied"]
    assert reply["results"][0]["error"]["code"] == "server_error" and reply["results"][0]["error"]["reference"]
    # Tried in the batch's group, then alone in its own savepoint, then once more in case it was a race.
    assert len(calls) == 3
    assert reply["last_mutation_id"] == 3
    assert reviews_in(app) == {existing["id"], after["id"]}


def test_a_schema_that_fails_unexpectedly_rejects_only_that_mutation(app, api_for, org, monkeypatch):
    class Broken(ReviewCreateSchema):
        def load(self, *args, **kwargs):
            raise TypeError("unhashable type: 'list'")

    monkeypatch.setitem(sync.MUTATIONS, "review.broken", (Broken(), outcomes.create_review))
    api = api_for(org["support_worker"])
    good = review(org["outcome"])
    reply = push(api, new_id(), batch(("review.broken", review(org["outcome"])), ("review.create", good)))
    assert statuses(reply) == ["rejected", "applied"]
    assert reply["results"][0]["error"]["code"] == "server_error"
    assert reviews_in(app) == {good["id"]}


def _deadlock() -> OperationalError:
    class Orig(Exception):
        sqlstate = "40P01"

    return OperationalError("INSERT ...", {}, Orig("deadlock detected"))


def test_a_deadlock_runs_the_whole_push_again_and_applies_everything_once(app, api_for, org, monkeypatch):
    failures = [_deadlock()]

    def once_deadlocked(actor, data):
        if failures:
            raise failures.pop()
        return outcomes.create_review(actor, data)

    monkeypatch.setitem(sync.MUTATIONS, "review.deadlocked", (ReviewCreateSchema, once_deadlocked))
    api = api_for(org["support_worker"])
    first, second = review(org["outcome"]), review(org["outcome"])
    reply = push(api, new_id(), batch(("review.create", first), ("review.deadlocked", second)))
    assert statuses(reply) == ["applied", "applied"]
    assert reviews_in(app) == {first["id"], second["id"]}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MutationResult)) == 2


def test_a_deadlock_that_persists_fails_the_push_and_leaves_nothing(app, api_for, org, monkeypatch, caplog):
    def always_deadlocked(actor, data):
        raise _deadlock()

    monkeypatch.setitem(sync.MUTATIONS, "review.deadlocked", (ReviewCreateSchema, always_deadlocked))
    api = api_for(org["support_worker"])
    device = new_id()
    with caplog.at_level(logging.CRITICAL):  # the 500 is logged; this test does not need to see it
        r = api.post("/api/v1/sync/push", json={"device_id": device, "mutations": batch(
            ("review.create", review(org["outcome"])), ("review.deadlocked", review(org["outcome"])))})
    # The phone keeps every entry (HTTP errors are not "delivered") and tries again later.
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "server_error"
    assert reviews_in(app) == set()
    with app.app_context():
        assert db.session.get(Device, device) is None


def test_a_phone_that_renumbers_from_the_resume_point_stores_each_record_once(app, api_for, org):
    """The recovery the phone runs after a restore (README, "Offline sync"): renumber the unsent
    changes from `resume_from` and push again. Records the server does hold, under whatever
    numbers, come back duplicate because creates are keyed by their client-made UUID."""
    api = api_for(org["support_worker"])
    device = new_id()
    made = [review(org["outcome"]) for _ in range(8)]
    sent = batch(*[("review.create", r) for r in made[:5]])
    assert statuses(push(api, device, sent)) == ["applied"] * 5
    # The reply to 4 and 5 never reached the phone, and the server's record of the device is then
    # restored to an older state that still holds every review.
    with app.app_context():
        db.session.get(Device, device).last_mutation_id = 2
        db.session.execute(MutationResult.__table__.delete().where(MutationResult.mutation_id > 2))
        db.session.commit()

    unsent = batch(*[("review.create", r) for r in made[3:]], start=4)  # 4, 5 and three new ones
    gapped = push(api, device, unsent)
    assert gapped["results"] == [] and gapped["gap"] == {"expected": 3, "received": 4} and gapped["resume_from"] == 3
    renumbered = [{**m, "id": gapped["resume_from"] + i} for i, m in enumerate(unsent)]
    reply = push(api, device, renumbered)
    assert statuses(reply) == ["duplicate", "duplicate", "applied", "applied", "applied"]
    assert reply["last_mutation_id"] == 7 and reply["gap"] is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == 8
    assert reviews_in(app) == {r["id"] for r in made}
