"""The demo organisation: the domain article's three services, with about a year of history each.

Deterministic (seeded) and relative to today, so due and overdue reviews are always there.
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone

from werkzeug.security import generate_password_hash

from .domain.dates import monday_of
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
    "Keeping in touch with my family": [
        "Phoned her sister on Sunday after a reminder",
        "Phoned her sister on Sunday with a prompt",
        "Phoned her sister without a prompt",
        "Sent a birthday card to her nephew and phoned him",
    ],
    "Getting out to the shops": [
        "Walked to the corner shop with his carer",
        "Chose his own bread and milk",
        "Paid at the till himself",
    ],
}
# Template actions the demo shows as done whatever their place (the sister did help open the account).
DONE_ACTIONS = {"Sister to help open a basic bank account"}
ACTIONS = {
    "Confidence using buses": [("Practise the route to town on Tuesdays", "staff"), ("Keep the bus pass in the wallet", "person")],
    "Feeling safe with money": [("Set up a picture budget sheet", "staff"), ("Sister to help open a basic bank account", "other")],
    "Managing my own morning routine": [("Try a vibrating alarm clock", "person")],
    "Going to the art group": [("Introduce to the group leader", "staff")],
    "Cooking a meal for friends": [("Plan a meal for a Saturday", "person")],
    "Staying well at home": [("Ask the pharmacist about a dosette box", "other")],
    "Keeping in touch with my family": [("Put her sister's number on speed dial", "staff")],
    "Getting out to the shops": [("Carer to allow twenty minutes on Thursdays", "staff")],
}
WORDS = {
    "Confidence using buses": ("Going into town on my own, like everyone else.", "Travels alone by bus to planned places, with a check-in text only", "Alone to town twice a month within eight weeks"),
    "Feeling safe with money": ("I want to pay for things myself and not worry about the change.", "Pays at the till and checks change with at most one prompt", "Every shop visit for a month"),
    "Managing my own morning routine": ("A good day is when I'm ready before the bus comes.", "Up, washed and breakfasted by 8:30 without staff prompting", "Four mornings a week"),
    "Going to the art group": ("Painting with people who like painting.", "Attends the local art group independently, staff check-in text only", "Twice per month within eight weeks"),
    "Cooking a meal for friends": ("I want to cook for Jo and Marcus.", "Plans, shops for and cooks a simple meal with one prompt", "Once a month"),
    "Staying well at home": ("Feeling well enough to go out every day.", "Takes medication on time and walks daily", "Five days a week"),
    "Keeping in touch with my family": ("I want to talk to my sister every week, like we used to.", "Phones or video-calls her sister each week without staff prompting", "Every Sunday"),
    "Getting out to the shops": ("I'd like to choose my own shopping again.", "Walks to the corner shop with a carer and chooses what he buys", "Once a week"),
}

# The Care Act areas of wellbeing (s.1(2)) each goal serves, as chosen with the person.
AREAS = {
    "Confidence using buses": ["control", "participation"],
    "Feeling safe with money": ["protection", "control", "social_economic"],
    "Managing my own morning routine": ["dignity", "control"],
    "Going to the art group": ["participation", "social_economic"],
    "Cooking a meal for friends": ["control", "relationships"],
    "Staying well at home": ["health", "accommodation"],
    "Keeping in touch with my family": ["relationships", "health"],
    "Getting out to the shops": ["control", "social_economic"],
}


def _utc(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.utc)


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

    # Support workers work in services (UserService) too: who may be put on a caseload there.
    worker = user("worker@demo.example", "Alex Morgan", "support_worker", [living, homecare])
    manager = user("manager@demo.example", "Bea Okafor", "registered_manager", [living, homecare, residential])
    user("senior@demo.example", "Chris Patel", "senior_leader")
    user("commissioner@demo.example", "Dee Walsh (County Council)", "commissioner", [living, homecare, residential])
    user("admin@demo.example", "Eli Jones", "admin")
    user("person@demo.example", "Sam Taylor", "person", person_id=sam.id)
    homecare_worker = user("homecare@demo.example", "Fran Hughes", "support_worker", [homecare])
    residential_worker = user("residential@demo.example", "Gus Reid", "support_worker", [residential])

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
                scores=None, drop_at=None, achieved=False, rater=worker, adjust_at=None):
        words, indicator, target = WORDS[domain]
        starts = today - timedelta(days=start_days_ago)
        o = Outcome(person_id=p.id, domain=domain, persons_words=words, indicator=indicator, target=target,
                    review_every="monthly", starts_on=starts, review_by=starts + timedelta(days=365),
                    status="active", priority=priority, created_by=rater.id)
        o.wellbeing_areas = AREAS[domain]
        db.session.add(o)
        db.session.flush()
        for i, (text, kind) in enumerate(ACTIONS.get(domain, [])):
            db.session.add(Action(
                outcome_id=o.id, person_id=p.id, description=text, owner_kind=kind,
                owner_user_id=rater.id if kind == "staff" else None,
                owner_name="Sister, Nadia" if kind == "other" else None,
                due_on=starts + timedelta(days=45 + 60 * i), status="done" if i == 0 or text in DONE_ACTIONS else "open", created_by=rater.id))
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
                r.support_adjustment = adjust_at or "Staff to travel the new route twice with them, then wait at the stop."
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
    sam_money = outcome(sam, "Feeling safe with money", 300, last_review_days_ago=26, scores=[2, 2, 3, 3, 3, 3, 4, 4, 4])
    sam_mornings = outcome(sam, "Managing my own morning routine", 200, last_review_days_ago=41, scores=[2, 2, 3, 3, 3])
    # What happens next for Sam now (the older actions above are long past).
    db.session.add_all([
        Action(outcome_id=sam_money.id, person_id=sam.id, description="Count the change together at the Co-op on Saturday",
               owner_kind="staff", owner_user_id=worker.id, due_on=today + timedelta(days=9), status="open", created_by=worker.id),
        Action(outcome_id=sam_mornings.id, person_id=sam.id, description="Put your clothes out the night before",
               owner_kind="person", due_on=today + timedelta(days=6), status="open", created_by=worker.id),
    ])
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
                # "How happy are you with your support?", chosen by the person on the picture scale.
                satisfaction=(4 + (i + q) % 2) if after else (2 + (i + q) % 2) if i != 4 else None,
                satisfaction_rated_by=None if (i == 4 and not after) else ("person" if i % 2 == 0 else "together"),
                created_by=homecare_worker.id)
            if q < 3:
                fb.reviewed_at = _utc(day + timedelta(days=14), 9)
                fb.reviewed_by = manager.id
                fb.themes = [t for t, word in ((rushed, "rushed"), (timing, "7am"), (continuity, "same carer"), (continuity, "different faces")) if word in difficult.lower()]
            db.session.add(fb)

    # You said, we did: Sam asked to choose who goes into town with him; Oak House changed the rota sheet.
    choosing = Theme(organisation_id=org.id, name="Choosing who supports me")
    db.session.add(choosing)
    said_on = today - timedelta(days=120)
    sam_said = FeedbackConversation(
        person_id=sam.id, happened_at=_utc(said_on, 15), works_well="Going on the bus with Alex.",
        feels_difficult="I don't get to choose who comes with me to town.", would_change="Let me pick who comes on the bus with me.",
        participants="Sam", satisfaction=3, satisfaction_rated_by="person",
        reviewed_at=_utc(said_on + timedelta(days=7), 9), reviewed_by=manager.id, created_by=worker.id)
    sam_said.themes = [choosing]
    db.session.add(sam_said)
    choose_staff = Change(service_id=living.id, description="You choose who supports you on trips out, on the weekly rota sheet",
                          starts_on=today - timedelta(days=80), co_produced_with="Tenants' meeting", created_by=manager.id)
    choose_staff.themes = [choosing]
    db.session.add(choose_staff)
    db.session.add(FeedbackConversation(
        person_id=sam.id, happened_at=_utc(today - timedelta(days=25), 15), works_well="I picked Alex for the bus to town.",
        participants="Sam", satisfaction=5, satisfaction_rated_by="person", created_by=worker.id))

    # Complaints fall and compliments rise after the flexible arrival windows (the article's "complaints decreased").
    complaints = [(300, "Carer arrived at 6:50 and hurried the wash."), (262, "Missed breakfast: the carer had to leave early."),
                  (231, "Three different carers in one week."), (205, "Felt rushed getting dressed."), (120, "Evening call forty minutes late.")]
    compliments = [(250, "Thanked Fran for staying to finish the crossword."), (150, "Likes being able to choose a later call."),
                   (95, "Daughter wrote to say mornings are calmer now."), (40, "Thanked the team for the same carer all week.")]
    for n, (days_ago, note) in enumerate(complaints):
        db.session.add(ServiceEvent(person_id=home[n % len(home)].id, kind="complaint", happened_at=_utc(today - timedelta(days=days_ago), 11),
                                    note=note, created_by=homecare_worker.id))
    for n, (days_ago, note) in enumerate(compliments):
        db.session.add(ServiceEvent(person_id=home[(n + 1) % len(home)].id, kind="compliment", happened_at=_utc(today - timedelta(days=days_ago), 16),
                                    note=note, created_by=homecare_worker.id))

    # ---- Example three: weekly checks; incidents fall after a quieter breakfast time ----
    walk_day = monday_of(today - timedelta(days=7 * 36))
    breakfast_day = monday_of(today - timedelta(days=7 * 18))
    walk = Change(service_id=residential.id, description="Evening walk added after tea",
                  starts_on=walk_day, co_produced_with="Residents' meeting", created_by=manager.id)
    breakfast = Change(service_id=residential.id, description="Quieter breakfast time (staggered, radio off)",
                       starts_on=breakfast_day, co_produced_with="Residents, keyworkers and the speech and language therapist",
                       created_by=manager.id)
    db.session.add_all([walk, breakfast])
    first_week = monday_of(today - timedelta(days=7 * 52))
    week = first_week
    while week <= monday_of(today) - timedelta(days=7):
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

    # ---- Governance: escalations, supervision, care-plan audits, the learning log ----
    family = outcome(aisha, "Keeping in touch with my family", 160, priority=False, last_review_days_ago=24,
                     scores=[3, 3, 4, 4, 2], rater=manager,
                     drop_at="Her sister moved to Leeds and the Sunday visits stopped; she has not phoned since.",
                     adjust_at="Keyworker to sit with her for a Sunday phone call, and ask her sister about video calls.")
    outcome(home[3], "Getting out to the shops", 140, priority=False, last_review_days_ago=50, scores=[2, 3, 3],
            rater=homecare_worker)
    db.session.flush()
    _governance(today, org, living=living, homecare=homecare, residential=residential, people=dict(
        sam=sam, priya=priya, jordan=jordan, aisha=aisha, home=home, res=res), users=dict(
        worker=worker, manager=manager, senior=db.session.query(User).filter_by(email="senior@demo.example").one()),
        changes=dict(rota=rota_change, walk=walk, breakfast=breakfast), themes=dict(rushed=rushed), family=family)
    db.session.flush()
    return org


ANSWERS = {
    "deterioration": "Keyworker to agree a support change with the person this week; the manager reviews it at the next governance meeting.",
    "stagnation": [
        "Discussed at the monthly governance meeting: the keyworker will agree one small next step with the person, and the manager checks it at supervision.",
        "Keyworker to try the approach the person suggested and report back at supervision.",
    ],
    "steady": [
        "The score is steady at 4: ask the person at their next review whether the goal is reached, or what they want next.",
        "Keep going with the current support; the person is happy with how things are. Review again in two months.",
    ],
    "low": [
        "Scores have stayed low: the keyworker and the person will try a different approach (a card with a spending limit), "
        "and the manager reviews it at supervision.",
        "Still low after the new approach: the manager will join the next keyworker session to look at it with the person.",
    ],
    "overdue": "Manager has asked the keyworker to book the review this week and will check it is done.",
}


def _governance(today, org, living, homecare, residential, people, users, changes, themes, family):
    """Escalations raised by the rules over the last quarter's reviews, as if the governance loop ran
    then (answered a week after being raised, acknowledged after two days); a deterioration in Oak
    House answered with a co-produced change; an overdue review escalated; supervisions of the
    worker; care-plan audits (some due); and learning entries that led to "flexible arrival windows"
    and "quieter breakfast time"."""
    from .domain import escalations
    from .domain.due import Item
    from .models import CarePlanAudit, CarePlanAuditOutcome, Escalation, LearningEntry, Supervision, SupervisionEntry

    senior, manager, worker = users["senior"], users["manager"], users["worker"]
    start = _utc(today - timedelta(days=100))
    reviews = db.session.query(Review).filter(Review.happened_at >= start).order_by(Review.happened_at, Review.id).all()
    answered_count = {"stagnation": 0}
    family_change = {}

    def settle(upto):
        """Acknowledge (after 2 days) and answer (after 7) what was raised long enough before `upto`."""
        for e in db.session.query(Escalation).filter(Escalation.status != "answered").order_by(Escalation.raised_at).all():
            who = senior if e.rule == "deterioration" else manager
            if e.status == "open" and e.raised_at + timedelta(days=2) <= upto:
                e.status, e.acknowledged_by, e.acknowledged_at = "acknowledged", who.id, e.raised_at + timedelta(days=2)
            if e.status == "acknowledged" and e.raised_at + timedelta(days=7) <= upto:
                e.status, e.answered_by, e.answered_at = "answered", who.id, e.raised_at + timedelta(days=7)
                if e.outcome_id == family.id:
                    e.answer = ("Aisha chose weekly video calls with her sister, set up with her keyworker on her tablet; "
                                "the manager checks at her next review whether she is phoning again.")
                    change = Change(service_id=living.id, description="Weekly video call with her sister, set up with Aisha",
                                    starts_on=(e.answered_at + timedelta(days=2)).date(),
                                    co_produced_with="Aisha, her sister and her keyworker", created_by=manager.id)
                    change.people = [people["aisha"]]
                    change.outcomes = [family]
                    db.session.add(change)
                    db.session.flush()
                    e.change_id = change.id
                    family_change["change"], family_change["escalation"] = change, e
                elif e.rule == "stagnation":
                    last = db.session.get(Review, e.review_id)
                    kind = "low" if "low_at_two_in_a_row" in e.reasons else "steady" if last.score >= 4 else "stagnation"
                    e.answer = ANSWERS[kind][answered_count.get(kind, 0) % len(ANSWERS[kind])]
                    answered_count[kind] = answered_count.get(kind, 0) + 1
                else:
                    e.answer = ANSWERS[e.rule]
        db.session.flush()

    for review in reviews:
        settle(review.happened_at)
        # as stored at the time: the later reviews the demo already holds had not happened yet
        escalations.after_review_stored(review, now=review.happened_at + timedelta(hours=2), with_later=False)
    # Harold's shopping goal was last reviewed 50 days ago: the reminders job escalated it 15 days past due.
    for o in db.session.query(Outcome).filter(Outcome.domain == "Getting out to the shops").all():
        person = db.session.get(Person, o.person_id)
        last = db.session.query(Review).filter(Review.outcome_id == o.id).order_by(Review.happened_at.desc()).first()
        due = last.happened_at.date() + timedelta(days=30)
        escalations.escalate_late([Item("review", o.id, person.id, person.service_id, org.id, due)], now=_utc(due + timedelta(days=15), 6))
    settle(_utc(today - timedelta(days=8), 8))  # the last ten days' escalations are still open

    # ---- supervision of the worker: last month and the month before ----
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    month_before = (last_month - timedelta(days=1)).replace(day=1)
    sam, priya, jordan, margaret = people["sam"], people["priya"], people["jordan"], people["home"][0]
    for month, held_on, entries in (
        (month_before, month_before + timedelta(days=20), [
            (sam, "Took the bus to the library alone for the first time; nervous about the new stop after the roadworks.",
             "Practise the new stop twice with staff, then alone with a check-in text."),
            (jordan, "Still not carrying cash since losing his wallet; scores have stayed at 2.",
             "Try a card with a spending limit, chosen with Jordan."),
            (priya, "Planning a meal for Jo and Marcus; wrote her own shopping list.", "Book the Saturday for the meal."),
        ]),
        (last_month, min(today, last_month + timedelta(days=24)), [
            (sam, "Money scores have stayed at 4 for three months; he pays by card without help now.",
             "Ask Sam at his next review whether the money goal is done or what he wants next."),
            (jordan, "Tried the card with a limit once; he liked not worrying about change.", "Use the card for the weekly shop, with staff nearby."),
            (priya, "Cooked pasta for two friends; proud and wants to do it monthly.", "Agree a monthly date and let Priya lead the planning."),
            (margaret, "Mornings feel less rushed since the flexible arrival window.", "Keep the window; check at her feedback conversation."),
        ]),
    ):
        record = Supervision(organisation_id=org.id, user_id=worker.id, supervisor_id=manager.id, month=month, held_on=held_on)
        record.entries = [SupervisionEntry(person_id=p.id, position=i, what_changed=w, next_step=n) for i, (p, w, n) in enumerate(entries)]
        db.session.add(record)

    # ---- care-plan audits: Sam audited two months ago (one goal not person-led), Priya seven months
    # ago (due again), Margaret four months ago; Jordan, Aisha, Elm Court never (due). ----
    def audited(person, days_ago, answers):
        record = CarePlanAudit(organisation_id=org.id, service_id=person.service_id, person_id=person.id,
                               audited_on=today - timedelta(days=days_ago), audited_by=manager.id)
        record.outcomes = [CarePlanAuditOutcome(outcome_id=o.id, position=i, still_relevant=r, person_led=led, person_can_describe=d, note=note)
                           for i, (o, r, led, d, note) in enumerate(answers)]
        db.session.add(record)
        db.session.flush()
        return record

    def goal(person, domain):
        return db.session.query(Outcome).filter(Outcome.person_id == person.id, Outcome.domain == domain).one()

    sam_audit = audited(sam, 60, [
        (goal(sam, "Confidence using buses"), True, True, True, "Sam explained the goal in his own words: going to town on his own."),
        (goal(sam, "Feeling safe with money"), True, True, True, ""),
        (goal(sam, "Managing my own morning routine"), True, False, True,
         "Written from the day centre's timetable; Sam wants it to be about having time for breakfast. Redefine it with him."),
    ])
    audited(priya, 215, [(goal(priya, "Going to the art group"), True, True, True, "Priya showed us her paintings and described the goal.")])
    audited(margaret, 120, [(goal(margaret, "Staying well at home"), True, True, False,
                             "Margaret describes it as 'getting out every day'; the written goal is about tablets. Reword it with her.")])

    # ---- the learning log: how feedback and analysis led to the changes ----
    rota, walk, breakfast = changes["rota"], changes["walk"], changes["breakfast"]

    def entry(service, recorded_on, learned, decision, kind=None, source_id=None, change=None, shared=True, by=manager):
        db.session.add(LearningEntry(organisation_id=org.id, service_id=service.id, recorded_on=recorded_on, learned=learned,
                                     decision=decision, source_kind=kind, source_id=source_id, change_id=change.id if change else None,
                                     shared_with_commissioners=shared, created_by=by.id))

    entry(homecare, rota.starts_on - timedelta(days=12),
          "In this quarter's feedback conversations most people said mornings felt rushed, and several found the 7am call too early; "
          "satisfaction scores had not shown it.",
          "Trial flexible arrival windows for morning calls for the people who asked, within the contract's hours, agreed with them "
          "and their families; measure it through the next two rounds of feedback.",
          kind="theme", source_id=themes["rushed"].id, change=rota)
    entry(residential, breakfast.starts_on - timedelta(days=9),
          "Incidents cluster around breakfast. The evening walk lifted engagement but incidents did not fall.",
          "Make breakfast quieter: staggered sittings and the radio off, as residents and the speech and language therapist suggested.",
          kind="change", source_id=walk.id, change=breakfast)
    entry(residential, breakfast.starts_on + timedelta(days=70),
          "Since the quieter breakfast began, incidents have fallen to about a third of what they were, and mood has risen.",
          "Keep the quieter breakfast time; look again at the weekly figures next quarter.",
          kind="change", source_id=breakfast.id)
    entry(homecare, last_month + timedelta(days=5),
          "Several people's 'staying well at home' outcomes have stayed at 4 for three months: stagnation escalations each time.",
          "At each person's next review, ask whether staying well is still the goal they want, or whether they want a new one.",
          kind="dashboard", source_id=f"{last_month:%Y-%m}")
    entry(living, (today - timedelta(days=55)),
          "Sam's morning routine goal was written from the day centre's timetable, not by Sam.",
          "Redefine it with Sam at his next keyworker session, in his own words.",
          kind="audit", source_id=sam_audit.id, shared=False)
    if family_change:
        e = family_change["escalation"]
        entry(living, e.answered_at.date(),
              "Aisha's contact with her family dropped when her sister moved away; the phone alone did not replace the visits.",
              "Set up weekly video calls with her sister, chosen by Aisha.",
              kind="escalation", source_id=e.id, change=family_change["change"], shared=False, by=senior)
