"""Reminders (issue 7): when reviews, quarterly feedback and weekly checks fall due; who hears
(keyworkers before, registered managers after); exactly once per item, due date and recipient,
even with two runs at the same moment; one push per user per run; and how push-service replies
(410, 429 + Retry-After, 5xx, other 4xx, redirects, network errors) are handled."""
from __future__ import annotations

import socket
import threading
import time
from datetime import date, datetime, time as clock, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from server.domain import due as due_rules, reminder_notices, reminders
from server.domain.due import Item
from server.domain.reminder_notices import Notice
from server import jobs
from server.extensions import db
from server.models import (
    CaseloadAssignment,
    FeedbackConversation,
    Notification,
    Person,
    PushSubscription,
    Review,
    User,
    UserService,
    WeeklyCheck,
)
from tests import factories
from tests.push_receiver import receiver  # noqa: F401 - the fixture

TODAY = date.today()
SUBS = "/api/v1/push/subscriptions"


def at(day: date) -> datetime:
    return datetime.combine(day, clock(10), tzinfo=timezone.utc)


def organisation(app, name="Alpha", **kw):
    """factories.organisation, with both people joined recently so no feedback falls due."""
    ids = factories.organisation(app, name, **kw)
    with app.app_context():
        for pid in (ids["person"], ids["other_person"]):
            db.session.get(Person, pid).joined_on = TODAY - timedelta(days=10)
        db.session.commit()
    return ids


def run(app, today=TODAY, sleeps=None):
    with app.app_context():
        return jobs.send_reminders(today=today, sleep=(sleeps.append if sleeps is not None else _never_sleep))


def _never_sleep(seconds):
    raise AssertionError(f"unexpected wait of {seconds} s")


def sent(app, kind_prefix="") -> list[tuple[str, str, date]]:
    """(recipient email, kind, due date) of every notification, sorted."""
    with app.app_context():
        rows = db.session.execute(select(User.email, Notification.kind, Notification.dedupe_key).join(User, User.id == Notification.user_id)).all()
    return sorted((email, kind, reminder_notices.parse_key(key)[3]) for email, kind, key in rows if kind.startswith(kind_prefix))


def add_review(app, outcome_id, person_id, days_ago):
    with app.app_context():
        db.session.add(Review(outcome_id=outcome_id, person_id=person_id, score=3, rated_by="together",
                              happened_at=at(TODAY - timedelta(days=days_ago))))
        db.session.commit()


# ---- who hears, and when ----

def test_review_reminder_to_keyworker_before_and_manager_after(app):
    org = organisation(app)
    oid = factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=100))
    add_review(app, oid, org["person"], 20)  # monthly: due in 10 days
    due = TODAY + timedelta(days=10)
    worker, manager = org["support_worker"], org["registered_manager"]

    run(app, today=due - timedelta(days=3))
    assert sent(app, "review") == []
    run(app, today=due - timedelta(days=2))
    assert sent(app, "review") == [(worker, "review_due", due)]
    run(app, today=due + timedelta(days=2))
    assert sent(app, "review") == [(worker, "review_due", due)]
    run(app, today=due + timedelta(days=3))
    assert sent(app, "review") == [(manager, "review_overdue", due), (worker, "review_due", due)]
    summary = run(app, today=due + timedelta(days=30))
    # no reminder repeats; by now the review is more than 14 days overdue, which escalates (see test_escalations.py)
    assert summary.notices == len(sent(app, "escalation")) == 2
    assert run(app, today=due + timedelta(days=31)).line() == "Nothing new to send."
    assert len(sent(app, "review")) == 2


def test_a_run_a_person_at_a_time_sends_the_same_and_reaches_escalations_of_people_who_left(app, monkeypatch):
    """The job reads people a chunk at a time (issue 16); with chunks of one person it still sends
    each notice once, and an open escalation of someone no longer supported still reaches the
    senior leader and the manager."""
    monkeypatch.setattr(reminders, "CHUNK", 1)
    org = organisation(app)
    factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=40))  # due 10 days ago
    left = factories.outcome(app, org["other_person"], starts_on=TODAY - timedelta(days=60))
    with app.app_context():
        from server.domain import escalations

        person = db.session.get(Person, org["other_person"])
        escalations.escalate_late([Item("review", left, person.id, person.service_id, person.organisation_id,
                                        TODAY - timedelta(days=30))])
        person.ended_on = TODAY - timedelta(days=1)
        db.session.commit()
    summary = run(app)
    due = TODAY - timedelta(days=10)
    raised = TODAY
    assert sent(app) == sorted([
        (org["support_worker"], "review_due", due),
        (org["registered_manager"], "review_overdue", due),
        (org["registered_manager"], "escalation_new", raised),
        (org["senior_leader"], "escalation_new", raised),
    ])
    assert summary.notices == 4 and summary.users == 3
    assert run(app).line() == "Nothing new to send."


def test_the_days_before_and_after_are_settings(app):
    app.config.update(REMINDER_DUE_DAYS_BEFORE=5, REMINDER_OVERDUE_DAYS_AFTER=0)
    org = organisation(app)
    oid = factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=100))
    add_review(app, oid, org["person"], 20)
    due = TODAY + timedelta(days=10)
    run(app, today=due - timedelta(days=5))
    assert [k for _, k, _ in sent(app, "review")] == ["review_due"]
    run(app, today=due)
    assert sorted(k for _, k, _ in sent(app, "review")) == ["review_due", "review_overdue"]


def test_only_keyworkers_and_active_registered_managers_of_the_service_hear(app):
    org = organisation(app, services=("supported_living", "residential"))
    other = organisation(app, "Beta")
    with app.app_context():
        def user(email, role, **kw):
            u = User(organisation_id=org["org"], email=email, name=email, role=role, password_hash="x", **kw)
            db.session.add(u)
            db.session.flush()
            return u
        helper = user("helper@alpha.example", "support_worker")  # on the caseload, not the keyworker
        db.session.add(CaseloadAssignment(user_id=helper.id, person_id=org["person"], keyworker=False))
        gone = user("gone@alpha.example", "registered_manager", active=False)
        db.session.add(UserService(user_id=gone.id, service_id=org["service"]))
        elsewhere = user("elsewhere@alpha.example", "registered_manager")  # manages the other service
        db.session.add(UserService(user_id=elsewhere.id, service_id=org["services"][1]))
        outsider = db.session.execute(select(User).where(User.email == other["registered_manager"])).scalar_one()
        db.session.add(UserService(user_id=outsider.id, service_id=org["service"]))  # another organisation's
        db.session.commit()
    factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=60))  # due 30 days ago
    run(app)
    assert {(email, kind) for email, kind, _ in sent(app, "review")} == {
        (org["support_worker"], "review_due"), (org["registered_manager"], "review_overdue")}


def test_inactive_outcomes_are_not_reminded(app):
    org = organisation(app)
    for status in ("achieved", "paused", "retired"):
        factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=60), status=status)
    run(app)
    assert sent(app, "review") == []


def test_a_new_due_date_is_a_new_reminder(app):
    org = organisation(app)
    oid = factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=60))
    run(app)
    first = sent(app, "review_due")
    assert [d for _, _, d in first] == [TODAY - timedelta(days=30)]
    add_review(app, oid, org["person"], 29)  # reviewed: next due tomorrow
    run(app)
    assert [d for _, _, d in sent(app, "review_due")] == [TODAY - timedelta(days=30), TODAY + timedelta(days=1)]


# ---- due dates ----

def test_feedback_is_due_a_quarter_after_the_last_conversation_or_joining(app):
    org = organisation(app)
    with app.app_context():
        def person(name, joined_on=None):
            p = Person(organisation_id=org["org"], service_id=org["service"], name=name, joined_on=joined_on)
            db.session.add(p)
            db.session.flush()
            return p.id
        talked = person("Talked", joined_on=TODAY - timedelta(days=400))
        for days in (200, 91):
            db.session.add(FeedbackConversation(person_id=talked, happened_at=at(TODAY - timedelta(days=days))))
        joined = person("Joined", joined_on=TODAY - timedelta(days=96))
        outcome_only = person("Outcome only")
        nothing = person("Nothing yet")
        db.session.commit()
    factories.outcome(app, outcome_only, starts_on=TODAY - timedelta(days=80))
    factories.outcome(app, outcome_only, starts_on=TODAY - timedelta(days=20))
    with app.app_context():
        due = {i.person_id: i.due_on for i in due_rules.feedback_items()}
    assert due[talked] == TODAY
    assert due[joined] == TODAY - timedelta(days=5)
    assert due[outcome_only] == TODAY + timedelta(days=11)
    assert nothing not in due
    run(app)
    kinds = sent(app, "feedback")
    assert (org["support_worker"], "feedback_due", TODAY) not in kinds  # not on the worker's caseload
    assert (org["registered_manager"], "feedback_overdue", TODAY - timedelta(days=5)) in kinds
    assert not [k for k in kinds if k[2] == TODAY + timedelta(days=11)]


def test_weekly_checks_are_due_by_sunday_for_tracked_people(app):
    org = organisation(app)
    monday = TODAY - timedelta(days=TODAY.weekday())
    with app.app_context():
        def person(name, weekly=True, joined_on=TODAY - timedelta(days=100)):
            p = Person(organisation_id=org["org"], service_id=org["service"], name=name, weekly_checks=weekly, joined_on=joined_on)
            db.session.add(p)
            db.session.flush()
            return p.id
        missing = person("Missing both weeks")
        done_last = person("Done last week")
        done_both = person("Done both")
        untracked = person("Not tracked", weekly=False)
        new = person("Joined today", joined_on=TODAY)
        check = dict(incidents=0, engagement=3, mood=3)
        db.session.add(WeeklyCheck(person_id=done_last, week_of=monday - timedelta(days=7), **check))
        db.session.add(WeeklyCheck(person_id=done_both, week_of=monday - timedelta(days=7), **check))
        db.session.add(WeeklyCheck(person_id=done_both, week_of=monday + timedelta(days=2), **check))  # a midweek date counts
        db.session.commit()
        due = sorted((i.person_id, i.due_on) for i in due_rules.weekly_check_items(TODAY))
    sunday = monday + timedelta(days=6)
    assert due == sorted([(missing, sunday - timedelta(days=7)), (missing, sunday), (done_last, sunday), (new, sunday)])
    assert untracked not in {p for p, _ in due}


# ---- words ----

def _item(subject="review", due=TODAY, n=0):
    return Item(subject, f"item-{subject}-{n}", "person", "service", "org", due)


def test_one_push_summarises_a_users_reminders_without_names():
    payload, urgency = reminder_notices.push_message([Notice("u", _item(n=1), "due"), Notice("u", _item(n=2), "due")], TODAY)
    assert payload == {"title": "2 reviews due today", "body": "Open Tandem to see the details.", "url": "/notifications", "tag": "tandem-reminders"}
    assert urgency == "normal"
    payload, urgency = reminder_notices.push_message([Notice("m", _item(n=i, due=TODAY - timedelta(days=9)), "overdue") for i in range(3)], TODAY)
    assert payload["title"] == "3 reviews overdue in your services" and urgency == "high"
    payload, urgency = reminder_notices.push_message([
        Notice("u", _item("weekly_check", TODAY + timedelta(days=2)), "due"),
        Notice("u", _item("feedback", TODAY - timedelta(days=1)), "due"),
        Notice("u", _item("review", TODAY), "due"),
        Notice("u", _item("review", TODAY, n=5), "due"),
    ], TODAY)
    assert payload["title"] == "4 reminders"
    assert payload["body"] == "1 feedback conversation overdue; 2 reviews due today; 1 weekly check due soon."
    assert urgency == "normal"


def test_dedupe_keys_round_trip():
    key = reminder_notices.dedupe_key("weekly_check_overdue", "p-1", date(2026, 3, 1), "u-1")
    assert key == "weekly_check_overdue:p-1:2026-03-01:u-1"
    assert reminder_notices.parse_key(key) == ("weekly_check", "overdue", "p-1", date(2026, 3, 1), "u-1")
    assert reminder_notices.parse_key("nonsense") is None


# ---- exactly once ----

def test_a_claim_someone_else_made_first_is_skipped_by_the_database_guard(app, monkeypatch):
    """Skip the quick look-up of known keys, as a concurrent run would have missed them: the
    unique dedupe_key still refuses the second insert, and the run carries on."""
    org = organisation(app)
    factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=40))  # 10 days overdue: not yet escalated
    first = run(app)
    assert first.notices == 2
    monkeypatch.setattr(reminders, "_known_keys", lambda keys: set())
    second = run(app)
    assert second.notices == 0 and second.claimed_elsewhere == 2
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 2
        assert {n.push_status for n in db.session.execute(select(Notification)).scalars()} == {"no_subscription"}


@pytest.mark.parametrize("forced", [False, True], ids=["together", "both-past-the-lookup"])
def test_two_runs_at_the_same_moment_send_each_reminder_once(demo, api_for, receiver, monkeypatch, forced):
    app = demo
    subs = {}
    for email in ("worker@demo.example", "manager@demo.example"):
        subs[email] = receiver.subscription()
        assert api_for(email).post(SUBS, json=subs[email]).status_code == 201
    start = threading.Barrier(2, timeout=30)
    if forced:  # both runs finish looking for known keys before either claims anything
        looked = threading.Barrier(2, timeout=30)
        original = reminders._known_keys

        def known_then_wait(keys):
            result = original(keys)
            looked.wait()
            return result

        monkeypatch.setattr(reminders, "_known_keys", known_then_wait)
    results, errors = [], []

    def one_run():
        try:
            with app.app_context():
                start.wait()
                results.append(jobs.send_reminders(sleep=_never_sleep))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 2
    with app.app_context():
        total = db.session.execute(select(func.count()).select_from(Notification)).scalar_one()
        keys = db.session.execute(select(Notification.dedupe_key)).scalars().all()
    assert total > 0 and len(set(keys)) == total
    assert sum(r.notices for r in results) == total
    if forced:  # every notice was tried by both runs; the database refused each second insert
        assert sum(r.claimed_elsewhere for r in results) == total
    assert sum(r.pushed for r in results) == 2
    for email, sub in subs.items():
        assert [r.answered for r in receiver.to(sub)] == [201], email
    assert len(receiver.received) == 2


# ---- push-service replies ----

@pytest.fixture
def due_worker(app, api_for, receiver):
    """Alpha's worker, subscribed through the API, with one review due today (and nothing else)."""
    org = organisation(app)
    oid = factories.outcome(app, org["person"], starts_on=TODAY - timedelta(days=100))
    add_review(app, oid, org["person"], 30)
    api = api_for(org["support_worker"])
    sub = receiver.subscription()
    assert api.post(SUBS, json=sub).status_code == 201
    return {"org": org, "api": api, "sub": sub}


def statuses(app):
    with app.app_context():
        return sorted({n.push_status for n in db.session.execute(select(Notification)).scalars()})


def subscription_rows(app):
    with app.app_context():
        return [(s.endpoint, s.last_error) for s in db.session.execute(select(PushSubscription)).scalars()]


def test_a_single_review_due_today(app, due_worker, receiver):
    summary = run(app)
    assert summary.notices == 1 and summary.pushed == 1
    [push] = receiver.to(due_worker["sub"])
    assert push.problems == [] and push.payload["title"] == "1 review due today" and push.urgency == "normal"
    assert statuses(app) == ["sent"]


def test_429_is_retried_after_retry_after(app, due_worker, receiver):
    receiver.answer(due_worker["sub"], 429, Retry_After="2")
    sleeps = []
    summary = run(app, sleeps=sleeps)
    assert sleeps == [2.0]
    assert [r.answered for r in receiver.to(due_worker["sub"])] == [429, 201]
    assert summary.pushed == 1 and statuses(app) == ["sent"]
    assert subscription_rows(app) == [(due_worker["sub"]["endpoint"], None)]


def test_retry_waits_are_capped_and_tries_bounded(app, due_worker, receiver):
    receiver.answer(due_worker["sub"], 503, times=2, Retry_After="3600")
    receiver.answer(due_worker["sub"], 500)
    sleeps = []
    summary = run(app, sleeps=sleeps)
    assert sleeps == [5.0, 5.0]  # an hour asked for; a few seconds at most
    assert [r.answered for r in receiver.to(due_worker["sub"])] == [503, 503, 500]
    assert summary.failed == 1 and statuses(app) == ["failed: 500 after 3 tries"]
    [(endpoint, error)] = subscription_rows(app)  # kept, with the reason
    assert "500 after 3 tries" in error


def test_retry_after_as_an_http_date_and_default_backoff():
    from server.domain.push import retry_wait

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_wait("Thu, 01 Jan 2026 12:00:03 GMT", 1, 5, now=now) == 3.0
    assert retry_wait("Thu, 01 Jan 2026 11:00:00 GMT", 1, 5, now=now) == 0.0
    assert retry_wait("soon", 1, 5) == 1.0 and retry_wait(None, 2, 5) == 2.0 and retry_wait(None, 9, 5) == 5.0


def test_other_4xx_is_not_retried_and_the_subscription_kept(app, due_worker, receiver):
    receiver.answer(due_worker["sub"], 400)
    summary = run(app)  # no sleep allowed
    assert [r.answered for r in receiver.to(due_worker["sub"])] == [400]
    assert summary.failed == 1 and statuses(app) == ["failed: 400 Bad Request"]
    [(endpoint, error)] = subscription_rows(app)
    assert endpoint == due_worker["sub"]["endpoint"] and "400" in error


def test_redirects_are_not_followed(app, due_worker, receiver):
    elsewhere = receiver.subscription()
    receiver.answer(due_worker["sub"], 307, Location=elsewhere["endpoint"])
    summary = run(app)
    assert [r.answered for r in receiver.received] == [307]
    assert summary.failed == 1 and statuses(app) == ["failed: 307 Temporary Redirect"]


def test_one_gone_browser_does_not_stop_the_other(app, due_worker, receiver):
    laptop = receiver.subscription()
    assert due_worker["api"].post(SUBS, json=laptop).status_code == 201
    receiver.answer(due_worker["sub"], 404)
    summary = run(app)
    assert summary.pushed == 1 and summary.subscriptions_removed == 1
    assert statuses(app) == ["sent"]
    assert subscription_rows(app) == [(laptop["endpoint"], None)]
    assert [r.answered for r in receiver.to(laptop)] == [201]


def test_a_host_no_longer_allowed_is_not_called(app, due_worker, receiver):
    app.config["PUSH_ALLOWED_HOSTS"] = "fcm.googleapis.com"
    summary = run(app)
    assert receiver.received == [] and summary.failed == 1
    assert statuses(app) == ["failed: endpoint not allowed"]


def test_network_errors_are_retried_then_recorded(app, due_worker):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with app.app_context():
        sub = db.session.execute(select(PushSubscription)).scalar_one()
        sub.endpoint = f"https://127.0.0.1:{port}/push/nobody"
        db.session.commit()
    sleeps = []
    summary = run(app, sleeps=sleeps)
    assert sleeps == [1.0, 2.0] and summary.failed == 1
    assert statuses(app) == ["failed: network error after 3 tries"]


# ---- the optional in-process scheduler ----

def test_scheduler_is_off_by_default_and_under_tests(app):
    assert app.config["REMINDERS_INTERVAL_MINUTES"] == 0
    assert jobs.start_scheduler(app) is None
    app.config["REMINDERS_INTERVAL_MINUTES"] = 5
    assert jobs.start_scheduler(app) is None  # TESTING


def test_scheduler_runs_the_send_on_its_interval(app, monkeypatch):
    calls = []
    ran = threading.Event()

    def fake_send():
        calls.append(time.monotonic())
        if len(calls) >= 2:
            ran.set()
        return reminders.RunSummary()

    monkeypatch.setattr(jobs, "send_reminders", fake_send)
    app.config.update(TESTING=False, REMINDERS_INTERVAL_MINUTES=0.001)  # 60 ms
    scheduler = jobs.start_scheduler(app)
    try:
        assert scheduler is not None and scheduler.thread.daemon
        assert ran.wait(5), calls
    finally:
        scheduler.stop()
        app.config["TESTING"] = True
    assert not scheduler.thread.is_alive()


def test_a_runs_inbox_rows_are_stored_user_by_user(app):
    """Claims go in ordered by user, then key: each user's new rows sit together in the table, so
    marking how their push went rewrites a few pages, not pages all over a large inbox. (Ordered by
    key alone, the kinds would interleave the keyworker's and the managers' rows.)"""
    org = organisation(app)
    for person in (org["person"], org["other_person"]):
        for days in (40, 75, 120):  # due, overdue to managers, and escalated to seniors
            factories.outcome(app, person, starts_on=TODAY - timedelta(days=days))
    assert run(app).notices > 6
    with app.app_context():
        physical = "rowid" if db.engine.dialect.name == "sqlite" else "ctid"
        users = db.session.execute(select(Notification.user_id).order_by(text(physical))).scalars().all()
    runs = [user for i, user in enumerate(users) if i == 0 or users[i - 1] != user]
    assert len(set(users)) >= 3 and len(runs) == len(set(users)), runs
