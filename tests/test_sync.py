"""Offline sync (SYNC.md) through the HTTP API: push applies each mutation exactly once, whatever is
replayed, gapped, rejected or conflicting; pull returns exactly the user's scope, in pages, with
tombstones when someone leaves it."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.domain import sync
from server.domain.changeseq import current_seq
from server.domain.errors import Invalid
from server.extensions import db
from server.models import (
    Action,
    AuditEvent,
    CaseloadAssignment,
    Device,
    EvidenceNote,
    FeedbackConversation,
    MutationResult,
    Outcome,
    Review,
    ServiceEvent,
    User,
    WeeklyCheck,
)
from server.schemas.outcome import ReviewCreateSchema
from tests import factories

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
TODAY = date.today()


# ---- helpers ----

def organisation(app, name="Org"):
    return factories.organisation(app, name)


def new_id() -> str:
    return str(uuid.uuid4())


def review(outcome_id, **kw) -> dict:
    args = {
        "id": new_id(),
        "outcome_id": outcome_id,
        "score": 3,
        "rated_by": "together",
        "happened_at": (NOW - timedelta(days=2)).isoformat(),
        "evidence": ["Travelled alone to the GP"],
        "what_changed": "Less confident this month",
        "support_adjustment": "Practise the route again",
    }
    args.update(kw)
    return args


def outcome(person_id, **kw) -> dict:
    args = {
        "id": new_id(),
        "person_id": person_id,
        "domain": "Cooking a meal for friends",
        "persons_words": "I want to cook for my friends.",
        "indicator": "Cooks a two-course meal with picture prompts",
        "starts_on": (TODAY - timedelta(days=30)).isoformat(),
        "review_by": (TODAY + timedelta(days=60)).isoformat(),
    }
    args.update(kw)
    return args


def batch(*pairs, start=1) -> list[dict]:
    """batch(("review.create", args), ...) numbered from `start`."""
    return [{"id": start + i, "name": name, "args": args, "at": NOW.isoformat()} for i, (name, args) in enumerate(pairs)]


def push(api, device, mutations, status=200):
    r = api.post(PUSH, json={"device_id": device, "mutations": mutations})
    assert r.status_code == status, r.get_json()
    return r.get_json()


def statuses(reply) -> list[str]:
    return [r["status"] for r in reply["results"]]


def pull_all(api, cursor=0, limit=None, state=None, log=None):
    """Pull every page from `cursor` and apply it as the phone does. Returns (state, cursor, pages).
    Every change pulled, in order, is added to `log` when one is given."""
    state = {} if state is None else state
    pages = 0
    while True:
        url = f"{PULL}?cursor={cursor}" + (f"&limit={limit}" if limit else "")
        r = api.get(url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert not body["reset"]
        pages += 1
        seqs = [c["seq"] for c in body["changes"]]
        assert seqs == sorted(seqs) and all(s > cursor for s in seqs)
        if limit:
            assert len(body["changes"]) <= limit
        apply_changes(state, body["changes"])
        if log is not None:
            log.extend(body["changes"])
        assert body["cursor"] >= cursor
        cursor = body["cursor"]
        if not body["more"]:
            return state, cursor, pages


def apply_changes(state: dict, changes: list[dict]) -> None:
    for change in changes:
        key = (change["entity"], change["id"])
        if change["op"] == "put":
            state[key] = change["data"]
        else:
            assert change["op"] == "delete"
            state.pop(key, None)
            if change["entity"] == "person":  # the person and everything of theirs
                for other in [k for k, v in state.items() if v.get("person_id") == change["id"]]:
                    del state[other]


# What a person's own phone holds (ACCESS.md): their goals, the actions on them, their ratings and
# the evidence on those ratings; nothing staff-only (checks, feedback, events, staff notes).
PERSON_HOLDS = {"person", "outcome", "action", "review", "evidence"}


def scope_keys(app, email) -> set[tuple[str, str]]:
    """What the user should hold, computed straight from the tables."""
    from server.domain.access import visible_people

    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        people = set(db.session.execute(visible_people(user)).scalars())
        keys = {("person", p) for p in people}
        keys |= {
            ("caseload", p)
            for p in db.session.execute(select(CaseloadAssignment.person_id).where(CaseloadAssignment.user_id == user.id)).scalars()
            if p in people
        }
        for entity, model in (("outcome", Outcome), ("action", Action), ("review", Review), ("evidence", EvidenceNote),
                              ("check", WeeklyCheck), ("feedback", FeedbackConversation), ("event", ServiceEvent)):
            if user.role == "person" and entity not in PERSON_HOLDS:
                continue
            rows = db.session.execute(select(model)).scalars()
            if user.role == "person" and entity == "evidence":
                rows = [r for r in rows if r.review_id is not None]  # notes on their ratings, not staff notes
            keys |= {(entity, r.id) for r in rows if r.person_id in people}
        return keys


def counts(app) -> dict:
    with app.app_context():
        return {
            m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Outcome, Action, Review, EvidenceNote, AuditEvent, Device, MutationResult)
        }


def records_for(app, person_id, days_ago=10):
    """An outcome with an action, and a review with an evidence note, made directly in the database."""
    oid = factories.outcome(app, person_id, domain=f"Goal of {person_id[:8]}")
    with app.app_context():
        action = Action(outcome_id=oid, person_id=person_id, description="Practise the route", owner_kind="person")
        rev = Review(outcome_id=oid, person_id=person_id, score=3, rated_by="together", happened_at=NOW - timedelta(days=days_ago))
        db.session.add_all([action, rev])
        db.session.flush()
        note = EvidenceNote(person_id=person_id, review_id=rev.id, outcome_id=oid, text="A note", happened_at=rev.happened_at)
        db.session.add(note)
        db.session.commit()
        return {"outcome": oid, "action": action.id, "review": rev.id, "note": note.id}


@pytest.fixture
def org(app):
    ids = organisation(app)
    ids["outcome"] = factories.outcome(app, ids["person"])
    ids["other_outcome"] = factories.outcome(app, ids["other_person"])
    return ids


# ---- push ----

def test_push_applies_every_mutation_kind_with_one_audit_entry_each_from_the_device(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    new_outcome = outcome(org["person"])
    action_id, review_id, note_id = new_id(), new_id(), new_id()
    mutations = batch(
        ("outcome.create", new_outcome),
        ("action.create", {"id": action_id, "outcome_id": new_outcome["id"], "description": "Pick a recipe", "owner_kind": "person"}),
        ("review.create", review(new_outcome["id"], id=review_id, evidence=["Chose pasta", "Wrote the list"])),
        ("evidence.create", {"id": note_id, "review_id": review_id, "text": "Cooked for two friends"}),
        ("outcome.update", {"id": new_outcome["id"], "version": 1, "target": "Once a month"}),
        ("action.update", {"id": action_id, "version": 1, "status": "done"}),
    )
    reply = push(api, device, mutations)
    assert reply["device_id"] == device and reply["last_mutation_id"] == 6
    assert reply["resume_from"] is None and reply["gap"] is None
    assert statuses(reply) == ["applied"] * 6
    assert [(r["id"], r["entity"], r["record_id"]) for r in reply["results"]] == [
        (1, "outcome", new_outcome["id"]), (2, "action", action_id), (3, "review", review_id),
        (4, "evidence", note_id), (5, "outcome", new_outcome["id"]), (6, "action", action_id),
    ]
    assert reply["results"][4]["version"] == 2 and reply["results"][5]["version"] == 2
    assert reply["results"][2]["version"] is None  # reviews are append-only

    with app.app_context():
        o = db.session.get(Outcome, new_outcome["id"])
        assert o.target == "Once a month" and o.version == 2
        assert db.session.get(Action, action_id).status == "done"
        r = db.session.get(Review, review_id)
        assert r.score == 3 and sorted(e.text for e in r.evidence) == ["Chose pasta", "Cooked for two friends", "Wrote the list"]
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action.in_(["create", "update"]))).scalars().all()
        assert sorted((e.action, e.entity) for e in events) == sorted(
            [("create", "outcome"), ("create", "action"), ("create", "review"), ("create", "evidence"),
             ("update", "outcome"), ("update", "action")]
        )
        assert {e.device_id for e in events} == {device}
        worker = db.session.execute(select(User).where(User.email == org["support_worker"])).scalar_one()
        assert {e.user_id for e in events} == {worker.id}
        stored = db.session.execute(select(Device)).scalar_one()
        assert (stored.id, stored.user_id, stored.last_mutation_id) == (device, worker.id, 6)


def test_replaying_a_batch_in_any_split_changes_nothing_and_returns_the_original_results(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    mutations = batch(
        ("review.create", review(org["outcome"], score=3)),
        ("review.create", review(org["outcome"], score=9)),  # rejected
        ("evidence.create", {"id": new_id(), "person_id": org["person"], "text": "Went to the art group"}),
        ("outcome.update", {"id": org["outcome"], "version": 1, "target": "Weekly"}),
    )
    first = push(api, device, mutations)
    assert statuses(first) == ["applied", "rejected", "applied", "applied"]
    before = counts(app)

    for replay in (mutations, mutations[:2], mutations[1:3], mutations[3:]):
        again = push(api, device, replay)
        assert statuses(again) == ["duplicate"] * len(replay)
        originals = {r["id"]: r for r in first["results"]}
        for result in again["results"]:
            assert result["original"] == originals[result["id"]]
            assert result["record_id"] == originals[result["id"]]["record_id"]
        assert again["last_mutation_id"] == 4
        assert counts(app) == before

    # A replay that runs on past the end applies only what is new.
    extra = batch(("review.create", review(org["outcome"], score=4)), start=5)
    mixed = push(api, device, mutations[2:] + extra)
    assert statuses(mixed) == ["duplicate", "duplicate", "applied"]
    assert mixed["last_mutation_id"] == 5
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 2
        assert db.session.get(Outcome, org["outcome"]).version == 2


def test_a_gap_stops_the_batch_and_says_where_to_resume(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    m = batch(*[("review.create", review(org["outcome"])) for _ in range(5)])
    assert push(api, device, m[:2])["last_mutation_id"] == 2

    gapped = push(api, device, m[3:])  # 4 and 5 without 3
    assert gapped["results"] == []
    assert gapped["last_mutation_id"] == 2 and gapped["resume_from"] == 3
    assert gapped["gap"] == {"expected": 3, "received": 4}

    partly = push(api, device, [m[1], m[2], m[4]])  # 2 is a duplicate, 3 applies, 5 is after a gap
    assert statuses(partly) == ["duplicate", "applied"]
    assert partly["last_mutation_id"] == 3 and partly["resume_from"] == 4

    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 3
    rest = push(api, device, m[3:])
    assert statuses(rest) == ["applied", "applied"] and rest["resume_from"] is None
    with app.app_context():
        assert set(db.session.execute(select(Review.id)).scalars()) == {x["args"]["id"] for x in m}


def test_rejected_mutations_advance_the_queue_and_the_rest_of_the_batch_applies(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    good = review(org["outcome"])
    mutations = batch(
        ("review.create", review(org["outcome"], score=7)),
        ("review.create", review(org["other_outcome"])),  # that person is not on the worker's caseload
        ("review.delete", {"id": new_id()}),
        ("review.create", review("not-a-uuid")),
        ("outcome.create", outcome(org["other_person"])),
        ("review.create", {k: v for k, v in review(org["outcome"]).items() if k != "id"}),  # no client id
        ("review.create", good),
    )
    reply = push(api, device, mutations)
    assert statuses(reply) == ["rejected"] * 6 + ["applied"]
    assert reply["last_mutation_id"] == 7
    errors = [r.get("error") for r in reply["results"]]
    assert errors[0]["code"] == "validation" and errors[0]["fields"] == {"score": ["Must be 1 to 5."]}
    assert errors[1]["code"] == "not_found" and "outcome_id" in errors[1]["fields"]
    assert errors[2]["code"] == "unknown_mutation" and "review.create" in errors[2]["fields"]["name"][0]
    assert errors[3]["code"] == "validation" and "outcome_id" in errors[3]["fields"]
    assert errors[4]["code"] == "not_found" and "person_id" in errors[4]["fields"]
    assert errors[5]["code"] == "validation" and "id" in errors[5]["fields"]
    for result in reply["results"][:6]:
        assert result["error"]["message"]
    with app.app_context():
        assert list(db.session.execute(select(Review.id)).scalars()) == [good["id"]]
        assert db.session.execute(select(func.count()).select_from(Outcome)).scalar_one() == 2
        stored = db.session.execute(select(MutationResult).order_by(MutationResult.mutation_id)).scalars().all()
        assert [s.status for s in stored] == statuses(reply)


def test_a_score_drop_without_an_explanation_is_rejected_with_the_domain_detail(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    first = review(org["outcome"], score=4, happened_at=(NOW - timedelta(days=5)).isoformat())
    drop = review(org["outcome"], score=2, what_changed=None, support_adjustment="")
    reply = push(api, device, batch(("review.create", first), ("review.create", drop)))
    assert statuses(reply) == ["applied", "rejected"]
    error = reply["results"][1]["error"]
    assert set(error["fields"]) == {"what_changed", "support_adjustment"}
    assert error["previous_score"] == 4


def test_a_mutation_that_fails_halfway_leaves_nothing_behind(app, api_for, org, monkeypatch):
    """Each mutation runs in a savepoint: a domain function that wrote rows and then refused
    leaves no review, no evidence and no audit entry, and the next mutation still applies."""
    from server.domain import outcomes

    def create_then_refuse(actor, data):
        outcomes.create_review(actor, data)
        raise Invalid("Refused after writing.", fields={"score": ["Refused."]})

    monkeypatch.setitem(sync.MUTATIONS, "review.halfway", (ReviewCreateSchema, create_then_refuse))
    api = api_for(org["support_worker"])
    halfway, good = review(org["outcome"]), review(org["outcome"])
    reply = push(api, new_id(), batch(("review.halfway", halfway), ("review.create", good)))
    assert statuses(reply) == ["rejected", "applied"]
    with app.app_context():
        assert db.session.get(Review, halfway["id"]) is None
        assert list(db.session.execute(select(Review.id)).scalars()) == [good["id"]]
        assert db.session.execute(select(func.count()).select_from(EvidenceNote)).scalar_one() == 1
        audited = db.session.execute(select(AuditEvent.entity_id).where(AuditEvent.entity == "review")).scalars().all()
        assert audited == [good["id"]]


def test_a_stale_edit_of_the_same_field_conflicts_and_edits_of_other_fields_merge(app, api_for, org):
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    phone, tablet = new_id(), new_id()
    # The manager's tablet changes the target first.
    assert statuses(push(manager, tablet, batch(("outcome.update", {"id": org["outcome"], "version": 1, "target": "Weekly, alone"})))) == ["applied"]

    # The worker's phone edited the target from version 1 too: the server value stands.
    stale = push(worker, phone, batch(("outcome.update", {"id": org["outcome"], "version": 1, "target": "Twice a week"})))
    result = stale["results"][0]
    assert result["status"] == "conflict" and result["entity"] == "outcome"
    assert result["error"]["code"] == "conflict" and set(result["error"]["fields"]) == {"target"}
    assert result["current"]["target"] == "Weekly, alone" and result["current"]["version"] == 2
    assert result["version"] == 2 and result["applied"] == []
    assert stale["last_mutation_id"] == 1

    # Same field plus another: the other one merges, the conflicting one is reported.
    both = push(worker, phone, batch(("outcome.update", {"id": org["outcome"], "version": 1, "target": "Daily",
                                                          "indicator": "Takes the bus alone"}), start=2))
    result = both["results"][0]
    assert result["status"] == "conflict" and result["applied"] == ["indicator"]
    assert result["current"]["indicator"] == "Takes the bus alone" and result["current"]["target"] == "Weekly, alone"

    # A different field only, still from version 1: merges cleanly.
    merged = push(worker, phone, batch(("outcome.update", {"id": org["outcome"], "version": 1, "persons_words": "Into town on my own."}), start=3))
    assert statuses(merged) == ["applied"] and merged["results"][0]["version"] == 4
    with app.app_context():
        o = db.session.get(Outcome, org["outcome"])
        assert (o.target, o.indicator, o.persons_words, o.version) == ("Weekly, alone", "Takes the bus alone", "Into town on my own.", 4)

    # Replaying the conflict returns the conflict as it was, and changes nothing.
    again = push(worker, phone, batch(("outcome.update", {"id": org["outcome"], "version": 1, "target": "Twice a week"})))
    assert again["results"][0]["status"] == "duplicate" and again["results"][0]["original"] == stale["results"][0]
    with app.app_context():
        assert db.session.get(Outcome, org["outcome"]).version == 4


def test_a_partly_merged_edit_is_audited_with_the_fields_it_changed(app, api_for, org):
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    push(manager, new_id(), batch(("outcome.update", {"id": org["outcome"], "version": 1, "target": "Weekly, alone"})))
    reply = push(worker, new_id(), batch(("outcome.update", {"id": org["outcome"], "version": 1, "target": "Daily",
                                                             "indicator": "Takes the bus alone"})))
    assert reply["results"][0]["status"] == "conflict"
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.entity == "outcome", AuditEvent.action == "update", AuditEvent.entity_id == org["outcome"])
        ).scalars().all()
        assert [e.detail["fields"] for e in events] == [["target"], ["indicator"]]
        assert events[1].detail["conflicts"] == ["target"]


def test_an_action_edit_may_change_the_owner_kind_alone(app, api_for, org):
    worker = api_for(org["support_worker"])
    phone = new_id()
    aid = new_id()
    made = push(worker, phone, batch(("action.create", {"id": aid, "outcome_id": org["outcome"], "description": "Practise the route",
                                                        "owner_kind": "staff", "owner_user_id": org["support_worker_id"]})))
    assert statuses(made) == ["applied"]
    # To the person and back to staff: the stored staff member is kept, so no user id is needed.
    moved = push(worker, phone, batch(("action.update", {"id": aid, "version": 1, "owner_kind": "person"}),
                                      ("action.update", {"id": aid, "version": 2, "owner_kind": "staff"}), start=2))
    assert statuses(moved) == ["applied", "applied"]
    # Naming "someone else" without a name is refused, naming the field.
    bad = push(worker, phone, batch(("action.update", {"id": aid, "version": 3, "owner_kind": "other"}), start=4))
    assert bad["results"][0]["status"] == "rejected" and "owner_name" in bad["results"][0]["error"]["fields"]


def test_an_update_of_a_missing_record_or_from_a_future_version_is_rejected(app, api_for, org):
    api = api_for(org["support_worker"])
    reply = push(api, new_id(), batch(
        ("outcome.update", {"id": new_id(), "version": 1, "target": "x"}),
        ("outcome.update", {"id": org["outcome"], "version": 5, "target": "x"}),
        ("outcome.update", {"id": org["outcome"], "target": "x"}),
        ("action.update", {"id": new_id(), "version": 1, "status": "done"}),
    ))
    assert statuses(reply) == ["rejected"] * 4
    assert [r["error"]["code"] for r in reply["results"]] == ["not_found", "validation", "validation", "not_found"]
    assert "version" in reply["results"][2]["error"]["fields"]


def test_same_record_id_from_a_new_device_is_a_duplicate_when_identical_and_rejected_when_different(app, api_for, org):
    api = api_for(org["support_worker"])
    original = review(org["outcome"], score=4)
    push(api, new_id(), batch(("review.create", original)))

    reinstalled = new_id()  # the app was reinstalled and re-sends its old outbox under a new device id
    same = push(api, reinstalled, batch(("review.create", original)))
    assert same["results"][0]["status"] == "duplicate"
    assert same["results"][0]["record_id"] == original["id"] and same["results"][0]["entity"] == "review"
    changed = push(api, reinstalled, batch(("review.create", {**original, "score": 1, "evidence": ["Overwritten?"]}), start=2))
    assert changed["results"][0]["status"] == "rejected"
    assert "id" in changed["results"][0]["error"]["fields"]
    with app.app_context():
        r = db.session.get(Review, original["id"])
        assert r.score == 4 and [e.text for e in r.evidence] == original["evidence"]
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 1


def test_a_reused_mutation_id_for_a_different_record_is_not_silently_skipped(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    push(api, device, batch(("review.create", review(org["outcome"]))))
    other = review(org["outcome"])
    reply = push(api, device, batch(("review.create", other)))  # numbering restarted at 1
    assert reply["results"][0]["status"] == "rejected"
    assert reply["results"][0]["error"]["code"] == "mutation_id_reused"
    with app.app_context():
        assert db.session.get(Review, other["id"]) is None


def test_a_device_belongs_to_the_user_who_first_pushed_from_it(app, api_for, org):
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])
    device = new_id()
    push(worker, device, batch(("review.create", review(org["outcome"]))))
    before = counts(app)
    r = manager.post(PUSH, json={"device_id": device, "mutations": batch(("review.create", review(org["outcome"])), start=2)})
    assert r.status_code == 403
    error = r.get_json()["error"]
    assert error["code"] == "device_taken" and "device_id" in error["fields"]
    assert counts(app) == before
    # The worker carries on; an empty push reports where the device is.
    assert push(worker, device, [])["last_mutation_id"] == 1
    assert push(manager, new_id(), [])["last_mutation_id"] == 0


def test_roles_that_cannot_write_get_every_mutation_rejected(app, api_for, org):
    for role in ("senior_leader", "commissioner"):
        api = api_for(org[role])
        reply = push(api, new_id(), batch(("review.create", review(org["outcome"]))))
        assert statuses(reply) == ["rejected"]
        assert reply["results"][0]["error"]["code"] in {"forbidden", "not_found"}
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 0


def test_envelope_errors_are_a_json_4xx_naming_the_field_and_change_nothing(app, api_for, org):
    api = api_for(org["support_worker"])
    device = new_id()
    one = batch(("review.create", review(org["outcome"])))

    r = api.post(PUSH, data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] in {"invalid_json", "bad_request"}

    r = api.post(PUSH, json={"mutations": one})
    assert r.status_code == 422 and "device_id" in r.get_json()["error"]["fields"]
    r = api.post(PUSH, json={"device_id": "phone-1", "mutations": one})
    assert r.status_code == 422 and "device_id" in r.get_json()["error"]["fields"]
    r = api.post(PUSH, json={"device_id": device, "mutations": {"1": one[0]}})
    assert r.status_code == 422 and "mutations" in r.get_json()["error"]["fields"]
    r = api.post(PUSH, json={"device_id": device})
    assert r.status_code == 422 and "mutations" in r.get_json()["error"]["fields"]
    r = api.post(PUSH, json=[one])
    assert r.status_code == 422

    too_many = batch(*[("review.create", review(org["outcome"])) for _ in range(501)])
    r = api.post(PUSH, json={"device_id": device, "mutations": too_many})
    assert r.status_code == 413
    error = r.get_json()["error"]
    assert error["code"] == "too_many_mutations" and "500" in error["message"] and "mutations" in error["fields"]
    assert push(api, new_id(), too_many[:500])["last_mutation_id"] == 500  # the limit itself is fine

    for bad_ids in ([2, 1], [1, 1], [0], [-3], ["1"], [1.5], [True]):
        mutations = [{**one[0], "id": n} for n in bad_ids]
        r = api.post(PUSH, json={"device_id": device, "mutations": mutations})
        assert r.status_code == 422, bad_ids
        assert "mutations" in r.get_json()["error"]["fields"], bad_ids
    for broken in ({"id": 1, "args": {}}, {"id": 1, "name": "review.create", "args": []}, {"id": 1, "name": "review.create"},
                   {**one[0], "extra": True}, {**one[0], "at": "yesterday"}):
        r = api.post(PUSH, json={"device_id": device, "mutations": [broken]})
        assert r.status_code == 422 and "mutations" in r.get_json()["error"]["fields"], broken

    with app.app_context():
        assert db.session.get(Device, device) is None
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 500


def test_push_and_pull_need_a_signed_in_user_and_push_needs_the_csrf_token(app, client, api_for, org):
    assert client.get(PULL).status_code == 401
    r = client.post(PUSH, json={"device_id": new_id(), "mutations": []})
    assert r.status_code in {401, 403} and r.get_json()["error"]["code"] in {"unauthenticated", "csrf"}
    api = api_for(org["support_worker"])
    r = api.client.post(PUSH, json={"device_id": new_id(), "mutations": []})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf"


def test_the_openapi_document_describes_push_and_pull(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/sync/push"]
    assert "get" in spec["paths"]["/api/v1/sync/pull"]
    assert {"cursor", "limit"} <= {p["name"] for p in spec["paths"]["/api/v1/sync/pull"]["get"]["parameters"]}


# ---- pull ----

def test_pull_from_zero_is_exactly_the_users_scope(app, api_for, org):
    mine = records_for(app, org["person"])
    theirs = records_for(app, org["other_person"])
    with app.app_context():
        db.session.add_all([
            WeeklyCheck(person_id=org["person"], week_of=TODAY - timedelta(days=TODAY.weekday()), incidents=1, engagement=3, mood=4),
            ServiceEvent(person_id=org["other_person"], kind="community_participation", happened_at=NOW),
            FeedbackConversation(person_id=org["person"], happened_at=NOW, works_well="The new rota"),
            ServiceEvent(person_id=org["person"], kind="restrictive_practice", happened_at=NOW, note="Held at the door"),
            EvidenceNote(person_id=org["person"], text="Staff note: seemed low today", happened_at=NOW),
        ])
        db.session.commit()

    worker = api_for(org["support_worker"])
    state, cursor, _ = pull_all(worker)
    assert set(state) == scope_keys(app, org["support_worker"])
    assert ("review", mine["review"]) in state and ("review", theirs["review"]) not in state
    assert ("person", org["other_person"]) not in state
    assert {k[0] for k in state} == {"person", "caseload", "outcome", "action", "review", "evidence", "check", "feedback", "event"}
    with app.app_context():
        assert cursor == current_seq(db.session)  # nothing is left to pull

    # The data is what the REST endpoints return.
    rest = worker.get(f"/api/v1/outcomes/{mine['outcome']}").get_json()
    assert state[("outcome", mine["outcome"])] == rest
    rv = state[("review", mine["review"])]
    assert rv["score"] == 3 and [e["text"] for e in rv["evidence"]] == ["A note"]
    assert state[("evidence", mine["note"])]["review_id"] == mine["review"]
    assert state[("caseload", org["person"])] == {"person_id": org["person"], "keyworker": True}
    assert state[("person", org["person"])]["name"] == "Org Person One"

    manager = api_for(org["registered_manager"])
    state, _, _ = pull_all(manager)
    assert set(state) == scope_keys(app, org["registered_manager"])
    assert ("review", theirs["review"]) in state and any(k[0] == "event" for k in state)

    # The person's own phone: their goals, actions, ratings and the evidence on them. No restrictive
    # practice notes, weekly checks, feedback, staff notes or who wrote what (this used to leak).
    person = api_for(org["person_email"])
    state, _, _ = pull_all(person)
    assert set(state) == scope_keys(app, org["person_email"])
    assert {k for k in state if k[0] == "person"} == {("person", org["person"])}
    assert {k[0] for k in state} == {"person", "outcome", "action", "review", "evidence"}
    assert [v["text"] for k, v in state.items() if k[0] == "evidence"] == ["A note"]
    body = json.dumps(list(state.values()))
    for staff_only in ("Held at the door", "The new rota", "seemed low today", "created_by"):
        assert staff_only not in body, staff_only

    for role in ("commissioner", "admin"):
        r = api_for(org[role]).get(PULL)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"


def test_pull_pages_by_cursor_and_then_returns_only_what_is_new(app, api_for, org):
    for days in (30, 20, 10):
        records_for(app, org["person"], days_ago=days)
    api = api_for(org["support_worker"])
    whole, cursor, pages = pull_all(api)
    assert pages == 1
    paged, paged_cursor, pages = pull_all(api, limit=2)
    assert paged == whole and paged_cursor == cursor and pages >= len(whole) // 2

    r = api.get(f"{PULL}?cursor={cursor}").get_json()
    assert r == {"cursor": cursor, "more": False, "reset": False, "changes": []}

    new = review(org["outcome"])
    push(api, new_id(), batch(("review.create", new)))
    changes = api.get(f"{PULL}?cursor={cursor}").get_json()["changes"]
    assert [(c["entity"], c["id"]) for c in changes if c["entity"] == "review"] == [("review", new["id"])]
    assert {c["entity"] for c in changes} == {"review", "evidence"}

    for bad in ("cursor=-1", "cursor=abc", "limit=0"):
        r = api.get(f"{PULL}?{bad}")
        assert r.status_code == 422 and r.get_json()["error"]["fields"]


def test_a_cursor_from_another_database_asks_the_phone_to_start_again(app, api_for, org):
    api = api_for(org["support_worker"])
    body = api.get(f"{PULL}?cursor=999999").get_json()
    assert body["reset"] is True and body["cursor"] == 0 and body["changes"] == []


def test_taking_a_person_off_a_caseload_sends_tombstones_and_stops_writes(app, api_for, org):
    records_for(app, org["person"])
    api = api_for(org["support_worker"])
    state, cursor, _ = pull_all(api)
    assert any(v.get("person_id") == org["person"] for v in state.values())

    with app.app_context():
        worker = db.session.execute(select(User).where(User.email == org["support_worker"])).scalar_one()
        assert sync.remove_from_caseload(worker.id, org["person"]) is True
        assert sync.remove_from_caseload(worker.id, org["person"]) is False
        db.session.commit()

    changes = api.get(f"{PULL}?cursor={cursor}").get_json()["changes"]
    assert {(c["entity"], c["op"], c["id"]) for c in changes} == {("caseload", "delete", org["person"]), ("person", "delete", org["person"])}
    state, _, _ = pull_all(api, cursor, state=state)
    assert state == {}
    fresh, _, _ = pull_all(api)
    assert fresh == {} and set(fresh) == scope_keys(app, org["support_worker"])

    reply = push(api, new_id(), batch(("review.create", review(org["outcome"]))))
    assert reply["results"][0]["status"] == "rejected" and reply["results"][0]["error"]["code"] == "not_found"

    # The manager still sees the person: no tombstone reaches them.
    manager_state, _, _ = pull_all(api_for(org["registered_manager"]))
    assert ("person", org["person"]) in manager_state


def test_putting_a_person_on_a_caseload_brings_their_older_records_to_the_next_pull(app, api_for, org):
    old = records_for(app, org["other_person"], days_ago=60)
    api = api_for(org["support_worker"])
    state, cursor, _ = pull_all(api)
    assert ("review", old["review"]) not in state
    with app.app_context():
        updated_before = db.session.get(Review, old["review"]).updated_at
        worker = db.session.execute(select(User).where(User.email == org["support_worker"])).scalar_one()
        sync.add_to_caseload(worker.id, org["other_person"])
        sync.add_to_caseload(worker.id, org["other_person"])  # idempotent
        db.session.commit()
        assert db.session.get(Review, old["review"]).updated_at == updated_before

    state, _, _ = pull_all(api, cursor, state=state)
    for key in (("person", org["other_person"]), ("caseload", org["other_person"]), ("outcome", old["outcome"]),
                ("action", old["action"]), ("review", old["review"]), ("evidence", old["note"])):
        assert key in state, key
    assert set(state) == scope_keys(app, org["support_worker"])
    assert statuses(push(api, new_id(), batch(("review.create", review(org["other_outcome"]))))) == ["applied"]

    # Off and on again: the delete comes before the records, so the phone ends up holding them.
    with app.app_context():
        worker = db.session.execute(select(User).where(User.email == org["support_worker"])).scalar_one()
        sync.remove_from_caseload(worker.id, org["other_person"])
        db.session.commit()
        sync.add_to_caseload(worker.id, org["other_person"])
        db.session.commit()
    state, _, _ = pull_all(api, cursor, state=state)
    assert set(state) == scope_keys(app, org["support_worker"])
    assert ("review", old["review"]) in state


def test_a_user_never_receives_another_organisations_or_caseloads_records(app, api_for):
    a, b = organisation(app, "Alpha"), organisation(app, "Beta")
    recs = {(org, p): records_for(app, ids[p]) for org, ids in (("a", a), ("b", b)) for p in ("person", "other_person")}
    with app.app_context():
        db.session.add_all([WeeklyCheck(person_id=ids[p], week_of=TODAY, incidents=0, engagement=3, mood=3)
                            for ids in (a, b) for p in ("person", "other_person")])
        db.session.commit()
    # Beta's worker cannot write into Alpha.
    beta = api_for(b["support_worker"])
    alpha_outcome = recs[("a", "person")]["outcome"]
    assert statuses(push(beta, new_id(), batch(("review.create", review(alpha_outcome))))) == ["rejected"]

    alpha_ids = {v for (o, _), r in recs.items() if o == "a" for v in r.values()} | {a["person"], a["other_person"]}
    beta_ids = {v for (o, _), r in recs.items() if o == "b" for v in r.values()} | {b["person"], b["other_person"]}
    for ids, theirs in ((a, beta_ids), (b, alpha_ids)):
        for role in ("support_worker", "registered_manager", "senior_leader", "person_email"):
            api = api_for(ids[role])
            state, _, _ = pull_all(api, limit=3)
            assert set(state) == scope_keys(app, ids[role]), role
            seen = {k[1] for k in state} | {v.get("person_id") for v in state.values()}
            assert not seen & theirs, role
            if role == "support_worker":
                off = {k for k, v in state.items() if v.get("person_id") == ids["other_person"] or k[1] == ids["other_person"]}
                assert off == set(), "another caseload's records"
