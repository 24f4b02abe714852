"""The hot reads cost a fixed number of SQL statements, however much data there is.

Each test counts the statements one request sends (a SQLAlchemy `before_cursor_execute` listener),
at two sizes of the same organisation: a few people, then four times as many, each with outcomes,
reviews with evidence and a caseload. A count that grows with the data is an N+1 (a query per
person, outcome or review) and fails here. This is not a timing test: bench/ measures time.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from server.domain import anonymise, sync
from server.extensions import db
from server.models import (
    CaseloadAssignment,
    Change,
    EvidenceNote,
    FeedbackConversation,
    Outcome,
    Person,
    Review,
    ServiceEvent,
    User,
    UserService,
    WeeklyCheck,
)
from tests import factories


@pytest.fixture
def org(app):
    return factories.organisation(app, "Counts")


def grow(app, org, people: int) -> None:
    """Add `people` people to the service, on the worker's caseload, each with two outcomes (one
    reviewed long ago, so overdue), three reviews each with an evidence note, a weekly check and an
    event in the current quarter."""
    today = date.today()
    with app.app_context():
        for i in range(people):
            person = Person(organisation_id=org["org"], service_id=org["service"], name=f"Grown {i:03d}", weekly_checks=True)
            db.session.add(person)
            db.session.flush()
            db.session.add(CaseloadAssignment(user_id=org["support_worker_id"], person_id=person.id))
            for k, last_days_ago in enumerate((3, 70)):
                outcome = Outcome(person_id=person.id, domain=f"Goal {k}", persons_words="In my words.", indicator="Does it",
                                  starts_on=today - timedelta(days=200), review_by=today + timedelta(days=100))
                db.session.add(outcome)
                db.session.flush()
                for r in range(3):
                    when = datetime.combine(today - timedelta(days=last_days_ago + 2 * r), time(10), tzinfo=timezone.utc)
                    review = Review(outcome_id=outcome.id, person_id=person.id, score=2 + (r % 2), rated_by="together", happened_at=when,
                                    what_changed="A change", support_adjustment="An adjustment")
                    db.session.add(review)
                    db.session.flush()
                    db.session.add(EvidenceNote(person_id=person.id, review_id=review.id, outcome_id=outcome.id,
                                                text="Went into town alone.", happened_at=when))
            db.session.add(WeeklyCheck(person_id=person.id, week_of=today - timedelta(days=today.weekday()), incidents=0, engagement=4, mood=4))
            db.session.add(ServiceEvent(person_id=person.id, kind="community_participation",
                                        happened_at=datetime.combine(today, time(9), tzinfo=timezone.utc)))
        db.session.commit()


def grow_lists(app, org, people: int) -> None:
    """`grow`, then for each new person a feedback conversation and a support worker's account, and
    for every second one a co-produced change naming them. Pairs of conversations and of changes
    share their dates, so a page boundary between them must be told apart by id."""
    before = _count(app, Person)
    grow(app, org, people)
    today = date.today()
    with app.app_context():
        grown = db.session.execute(
            select(Person).where(Person.organisation_id == org["org"]).order_by(Person.created_at, Person.id).offset(before)
        ).scalars().all()
        for i, person in enumerate(grown):
            n = before + i
            db.session.add(FeedbackConversation(person_id=person.id, works_well="The new rota", feels_difficult="Rushed visits",
                                                happened_at=datetime.combine(today - timedelta(days=n // 2), time(11), tzinfo=timezone.utc)))
            user = User(organisation_id=org["org"], email=f"grown{n}@{org['org'][:8]}.example", name=f"Grown Staff {n:03d}",
                        role="support_worker", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(UserService(user_id=user.id, service_id=org["service"]))
            if i % 2 == 0:
                change = Change(service_id=org["service"], description=f"Change for {person.name}", co_produced_with="Residents",
                                starts_on=today - timedelta(days=n // 4))
                change.people = [person]
                db.session.add(change)
        db.session.commit()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


@contextmanager
def counting(app):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def count(app, api, url: str) -> tuple[int, dict]:
    # The organisation's name words are kept between requests (anonymise.name_words): forget them,
    # so each count is the most a request can cost (with them read), not a count that depends on
    # whether the request before it already read them.
    anonymise._NAME_WORDS.clear()
    with counting(app) as statements:
        r = api.get(url)
    assert r.status_code == 200, r.get_json()
    return len(statements), r.get_json()


def at_two_sizes(app, org, api, url: str, check=None) -> tuple[int, int]:
    grow(app, org, 3)
    sync._scope_sizes.clear()  # a pull counts the user's scope once a minute: count it in both
    small, body = count(app, api, url)
    if check:
        check(body, 3)
    grow(app, org, 9)
    sync._scope_sizes.clear()
    large, body = count(app, api, url)
    if check:
        check(body, 12)
    return small, large


def test_the_caseload_list_costs_the_same_for_4_people_as_for_13(app, api_for, org):
    worker = api_for(org["support_worker"])

    def check(body, grown):
        assert len(body) == grown + 1
        assert sum(1 for row in body if row["active_outcomes"] == 2) == grown

    small, large = at_two_sizes(app, org, worker, "/api/v1/people", check)
    assert small == large


def test_a_managers_people_list_costs_the_same_at_either_size(app, api_for, org):
    manager = api_for(org["registered_manager"])
    small, large = at_two_sizes(app, org, manager, "/api/v1/people")
    assert small == large


def test_the_overdue_list_costs_the_same_at_either_size(app, api_for, org):
    senior = api_for(org["senior_leader"])

    def check(body, grown):
        # One outcome of each grown person was last reviewed 70 days ago: overdue.
        assert len(body["overdue"]) == grown

    small, large = at_two_sizes(app, org, senior, "/api/v1/reviews/overdue", check)
    assert small == large


def test_service_measures_cost_the_same_at_either_size(app, api_for, org):
    manager = api_for(org["registered_manager"])

    def check(body, grown):
        assert body["people"] == grown + 2

    small, large = at_two_sizes(app, org, manager, f"/api/v1/services/{org['service']}/measures", check)
    assert small == large


def test_a_workers_pull_page_costs_the_same_at_either_size(app, api_for, org):
    worker = api_for(org["support_worker"])

    def check(body, grown):
        people = {c["id"] for c in body["changes"] if c["entity"] == "person"}
        assert len(people) == grown + 1
        assert sum(1 for c in body["changes"] if c["entity"] == "review") == grown * 6

    small, large = at_two_sizes(app, org, worker, "/api/v1/sync/pull?cursor=0", check)
    assert small == large


def test_a_pull_counts_the_users_scope_once_a_minute(app, api_for, org, monkeypatch):
    """The scope's size picks the plan and the window, never the changes, so the pages of a first
    sync reuse one count for a minute instead of counting the scope again each page."""
    worker = api_for(org["support_worker"])
    url = "/api/v1/sync/pull?cursor=0"
    sync._scope_sizes.clear()
    first, body = count(app, worker, url)
    again, same = count(app, worker, url)
    assert again == first - 1 and same["changes"] == body["changes"]
    monkeypatch.setattr(sync, "SCOPE_SIZE_SECONDS", 0)
    assert count(app, worker, url)[0] == first


# ---- output schemas format what they are given ----

@contextmanager
def statements_while_dumping(app, monkeypatch):
    """The statements sent while an output schema dumps (marshmallow's Schema.dump, whoever calls
    it: a route's reply, a pull page, an edit conflict's current record)."""
    from marshmallow import Schema

    during: list[str] = []
    depth = [0]
    dump = Schema.dump

    def counted_dump(self, obj, *, many=None):
        depth[0] += 1
        try:
            return dump(self, obj, many=many)
        finally:
            depth[0] -= 1

    def before(conn, cursor, statement, parameters, context, executemany):
        if depth[0]:
            during.append(statement)

    monkeypatch.setattr(Schema, "dump", counted_dump)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield during
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_output_schemas_dump_without_a_single_statement(app, api_for, org, monkeypatch):
    """What an outcome, action or feedback conversation shows beyond its own columns (owners' names,
    next review due, last score, the person's name) is loaded in bulk before the dump: dumping the
    replies of the outcome, people, feedback and sync endpoints sends no SQL, after a commit too."""
    import uuid

    grow(app, org, 2)
    worker, manager = api_for(org["support_worker"]), api_for(org["registered_manager"])
    today = date.today()
    with app.app_context():
        [oid] = db.session.execute(db.select(Outcome.id).where(Outcome.domain == "Goal 0").limit(1)).scalars()
        person_id = db.session.get(Outcome, oid).person_id

    with statements_while_dumping(app, monkeypatch) as during:
        def ok(r, status=200):
            assert r.status_code == status, r.get_json()
            assert during == [], (r.request.path, during)
            return r.get_json()

        made = ok(worker.post("/api/v1/outcomes", json={
            "person_id": person_id, "domain": "Cooking", "persons_words": "My own tea.", "indicator": "Cooks twice a week",
            "target": "Twice a week", "starts_on": today.isoformat(), "review_by": (today + timedelta(days=90)).isoformat(),
            "owner_kind": "staff", "owner_user_id": org["support_worker_id"]}), 201)
        assert made["owner_label"] == "Counts support_worker" and made["next_review_due"] and made["last_score"] is None
        action = ok(worker.post("/api/v1/actions", json={"outcome_id": oid, "description": "Practise the route",
                                                          "owner_kind": "staff", "owner_user_id": org["support_worker_id"]}), 201)
        assert action["owner_label"] == "Counts support_worker"
        ok(worker.patch(f"/api/v1/actions/{action['id']}", json={"version": action["version"], "status": "done"}))
        outcome = ok(worker.get(f"/api/v1/outcomes/{oid}"))
        assert outcome["last_score"] in (2, 3) and outcome["actions"][0]["owner_label"] == "Counts support_worker"
        ok(worker.patch(f"/api/v1/outcomes/{oid}", json={"version": outcome["version"], "target": "Every week"}))
        stale = worker.patch(f"/api/v1/outcomes/{oid}", json={"version": outcome["version"], "target": "Twice"})
        assert stale.status_code == 409 and during == []
        ok(worker.get(f"/api/v1/outcomes/{oid}/trajectory"))
        ok(worker.get(f"/api/v1/people/{person_id}"))
        ok(worker.get(f"/api/v1/people/{person_id}/outcomes"))
        ok(worker.get("/api/v1/people"))
        ok(worker.get("/api/v1/reviews"))
        feedback = ok(worker.post("/api/v1/feedback", json={
            "id": str(uuid.uuid4()), "person_id": person_id, "happened_at": datetime.now(timezone.utc).isoformat(),
            "works_well": "Tea as I like it."}), 201)
        assert feedback["person_name"].startswith("Grown")
        ok(worker.get(f"/api/v1/feedback/{feedback['id']}"))
        reviewed = ok(manager.post(f"/api/v1/feedback/{feedback['id']}/review", json={"new_themes": ["Mornings"]}))
        assert [t["name"] for t in reviewed["themes"]] == ["Mornings"] and reviewed["person_name"] == feedback["person_name"]
        assert len(ok(manager.get("/api/v1/feedback"))) == 1
        review = ok(worker.post("/api/v1/reviews", json={
            "id": str(uuid.uuid4()), "outcome_id": oid, "score": 4, "rated_by": "together",
            "happened_at": datetime.now(timezone.utc).isoformat(), "evidence": ["Made tea on my own"]}), 201)
        assert [e["text"] for e in review["evidence"]] == ["Made tea on my own"]
        event = ok(worker.post("/api/v1/events", json={
            "id": str(uuid.uuid4()), "person_id": person_id, "kind": "employment", "happened_at": datetime.now(timezone.utc).isoformat()}), 201)
        assert event["kind"] == "employment"
        pulled = ok(worker.get("/api/v1/sync/pull?cursor=0"))
        assert any(c["entity"] == "outcome" and c["data"]["last_score"] is not None for c in pulled["changes"])


# ---- paged lists: a page costs the same whatever the data and whatever the page size ----

PAGED = [
    ("support_worker", "/api/v1/people"),
    ("registered_manager", "/api/v1/people"),
    ("senior_leader", "/api/v1/people?include_ended=true"),
    ("admin", "/api/v1/users"),
    ("support_worker", "/api/v1/changes"),
    ("registered_manager", "/api/v1/changes"),
    ("commissioner", "/api/v1/changes"),
    ("support_worker", "/api/v1/feedback"),
    ("registered_manager", "/api/v1/feedback?status=unreviewed"),
    ("registered_manager", "/api/v1/people/manage"),
    ("registered_manager", "/api/v1/audit"),
    ("admin", "/api/v1/audit"),
    ("senior_leader", "/api/v1/reviews/overdue"),
    ("support_worker", "/api/v1/notifications"),
]


def _page_url(url: str, limit: int, cursor: str | None = None) -> str:
    return url + ("&" if "?" in url else "?") + f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")


@pytest.mark.parametrize("role, url", PAGED)
def test_a_page_of_a_list_costs_the_same_at_either_size_and_any_page_size(app, api_for, org, role, url):
    api = api_for(org[role])
    grow_lists(app, org, 4)
    small, body = count(app, api, _page_url(url, 3))
    grow_lists(app, org, 12)
    large, body = count(app, api, _page_url(url, 3))
    wide, _ = count(app, api, _page_url(url, 12))
    assert small == large == wide, (small, large, wide)
    if body.get("next_cursor"):
        following, _ = count(app, api, _page_url(url, 3, body["next_cursor"]))
        assert following == large, (following, large)
