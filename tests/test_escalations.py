"""Escalations (PRODUCT.md, Governance): the rules at their edges; raised in the step that stores a
review, whether it came through the form or a phone's sync, exactly once (replays, two phones at
once, late-arriving reviews); overdue reviews through the reminders job; seniors and managers told
once, with no names; acknowledge, then answer, each once; and who may see and do what."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import date, datetime, time as clock, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.domain import escalations
from server.domain.escalations import rules_at
from server import jobs
from server.extensions import db
from server.models import AuditEvent, Change, Escalation, LearningEntry, Notification, Person, Review, User
from tests import factories
from tests.conftest import Api
from tests.push_receiver import receiver  # noqa: F401 - the fixture

TODAY = date.today()
NOW = datetime.now(timezone.utc).replace(microsecond=0)
SUBS = "/api/v1/push/subscriptions"


def at(days_ago: int) -> str:
    return datetime.combine(TODAY - timedelta(days=days_ago), clock(10), tzinfo=timezone.utc).isoformat()


def review_body(outcome_id, score, days_ago, review_id=None):
    return {
        "id": review_id or str(uuid.uuid4()), "outcome_id": outcome_id, "score": score, "rated_by": "together",
        "happened_at": at(days_ago), "evidence": [f"Evidence for {score}"],
        # always given: a drop requires them, and giving them otherwise changes nothing
        "what_changed": "Something changed", "support_adjustment": "Support will change",
    }


def post_review(api, outcome_id, score, days_ago, review_id=None):
    r = api.post("/api/v1/reviews", json=review_body(outcome_id, score, days_ago, review_id))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def push(api, device_id, mutations):
    r = api.post("/api/v1/sync/push", json={"device_id": device_id, "mutations": mutations})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def mutation(n, body):
    return {"id": n, "name": "review.create", "args": body}


def rows(app, outcome_id=None):
    with app.app_context():
        q = select(Escalation).order_by(Escalation.raised_at, Escalation.id)
        if outcome_id:
            q = q.where(Escalation.outcome_id == outcome_id)
        return [
            {"id": e.id, "rule": e.rule, "reasons": e.reasons, "review_id": e.review_id, "review_ids": e.review_ids,
             "status": e.status, "due_on": e.due_on, "person_id": e.person_id, "service_id": e.service_id}
            for e in db.session.execute(q).scalars()
        ]


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    ids["outcome"] = factories.outcome(app, ids["person"], starts_on=TODAY - timedelta(days=300))
    return ids


@pytest.fixture
def worker(org, api_for):
    return api_for(org["support_worker"])


# ---- the rules, at their edges ----

@pytest.mark.parametrize("scores,expected", [
    ([4, 3], {}),                                                              # a drop of exactly 1
    ([4, 2], {"deterioration": ["drop_of_2_or_more"]}),                        # a drop of exactly 2
    ([5, 1], {"deterioration": ["drop_of_2_or_more"]}),
    ([4, 3, 2], {"deterioration": ["two_drops_in_a_row"]}),                    # two drops of 1 in a row
    ([5, 4, 2], {"deterioration": ["drop_of_2_or_more", "two_drops_in_a_row"]}),
    ([3, 4, 3], {}),                                                           # a rise, then a drop of 1
    ([3, 3, 3], {"stagnation": ["no_improvement_across_three"]}),
    ([4, 4, 3], {"stagnation": ["no_improvement_across_three"]}),
    ([3, 3, 4], {}),                                                           # improved at the third
    ([4, 3, 4], {}),                                                           # improved in between
    ([5, 5, 5], {}),                                                           # the top of the scale cannot improve
    ([4, 5, 5], {}),
    ([2, 2], {"stagnation": ["low_at_two_in_a_row"]}),                         # 1-2 at two reviews in a row
    ([2, 1], {"stagnation": ["low_at_two_in_a_row"]}),
    ([3, 2], {}),                                                              # 3 is not low
    ([2, 3], {}),
    ([1, 2], {"stagnation": ["low_at_two_in_a_row"]}),                         # still low, though it rose
    ([2, 2, 2], {"stagnation": ["no_improvement_across_three", "low_at_two_in_a_row"]}),
    ([3, 2, 1], {"deterioration": ["two_drops_in_a_row"]}),                    # deterioration wins over stagnation
    ([3], {}),
])
def test_the_rules_at_their_edges(scores, expected):
    found = rules_at(scores, len(scores) - 1)
    assert {rule: reasons for rule, (reasons, _) in found.items()} == expected


def test_each_rule_names_the_reviews_it_looked_at():
    assert rules_at([4, 2], 1)["deterioration"][1] == [0, 1]
    assert rules_at([9, 4, 3, 2], 3)["deterioration"][1] == [1, 2, 3]
    assert rules_at([9, 3, 3, 3], 3)["stagnation"][1] == [1, 2, 3]
    assert rules_at([9, 2, 2], 2)["stagnation"][1] == [0, 1, 2]  # no_improvement spans three (9 ≥ 2 ≥ 2)


# ---- raised where the review is stored ----

def test_a_drop_of_1_raises_nothing_and_a_drop_of_2_a_deterioration(app, org, worker):
    post_review(worker, org["outcome"], 4, 60)
    post_review(worker, org["outcome"], 3, 30)
    assert rows(app) == []
    other = factories.outcome(app, org["person"], domain="Feeling safe with money", starts_on=TODAY - timedelta(days=300))
    first = post_review(worker, other, 4, 60)
    second = post_review(worker, other, 2, 30)
    [e] = rows(app)
    assert (e["rule"], e["reasons"], e["review_id"], e["review_ids"], e["status"]) == (
        "deterioration", ["drop_of_2_or_more"], second, [first, second], "open")
    assert (e["person_id"], e["service_id"]) == (org["person"], org["service"])


def test_two_drops_in_a_row_raise_a_deterioration(app, org, worker):
    ids = [post_review(worker, org["outcome"], s, d) for s, d in ((5, 90), (4, 60))]
    assert rows(app) == []
    ids.append(post_review(worker, org["outcome"], 3, 30))
    [e] = rows(app)
    assert (e["rule"], e["reasons"], e["review_ids"]) == ("deterioration", ["two_drops_in_a_row"], ids)


def test_three_reviews_without_improvement_raise_stagnation_once_while_it_is_open(app, org, worker, api_for):
    post_review(worker, org["outcome"], 3, 150)
    post_review(worker, org["outcome"], 3, 120)
    assert rows(app) == []
    third = post_review(worker, org["outcome"], 3, 90)
    [e] = rows(app)
    assert (e["rule"], e["reasons"], e["review_id"]) == ("stagnation", ["no_improvement_across_three"], third)
    post_review(worker, org["outcome"], 3, 60)  # still stuck, but leadership already has it
    assert len(rows(app)) == 1
    senior = api_for(org["senior_leader"])
    assert senior.post(f"/api/v1/escalations/{e['id']}/acknowledge").status_code == 200
    assert senior.post(f"/api/v1/escalations/{e['id']}/answer", json={"answer": "Try a new approach"}).status_code == 200
    fifth = post_review(worker, org["outcome"], 3, 30)  # answered, and still stuck: a new one
    assert [(x["rule"], x["review_id"]) for x in rows(app)] == [("stagnation", third), ("stagnation", fifth)]


def test_a_score_of_1_or_2_at_two_reviews_in_a_row_is_stagnation(app, org, worker):
    post_review(worker, org["outcome"], 3, 90)
    post_review(worker, org["outcome"], 2, 60)  # a drop of 1 to 2: not yet
    assert rows(app) == []
    last = post_review(worker, org["outcome"], 2, 30)
    [e] = rows(app)
    assert (e["rule"], e["reasons"], e["review_id"]) == (
        "stagnation", ["no_improvement_across_three", "low_at_two_in_a_row"], last)


def test_a_review_online_and_the_same_synced_later_raise_the_same_escalation_once(app, org, worker):
    online = factories.outcome(app, org["person"], domain="Online", starts_on=TODAY - timedelta(days=300))
    synced = factories.outcome(app, org["person"], domain="Synced", starts_on=TODAY - timedelta(days=300))
    post_review(worker, online, 4, 60)
    post_review(worker, online, 2, 30)
    device = str(uuid.uuid4())
    batch = [mutation(1, review_body(synced, 4, 60)), mutation(2, review_body(synced, 2, 30))]
    reply = push(worker, device, batch)
    assert [r["status"] for r in reply["results"]] == ["applied", "applied"]
    shapes = sorted((e["rule"], e["reasons"], len(e["review_ids"])) for e in rows(app))
    assert shapes == [("deterioration", ["drop_of_2_or_more"], 2)] * 2
    # the phone never heard the reply and sends the batch again: nothing new
    again = push(worker, device, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    # a restored app re-sends the same records under a new device id: nothing new either
    restored = push(worker, str(uuid.uuid4()), batch)
    assert [r["status"] for r in restored["results"]] == ["duplicate", "duplicate"]
    assert len(rows(app)) == 2
    with app.app_context():
        raised = db.session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "escalation", AuditEvent.action == "raise")).scalar_one()
    assert raised == 2


def test_a_late_review_can_make_a_later_review_a_deterioration(app, org, worker):
    second = post_review(worker, org["outcome"], 4, 60)
    third = post_review(worker, org["outcome"], 3, 30)  # a drop of 1: nothing
    assert rows(app) == []
    # a phone that was offline for months syncs the review before both: 5 → 4 → 3 is two drops in a row
    late = str(uuid.uuid4())
    reply = push(worker, str(uuid.uuid4()), [mutation(1, review_body(org["outcome"], 5, 90, late))])
    assert reply["results"][0]["status"] == "applied"
    [e] = rows(app)
    assert (e["rule"], e["reasons"], e["review_id"], e["review_ids"]) == ("deterioration", ["two_drops_in_a_row"], third, [late, second, third])


def test_a_late_review_in_between_can_complete_a_stagnation(app, org, worker):
    post_review(worker, org["outcome"], 3, 90)
    last = post_review(worker, org["outcome"], 3, 30)
    assert rows(app) == []
    post_review(worker, org["outcome"], 3, 60)
    [e] = rows(app)
    assert (e["rule"], e["review_id"]) == ("stagnation", last)


def test_a_late_review_never_withdraws_an_escalation(app, org, worker):
    post_review(worker, org["outcome"], 4, 60)
    post_review(worker, org["outcome"], 2, 30)
    assert [e["rule"] for e in rows(app)] == ["deterioration"]
    post_review(worker, org["outcome"], 3, 45)  # in between: 4 → 3 → 2, no longer a drop of 2 at the last
    assert [(e["rule"], e["reasons"], e["status"]) for e in rows(app)] == [("deterioration", ["drop_of_2_or_more"], "open")]


# ---- two phones at once ----

HOLD = 0.4


def _at_once(*calls):
    barrier = threading.Barrier(len(calls))
    replies: list = [None] * len(calls)

    def run(i, api, body):
        barrier.wait()
        try:
            r = api.post("/api/v1/sync/push", json=body)
            replies[i] = (r.status_code, r.get_json())
        except BaseException as exc:  # noqa: BLE001 - reported below
            replies[i] = exc

    threads = [threading.Thread(target=run, args=(i, api, body)) for i, (api, body) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for reply in replies:
        if isinstance(reply, BaseException):
            raise reply
        assert reply is not None and reply[0] == 200, reply
    return [body for _, body in replies]


@pytest.fixture
def two_phones(app, org, monkeypatch):
    phones = []
    for _ in range(2):
        api = Api(app)
        assert api.login(org["support_worker"]).status_code == 200
        phones.append(api)
    real = escalations._history

    def slow_history(outcome_id):  # hold the outcome's lock a while, so the two pushes overlap
        time.sleep(HOLD)
        return real(outcome_id)

    monkeypatch.setattr(escalations, "_history", slow_history)
    return phones


def test_two_phones_whose_reviews_together_stagnate_raise_one_escalation(app, org, worker, two_phones):
    """Neither review alone meets a rule; together they do. Whichever commits second must see the
    first (the outcome's lock), and exactly one escalation is raised."""
    post_review(worker, org["outcome"], 3, 90)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    first, second = _at_once(
        (two_phones[0], {"device_id": str(uuid.uuid4()), "mutations": [mutation(1, review_body(org["outcome"], 3, 60, a))]}),
        (two_phones[1], {"device_id": str(uuid.uuid4()), "mutations": [mutation(1, review_body(org["outcome"], 3, 30, b))]}),
    )
    assert first["results"][0]["status"] == second["results"][0]["status"] == "applied"
    [e] = rows(app)
    assert e["rule"] == "stagnation" and len(e["review_ids"]) == 3 and set(e["review_ids"]) >= {a, b}


def test_the_same_review_from_two_phones_at_once_raises_one(app, org, worker, two_phones):
    post_review(worker, org["outcome"], 4, 60)
    body = review_body(org["outcome"], 2, 30)
    first, second = _at_once(
        (two_phones[0], {"device_id": str(uuid.uuid4()), "mutations": [mutation(1, body)]}),
        (two_phones[1], {"device_id": str(uuid.uuid4()), "mutations": [mutation(1, body)]}),
    )
    assert sorted([first["results"][0]["status"], second["results"][0]["status"]]) == ["applied", "duplicate"]
    assert [e["rule"] for e in rows(app)] == ["deterioration"]


def test_the_database_refuses_a_second_escalation_for_the_same_review_and_rule(app, org, worker):
    post_review(worker, org["outcome"], 4, 60)
    post_review(worker, org["outcome"], 2, 30)
    [e] = rows(app)
    with app.app_context():
        again = escalations._raise({"organisation_id": org["org"], "service_id": org["service"], "person_id": org["person"],
                                    "outcome_id": org["outcome"], "rule": "deterioration", "reasons": [], "review_id": e["review_id"],
                                    "review_ids": [], "raised_at": NOW})
        db.session.commit()
    assert again is None and len(rows(app)) == 1


# ---- overdue, through the reminders job ----

def run(app, today=TODAY):
    with app.app_context():
        return jobs.send_reminders(today=today, sleep=lambda s: None)


def test_a_review_more_than_14_days_overdue_escalates_once_per_due_date(app, org, worker):
    oid = factories.outcome(app, org["other_person"], domain="Overdue goal", starts_on=TODAY - timedelta(days=60))
    due = TODAY - timedelta(days=30)
    run(app, today=due + timedelta(days=14))
    assert rows(app, oid) == []
    run(app, today=due + timedelta(days=15))
    [e] = rows(app, oid)
    assert (e["rule"], e["reasons"], e["due_on"], e["person_id"]) == ("overdue", ["review_overdue"], due, org["other_person"])
    run(app)
    run(app)
    assert len(rows(app, oid)) == 1
    # reviewed 45 days ago (late, by a manager): the next due date is 15 days ago, and it is missed too
    manager = Api(app)
    manager.login(org["registered_manager"])
    post_review(manager, oid, 3, 45)
    run(app)
    assert [x["due_on"] for x in rows(app, oid)] == [due, TODAY - timedelta(days=15)]


def test_two_runs_at_once_escalate_an_overdue_review_once(app, org):
    oid = factories.outcome(app, org["other_person"], domain="Overdue goal", starts_on=TODAY - timedelta(days=60))
    start = threading.Barrier(2, timeout=30)
    errors = []

    def one():
        try:
            with app.app_context():
                start.wait()
                jobs.send_reminders(today=TODAY, sleep=lambda s: None)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(rows(app, oid)) == 1
    with app.app_context():
        keys = db.session.execute(select(Notification.dedupe_key).where(Notification.kind == "escalation_new")).scalars().all()
    assert len(keys) == len(set(keys)) == 2 * len(rows(app))  # the senior and the manager, once each


# ---- who hears: seniors and the service's managers, once, with no names ----

def test_seniors_and_managers_of_the_service_hear_once_without_names(app, org, worker, api_for, receiver):
    other = factories.organisation(app, "Beta")
    with app.app_context():
        elsewhere = User(organisation_id=org["org"], email="elsewhere@alpha.example", name="Elsewhere Manager",
                         role="registered_manager", password_hash=db.session.get(User, org["registered_manager_id"]).password_hash)
        db.session.add(elsewhere)
        db.session.flush()
        from server.models import UserService
        db.session.add(UserService(user_id=elsewhere.id, service_id=org["services"][1]))
        db.session.commit()
        person = db.session.get(Person, org["person"])
        name = person.name
    subs = {}
    for email in (org["senior_leader"], org["registered_manager"], "elsewhere@alpha.example", other["senior_leader"]):
        subs[email] = receiver.subscription()
        assert api_for(email).post(SUBS, json=subs[email]).status_code == 201
    post_review(worker, org["outcome"], 4, 55)
    post_review(worker, org["outcome"], 2, 25)
    [e] = rows(app)
    summary = run(app)
    for email in (org["senior_leader"], org["registered_manager"]):
        [received] = receiver.to(subs[email])
        assert received.problems == []
        assert received.payload["title"] == "1 new escalation" and received.urgency == "high"
        assert name not in received.plaintext and "Confidence" not in received.plaintext and "Person" not in received.plaintext
    assert receiver.to(subs["elsewhere@alpha.example"]) == [] and receiver.to(subs[other["senior_leader"]]) == []
    assert summary.pushed == 2
    # the inbox names the person for those who may see them, and links to the escalation
    inbox = api_for(org["senior_leader"]).get("/api/v1/notifications").get_json()["notifications"]
    [item] = [n for n in inbox if n["kind"] == "escalation_new"]
    assert item["title"] == "New escalation: deterioration" and item["url"] == f"/escalations/{e['id']}"
    assert item["person"]["name"] == name and name not in item["title"] + item["body"]
    assert item["due_on"] is None and item["subject"] == "escalation"
    # the next run sends nothing again
    assert run(app).notices == 0
    assert len(receiver.received) == 2


def test_two_new_escalations_make_one_push_that_counts_them(app, org, worker, api_for, receiver):
    sub = receiver.subscription()
    assert api_for(org["senior_leader"]).post(SUBS, json=sub).status_code == 201
    post_review(worker, org["outcome"], 4, 55)
    post_review(worker, org["outcome"], 2, 25)
    other = factories.outcome(app, org["person"], domain="Second", starts_on=TODAY - timedelta(days=300))
    post_review(worker, other, 2, 55)
    post_review(worker, other, 2, 25)
    run(app)
    [received] = receiver.to(sub)
    assert received.payload["title"] == "2 new escalations"


# ---- acknowledge, then answer ----

@pytest.fixture
def raised(app, org, worker):
    post_review(worker, org["outcome"], 4, 60)
    post_review(worker, org["outcome"], 2, 30)
    [e] = rows(app)
    return e["id"]


def test_acknowledge_then_answer_each_once(app, org, raised, api_for):
    manager, senior = api_for(org["registered_manager"]), api_for(org["senior_leader"])
    url = f"/api/v1/escalations/{raised}"
    r = senior.post(f"{url}/answer", json={"answer": "Too soon"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_acknowledged"
    r = manager.post(f"{url}/acknowledge")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "acknowledged" and body["acknowledged_by_name"] == "Alpha registered_manager"
    r = senior.post(f"{url}/acknowledge")
    assert r.status_code == 409 and "already acknowledged by Alpha registered_manager" in r.get_json()["error"]["message"]
    r = senior.post(f"{url}/answer", json={"answer": "  "})
    assert r.status_code == 422 and "answer" in r.get_json()["error"]["fields"]
    r = senior.post(f"{url}/answer", json={"answer": "Keyworker and Sam agree a new bus buddy; review in four weeks."})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "answered" and body["answered_by_name"] == "Alpha senior_leader" and body["answer"].startswith("Keyworker")
    r = manager.post(f"{url}/answer", json={"answer": "Again"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_done"
    with app.app_context():
        actions = sorted(db.session.execute(select(AuditEvent.action).where(AuditEvent.entity == "escalation", AuditEvent.entity_id == raised)).scalars())
        e = db.session.get(Escalation, raised)
        assert actions == ["acknowledge", "answer", "raise"]
        assert e.answer.startswith("Keyworker") and e.status == "answered"


def test_an_answer_can_point_to_a_change_and_write_a_learning_entry(app, org, raised, api_for):
    senior = api_for(org["senior_leader"])
    with app.app_context():
        change = Change(service_id=org["service"], description="Bus buddy scheme", starts_on=TODAY, co_produced_with="Residents")
        elsewhere = Change(service_id=org["services"][1], description="Elsewhere", starts_on=TODAY, co_produced_with="Residents")
        db.session.add_all([change, elsewhere])
        db.session.commit()
        change_id, elsewhere_id = change.id, elsewhere.id
    assert senior.post(f"/api/v1/escalations/{raised}/acknowledge").status_code == 200
    learning = {"learned": "Travel training stopped when the route changed.", "decision": "Start a bus buddy scheme."}
    r = senior.post(f"/api/v1/escalations/{raised}/answer", json={"answer": "Bus buddies", "change_id": elsewhere_id, "learning": learning})
    assert r.status_code == 404 and "change_id" in r.get_json()["error"]["fields"]
    r = senior.post(f"/api/v1/escalations/{raised}/answer", json={"answer": "Bus buddies", "learning": {"learned": "x"}})
    assert r.status_code == 422 and "learning" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Escalation, raised).status == "acknowledged"
        assert db.session.execute(select(func.count()).select_from(LearningEntry)).scalar_one() == 0
    r = senior.post(f"/api/v1/escalations/{raised}/answer", json={"answer": "Bus buddies", "change_id": change_id, "learning": learning})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["change"]["description"] == "Bus buddy scheme"
    with app.app_context():
        [entry] = db.session.execute(select(LearningEntry)).scalars().all()
        assert (entry.source_kind, entry.source_id, entry.change_id, entry.recorded_on) == ("escalation", raised, change_id, TODAY)
    [logged] = senior.get(f"/api/v1/learning?change={change_id}").get_json()["items"]
    assert logged["source"]["kind"] == "escalation" and logged["source"]["url"] == f"/escalations/{raised}"


def test_the_persons_record_shows_their_escalations_with_the_answer(app, org, raised, api_for, worker):
    senior = api_for(org["senior_leader"])
    senior.post(f"/api/v1/escalations/{raised}/acknowledge")
    senior.post(f"/api/v1/escalations/{raised}/answer", json={"answer": "A new approach, agreed with the person."})
    [shown] = worker.get(f"/api/v1/people/{org['person']}/escalations").get_json()
    assert (shown["rule"], shown["status"], shown["answer"]) == ("deterioration", "answered", "A new approach, agreed with the person.")
    assert shown["scores"] == [{"review_id": s["review_id"], "happened_at": s["happened_at"], "score": v} for s, v in zip(shown["scores"], (4, 2))]
    assert shown["summary"].startswith("Scores 4 → 2") and "fell by 2 or more points" in shown["summary"]
    assert worker.get(f"/api/v1/people/{org['other_person']}/escalations").status_code == 404
    assert api_for(org["commissioner"]).get(f"/api/v1/people/{org['person']}/escalations").status_code == 403
    assert api_for(org["person_email"]).get(f"/api/v1/people/{org['person']}/escalations").status_code == 403


# ---- who sees and acts on them ----

def test_seniors_see_every_service_and_managers_their_own(app, org, worker, api_for):
    with app.app_context():
        elsewhere = Person(organisation_id=org["org"], service_id=org["services"][1], name="Alpha Residential Person")
        db.session.add(elsewhere)
        db.session.commit()
        elsewhere_id = elsewhere.id
    there = factories.outcome(app, elsewhere_id, starts_on=TODAY - timedelta(days=300))
    with app.app_context():
        for days, score in ((60, 4), (30, 2)):
            r = Review(outcome_id=there, person_id=elsewhere_id, score=score, rated_by="staff",
                       happened_at=datetime.fromisoformat(at(days)), what_changed="x", support_adjustment="y")
            db.session.add(r)
            db.session.flush()
            escalations.after_review_stored(r)
        db.session.commit()
    post_review(worker, org["outcome"], 4, 60)
    post_review(worker, org["outcome"], 2, 30)
    senior = api_for(org["senior_leader"]).get("/api/v1/escalations").get_json()
    manager = api_for(org["registered_manager"]).get("/api/v1/escalations").get_json()
    assert {e["person_id"] for e in senior["items"]} == {org["person"], elsewhere_id}
    assert {e["person_id"] for e in manager["items"]} == {org["person"]}
    assert manager["counts"] == {"open": 1, "acknowledged": 0, "answered": 0}
    theirs = [e for e in senior["items"] if e["person_id"] == elsewhere_id][0]["id"]
    m = api_for(org["registered_manager"])
    assert m.get(f"/api/v1/escalations/{theirs}").status_code == 404
    assert m.post(f"/api/v1/escalations/{theirs}/acknowledge").status_code == 404
    assert m.get(f"/api/v1/escalations?service={org['services'][1]}").status_code == 404
    for role in ("support_worker", "commissioner", "admin"):
        api = api_for(org[role])
        assert api.get("/api/v1/escalations").status_code == 403, role
        assert api.post(f"/api/v1/escalations/{theirs}/acknowledge").status_code == 403, role
    assert api_for(org["person_email"]).get("/api/v1/escalations").status_code == 403
    with app.app_context():
        assert db.session.get(Escalation, theirs).status == "open"


def test_filters_and_paging(app, org, worker, api_for):
    for i in range(3):
        oid = factories.outcome(app, org["person"], domain=f"Goal {i}", starts_on=TODAY - timedelta(days=300))
        post_review(worker, oid, 4, 60 + i)
        post_review(worker, oid, 2, 30 + i)
    senior = api_for(org["senior_leader"])
    first = senior.get("/api/v1/escalations?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = senior.get(f"/api/v1/escalations?limit=2&cursor={first['next_cursor']}").get_json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    everything = [e["id"] for e in first["items"] + second["items"]]
    assert len(set(everything)) == 3
    senior.post(f"/api/v1/escalations/{everything[0]}/acknowledge")
    assert [e["id"] for e in senior.get("/api/v1/escalations?status=acknowledged").get_json()["items"]] == [everything[0]]
    assert len(senior.get("/api/v1/escalations?status=open&rule=deterioration").get_json()["items"]) == 2
    assert senior.get("/api/v1/escalations?rule=stagnation").get_json()["items"] == []
    for bad in ("status=closed", "rule=bad", "limit=0", "cursor=nonsense", "service=not-a-uuid"):
        r = senior.get(f"/api/v1/escalations?{bad}")
        assert r.status_code == 422, bad
        assert r.get_json()["error"]["fields"], bad


def test_commissioners_read_counts_per_quarter_and_no_names(app, org, worker, api_for):
    post_review(worker, org["outcome"], 4, 60)
    post_review(worker, org["outcome"], 2, 30)
    commissioner = api_for(org["commissioner"])
    r = commissioner.get(f"/api/v1/services/{org['service']}/escalation-counts")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    text = r.get_data(as_text=True)
    with app.app_context():
        name = db.session.get(Person, org["person"]).name
    assert name not in text and org["person"] not in text
    by_rule = {row["rule"]: row for row in body["rules"]}
    # raised when the review was stored (today), so in this quarter
    assert by_rule["deterioration"] == {"rule": "deterioration", "raised": 1, "answered": 0, "open_at_end": 1}
    assert body["total_raised"] == 1
    last_year = f"{TODAY.year - 1}Q{(TODAY.month - 1) // 3 + 1}"
    earlier = commissioner.get(f"/api/v1/services/{org['service']}/escalation-counts?quarter={last_year}").get_json()
    assert earlier["total_raised"] == 0 and all(row["open_at_end"] == 0 for row in earlier["rules"])
    assert commissioner.get(f"/api/v1/services/{org['service']}/escalation-counts?quarter=2026Q5").status_code == 422
    assert commissioner.get(f"/api/v1/services/{org['services'][1]}/escalation-counts").status_code == 404
    assert api_for(org["person_email"]).get(f"/api/v1/services/{org['service']}/escalation-counts").status_code == 403
