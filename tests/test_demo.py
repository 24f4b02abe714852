"""The demo organisation as API.md describes it: an account per role that sees what its role allows,
and the domain article's three services with about a year of history each."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server.domain.outcomes import MAX_PRIORITY_PER_QUARTER, next_review_due, quarter_of
from server.extensions import db
from server.models import (
    CaseloadAssignment,
    Change,
    FeedbackConversation,
    Outcome,
    Person,
    Review,
    Service,
    User,
    WeeklyCheck,
)

TODAY = date.today()
WORKER_CASELOAD = {"Sam Taylor", "Priya Shah", "Jordan Lee", "Margaret Ellis"}
ALL_PEOPLE = WORKER_CASELOAD | {
    "Aisha Khan", "Dennis Obi", "Joan Fairweather", "Harold Price", "Rita Lowe",
    "Ben Carter", "Lily Evans", "Tom Birch", "Grace Adeyemi", "Owen Hughes", "Ruth Mills",
}


def service_of(kind):
    return db.session.execute(select(Service).where(Service.kind == kind)).scalar_one()


# ---- every account signs in and sees what its role allows ----

@pytest.mark.parametrize("account,role,sees", [
    ("worker", "support_worker", WORKER_CASELOAD),
    ("manager", "registered_manager", ALL_PEOPLE),
    ("senior", "senior_leader", ALL_PEOPLE),
    ("person", "person", {"Sam Taylor"}),
    ("commissioner", "commissioner", None),
    ("admin", "admin", None),
])
def test_each_demo_account_signs_in_and_sees_what_its_role_allows(demo, anon, account, role, sees):
    r = anon.login(f"{account}@demo.example", "demo-password")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["user"]["role"] == role
    r = anon.get("/api/v1/people")
    if sees is None:
        assert r.status_code == 403
        return
    assert r.status_code == 200
    assert {p["name"] for p in r.get_json()} == sees
    # and each of them opens
    for p in r.get_json():
        assert anon.get(f"/api/v1/people/{p['id']}").status_code == 200


def test_the_manager_covers_all_three_services(demo):
    with demo.app_context():
        manager = db.session.execute(select(User).where(User.email == "manager@demo.example")).scalar_one()
        assert {s.kind for s in manager.services} == {"supported_living", "domiciliary", "residential"}


def test_the_person_account_is_on_the_workers_caseload(demo):
    with demo.app_context():
        person_user = db.session.execute(select(User).where(User.email == "person@demo.example")).scalar_one()
        worker = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
        assert db.session.execute(select(CaseloadAssignment).where(
            CaseloadAssignment.user_id == worker.id, CaseloadAssignment.person_id == person_user.person_id)).scalar_one()


def test_the_person_sees_their_own_goals(demo, api_for):
    me = api_for("person@demo.example")
    [sam] = me.get("/api/v1/people").get_json()
    outcomes = me.get(f"/api/v1/people/{sam['id']}/outcomes").get_json()
    assert {o["domain"] for o in outcomes} == {"Confidence using buses", "Feeling safe with money", "Managing my own morning routine"}
    trajectory = me.get(f"/api/v1/outcomes/{outcomes[0]['id']}/trajectory").get_json()
    assert trajectory["points"] and all(p["evidence"] for p in trajectory["points"])


# ---- the three services, about a year each ----

def test_three_services_with_about_a_year_of_history(demo):
    with demo.app_context():
        assert {s.kind for s in db.session.execute(select(Service)).scalars()} == {"supported_living", "domiciliary", "residential"}
        living, homecare, residential = (service_of(k) for k in ("supported_living", "domiciliary", "residential"))

        def span(days):
            assert min(days) <= TODAY - timedelta(days=300), "less than about a year of history"
            assert max(days) >= TODAY - timedelta(days=90), "no recent history"
            assert max(days) <= TODAY

        span([r.happened_at.date() for r in db.session.execute(
            select(Review).join(Person, Person.id == Review.person_id).where(Person.service_id == living.id)).scalars()])
        span([f.happened_at.date() for f in db.session.execute(
            select(FeedbackConversation).join(Person, Person.id == FeedbackConversation.person_id)
            .where(Person.service_id == homecare.id)).scalars()])
        span([w.week_of for w in db.session.execute(
            select(WeeklyCheck).join(Person, Person.id == WeeklyCheck.person_id).where(Person.service_id == residential.id)).scalars()])


def test_supported_living_has_a_drop_with_its_answers_and_an_achieved_goal(demo):
    with demo.app_context():
        living = service_of("supported_living")
        people = select(Person.id).where(Person.service_id == living.id)
        outcomes = db.session.execute(select(Outcome).where(Outcome.person_id.in_(people))).scalars().all()
        assert len({o.domain for o in outcomes}) >= 4  # person-defined domains
        drops = []
        for o in outcomes:
            reviews = db.session.execute(select(Review).where(Review.outcome_id == o.id).order_by(Review.happened_at)).scalars().all()
            assert len(reviews) >= 3
            drops += [r for prev, r in zip(reviews, reviews[1:]) if r.score < prev.score]
        assert drops
        assert all(r.what_changed and r.support_adjustment for r in drops)
        achieved = [o for o in outcomes if o.status == "achieved"]
        assert achieved
        assert any(r.achieved for o in achieved for r in db.session.execute(select(Review).where(Review.outcome_id == o.id)).scalars())


def test_every_drop_in_the_demo_keeps_the_rule(demo):
    """The demo data obeys the rules the API enforces: a drop has both answers, scores are 1-5,
    nothing is in the future, and no one has more than three active priorities in a quarter."""
    with demo.app_context():
        now = datetime.now(timezone.utc)
        by_outcome = defaultdict(list)
        for r in db.session.execute(select(Review).order_by(Review.happened_at)).scalars():
            by_outcome[r.outcome_id].append(r)
            assert 1 <= r.score <= 5 and r.rated_by in {"person", "staff", "together"}
            assert r.happened_at <= now and r.evidence
        for reviews in by_outcome.values():
            for prev, r in zip(reviews, reviews[1:]):
                if r.score < prev.score:
                    assert r.what_changed and r.support_adjustment
        per_quarter = defaultdict(int)
        for o in db.session.execute(select(Outcome).where(Outcome.status == "active", Outcome.priority.is_(True))).scalars():
            per_quarter[(o.person_id, quarter_of(o.starts_on))] += 1
        assert max(per_quarter.values()) <= MAX_PRIORITY_PER_QUARTER


def test_domiciliary_feedback_feels_less_rushed_after_the_rota_change(demo):
    with demo.app_context():
        homecare = service_of("domiciliary")
        [rota] = db.session.execute(select(Change).where(Change.service_id == homecare.id)).scalars().all()
        assert {t.name for t in rota.themes} >= {"Feeling rushed"}
        feedback = db.session.execute(
            select(FeedbackConversation).join(Person, Person.id == FeedbackConversation.person_id)
            .where(Person.service_id == homecare.id)).scalars().all()
        before = [f for f in feedback if f.happened_at.date() < rota.starts_on]
        after = [f for f in feedback if f.happened_at.date() >= rota.starts_on]
        assert before and after

        def rushed(rows):
            return sum("rushed" in f.feels_difficult.lower() for f in rows) / len(rows)

        assert rushed(before) >= 0.5
        assert rushed(after) < rushed(before) / 2
        tagged = [f for f in before if f.reviewed_at and "rushed" in f.feels_difficult.lower()]
        assert tagged and all("Feeling rushed" in {t.name for t in f.themes} for f in tagged)


def test_residential_incidents_fall_after_quieter_breakfast_time(demo):
    with demo.app_context():
        residential = service_of("residential")
        [breakfast] = [c for c in db.session.execute(select(Change).where(Change.service_id == residential.id)).scalars()
                       if "quieter breakfast time" in c.description.lower()]
        checks = db.session.execute(
            select(WeeklyCheck).join(Person, Person.id == WeeklyCheck.person_id).where(Person.service_id == residential.id)).scalars().all()
        before = [c.incidents for c in checks if c.week_of < breakfast.starts_on]
        after = [c.incidents for c in checks if c.week_of >= breakfast.starts_on]
        assert len(before) >= 6 * 20 and len(after) >= 6 * 10
        mean_before, mean_after = sum(before) / len(before), sum(after) / len(after)
        assert mean_after < mean_before * 0.6, (mean_before, mean_after)
        # one check per person per week, on a Monday
        assert all(c.week_of.weekday() == 0 for c in checks)
        assert len({(c.person_id, c.week_of) for c in checks}) == len(checks)


def test_the_worker_has_a_review_due_within_a_week_and_one_overdue(demo, api_for):
    with demo.app_context():
        worker = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
        caseload = select(CaseloadAssignment.person_id).where(CaseloadAssignment.user_id == worker.id)
        dues = [next_review_due(o) for o in db.session.execute(
            select(Outcome).where(Outcome.person_id.in_(caseload), Outcome.status == "active")).scalars()]
        dues = [d for d in dues if d]
    assert any(TODAY <= d <= TODAY + timedelta(days=7) for d in dues), dues
    assert any(d < TODAY for d in dues), dues
    # and the worker's caseload shows it: the overdue person first
    people = api_for("worker@demo.example").get("/api/v1/people").get_json()
    assert people[0]["next_review_due"] < TODAY.isoformat()
    shown = [date.fromisoformat(p["next_review_due"]) for p in people if p["next_review_due"]]
    assert shown == sorted(shown)


def test_demo_is_relative_to_the_day_it_is_loaded(app):
    """Loaded on another day, the same due and overdue reviews are there relative to that day."""
    from server import demo as demo_data

    day = date(2030, 6, 15)
    with app.app_context():
        demo_data.load(today=day)
        db.session.commit()
        dues = [next_review_due(o) for o in db.session.execute(select(Outcome).where(Outcome.status == "active")).scalars()]
        assert any(day <= d <= day + timedelta(days=7) for d in dues)
        assert any(d < day for d in dues)


# ---- governance: escalations, supervision, audits, the learning log ----

def test_oak_house_has_a_deterioration_escalation_answered_with_a_change(demo, api_for):
    senior = api_for("senior@demo.example")
    with demo.app_context():
        living = service_of("supported_living")
        living_id = living.id
    answered = senior.get(f"/api/v1/escalations?service={living_id}&status=answered&rule=deterioration").get_json()["items"]
    [aisha] = [e for e in answered if e["person_name"] == "Aisha Khan"]
    assert aisha["answer"] and aisha["answered_by_name"] == "Chris Patel" and aisha["change"]["description"].startswith("Weekly video call")
    assert aisha["summary"].startswith("Scores 4 → 2")
    everything = senior.get("/api/v1/escalations?limit=200").get_json()
    assert everything["counts"]["open"] >= 1 and everything["counts"]["acknowledged"] >= 1
    assert "overdue" in {e["rule"] for e in everything["items"]}


def test_every_demo_escalation_is_one_the_rules_raise(demo):
    from server.domain.escalations import rules_at
    from server.models import Escalation

    with demo.app_context():
        for e in db.session.execute(select(Escalation)).scalars():
            if e.rule == "overdue":
                assert e.due_on and e.raised_at.date() > e.due_on + timedelta(days=14)
                continue
            history = db.session.execute(
                select(Review).where(Review.outcome_id == e.outcome_id).order_by(Review.happened_at, Review.id)).scalars().all()
            position = [r.id for r in history].index(e.review_id)
            assert e.rule in rules_at([r.score for r in history], position), (e.rule, [r.score for r in history[:position + 1]])


def test_the_worker_has_supervisions_and_the_agenda_is_full(demo, api_for):
    worker = api_for("worker@demo.example")
    mine = worker.get("/api/v1/supervisions").get_json()["items"]
    assert len(mine) == 2 and all(s["supervisor_name"] == "Bea Okafor" and s["entries"] for s in mine)
    manager = api_for("manager@demo.example")
    [alex] = [s for s in manager.get("/api/v1/supervisions/staff").get_json() if s["name"] == "Alex Morgan"]
    agenda = manager.get(f"/api/v1/supervisions/prepare?user_id={alex['id']}&month={TODAY:%Y-%m}").get_json()
    assert {p["person"]["name"] for p in agenda["people"]} == WORKER_CASELOAD
    assert any(p["previous_next_step"] for p in agenda["people"])
    assert any(p["escalations"] for p in agenda["people"])


def test_audits_due_and_one_goal_found_not_person_led(demo, api_for):
    manager = api_for("manager@demo.example")
    with demo.app_context():
        living_id = service_of("supported_living").id
    due = manager.get(f"/api/v1/care-plan-audits?service={living_id}&due=true").get_json()["items"]
    assert {"never", "overdue"} <= {i["status"] for i in due}
    audits = manager.get(f"/api/v1/care-plan-audits?service={living_id}").get_json()["items"]
    assert any(a["follow_up"] for a in audits)


def test_learning_led_to_flexible_arrival_windows_and_quieter_breakfast_time(demo, api_for):
    manager = api_for("manager@demo.example")
    with demo.app_context():
        changes = {c.description: c.id for c in db.session.execute(select(Change)).scalars()}
    for name, source in (("Flexible arrival windows for morning calls", "theme"), ("Quieter breakfast time (staggered, radio off)", "change")):
        entries = manager.get(f"/api/v1/learning?change={changes[name]}").get_json()["items"]
        assert [e["source"]["kind"] for e in entries] == [source], name
        assert date.fromisoformat(entries[0]["recorded_on"]) < db_change_start(demo, changes[name])


def db_change_start(app, change_id):
    with app.app_context():
        return db.session.get(Change, change_id).starts_on
