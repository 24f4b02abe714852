"""The offline app applies some of the server's rules itself (so it works without signal): when a
review falls due, which scores dropped and what a drop must say, who owns an action, the priority
limit, and which screen a path opens. Their data lives once, in server/data/rules.json; the app's
copy (client/js/generated/rules.js) is generated from it. Here a table of cases goes through the
server's functions (against the database, as the app's records come back from it) and through the
app's own functions (client/js/rules.js and its route table, run under node), and the answers must
be the same."""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import select

from server.domain import outcomes, rule_data
from server.domain.errors import Invalid
from server.domain.outcome_facts import due_after, next_review_due, owner_label
from server.extensions import db
from server.models import Outcome, Person, Review, User
from server.routes import client as client_routes
from server.schemas.outcome import ReviewCreateSchema, ReviewOut
from tests import factories
from tests.client_js import client_route_table, run_client_rules

STATUSES = ("active", "paused", "achieved", "retired")
INTERVALS = tuple(rule_data.REVIEW_INTERVAL_DAYS)
# Month ends, leap days, quarter boundaries.
EDGE_DAYS = [
    date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 1), date(2023, 3, 31), date(2023, 4, 1), date(2023, 6, 30),
    date(2023, 9, 30), date(2023, 10, 1), date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 28),
    date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 31), date(2024, 4, 1), date(2024, 4, 30), date(2024, 6, 30),
    date(2024, 7, 1), date(2024, 8, 31), date(2024, 9, 30), date(2024, 10, 1), date(2024, 11, 30), date(2024, 12, 31),
    date(2025, 1, 1), date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31), date(2025, 5, 31),
]
# Around midnight UTC (where a UTC date and a local one part), and midday.
TIMES = [time(0, 0), time(0, 0, 1), time(0, 30), time(12, 0), time(23, 30), time(23, 59, 59)]
OFFSETS = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
TEXTS = [None, "", "   ", "Moved to a new flat", "Weekly check-in call"]


def some_day(rng: random.Random) -> date:
    if rng.random() < 0.6:
        return rng.choice(EDGE_DAYS)
    return date(2023, 1, 1) + timedelta(days=rng.randrange(800))


def some_moment(rng: random.Random, day: date) -> datetime:
    moment = datetime.combine(day, rng.choice(TIMES), timezone.utc)
    # Mostly whole seconds; some with milliseconds (as a phone sends), some with microseconds.
    return moment.replace(microsecond=rng.choice([0, 0, 0, 123000, 500000, 120, 999999]))


def as_the_app_holds(review: Review, rng: random.Random) -> dict:
    """A stored review as the app holds it: as the server sends it, or (a review the phone made
    itself, to the millisecond) in the form the phone wrote it."""
    sent = ReviewOut(only=("id", "outcome_id", "score", "happened_at", "what_changed", "support_adjustment")).dump(review)
    moment = review.happened_at.astimezone(timezone.utc)
    if moment.microsecond % 1000 == 0 and rng.random() < 0.5:
        sent["happened_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return sent


def add_review(outcome: Outcome, at: datetime, score: int, user_id: str, rng: random.Random) -> Review:
    review = Review(
        id=str(uuid.uuid4()), outcome_id=outcome.id, person_id=outcome.person_id, score=score, rated_by="together",
        happened_at=at, what_changed=rng.choice(TEXTS), support_adjustment=rng.choice(TEXTS), created_by=user_id,
    )
    db.session.add(review)
    return review


def add_outcome(person_id: str, n: int, starts_on: date, review_by: date | None = None, **kw) -> Outcome:
    outcome = Outcome(
        person_id=person_id, domain=kw.pop("domain", f"Goal {n}"), persons_words="In my words.", indicator="Seen to happen",
        starts_on=starts_on, review_by=review_by or starts_on + timedelta(days=400), **kw,
    )
    db.session.add(outcome)
    db.session.flush()
    return outcome


def test_the_apps_rule_data_is_generated_from_the_servers():
    generated = rule_data.CLIENT_MODULE.read_text(encoding="utf-8")
    assert generated == rule_data.client_module(), (
        f"client/js/generated/rules.js is out of date with server/data/rules.json: run `{rule_data.REGENERATE}`"
    )


def test_next_review_due_and_unexplained_drops_agree(app):
    rng = random.Random(20260101)
    ids = factories.organisation(app)
    with app.app_context():
        made = []
        for n in range(240):
            starts_on = some_day(rng)
            outcome = add_outcome(
                ids["person"], n, starts_on, status=STATUSES[n % 4], review_every=INTERVALS[(n // 4) % len(INTERVALS)]
            )
            moments = []
            for _ in range(rng.choice([0, 0, 1, 2, 3, 4, 6, 9])):
                if moments and rng.random() < 0.15:
                    at = rng.choice(moments)  # two reviews at the same moment: ordered by id
                else:
                    at = some_moment(rng, starts_on + timedelta(days=rng.choice([0, 1, 27, 28, 29, 30, 31, 59, 90, 91, 92, 365, 366])))
                moments.append(at)
                add_review(outcome, at, rng.randint(1, 5), ids["support_worker_id"], rng)
            made.append(outcome.id)
        db.session.commit()
        db.session.expire_all()

        due_cases, drop_cases, expected_due, expected_drops = [], [], [], []
        previous_reviews = []
        for outcome_id in made:
            outcome = db.session.get(Outcome, outcome_id)
            stored = db.session.execute(select(Review).where(Review.outcome_id == outcome_id)).scalars().all()
            held = [as_the_app_holds(r, rng) for r in stored]
            rng.shuffle(held)
            shown = {"id": outcome.id, "status": outcome.status, "review_every": outcome.review_every, "starts_on": outcome.starts_on.isoformat()}
            # The phone holds other outcomes' reviews too; only this outcome's count.
            due_cases.append({"outcome": shown, "reviews": held + previous_reviews})
            due = next_review_due(outcome)
            expected_due.append(due.isoformat() if due else None)
            drop_cases.append({"reviews": held})
            expected_drops.append(sorted(outcomes.unexplained_drops(stored)))
            previous_reviews = held
        # An interval the server does not know falls back to the default, on both sides.
        for n, status in enumerate(STATUSES * 3):
            day = EDGE_DAYS[n]
            due_cases.append({"outcome": {"id": f"x{n}", "status": status, "review_every": "yearly", "starts_on": day.isoformat()}, "reviews": []})
            due = due_after(status, "yearly", day, None)
            expected_due.append(due.isoformat() if due else None)

    answers = run_client_rules({"next_review_due": due_cases, "unexplained_drops": drop_cases})
    assert sum(d is not None for d in expected_due) > 60 and sum(d is None for d in expected_due) > 60
    assert sum(bool(d) for d in expected_drops) > 30
    for case, server, app_answer in zip(due_cases, expected_due, answers["next_review_due"], strict=True):
        assert app_answer == server, case
    for case, server, app_answer in zip(drop_cases, expected_drops, answers["unexplained_drops"], strict=True):
        assert app_answer == server, case


def test_the_score_drop_rule_agrees(app):
    """What a new review must say when its score is lower than the review before it: the app's
    form asks for exactly the fields outcomes.create_review would refuse it without."""
    rng = random.Random(7)
    ids = factories.organisation(app)
    cases, expected = [], []
    with app.app_context():
        actor = db.session.get(User, ids["support_worker_id"])
        for n in range(160):
            starts_on = date(2024, 1, 1) + timedelta(days=rng.randrange(300))
            outcome = add_outcome(ids["person"], n, starts_on)
            stored = [
                add_review(outcome, some_moment(rng, starts_on + timedelta(days=rng.randrange(1, 200))), rng.randint(1, 5), actor.id, rng)
                for _ in range(rng.choice([0, 1, 2, 2, 3, 5]))
            ]
            db.session.flush()
            times = sorted(r.happened_at for r in stored)
            choice = rng.random()
            if times and choice < 0.2:
                at = rng.choice(times)  # at the same moment as a stored review: compared with the one before
            elif times and choice < 0.4:
                at = times[0] - timedelta(microseconds=rng.choice([1, 1000, 3_600_000_000]))
            else:
                at = some_moment(rng, starts_on + timedelta(days=rng.randrange(0, 260)))
            given = at.astimezone(rng.choice(OFFSETS)).isoformat()
            review = {
                "id": str(uuid.uuid4()), "outcome_id": outcome.id, "score": rng.randint(1, 5), "rated_by": "together",
                "happened_at": given, "evidence": ["Went to the shop with a list"],
                # Mostly blank: a drop's form, before anyone has typed the explanation.
                "what_changed": rng.choice(TEXTS[:3] * 2 + TEXTS), "support_adjustment": rng.choice(TEXTS[:3] * 2 + TEXTS),
            }
            held = [as_the_app_holds(r, rng) for r in stored]
            cases.append({"reviews": held, "review": review})
            try:
                outcomes.create_review(actor, ReviewCreateSchema().load(review))
                expected.append({})
            except Invalid as refused:
                expected.append(refused.fields)
            db.session.commit()

    answers = run_client_rules({"drop_errors": cases})["drop_errors"]
    assert sum(bool(e) for e in expected) > 25 and sum(not e for e in expected) > 25
    for case, server, app_answer in zip(cases, expected, answers, strict=True):
        assert app_answer == server, case


def test_owner_labels_agree(app):
    ids = factories.organisation(app)
    cases, expected = [], []
    with app.app_context():
        staff = db.session.get(User, ids["support_worker_id"])
        for kind in ("person", "staff", "other", None):
            for user_id in (staff.id, str(uuid.uuid4()), None):
                for name in (None, "", "Sister, Nadia"):
                    record = SimpleNamespace(owner_kind=kind, owner_user_id=user_id, owner_name=name)
                    expected.append(owner_label(record))
                    # The app knows the name of the staff member signed in on it, no one else's.
                    cases.append({"record": vars(record), "staff_name": staff.name if user_id == staff.id else None})
    answers = run_client_rules({"owner_label": cases})["owner_label"]
    assert set(expected) >= {"The person", "Staff", "Someone else", "Sister, Nadia", staff.name}
    for case, server, app_answer in zip(cases, expected, answers, strict=True):
        assert app_answer == server, case


def test_the_priority_limit_agrees(app):
    """The app warns of a fourth active priority in a quarter exactly when the server refuses it,
    naming the same quarter and the same outcomes, across quarter and year boundaries."""
    rng = random.Random(3)
    ids = factories.organisation(app)
    cases, expected = [], []
    spans = [0, 1, 30, 89, 90, 91, 92, 180, 270, 365, 500]
    with app.app_context():
        for n in range(220):
            person = Person(organisation_id=ids["org"], service_id=ids["service"], name=f"Person {n}")
            db.session.add(person)
            db.session.flush()
            # Outcomes gathered around one quarter or year boundary, so some cases clash and some do not.
            focus = rng.choice(EDGE_DAYS)
            others = []
            for k in range(rng.choice([2, 3, 4, 5, 6, 7])):
                starts_on = focus + timedelta(days=rng.choice([-200, -100, -92, -91, -90, -31, -1, 0, 1, 30]))
                other = add_outcome(
                    person.id, k, starts_on, starts_on + timedelta(days=rng.choice(spans)),
                    status=rng.choice(["active", "active", "active", "paused", "achieved"]), priority=rng.random() < 0.85,
                    # Equal and differently cased names: the outcomes are listed in the server's order.
                    domain=rng.choice(["Cooking", "cooking", "Budgeting", "Bus travel", "Éclairs", "Cooking"]),
                )
                others.append({
                    "id": other.id, "status": other.status, "priority": other.priority, "domain": other.domain,
                    "starts_on": other.starts_on.isoformat(), "review_by": other.review_by.isoformat(),
                })
            starts_on = focus + timedelta(days=rng.choice([-120, -91, -1, 0, 1, 45, 92, 200]))
            review_by = starts_on + timedelta(days=rng.choice(spans))
            cases.append({"others": others, "starts_on": starts_on.isoformat(), "review_by": review_by.isoformat()})
            try:
                outcomes._check_priority_limit(person.id, starts_on, review_by)
                expected.append(None)
            except Invalid as refused:
                expected.append({"quarter": refused.extra["quarter"], "ids": refused.extra["active"]})
        db.session.commit()

    answers = run_client_rules({"priority_clash": cases})["priority_clash"]

    def as_label(clash):  # the app's quarter index as the server names the quarter
        return clash and {"quarter": f"{clash['quarter'] // 4}Q{clash['quarter'] % 4 + 1}", "ids": clash["ids"]}

    assert sum(e is not None for e in expected) > 30 and sum(e is None for e in expected) > 30
    for case, server, app_answer in zip(cases, expected, answers, strict=True):
        assert as_label(app_answer) == server, case


def test_quarters_agree():
    days = [date(2023, 1, 1) + timedelta(days=n) for n in range(3 * 366)] + [date(2000, 2, 29), date(2100, 12, 31)]
    answers = run_client_rules({"quarter_index": [d.isoformat() for d in days]})["quarter_index"]
    assert answers == [outcomes._quarter_index(d) for d in days]


def fill(pattern: str, value: str) -> str:
    return "/".join(value if part.startswith(":") else part for part in pattern.split("/"))


def test_every_app_route_is_served_and_opens_its_screen(client):
    """The app's route table is the shared list (plus its not-found screen); a reload or a shared
    link on every one of them gets the app's page from the server, and the app opens that screen.
    A path the server answers 404 opens no screen in the app."""
    table = client_route_table()
    assert table == [*rule_data.APP_ROUTES, "/not-found"]
    assert set(client_routes.APP_ROUTES) == {p.split("/")[1] for p in rule_data.APP_ROUTES if p != "/"}

    an_id = str(uuid.uuid4())
    canonical = [(pattern, fill(pattern, an_id)) for pattern in rule_data.APP_ROUTES]
    paths = [path for _, path in canonical]
    for pattern in (p for p in rule_data.APP_ROUTES if p != "/"):
        for value in (an_id, "new", "x%2Fy", "caf%C3%A9"):
            paths += [fill(pattern, value), fill(pattern, value) + "/"]
        paths += [fill(pattern, an_id) + "/extra", pattern.rsplit("/", 1)[0] or "/"]
    paths += ["/nothing-here", "/peoplex", "/static", "/people", "/outcomes", "/reviews", "/manage"]
    paths = list(dict.fromkeys(paths))

    answers = run_client_rules({"route": paths})["route"]
    found = dict(zip(paths, answers, strict=True))
    for pattern, path in canonical:
        assert found[path] and found[path]["pattern"] == pattern and found[path]["has_view"], (pattern, found[path])
    served_count = 0
    for path in paths:
        response = client.get(path)
        served = response.status_code == 200 and response.mimetype == "text/html"
        assert served or response.status_code == 404, (path, response.status_code)
        served_count += served
        if found[path] is not None:
            assert served, f"the app opens a screen at {path} but the server does not serve the app's page there"
        if not served:
            assert found[path] is None, f"the server answers 404 at {path} but the app opens {found[path]['pattern']}"
    assert served_count > len(rule_data.APP_ROUTES) * 4
