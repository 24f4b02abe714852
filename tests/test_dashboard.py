"""The monthly service dashboard: every figure checked against data made for it, beside the previous
month's with its n; a fixed number of SQL statements whatever the size of the service; and who may
read it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import event

from server.domain.care_plan_audits import add_months
from server.extensions import db
from server.models import (
    CarePlanAudit,
    CaseloadAssignment,
    Change,
    Escalation,
    FeedbackConversation,
    LearningEntry,
    Outcome,
    Person,
    Review,
    Supervision,
    SupervisionEntry,
    Theme,
)
from tests import factories

TODAY = date.today()
THIS_MONTH = TODAY.replace(day=1)
M0 = add_months(THIS_MONTH, -1)  # the month under review: last month, all of it in the past
P0 = add_months(M0, -1)  # the month before
M1 = THIS_MONTH


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def days(base: date, n: int) -> date:
    return base + timedelta(days=n)


@pytest.fixture
def service(app):
    """One service, three people and three outcomes, with everything the dashboard counts placed
    on known days of last month (M) and the month before (P)."""
    ids = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    with app.app_context():
        p1 = db.session.get(Person, ids["person"])
        p2 = db.session.get(Person, ids["other_person"])
        p3 = Person(organisation_id=ids["org"], service_id=ids["service"], name="Alpha Person Three")
        elsewhere = Person(organisation_id=ids["org"], service_id=ids["services"][1], name="Alpha Elsewhere")
        db.session.add_all([p3, elsewhere])
        db.session.flush()

        def outcome(person, starts_on, domain):
            o = Outcome(person_id=person.id, domain=domain, persons_words="words", indicator="indicator",
                        starts_on=starts_on, review_by=starts_on + timedelta(days=365))
            db.session.add(o)
            db.session.flush()
            return o

        def review(o, day, score):
            db.session.add(Review(outcome_id=o.id, person_id=o.person_id, score=score, rated_by="together", happened_at=at(day),
                                  what_changed="x", support_adjustment="y"))

        o1 = outcome(p1, days(P0, -20), "One")   # due P0+10 (in P)
        o2 = outcome(p2, days(P0, -40), "Two")   # due P0-10 (before P)
        o3 = outcome(p3, days(M0, -10), "Three")  # due M0+20 (in M), never reviewed: overdue at the end of M
        review(o1, days(P0, 5), 3)   # P: first; due P0+35 (in M)
        review(o1, days(M0, 5), 4)   # M: improved (3 → 4); due M0+35 (after M)
        review(o2, days(P0, 3), 4)   # P: first; due P0+33 (in M)
        review(o2, days(M0, 2), 2)   # M: worse
        review(o2, days(M0, 20), 2)  # M: last in M is 2, against 4 before: worse
        # elsewhere: another service's figures never count here
        other = outcome(elsewhere, days(P0, -40), "Elsewhere")
        review(other, days(M0, 3), 1)

        def escalation(rule, raised, answered=None, o=o1):
            db.session.add(Escalation(organisation_id=ids["org"], service_id=ids["service"], person_id=o.person_id, outcome_id=o.id,
                                      rule=rule, reasons=[], review_ids=[], status="answered" if answered else "open",
                                      raised_at=raised, answered_at=answered, answer="a" if answered else None,
                                      due_on=days(M0, 1) if rule == "overdue" else None))

        escalation("deterioration", at(days(M0, 3)))                           # open at the end of M
        escalation("stagnation", at(days(M0, 4)), answered=at(days(M0, 10)))   # answered within M
        escalation("stagnation", at(days(P0, 5)), answered=at(days(M0, 5)))    # open at the end of P only
        escalation("overdue", at(days(M0, 6)), answered=at(M1, 9), o=o3)       # answered after M: open at its end
        db.session.add(Escalation(organisation_id=ids["org"], service_id=ids["services"][1], person_id=elsewhere.id,
                                  outcome_id=other.id, rule="deterioration", reasons=[], review_ids=[], raised_at=at(days(M0, 3))))

        # audits: p1 first audited in M; p2 more than six months before M; p3 never
        for person, day in ((p1, days(M0, 3)), (p2, days(M0, -200))):
            db.session.add(CarePlanAudit(organisation_id=ids["org"], service_id=ids["service"], person_id=person.id,
                                         audited_on=day, audited_by=ids["registered_manager_id"]))
        # supervision of the worker (p1 is on their caseload) for M
        s = Supervision(organisation_id=ids["org"], user_id=ids["support_worker_id"], supervisor_id=ids["registered_manager_id"],
                        month=M0, held_on=days(M0, 15))
        s.entries = [SupervisionEntry(person_id=p1.id, what_changed="w", next_step="n")]
        db.session.add(s)
        change = Change(service_id=ids["service"], description="Later breakfast", starts_on=days(M0, 1), co_produced_with="Residents")
        db.session.add(change)
        db.session.flush()
        db.session.add(LearningEntry(organisation_id=ids["org"], service_id=ids["service"], recorded_on=days(M0, 4), learned="l",
                                     decision="d", change_id=change.id, created_by=ids["registered_manager_id"]))
        rushed = Theme(organisation_id=ids["org"], name="Feeling rushed")
        db.session.add(rushed)
        db.session.flush()
        before = FeedbackConversation(person_id=p1.id, happened_at=at(days(add_months(M0, -4), 1)), feels_difficult="Fine",
                                      reviewed_at=at(days(add_months(M0, -4), 2)))
        now = FeedbackConversation(person_id=p2.id, happened_at=at(days(M0, 1)), feels_difficult="Rushed in the morning",
                                   reviewed_at=at(days(M0, 2)))
        now.themes = [rushed]
        db.session.add_all([before, now])
        db.session.commit()
        ids.update(o1=o1.id, o2=o2.id, o3=o3.id, change=change.id, rushed=rushed.id)
    return ids


def figures(body):
    return {f["key"]: (f["current"]["value"], f["current"]["n"], f["previous"]["value"], f["previous"]["n"]) for f in body["figures"]}


def test_every_figure_beside_the_previous_month_with_its_n(app, service, api_for):
    r = api_for(service["registered_manager"]).get(f"/api/v1/services/{service['service']}/dashboard?month={M0:%Y-%m}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["month"], body["previous_month"], body["as_of"]) == (f"{M0:%Y-%m}", f"{P0:%Y-%m}", days(M1, -1).isoformat())
    assert body["month_label"] == M0.strftime("%B %Y")
    #                       (this month, n, previous month, n)
    assert figures(body) == {
        "reviews_due": (3, 3, 1, 3),        # M: o1 (P0+35), o2 (P0+33), o3 (M0+20); P: o1 (P0+10)
        "reviews_done": (3, 3, 2, 3),
        "reviews_overdue": (1, 3, 0, 3),    # o3, never reviewed
        "improved": (1, 2, 0, 0),           # o1 3 → 4; in P both were first reviews
        "same": (0, 2, 0, 0),
        "worse": (1, 2, 0, 0),              # o2 4 → 2
        "open_escalations": (2, 3, 1, 3),
        "audits_due": (2, 3, 3, 3),         # p2 (over six months ago) and p3 (never); in P p1 was not yet audited
        "supervisions_held": (1, 1, 0, 1),
        "changes_started": (1, 1, 0, 0),
        "learning_entries": (1, 1, 0, 0),
    }
    assert body["first_reviews"] == {"current": 0, "previous": 2}
    assert body["open_escalations_by_rule"] == {"current": {"deterioration": 1, "stagnation": 0, "overdue": 1},
                                                "previous": {"deterioration": 0, "stagnation": 1, "overdue": 0}}
    assert sorted(e["rule"] for e in body["open_escalations"]) == ["deterioration", "overdue"]
    [theme] = body["themes"]["themes"]
    assert theme["name"] == "Feeling rushed" and theme["rising"] is True
    assert theme["current"] == {"tagged": 1, "reviewed": 1, "share": 1.0} and theme["previous"] == {"tagged": 0, "reviewed": 1, "share": 0.0}
    [change] = body["changes"]
    assert change["description"] == "Later breakfast" and change["enough_data"] is False and "not enough data" in change["summary"]
    [entry] = body["learning"]
    assert entry["change"]["id"] == service["change"]
    assert set(body["definitions"]) >= {"reviews_due", "movement", "audits_due", "themes"}


def test_the_current_month_is_counted_to_today(app, service, api_for):
    body = api_for(service["senior_leader"]).get(f"/api/v1/services/{service['service']}/dashboard").get_json()
    assert body["month"] == f"{THIS_MONTH:%Y-%m}" and body["as_of"] == TODAY.isoformat()
    assert body["previous_month"] == f"{M0:%Y-%m}"
    assert figures(body)["reviews_done"][2:] == (3, 3)  # last month is now the previous one


def test_a_fixed_number_of_statements_whatever_the_size(app, service, api_for):
    api = api_for(service["registered_manager"])
    url = f"/api/v1/services/{service['service']}/dashboard?month={M0:%Y-%m}"

    def count():
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert api.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    small = count()
    with app.app_context():
        for i in range(25):
            person = Person(organisation_id=service["org"], service_id=service["service"], name=f"Extra {i}")
            db.session.add(person)
            db.session.flush()
            o = Outcome(person_id=person.id, domain="Extra", persons_words="w", indicator="i", starts_on=days(P0, -30),
                        review_by=days(M0, 200))
            db.session.add(o)
            db.session.flush()
            for d, score in ((days(P0, 2), 2), (days(M0, 2), 3)):
                db.session.add(Review(outcome_id=o.id, person_id=person.id, score=score, rated_by="staff", happened_at=at(d)))
            db.session.add(CaseloadAssignment(user_id=service["support_worker_id"], person_id=person.id))
        db.session.commit()
    assert count() == small
    body = api.get(url).get_json()
    assert figures(body)["improved"][:2] == (26, 27)


def test_bad_months_and_who_may_read(app, service, api_for):
    url = f"/api/v1/services/{service['service']}/dashboard"
    manager = api_for(service["registered_manager"])
    for bad in ("2026-13", "26-03", "March", f"{add_months(THIS_MONTH, 1):%Y-%m}"):
        r = manager.get(f"{url}?month={bad}")
        assert r.status_code == 422 and "month" in r.get_json()["error"]["fields"], bad
    assert manager.get(f"/api/v1/services/{service['services'][1]}/dashboard").status_code == 404  # not their service
    assert api_for(service["senior_leader"]).get(f"/api/v1/services/{service['services'][1]}/dashboard").status_code == 200
    for role in ("support_worker", "commissioner", "admin"):
        assert api_for(service[role]).get(url).status_code == 403, role
    assert api_for(service["person_email"]).get(url).status_code == 403
    other = factories.organisation(app, "Beta")
    assert api_for(other["senior_leader"]).get(url).status_code == 404
