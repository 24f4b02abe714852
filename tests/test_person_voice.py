"""The domain article's Example Two, complete: besides fewer "rushed" comments, the people's own
satisfaction ("How happy are you with your support?", 1-5 on their picture scale) and complaints
and compliments, per quarter (service measures, the quarterly report) and before/after a change,
always with their n. The rules hold the same on REST and on sync push."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from server.extensions import db
from server.models import Change, FeedbackConversation, Person, Service, ServiceEvent
from server.domain.outcomes import quarter_label, quarter_of

NOW = datetime.now(timezone.utc).replace(microsecond=0)
WORKER = "worker@demo.example"  # has Margaret Ellis (home care) on their caseload
MANAGER = "manager@demo.example"
COMMISSIONER = "commissioner@demo.example"
PUSH = "/api/v1/sync/push"


def _one(app, stmt):
    with app.app_context():
        return db.session.execute(stmt).scalar_one()


def _count(app, model, *where):
    return _one(app, select(func.count()).select_from(model).where(*where))


def _person(app, name):
    return _one(app, select(Person.id).where(Person.name == name))


def _feedback(pid, **kw):
    return {"id": str(uuid.uuid4()), "person_id": pid, "happened_at": (NOW - timedelta(hours=1)).isoformat(),
            "works_well": "The same carer all week.", "participants": "Margaret", **kw}


def _event(pid, **kw):
    return {"id": str(uuid.uuid4()), "person_id": pid, "happened_at": (NOW - timedelta(days=1)).isoformat(), **kw}


def _push(api, mutations):
    body = {"device_id": str(uuid.uuid4()),
            "mutations": [{"id": i + 1, "name": n, "args": a, "at": NOW.isoformat()} for i, (n, a) in enumerate(mutations)]}
    r = api.post(PUSH, json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


def test_the_person_rates_their_support_in_a_feedback_conversation(demo, api_for):
    worker = api_for(WORKER)
    margaret = _person(demo, "Margaret Ellis")
    body = _feedback(margaret, satisfaction=4, satisfaction_rated_by="person")
    r = worker.post("/api/v1/feedback", json=body)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["satisfaction"], r.get_json()["satisfaction_rated_by"]) == (4, "person")
    stored = _one(demo, select(FeedbackConversation.satisfaction).where(FeedbackConversation.id == body["id"]))
    assert stored == 4
    # The question is optional: a conversation without it is as before.
    plain = worker.post("/api/v1/feedback", json=_feedback(margaret))
    assert plain.status_code == 201 and plain.get_json()["satisfaction"] is None


def test_satisfaction_bad_input_names_the_field_on_rest_and_on_sync(demo, api_for):
    worker = api_for(WORKER)
    margaret = _person(demo, "Margaret Ellis")
    before = _count(demo, FeedbackConversation)
    cases = [
        ({"satisfaction": 6, "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": 0, "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": "happy", "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": 3}, "satisfaction_rated_by"),  # who chose it must be said
        ({"satisfaction": 3, "satisfaction_rated_by": "staff"}, "satisfaction_rated_by"),  # the person's scale, not staff's
        ({"satisfaction_rated_by": "person"}, "satisfaction_rated_by"),  # nothing to have chosen
    ]
    for extra, field in cases:
        r = worker.post("/api/v1/feedback", json=_feedback(margaret, **extra))
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (extra, r.get_json())
    results = _push(worker, [("feedback.create", _feedback(margaret, **extra)) for extra, _ in cases])
    assert [r["status"] for r in results] == ["rejected"] * len(cases)
    assert [field in r["error"]["fields"] for r, (_, field) in zip(results, cases)] == [True] * len(cases)
    assert _count(demo, FeedbackConversation) == before
    good = _push(worker, [("feedback.create", _feedback(margaret, satisfaction=2, satisfaction_rated_by="together"))])
    assert good[0]["status"] == "applied"
    assert _count(demo, FeedbackConversation, FeedbackConversation.satisfaction == 2,
                  FeedbackConversation.satisfaction_rated_by == "together",
                  FeedbackConversation.person_id == margaret) >= 1


def test_complaints_and_compliments_are_events_with_a_short_note(demo, api_for):
    worker = api_for(WORKER)
    margaret = _person(demo, "Margaret Ellis")
    complaint = _event(margaret, kind="complaint", note="  The carer came at 6:45 and hurried me.  ")
    r = worker.post("/api/v1/events", json=complaint)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["kind"] == "complaint" and r.get_json()["note"] == "The carer came at 6:45 and hurried me."
    compliment = _event(margaret, kind="compliment", note="Thanked Alex for waiting while she found her keys.")
    assert _push(worker, [("event.create", compliment)])[0]["status"] == "applied"
    kinds = {e["kind"] for e in worker.get(f"/api/v1/people/{margaret}/events").get_json()}
    assert {"complaint", "compliment"} <= kinds
    before = _count(demo, ServiceEvent)
    for bad in (_event(margaret, kind="complaint", note="   "), _event(margaret, kind="compliment"),
                _event(margaret, kind="complaint", note="x" * 301)):
        r = worker.post("/api/v1/events", json=bad)
        assert r.status_code == 422 and "note" in r.get_json()["error"]["fields"], r.get_json()
        result = _push(worker, [("event.create", bad)])[0]
        assert result["status"] == "rejected" and "note" in result["error"]["fields"]
    assert _count(demo, ServiceEvent) == before
    # Other kinds keep their optional note.
    assert worker.post("/api/v1/events", json=_event(margaret, kind="community_participation")).status_code == 201


def _quarter_back(days):
    year, q = quarter_of(date.today() - timedelta(days=days))
    return quarter_label(year, q)


def test_service_measures_and_report_count_complaints_compliments_and_satisfaction_with_n(demo, api_for):
    commissioner = api_for(COMMISSIONER)
    homecare = _one(demo, select(Service.id).where(Service.name == "Riverside Home Care"))
    with demo.app_context():
        people = select(Person.id).where(Person.service_id == homecare)
        rows = db.session.execute(
            select(FeedbackConversation.happened_at, FeedbackConversation.satisfaction)
            .where(FeedbackConversation.person_id.in_(people), FeedbackConversation.satisfaction.is_not(None))
        ).all()
        events = db.session.execute(select(ServiceEvent.kind, ServiceEvent.happened_at).where(
            ServiceEvent.person_id.in_(people), ServiceEvent.kind.in_(("complaint", "compliment")))).all()
    quarter = quarter_label(*quarter_of(rows[0].happened_at.date()))
    in_quarter = [s for at, s in rows if quarter_label(*quarter_of(at.date())) == quarter]
    m = commissioner.get(f"/api/v1/services/{homecare}/measures?quarter={quarter}").get_json()
    assert m["satisfaction"] == {"mean": round(sum(in_quarter) / len(in_quarter), 2), "n": len(in_quarter)}
    complaints = sum(1 for kind, at in events if kind == "complaint" and quarter_label(*quarter_of(at.date())) == quarter)
    assert m["complaints"] == complaints
    # A quarter without answers says so with n = 0 rather than a made-up mean.
    empty = commissioner.get(f"/api/v1/services/{homecare}/measures?quarter=2021Q1").get_json()
    assert empty["satisfaction"] == {"mean": None, "n": 0} and empty["complaints"] == 0

    report = commissioner.get(f"/api/v1/services/{homecare}/report?quarter={quarter}&format=csv&table=measures")
    assert report.status_code == 200
    table = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    header, rows_by_key = table[0], {row[0]: row for row in table[1:]}
    value, n = header.index("value"), header.index("n")
    assert float(rows_by_key["satisfaction_mean"][value]) == m["satisfaction"]["mean"]
    assert int(rows_by_key["satisfaction_mean"][n]) == m["satisfaction"]["n"]
    assert int(rows_by_key["complaints"][value]) == complaints
    assert "compliments" in rows_by_key


def test_a_change_page_shows_complaints_and_satisfaction_before_and_after(demo, api_for):
    """Flexible arrival windows: fewer complaints and happier answers after, with n on each side."""
    manager = api_for(MANAGER)
    cid = _one(demo, select(Change.id).where(Change.description == "Flexible arrival windows for morning calls"))
    effect = manager.get(f"/api/v1/changes/{cid}/effect").get_json()
    voice = effect["voice"]
    before, after = voice["before"], voice["after"]
    assert before["complaints"] > after["complaints"]
    assert after["compliments"] > before["compliments"]
    assert before["satisfaction"]["n"] > 0 and after["satisfaction"]["n"] > 0
    assert after["satisfaction"]["mean"] > before["satisfaction"]["mean"]
    assert before["from"] < before["to"] < after["from"] < after["to"]
    assert "n is the number of answers" in voice["method"]
    # Commissioners see the same counts (no notes, no names).
    anon = api_for(COMMISSIONER).get(f"/api/v1/changes/{cid}/effect").get_json()
    assert anon["voice"]["before"] == before and "note" not in str(anon["voice"])


def test_you_said_we_did_shows_the_person_their_words_and_the_change_that_answered_them(demo, api_for):
    person = api_for("person@demo.example")  # Sam Taylor
    sam = _person(demo, "Sam Taylor")
    r = person.get(f"/api/v1/people/{sam}/you-said-we-did")
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()
    assert [row["we_did"] for row in rows] == ["You choose who supports you on trips out, on the weekly rota sheet"]
    assert [s["words"] for s in rows[0]["you_said"]] == ["I don't get to choose who comes with me to town."]
    assert rows[0]["you_said"][0]["on"] < rows[0]["starts_on"]
    # Someone else's is not theirs to read.
    assert person.get(f"/api/v1/people/{_person(demo, 'Priya Shah')}/you-said-we-did").status_code == 404
    # Staff see the same for a person they support; only what was said before a change started counts.
    margaret = _person(demo, "Margaret Ellis")
    rota = api_for(MANAGER).get(f"/api/v1/people/{margaret}/you-said-we-did").get_json()
    assert [row["we_did"] for row in rota] == ["Flexible arrival windows for morning calls"]
    assert all(s["on"] <= rota[0]["starts_on"] for s in rota[0]["you_said"]) and rota[0]["you_said"]
    with demo.app_context():
        from server.models import AuditEvent
        assert db.session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "you_said_we_did", AuditEvent.entity_id == sam)).scalar_one() == 1
