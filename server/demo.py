"""The demo organisation: the domain article's three services, with about a year of history each.

Deterministic (seeded) and relative to today, so due and overdue reviews are always there.
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone

from werkzeug.security import generate_password_hash

from .extensions import db
from .models import (
    Action,
    CaseloadAssignment,
    Change,
    EvidenceNote,
    FeedbackConversation,
    Organisation,
    Outcome,
    Person,
    Review,
    Service,
    ServiceEvent,
    Theme,
    User,
    UserService,
    WeeklyCheck,
)

PASSWORD = "demo-password"

EVIDENCE = {
    "Confidence using buses": [
        "Checked the bus times on the app with one prompt",
        "Travelled with staff to town and paid the fare himself",
        "Travelled alone to GP appointment",
        "Took the number 12 bus to the library alone, staff check-in text only",
        "Chose a new route to the leisure centre and planned it",
    ],
    "Feeling safe with money": [
        "Handled cash payment with one prompt",
        "Checked change at the shop counter",
        "Kept receipts in the wallet folder all month",
        "Paid for shopping by card without help",
        "Set a weekly budget with staff and kept to it",
    ],
    "Managing my own morning routine": [
        "Got up with the alarm on four days",
        "Made breakfast with picture prompts",
        "Ready for the day centre bus on time",
        "Used the shower chart without reminders",
    ],
    "Going to the art group": [
        "Went to the art group with staff",
        "Went to the art group and staff waited outside",
        "Attended the local art group independently, staff check-in text only",
        "Showed a painting at the group's exhibition",
    ],
    "Cooking a meal for friends": [
        "Chose a recipe from the picture book",
        "Wrote the shopping list with support",
        "Cooked pasta for two friends",
    ],
    "Staying well at home": [
        "Took morning tablets from the blister pack without prompting",
        "Phoned the surgery to book a review",
        "Walked to the end of the road and back",
    ],
}
ACTIONS = {
    "Confidence using buses": [("Practise the route to town on Tuesdays", "staff"), ("Keep the bus pass in the wallet", "person")],
    "Feeling safe with money": [("Set up a picture budget sheet", "staff"), ("Sister to help open a basic bank account", "other")],
    "Managing my own morning routine": [("Try a vibrating alarm clock", "person")],
    "Going to the art group": [("Introduce to the group leader", "staff")],
    "Cooking a meal for friends": [("Plan a meal for a Saturday", "person")],
    "Staying well at home": [("Ask the pharmacist about a dosette box", "other")],
}
WORDS = {
    "Confidence using buses": ("Going into town on my own, like everyone else.", "Travels alone by bus to planned places, with a check-in text only", "Alone to town twice a month within eight weeks"),
    "Feeling safe with money": ("I want to pay for things myself and not worry about the change.", "Pays at the till and checks change with at most one prompt", "Every shop visit for a month"),
    "Managing my own morning routine": ("A good day is when I'm ready before the bus comes.", "Up, washed and breakfasted by 8:30 without staff prompting", "Four mornings a week"),
    "Going to the art group": ("Painting with people who like painting.", "Attends the local art group independently, staff check-in text only", "Twice per month within eight weeks"),
    "Cooking a meal for friends": ("I want to cook for Jo and Marcus.", "Plans, shops for and cooks a simple meal with one prompt", "Once a month"),
    "Staying well at home": ("Feeling well enough to go out every day.", "Takes medication on time and walks daily", "Five days a week"),
}


def _utc(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.utc)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def is_empty() -> bool:
    return db.session.query(Organisation.id).first() is None


def load(today: date | None = None) -> Organisation:
    today = today or date.today()
    rng = random.Random(20261126)
    pw = generate_password_hash(PASSWORD)

    org = Organisation(name="Riverside Community Support")
    db.session.add(org)
    db.session.flush()
    living = Service(organisation_id=org.id, name="Oak House Supported Living", kind="supported_living")
    homecare = Service(organisation_id=org.id, name="Riverside Home Care", kind="domiciliary")
    residential = Service(organisation_id=org.id, name="Elm Court", kind="residential")
    db.session.add_all([living, homecare, residential])
    db.session.flush()

    def person(service, name, preferred=None, weekly=False, joined_days=420):
        p = Person(organisation_id=org.id, service_id=service.id, name=name, preferred_name=preferred,
                   weekly_checks=weekly, joined_on=today - timedelta(days=joined_days))
        db.session.add(p)
        return p

    sam = person(living, "Sam Taylor", "Sam")
    priya = person(living, "Priya Shah")
    jordan = person(living, "Jordan Lee")
    aisha = person(living, "Aisha Khan")
    home = [person(homecare, n) for n in ("Margaret Ellis", "Dennis Obi", "Joan Fairweather", "Harold Price", "Rita Lowe")]
    res = [person(residential, n, weekly=True) for n in ("Ben Carter", "Lily Evans", "Tom Birch", "Grace Adeyemi", "Owen Hughes", "Ruth Mills")]
    db.session.flush()

    def user(email, name, role, services=(), person_id=None):
        u = User(organisation_id=org.id, email=email, name=name, role=role, password_hash=pw, person_id=person_id)
        db.session.add(u)
        db.session.flush()
        for s in services:
            db.session.add(UserService(user_id=u.id, service_id=s.id))
        return u

    worker = user("worker@demo.example", "Alex Morgan", "support_worker")
    manager = user("manager@demo.example", "Bea Okafor", "registered_manager", [living, homecare, residential])
    user("senior@demo.example", "Chris Patel", "senior_leader")
    user("commissioner@demo.example", "Dee Walsh (County Council)", "commissioner", [living, homecare, residential])
    user("admin@demo.example", "Eli Jones", "admin")
    user("person@demo.example", "Sam Taylor", "person", person_id=sam.id)
    homecare_worker = user("homecare@demo.example", "Fran Hughes", "support_worker")
    residential_worker = user("residential@demo.example", "Gus Reid", "support_worker")

    for p in (sam, priya, jordan, home[0]):
        db.session.add(CaseloadAssignment(user_id=worker.id, person_id=p.id))
    db.session.add(CaseloadAssignment(user_id=manager.id, person_id=aisha.id, keyworker=True))
    for p in home[1:]:
        db.session.add(CaseloadAssignment(user_id=homecare_worker.id, person_id=p.id))
    for p in res:
        db.session.add(CaseloadAssignment(user_id=residential_worker.id, person_id=p.id))
    db.session.flush()

    # ---- Example one: person-defined outcomes with monthly 1-5 ratings ----
    def outcome(p, domain, start_days_ago, priority=True, status="active", last_review_days_ago=None,
                scores=None, drop_at=None, achieved=False, rater=worker):
        words, indicator, target = WORDS[domain]
        starts = today - timedelta(days=start_days_ago)
        o = Outcome(person_id=p.id, domain=domain, persons_words=words, indicator=indicator, target=target,
                    review_every="monthly", starts_on=starts, review_by=starts + timedelta(days=365),
                    status="active", priority=priority, created_by=rater.id)
        db.session.add(o)
        db.session.flush()
        for i, (text, kind) in enumerate(ACTIONS.get(domain, [])):
            db.session.add(Action(
                outcome_id=o.id, person_id=p.id, description=text, owner_kind=kind,
                owner_user_id=rater.id if kind == "staff" else None,
                owner_name="Sister, Nadia" if kind == "other" else None,
                due_on=starts + timedelta(days=45 + 60 * i), status="done" if i == 0 else "open", created_by=rater.id))
        last = today - timedelta(days=last_review_days_ago if last_review_days_ago is not None else rng.randint(3, 20))
        count = len(scores)
        notes = EVIDENCE[domain]
        previous = None
        for i, score in enumerate(scores):
            day = last - timedelta(days=30 * (count - 1 - i))
            if day < starts:
                continue
            dropped = previous is not None and score < previous
            r = Review(outcome_id=o.id, person_id=p.id, score=score, rated_by=rng.choice(["together", "person", "together", "staff"]),
                       happened_at=_utc(day, 10 + i % 5), created_by=rater.id,
                       achieved=achieved and i == count - 1)
            if dropped:
                r.what_changed = drop_at or "Bus route changed after roadworks; felt anxious about the new stop."
                r.support_adjustment = "Staff to travel the new route twice with them, then wait at the stop."
            db.session.add(r)
            db.session.flush()
            note = notes[min(len(notes) - 1, max(0, score - 1 - (1 if dropped else 0)))]
            db.session.add(EvidenceNote(person_id=p.id, review_id=r.id, outcome_id=o.id, text=note,
                                        happened_at=r.happened_at, created_by=rater.id))
            previous = score
        if achieved:
            o.status = "achieved"
        return o

    # Sam: buses improve with one drop; money due within a week; morning routine overdue.
    outcome(sam, "Confidence using buses", 370, last_review_days_ago=9, scores=[1, 2, 2, 3, 2, 3, 3, 4, 4, 4, 5, 5])
    outcome(sam, "Feeling safe with money", 300, last_review_days_ago=26, scores=[2, 2, 3, 3, 3, 3, 4, 4, 4])
    outcome(sam, "Managing my own morning routine", 200, last_review_days_ago=41, scores=[2, 2, 3, 3, 3])
    # Priya: the article's art group goal, achieved.
    outcome(priya, "Going to the art group", 330, last_review_days_ago=60, scores=[1, 2, 3, 3, 4, 4, 4, 5, 5], achieved=True)
    outcome(priya, "Cooking a meal for friends", 150, last_review_days_ago=14, scores=[2, 3, 3, 4])
    # Jordan: a goal that has not improved (the report must show this), and one that dropped.
    outcome(jordan, "Feeling safe with money", 360, last_review_days_ago=12, scores=[2, 2, 3, 2, 2, 2, 2, 3, 2, 2, 2, 2],
            drop_at="Lost his wallet in the spring and stopped carrying cash.")
    outcome(aisha, "Staying well at home", 250, last_review_days_ago=18, scores=[3, 3, 4, 4, 4, 5, 5, 5], rater=manager)
    for i, p in enumerate(home):
        outcome(p, "Staying well at home", 340, last_review_days_ago=5 + 4 * i,
                scores=[3, 3, 3, 4, 3, 4, 4, 4, 4, 4, 5][: 8 + i % 3], rater=homecare_worker if i else worker)

    # ---- Example two: quarterly feedback; "rushed" falls after flexible arrival windows ----
    rushed = Theme(organisation_id=org.id, name="Feeling rushed")
    timing = Theme(organisation_id=org.id, name="Morning call timing")
    continuity = Theme(organisation_id=org.id, name="Continuity of carers")
    db.session.add_all([rushed, timing, continuity])
    db.session.flush()
    rota_change_day = today - timedelta(days=190)
    rota_change = Change(service_id=homecare.id, description="Flexible arrival windows for morning calls",
                         starts_on=rota_change_day, co_produced_with="People using the service, their families and the rota team",
                         created_by=manager.id)
    rota_change.themes = [rushed, timing]
    db.session.add(rota_change)
    difficult_before = [
        "The carers always seem rushed in the morning.",
        "I feel rushed getting washed; they have the next call waiting.",
        "The 7am call is too early and it feels rushed.",
        "Different faces every week.",
        "Rushed at breakfast, no time to chat.",
    ]
    difficult_after = [
        "Sometimes the evening call is late.",
        "I'd like the same carer at weekends.",
        "Nothing much, it's better now the time suits me.",
        "Still a bit rushed on Mondays.",
        "Finding the keysafe fiddly.",
    ]
    for q in range(4):
        day = today - timedelta(days=330 - q * 91)
        for i, p in enumerate(home):
            after = day >= rota_change_day
            difficult = (difficult_after if after else difficult_before)[(i + q) % 5]
            fb = FeedbackConversation(
                person_id=p.id, happened_at=_utc(day + timedelta(days=i), 14),
                works_well="Carers are kind and know how I like my tea." if i % 2 else "Help with shopping on Fridays.",
                feels_difficult=difficult,
                would_change="A later morning call." if not after else "Keep the flexible time.",
                participants="Person, daughter" if i % 2 else "Person",
                created_by=homecare_worker.id)
            if q < 3:
                fb.reviewed_at = _utc(day + timedelta(days=14), 9)
                fb.reviewed_by = manager.id
                fb.themes = [t for t, word in ((rushed, "rushed"), (timing, "7am"), (continuity, "same carer"), (continuity, "different faces")) if word in difficult.lower()]
            db.session.add(fb)

    # ---- Example three: weekly checks; incidents fall after a quieter breakfast time ----
    walk_day = _monday(today - timedelta(days=7 * 36))
    breakfast_day = _monday(today - timedelta(days=7 * 18))
    walk = Change(service_id=residential.id, description="Evening walk added after tea",
                  starts_on=walk_day, co_produced_with="Residents' meeting", created_by=manager.id)
    breakfast = Change(service_id=residential.id, description="Quieter breakfast time (staggered, radio off)",
                       starts_on=breakfast_day, co_produced_with="Residents, keyworkers and the speech and language therapist",
                       created_by=manager.id)
    db.session.add_all([walk, breakfast])
    first_week = _monday(today - timedelta(days=7 * 52))
    week = first_week
    while week <= _monday(today) - timedelta(days=7):
        for i, p in enumerate(res):
            before_breakfast = week < breakfast_day
            after_walk = week >= walk_day
            incidents = _poisson(rng, (1.0 if before_breakfast else 0.35) * (1.3 if i == 0 else 1.0))
            engagement = min(5, max(1, round(rng.gauss(3.4 if after_walk else 2.6, 0.6))))
            mood = min(5, max(1, round(rng.gauss(2.8 if before_breakfast else 3.7, 0.6))))
            note = ""
            if week == walk_day:
                note = "Increased engagement after evening walk added"
            elif week == breakfast_day + timedelta(days=14) and i < 3:
                note = "Reduction in incidents after quieter breakfast time introduced"
            db.session.add(WeeklyCheck(person_id=p.id, week_of=week, incidents=incidents, engagement=engagement,
                                       mood=mood, note=note, created_by=residential_worker.id))
            if rng.random() < (0.08 if before_breakfast else 0.03):
                db.session.add(ServiceEvent(person_id=p.id, kind="restrictive_practice", happened_at=_utc(week + timedelta(days=2), 8),
                                            note="", created_by=residential_worker.id))
            if rng.random() < 0.25:
                db.session.add(ServiceEvent(person_id=p.id, kind="community_participation", happened_at=_utc(week + timedelta(days=4), 15),
                                            note="", created_by=residential_worker.id))
        week += timedelta(days=7)
    for i, p in enumerate(res + home):
        if rng.random() < 0.3:
            db.session.add(ServiceEvent(person_id=p.id, kind="hospital_admission", happened_at=_utc(today - timedelta(days=rng.randint(20, 340)), 3),
                                        note="", created_by=manager.id))
    for p in (sam, priya, jordan, aisha):
        for m in range(12):
            if rng.random() < 0.6:
                db.session.add(ServiceEvent(person_id=p.id, kind="community_participation",
                                            happened_at=_utc(today - timedelta(days=30 * m + rng.randint(0, 20)), 15), note="", created_by=worker.id))
    for m in range(5):
        db.session.add(ServiceEvent(person_id=priya.id, kind="employment", happened_at=_utc(today - timedelta(days=30 * m + 3), 9),
                                    note="", created_by=worker.id))
    db.session.flush()
    return org
