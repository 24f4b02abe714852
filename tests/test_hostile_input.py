"""Bad input never gets a 500 and never leaves anything half-written, on SQLite and PostgreSQL.

First the defects this file was started from; then every endpoint that changes something, and
every sync mutation, with hostile values (Hypothesis); then a check that every input schema is
built on server/schemas/common.py. One app serves the whole module (the `world` fixture): each
example compares a fingerprint of every table before and after its request.
"""
from __future__ import annotations

import base64
import os
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings, strategies as st
from marshmallow import Schema, fields, validate
from sqlalchemy import func, literal, select, union_all

from server.domain import accounts, dates
from server.domain.sync import MUTATIONS
from server.extensions import db
from server.models import (Action, Change, Escalation, FeedbackConversation, Outcome, Person, PushSubscription, Review, Service,
                           ServiceEvent, User, UserService)
from server.schemas.common import BaseInput, Choice, Email, Int, PlausibleDate, PlausibleDateTime, Text, Uuid
from server.schemas.sync import SyncMutationIn, SyncPushIn
from tests import factories
from tests.conftest import Api, make_app


# ---- the defects this file was started from ----

def test_an_event_in_year_one_is_refused_by_name(app, api_for):
    """0001-01-01T00:30+01:00 is a valid ISO time whose UTC form is before year 1: it overflowed."""
    org = factories.organisation(app)
    worker = api_for(org["support_worker"])
    r = worker.post("/api/v1/events", json={"person_id": org["person"], "kind": "employment", "happened_at": "0001-01-01T00:30:00+01:00"})
    assert r.status_code == 422, r.get_json()
    assert "happened_at" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(select(ServiceEvent)).first() is None


def test_a_change_starting_in_9999_is_refused_and_a_stored_one_still_has_an_effect(app, api_for):
    org = factories.organisation(app)
    manager = api_for(org["registered_manager"])
    body = {"service_id": org["service"], "description": "Quieter breakfast", "co_produced_with": "Residents' meeting"}
    r = manager.post("/api/v1/changes", json={**body, "starts_on": "9999-12-31"})
    assert r.status_code == 422 and "starts_on" in r.get_json()["error"]["fields"], r.get_json()
    soon = manager.post("/api/v1/changes", json={**body, "starts_on": (date.today() + timedelta(days=30)).isoformat()})
    assert soon.status_code == 201, soon.get_json()
    effect = manager.get(f"/api/v1/changes/{soon.get_json()['id']}/effect")
    assert effect.status_code == 200 and effect.get_json()["enough_data"] is False
    assert "not enough data" in effect.get_json()["summary"]

    # One stored before the rule existed (or by a direct database edit) still gets an answer.
    with app.app_context():
        for starts_on in (date(9999, 12, 31), date(1, 1, 1)):
            db.session.add(Change(service_id=org["service"], description=f"Far {starts_on.year}", starts_on=starts_on, co_produced_with="x"))
        db.session.commit()
        ids = db.session.execute(select(Change.id).where(Change.description.like("Far %"))).scalars().all()
    for email in (org["registered_manager"], org["senior_leader"], org["commissioner"]):
        viewer = api_for(email)
        for change_id in ids:
            for weeks, quarters in ((6, 2), (52, 8)):
                effect = viewer.get(f"/api/v1/changes/{change_id}/effect?weeks={weeks}&quarters={quarters}")
                assert effect.status_code == 200, effect.get_json()
                assert effect.get_json()["enough_data"] is False
                assert "not enough data" in effect.get_json()["summary"]


def test_nul_in_free_text_is_refused_by_name(app, api_for):
    org = factories.organisation(app)
    worker = api_for(org["support_worker"])
    r = worker.post("/api/v1/feedback", json={"person_id": org["person"], "happened_at": "2025-01-01T10:00:00Z", "works_well": "a\x00b"})
    assert r.status_code == 422, r.get_json()
    assert "works_well" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(select(FeedbackConversation)).first() is None


def test_hostile_satisfaction_and_complaint_notes_are_refused_by_name(app, api_for):
    """The person's own satisfaction answer (feedback) and complaints/compliments (events): wrong
    types, out of range, staff choosing for the person, and notes that are blank, too long or carry
    NUL are refused naming the field, on REST and on sync push, and nothing is stored."""
    org = factories.organisation(app)
    worker = api_for(org["support_worker"])
    base = {"person_id": org["person"], "happened_at": "2025-01-01T10:00:00Z", "works_well": "The garden"}
    feedback_cases = [
        ({"satisfaction": True, "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": 3.5, "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": 10**20, "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": [3], "satisfaction_rated_by": "person"}, "satisfaction"),
        ({"satisfaction": 3, "satisfaction_rated_by": "staff"}, "satisfaction_rated_by"),
        ({"satisfaction": 3, "satisfaction_rated_by": "person\x00"}, "satisfaction_rated_by"),
        ({"satisfaction": None, "satisfaction_rated_by": "person"}, "satisfaction"),
    ]
    event = {"person_id": org["person"], "happened_at": "2025-01-01T10:00:00Z"}
    event_cases = [
        ({"kind": "complaint", "note": "late\x00call"}, "note"),
        ({"kind": "complaint", "note": "x" * 100_000}, "note"),
        ({"kind": "compliment", "note": " \n\t "}, "note"),
        ({"kind": "compliment", "note": None}, "note"),
        ({"kind": "Complaint", "note": "late"}, "kind"),
    ]
    for path, name, body, cases in (("/api/v1/feedback", "feedback.create", base, feedback_cases),
                                    ("/api/v1/events", "event.create", event, event_cases)):
        for extra, field in cases:
            r = worker.post(path, json={**body, **extra})
            assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (extra, r.get_json())
        mutations = [{"id": i + 1, "name": name, "args": {"id": str(uuid.uuid4()), **body, **extra}, "at": "2025-01-01T10:00:00Z"} for i, (extra, _) in enumerate(cases)]
        reply = worker.post("/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": mutations})
        assert reply.status_code == 200, reply.get_json()
        for result, (extra, field) in zip(reply.get_json()["results"], cases):
            assert result["status"] == "rejected" and field in result["error"]["fields"], (extra, result)
    with app.app_context():
        assert db.session.execute(select(FeedbackConversation)).first() is None
        assert db.session.execute(select(ServiceEvent)).first() is None


# ---------------------------------------------------------------------------
# Every endpoint that changes something, and every sync mutation, with hostile values
# ---------------------------------------------------------------------------
#
# For each one: start from a payload that is accepted (test_the_valid_payloads_are_accepted), then
# replace one field, or add an unknown one, with a value that is wrong for that field: an extreme
# or malformed date, a string with a control character or an unpaired surrogate, a 100 KB string,
# a value of the wrong type, null where null is not allowed, a number out of range. The reply must
# be a 4xx naming the field (over sync: a `rejected` result naming it), and the database must be
# exactly as it was. The hostile values are chosen from the field's type in the endpoint's own
# schema, so a new field is covered as soon as it is declared; a new endpoint or mutation fails
# test_every_endpoint_and_mutation_has_a_valid_payload until it is added to the tables below.

TODAY = date.today()
NOW = datetime.now(timezone.utc).replace(microsecond=0)
MONDAY = TODAY - timedelta(days=TODAY.weekday())
BIG = 100 * 1024
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# HOSTILE_EXAMPLES=500 for a deeper run.
HOSTILE = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", 30)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---- the world the requests are made in: one app for the whole module ----

@dataclass
class World:
    app: object
    org: dict
    outcome: str
    action: str
    feedback: str
    users: dict  # "worker", "manager", "admin", "password", "anon" -> Api
    extra: dict  # records the account and people administration cases act on (see the fixture)

    def version(self, model, record_id) -> int:
        with self.app.app_context():
            return db.session.get(model, record_id).version


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    # Hundreds of requests go to the one-time link and the password change: their rate limits
    # (tested in tests/test_accounts_api.py) would answer 429 before the input is read.
    app = make_app(tmp_path_factory.mktemp("hostile"), INVITE_LIMIT_PER_ADDRESS="10000 per minute",
                   LOGIN_LIMIT_PER_ACCOUNT="10000 per minute", LOGIN_LIMIT_PER_ADDRESS="10000 per minute")
    org = factories.organisation(app)
    outcome_id = factories.outcome(app, org["person"])
    with app.app_context():
        action = Action(outcome_id=outcome_id, person_id=org["person"], description="Plan the bus route", owner_kind="person")
        conversation = FeedbackConversation(person_id=org["person"], happened_at=NOW - timedelta(days=2), works_well="The tea",
                                            created_by=org["support_worker_id"])
        subscription = PushSubscription(user_id=org["support_worker_id"], endpoint="https://127.0.0.1/push/to-remove", **PUSH_KEYS)
        db.session.add_all([action, conversation, subscription])
        # Records the administration cases change, so the records above stay as they are.
        service = Service(organisation_id=org["org"], name="Renamed by the tests", kind="domiciliary")
        person = Person(organisation_id=org["org"], service_id=org["service"], name="Edited Person")
        staff = User(organisation_id=org["org"], email="edited@org.example", name="Edited Worker", role="support_worker",
                     password_hash=accounts.unusable_hash())
        invited = User(organisation_id=org["org"], email="invited@org.example", name="Invited Worker", role="support_worker",
                       password_hash=accounts.unusable_hash())
        db.session.add_all([service, person, staff, invited])
        db.session.flush()
        db.session.add_all([UserService(user_id=staff.id, service_id=org["service"]), UserService(user_id=invited.id, service_id=org["service"])])
        link = accounts.issue_link(invited, "invite", db.session.get(User, org["admin_id"]), "http://localhost")
        # Two drops on an outcome of their own (5, then 3, then 1): one explained over REST, one by sync.
        explained = Outcome(person_id=org["person"], domain="Shopping", persons_words="Buying my own food.", indicator="Shops with a list",
                            target="Weekly", starts_on=TODAY - timedelta(days=120), review_by=TODAY + timedelta(days=60), priority=False)
        db.session.add(explained)
        db.session.flush()
        reviews = [Review(outcome_id=explained.id, person_id=org["person"], score=score, rated_by="together",
                          happened_at=NOW - timedelta(days=days), created_by=org["support_worker_id"])
                   for score, days in ((5, 40), (3, 30), (1, 20))]
        db.session.add_all(reviews)
        # A person with one goal of their own, for the care-plan audit (which answers for every active outcome).
        audited = Person(organisation_id=org["org"], service_id=org["service"], name="Audited Person")
        db.session.add(audited)
        db.session.flush()
        audited_goal = Outcome(person_id=audited.id, domain="Cooking", persons_words="Cooking my own tea.", indicator="Cooks twice a week",
                               target="Weekly", starts_on=TODAY - timedelta(days=30), review_by=TODAY + timedelta(days=60), priority=False)
        db.session.add(audited_goal)
        # An escalation for the governance cases (acknowledge, answer).
        escalation = Escalation(organisation_id=org["org"], service_id=org["service"], person_id=org["person"], outcome_id=outcome_id,
                                rule="deterioration", reasons=[], review_ids=[], raised_at=NOW - timedelta(days=1))
        db.session.add(escalation)
        db.session.commit()
        ids = action.id, conversation.id
        extra = {"service": service.id, "person": person.id, "staff": staff.id, "token": link.token,
                 "rest_drop": reviews[1].id, "sync_drop": reviews[2].id, "escalation": escalation.id,
                 "audited": audited.id, "audited_goal": audited_goal.id}
    users = {"worker": Api(app), "manager": Api(app), "admin": Api(app), "password": Api(app), "anon": Api(app)}
    # "password" changes its own password (POST /session/password): an account no other case signs in as.
    for who, email in (("worker", org["support_worker"]), ("manager", org["registered_manager"]), ("admin", org["admin"]),
                       ("password", org["senior_leader"])):
        assert users[who].login(email).status_code == 200
    yield World(app, org, outcome_id, ids[0], ids[1], users, extra)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_FINGERPRINTS: dict = {}


def fingerprint(app, skip=()) -> dict:
    """Row counts, plus what any update moves (versions, change sequence numbers, read and
    reviewed marks, last updates), for every table, in one statement."""
    key = frozenset(skip)
    if key not in _FINGERPRINTS:
        parts = []
        for table in db.metadata.sorted_tables:
            if table.name in skip:
                continue
            cols = table.c
            parts.append(select(literal(f"{table.name}.rows"), func.count().cast(db.String)).select_from(table))
            for name in ("version", "seq", "value", "last_mutation_id"):
                if name in cols:
                    parts.append(select(literal(f"{table.name}.{name}"), func.coalesce(func.sum(cols[name]), 0).cast(db.String)))
            for name in ("updated_at", "read_at", "reviewed_at", "revoked_at"):
                if name in cols:
                    parts.append(select(literal(f"{table.name}.{name}"), func.max(cols[name]).cast(db.String)))
        _FINGERPRINTS[key] = union_all(*parts)
    with app.app_context():
        return dict(db.session.execute(_FINGERPRINTS[key]).all())


# ---- valid payloads ----

@dataclass
class Case:
    user: str  # a key of World.users: "worker", "manager", "admin", "password" or "anon"
    body: Callable[[World], dict] | None  # None: the endpoint takes no body
    path: Callable[[World], dict] = lambda w: {}
    ok: tuple = (200, 201, 204)


def _push_keys():
    def b64(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}


PUSH_KEYS = _push_keys()

OUTCOME = lambda w: {  # noqa: E731
    "person_id": w.org["person"], "domain": "Cooking a meal", "persons_words": "Making my own tea.\nTwice a week.",
    "indicator": "Cooks with a prompt card", "target": "Twice a week", "starts_on": (TODAY - timedelta(days=10)).isoformat(),
    "review_by": (TODAY + timedelta(days=60)).isoformat(), "priority": False,
}
ACTION = lambda w: {"outcome_id": w.outcome, "description": "Buy a prompt card", "owner_kind": "person",  # noqa: E731
                    "due_on": (TODAY + timedelta(days=7)).isoformat()}
REVIEW = lambda w: {"outcome_id": w.outcome, "score": 3, "rated_by": "together", "happened_at": NOW.isoformat(),  # noqa: E731
                    "evidence": ["Caught the 42 bus alone"], "what_changed": None}
EVIDENCE = lambda w: {"person_id": w.org["person"], "text": "Said hello to the driver", "happened_at": NOW.isoformat()}  # noqa: E731
FEEDBACK = lambda w: {"person_id": w.org["person"], "happened_at": NOW.isoformat(), "works_well": "The garden",  # noqa: E731
                      "feels_difficult": "Mornings\tare rushed", "participants": "Person, daughter",
                      "satisfaction": 4, "satisfaction_rated_by": "person"}
CHANGE = lambda w: {"service_id": w.org["service"], "description": "Quieter breakfast time", "co_produced_with": "Residents' meeting",  # noqa: E731
                    "starts_on": (TODAY + timedelta(days=14)).isoformat(), "person_ids": [w.org["person"]]}
CHECK = lambda week: lambda w: {"person_id": w.org["person"], "week_of": week.isoformat(), "incidents": 1,  # noqa: E731
                                "engagement": 4, "mood": 3, "note": "A calm week"}
EVENT = lambda w: {"person_id": w.org["person"], "kind": "employment", "happened_at": NOW.isoformat(), "note": "First shift"}  # noqa: E731
EXPLANATION = {"what_changed": "Her sister moved away", "support_adjustment": "A weekly call to plan the shopping"}
NEW_PASSWORD = "copper kettle on the landing"

REST: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/outcomes"): Case("worker", OUTCOME),
    # Governance: a repeat of a record already made (an acknowledged escalation, a month's supervision) is a 409.
    ("POST", "/api/v1/escalations/<escalation_id>/acknowledge"): Case(
        "manager", None, path=lambda w: {"escalation_id": w.extra["escalation"]}, ok=(200, 201, 409)),
    ("POST", "/api/v1/escalations/<escalation_id>/answer"): Case(
        "manager", lambda w: {"answer": "A quieter morning rota, agreed with the person."},
        path=lambda w: {"escalation_id": w.extra["escalation"]}, ok=(200, 201, 409)),
    ("POST", "/api/v1/care-plan-audits"): Case("manager", lambda w: {
        "person_id": w.extra["audited"], "audited_on": TODAY.isoformat(),
        "outcomes": [{"outcome_id": w.extra["audited_goal"], "still_relevant": True, "person_led": True, "person_can_describe": True,
                      "note": "Still hers."}]}, ok=(200, 201, 409)),
    ("POST", "/api/v1/learning"): Case("manager", lambda w: {
        "service_id": w.org["service"], "recorded_on": TODAY.isoformat(), "learned": "Mornings feel rushed.",
        "decision": "Try flexible arrival windows."}, ok=(200, 201, 409)),
    ("POST", "/api/v1/supervisions"): Case("manager", lambda w: {
        "user_id": w.org["support_worker_id"], "month": f"{TODAY:%Y-%m}", "held_on": TODAY.isoformat(),
        "entries": [{"person_id": w.org["person"], "what_changed": "Took the bus alone.", "next_step": "Try the new stop."}]},
        ok=(200, 201, 409)),
    ("PATCH", "/api/v1/outcomes/<outcome_id>"): Case(
        "worker", lambda w: {"version": w.version(Outcome, w.outcome), "target": "Three times a month"},
        path=lambda w: {"outcome_id": w.outcome}),
    ("POST", "/api/v1/actions"): Case("worker", ACTION),
    ("PATCH", "/api/v1/actions/<action_id>"): Case(
        "worker", lambda w: {"version": w.version(Action, w.action), "status": "done"}, path=lambda w: {"action_id": w.action}),
    ("POST", "/api/v1/reviews"): Case("worker", REVIEW),
    ("POST", "/api/v1/evidence"): Case("worker", EVIDENCE),
    ("POST", "/api/v1/feedback"): Case("worker", FEEDBACK),
    ("POST", "/api/v1/feedback/<feedback_id>/review"): Case(
        "manager", lambda w: {"theme_ids": [], "new_themes": ["Mornings"]}, path=lambda w: {"feedback_id": w.feedback}),
    ("POST", "/api/v1/changes"): Case("manager", CHANGE),
    ("POST", "/api/v1/checks"): Case("worker", CHECK(MONDAY - timedelta(days=7))),
    ("POST", "/api/v1/events"): Case("worker", EVENT),
    ("POST", "/api/v1/push/subscriptions"): Case(
        "worker", lambda w: {"endpoint": "https://127.0.0.1/push/hostile", "keys": dict(PUSH_KEYS), "expirationTime": None}),
    ("DELETE", "/api/v1/push/subscriptions"): Case("worker", lambda w: {"endpoint": "https://127.0.0.1/push/to-remove"}),
    ("POST", "/api/v1/session"): Case("anon", lambda w: {"email": w.org["support_worker"], "password": factories.PASSWORD}),
    ("POST", "/api/v1/sync/push"): Case("worker", lambda w: {
        "device_id": str(uuid.uuid4()),
        "mutations": [{"id": 1, "name": "evidence.create", "at": NOW.isoformat(),
                       "args": {"id": str(uuid.uuid4()), "person_id": w.org["person"], "text": "Pushed"}}],
    }),
    # No body: what can be wrong is the id in the path, and a body is ignored.
    ("POST", "/api/v1/notifications/<notification_id>/read"): Case("worker", None, path=lambda w: {"notification_id": str(uuid.uuid4())}, ok=(404,)),
    ("POST", "/api/v1/notifications/read-all"): Case("worker", None),
    ("POST", "/api/v1/reviews/overdue/<outcome_id>/acknowledge"): Case("manager", None, path=lambda w: {"outcome_id": w.outcome}, ok=(409,)),
    ("DELETE", "/api/v1/session"): Case("anon", None),
    ("PUT", "/api/v1/session/device"): Case("worker", lambda w: {"device_id": str(uuid.uuid4())}),
    # Changes the dedicated account's password once; afterwards the current password is wrong (422 naming it).
    ("POST", "/api/v1/session/password"): Case(
        "password", lambda w: {"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD}),
    ("POST", "/api/v1/reviews/<review_id>/explanation"): Case(
        "worker", lambda w: dict(EXPLANATION), path=lambda w: {"review_id": w.extra["rest_drop"]}),
    # Accounts and services (admins).
    ("POST", "/api/v1/services"): Case("admin", lambda w: {"name": f"Service {uuid.uuid4().hex[:8]}", "kind": "residential"}),
    ("PATCH", "/api/v1/services/<service_id>"): Case(
        "admin", lambda w: {"name": "Renamed by the tests", "kind": "supported_living"}, path=lambda w: {"service_id": w.extra["service"]}),
    ("POST", "/api/v1/users"): Case("admin", lambda w: {
        "email": f"new-{uuid.uuid4().hex[:8]}@org.example", "name": "New Worker", "role": "support_worker",
        "service_ids": [w.org["service"]], "person_id": None}),
    ("PATCH", "/api/v1/users/<user_id>"): Case(
        "admin", lambda w: {"name": "Edited Worker", "role": "support_worker", "service_ids": [w.org["service"]], "active": True},
        path=lambda w: {"user_id": w.extra["staff"]}),
    ("POST", "/api/v1/users/<user_id>/password-reset"): Case("admin", None, path=lambda w: {"user_id": w.extra["staff"]}),
    # The link works once; the password must pass the policy (12 characters or more, not a common one).
    ("POST", "/api/v1/invites/<token>"): Case("anon", lambda w: {"password": NEW_PASSWORD}, path=lambda w: {"token": w.extra["token"]}),
    # People administration (registered managers for their services).
    ("POST", "/api/v1/people"): Case("manager", lambda w: {
        "name": "New Person", "preferred_name": "Newt", "service_id": w.org["service"], "weekly_checks": False,
        "joined_on": (TODAY - timedelta(days=3)).isoformat()}),
    ("PATCH", "/api/v1/people/<person_id>"): Case(
        "manager", lambda w: {"version": w.version(Person, w.extra["person"]), "preferred_name": "Eddie", "weekly_checks": True},
        path=lambda w: {"person_id": w.extra["person"]}),
    ("PUT", "/api/v1/people/<person_id>/staff"): Case(
        "manager", lambda w: {"user_ids": [w.extra["staff"]]}, path=lambda w: {"person_id": w.extra["person"]}),
    # The body is a CSV file, not JSON: JSON is refused with 415 naming `file`.
    # test_a_hostile_csv_file_is_refused_or_reported_and_nothing_is_created sends hostile files.
    ("POST", "/api/v1/imports/people"): Case("manager", None, ok=(415,)),
}

SYNC: dict[str, tuple[str, Callable[[World], dict]]] = {
    "outcome.create": ("worker", OUTCOME),
    "outcome.update": ("worker", lambda w: {"id": w.outcome, "version": w.version(Outcome, w.outcome), "indicator": "Cooks alone"}),
    "action.create": ("worker", ACTION),
    "action.update": ("worker", lambda w: {"id": w.action, "version": w.version(Action, w.action), "owner_name": None}),
    "review.create": ("worker", REVIEW),
    "evidence.create": ("worker", EVIDENCE),
    "feedback.create": ("worker", FEEDBACK),
    "check.create": ("worker", CHECK(MONDAY - timedelta(days=14))),
    "event.create": ("worker", EVENT),
    "change.create": ("manager", CHANGE),
    "review.explain": ("worker", lambda w: {"id": w.extra["sync_drop"], **EXPLANATION}),
}
# Updates name an existing record; creates get a new client id each time.
SYNC_CREATES = {name for name in SYNC if name.endswith(".create")}


def changing_rules(app):
    return {(m, r.rule): r for r in app.url_map.iter_rules() if r.rule.startswith("/api/") for m in r.methods & CHANGING}


def body_schema(app, rule) -> Schema | None:
    """The schema an endpoint loads its JSON body with (flask-smorest records it on the view)."""
    view = app.view_functions[rule.endpoint]
    for parameter in (getattr(view, "_apidoc", {}).get("arguments") or {}).get("parameters", []):
        if parameter.get("in") == "json":
            schema = parameter["schema"]
            return schema() if isinstance(schema, type) else schema
    return None


def url(rule: str, path: dict) -> str:
    for name, value in path.items():
        # An unpaired surrogate goes as the bytes it would be if it could be encoded (invalid UTF-8).
        rule = rule.replace(f"<{name}>", urllib.parse.quote(value.encode("utf-8", "surrogatepass"), safe=""))
    return rule


def send(api: Api, method: str, target: str, body):
    return api.client.open(target, method=method, json=body, headers=api._h())


def test_every_endpoint_and_mutation_has_a_valid_payload(world):
    missing = sorted(set(changing_rules(world.app)) - set(REST))
    assert not missing, f"Add a valid payload for these endpoints to REST in this file: {missing}"
    assert not set(REST) - set(changing_rules(world.app)), "REST lists an endpoint that no longer exists"
    assert sorted(set(MUTATIONS) - set(SYNC)) == [], "Add a valid payload for these sync mutations to SYNC in this file"
    for key, case in REST.items():
        schema = body_schema(world.app, changing_rules(world.app)[key])
        assert (schema is None) == (case.body is None), f"{key}: the table and the endpoint disagree about a body"


@pytest.mark.parametrize("key", sorted(REST), ids=lambda k: f"{k[0]} {k[1]}")
def test_the_valid_payloads_are_accepted(world, key):
    method, rule = key
    case = REST[key]
    api = Api(world.app) if case.user == "anon" else world.users[case.user]
    r = send(api, method, url(rule, case.path(world)), case.body(world) if case.body else None)
    assert r.status_code in case.ok, (r.status_code, r.get_json())


@pytest.mark.parametrize("name", sorted(SYNC))
def test_the_valid_mutations_are_applied(world, name):
    user, args = SYNC[name]
    body = {**args(world), **({"id": str(uuid.uuid4())} if name in SYNC_CREATES else {})}
    r = world.users[user].post("/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": [{"id": 1, "name": name, "args": body}]})
    assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "applied", r.get_json()


# ---- hostile values, by field type ----

CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
NOT_STRINGS = [[], ["x"], {}, {"a": "b"}, 0, 7, -1, 1.5, 10**30, True, False]
NOT_NUMBERS = ["", "abc", "1e400", "\x00", [], [1], {}, {"n": 1}, True, False, 1.5, "x" * BIG]
NOT_BOOLEANS = ["", "maybe", "\x00", "x" * BIG, 2, -1, 1.5, [], [True], {}, {"b": True}]
LATEST = dates.latest()
EXTREME_DATES = [
    "0001-01-01T00:30:00+01:00", "0001-01-01", "9999-12-31", "9999-12-31T23:59:59-01:00", "10000-01-01", "",
    "1899-12-31", "1899-12-31T12:00:00Z", "2025-02-30", "2025-13-01", "+002025-01-01", "-2025-01-01", "now",
    (LATEST + timedelta(days=1)).isoformat(), f"{(LATEST + timedelta(days=1)).isoformat()}T12:00:00Z",
    "2025-01-01T25:00:00Z", "2025-01-01T10:00:00+25:00",
]


def with_control():
    """A string holding at least one control character or unpaired surrogate."""
    return st.builds(lambda a, c, b: a + c + b, st.text(max_size=12), st.sampled_from(CONTROLS + SURROGATES), st.text(max_size=12))


def huge():
    return st.sampled_from(["x" * BIG, "é" * BIG, "a " * (BIG // 2), "\u4e2d" * BIG])


def nullable(field):
    return [] if field.allow_none else [None]


def hostile(field, valid):
    """Values that `field` must refuse (`valid` is an accepted value, for building wrong ones)."""
    if isinstance(field, fields.Nested):
        inner = field.schema
        good = valid if isinstance(valid, dict) else {}
        options = [st.sampled_from(["x", 1, True, [], [good]] + nullable(field)),
                   st.just({**good, "surprise": 1})]
        names = [n for n in inner.load_fields if n in good] or list(inner.load_fields)
        options.append(st.sampled_from(names).flatmap(
            lambda n: hostile(inner.load_fields[n], good.get(n)).map(lambda v: {**good, inner.load_fields[n].data_key or n: v})))
        return st.one_of(options)
    if isinstance(field, fields.List):
        good = valid if isinstance(valid, list) else []
        element = good[0] if good else (str(uuid.uuid4()) if isinstance(field.inner, Uuid) else None)
        options = [st.sampled_from(["x", 1, True, {}] + nullable(field)),
                   hostile(field.inner, element).map(lambda v: [*good, v])]
        for v in field.validators:
            if isinstance(v, validate.Length) and v.max is not None and element is not None:
                options.append(st.just([element] * (v.max + 1)))
            if isinstance(v, validate.Length) and v.min:
                options.append(st.just([]))
        return st.one_of(options)
    if isinstance(field, fields.Dict):
        return st.sampled_from(["x", 1, True, [], [{}]] + nullable(field))
    if isinstance(field, Uuid):
        return st.one_of(with_control(), huge(), st.sampled_from(["", "not-a-uuid", "123", str(uuid.uuid4()) + "0"] + NOT_STRINGS + nullable(field)))
    if isinstance(field, Choice):
        return st.one_of(with_control(), huge(), st.sampled_from(["", "nope", field.choices[0] + " ", field.choices[0].upper() + "!"]
                                                                 + NOT_STRINGS + nullable(field)))
    if isinstance(field, Text):
        fixed = ["y" * (field.max_length + 1)] + NOT_STRINGS + nullable(field)
        if not field.multiline:
            fixed += ["two\nlines", "a\ttab", "a\r\nb"]
        if field.min_length:
            fixed += ["", "   ", " \n\t "] if field.trim else [""]
        if isinstance(field, Email):
            fixed += ["not-an-email", "a@", "@b.example"]
        return st.one_of(with_control(), huge(), st.sampled_from(fixed))
    if isinstance(field, (PlausibleDate, PlausibleDateTime)):
        return st.one_of(st.sampled_from(EXTREME_DATES + NOT_STRINGS + nullable(field)), with_control(), huge())
    if isinstance(field, fields.Integer):
        bounds = [v for v in field.validators if isinstance(v, validate.Range)]
        assert bounds and bounds[0].max is not None, f"{field} has no upper bound"
        out_of_range = [bounds[0].min - 1, bounds[0].max + 1, 10**30, -(10**30)]
        return st.sampled_from(out_of_range + NOT_NUMBERS + nullable(field))
    if isinstance(field, fields.Boolean):
        return st.sampled_from(NOT_BOOLEANS + nullable(field))
    if isinstance(field, fields.Float):
        return st.sampled_from(["abc", "", "\x00", [], {}, True, "x" * BIG] + nullable(field))
    raise AssertionError(f"no hostile values for {type(field).__name__}: build input schemas from server/schemas/common.py")


UNKNOWN_NAMES = st.one_of(st.sampled_from(["colour", "ID", "Domain", "__proto__", "person_id ", "k" * 1000, "\x00", "\ud800"]),
                          st.text(min_size=1, max_size=20))


def one_hostile_change(schema: Schema, valid: dict):
    """(field name, payload) with one field replaced or added with a hostile value, or an unknown field added."""
    load = {(f.data_key or n): f for n, f in schema.load_fields.items()}

    def replace(name):
        return hostile(load[name], valid.get(name)).map(lambda v: (name, {**valid, name: v}))

    unknown = st.tuples(UNKNOWN_NAMES.filter(lambda k: k not in load), st.sampled_from(["x", 1, None, [], {}])).map(
        lambda kv: (kv[0], {**valid, kv[0]: kv[1]}))
    return st.one_of(st.sampled_from(sorted(load)).flatmap(replace), unknown)


PATH_VALUES = ["not-a-uuid", "\x00", "\x00" + str(uuid.uuid4()), "\ud800", "x" * 2000, "0", "-1", str(uuid.uuid4()), " ", ".."]


def named(error: dict, name: str) -> bool:
    return name in (error.get("fields") or {})


@pytest.mark.parametrize("key", sorted(REST), ids=lambda k: f"{k[0]} {k[1]}")
@HOSTILE
@given(data=st.data())
def test_hostile_input_to_an_endpoint_is_refused_by_name_and_nothing_is_written(world, key, data):
    method, rule = key
    case = REST[key]
    api = world.users["anon"] if case.user == "anon" else world.users[case.user]
    path = case.path(world)
    schema = body_schema(world.app, changing_rules(world.app)[key])
    field = None
    if path and (schema is None or data.draw(st.booleans(), label="hostile path")):
        name = data.draw(st.sampled_from(sorted(path)), label="path parameter")
        path = {**path, name: data.draw(st.sampled_from(PATH_VALUES), label=name)}
        body = case.body(world) if case.body else data.draw(st.sampled_from([None, {"surprise": 1}]), label="body")
    elif schema is None:
        body = data.draw(st.sampled_from([None, {"surprise": 1}, {"id": "\x00"}, ["x" * BIG]]), label="ignored body")
    else:
        field, body = data.draw(one_hostile_change(schema, case.body(world)), label="field, body")
    before = fingerprint(world.app)
    r = send(api, method, url(rule, path), body)
    assert r.status_code < 500, r.get_json()
    if field is not None:
        assert 400 <= r.status_code < 500, (r.status_code, r.get_json())
        error = r.get_json()["error"]
        assert named(error, field), error
    elif path != case.path(world):
        assert 400 <= r.status_code < 500, (r.status_code, r.get_json())
    assert fingerprint(world.app) == before


# ---- the people import: its body is a CSV file, not JSON ----

CSV_HEADER = "name,service,keyworker_emails,started_on"


def csv_file(world, name="Sam Hostile", keyworkers="", started_on="01/03/2026", header=CSV_HEADER) -> bytes:
    with world.app.app_context():
        service = db.session.get(Service, world.org["service"]).name
    cells = [name, service, keyworkers, started_on]
    return (header + "\r\n" + ",".join(f'"{c}"' for c in cells) + "\r\n").encode("utf-8", "surrogatepass")


# name -> (file, what the reply must name: `file` or a column, for the whole file or a row)
HOSTILE_CSV: dict[str, tuple[Callable[[World], bytes], str]] = {
    "NUL in a cell": (lambda w: csv_file(w, name="Sam\x00Hostile"), "name"),
    "NUL in the header": (lambda w: csv_file(w, header="na\x00me,service,keyworker_emails,started_on"), "na\x00me"),
    "only NUL bytes": (lambda w: b"\x00" * 1000, "name"),  # a header row without the name column
    "ESC in a cell": (lambda w: csv_file(w, name="Sam \x1b[31mHostile"), "name"),
    "C1 control in a cell": (lambda w: csv_file(w, name="Sam \x9bHostile"), "name"),
    "DEL in a date": (lambda w: csv_file(w, started_on="01/03/2026\x7f"), "started_on"),
    "invalid UTF-8": (lambda w: csv_file(w) + b"\xff\xfe\xc3\x28,x,,\r\n", "file"),
    "an encoded surrogate": (lambda w: csv_file(w, name="Sam \ud800"), "file"),
    "UTF-16": (lambda w: csv_file(w).decode().encode("utf-16"), "file"),
    "empty": (lambda w: b"", "file"),
    "a byte-order mark and blanks": (lambda w: b"\xef\xbb\xbf \r\n\r\n", "file"),
    "only the header": (lambda w: (CSV_HEADER + "\r\n").encode(), "file"),
    "an unclosed quote": (lambda w: csv_file(w)[:-3] + b"\r\nnext,row,,\r\n", "file"),
    "a cell of 100 KB": (lambda w: csv_file(w, name="x" * BIG), "name"),
    "a date cell of 100 KB": (lambda w: csv_file(w, started_on="1" * BIG), "started_on"),
    "100 KB of keyworker emails": (lambda w: csv_file(w, keyworkers=";".join(["a@b.example"] * (BIG // 12))), "keyworker_emails"),
    "a cell of 1 MB (beyond the CSV reader's field limit)": (lambda w: csv_file(w, name="x" * (1024 * 1024)), "file"),
    "a header of 100 KB": (lambda w: csv_file(w, header=CSV_HEADER + ",x" * (BIG // 2)), "x"),
    "a 5 MB file": (lambda w: csv_file(w) + b"\r\n".join([b"Sam Again,Nowhere,,"] * (5 * 1024 * 1024 // 20)), "body"),
    "more rows than allowed": (lambda w: csv_file(w) + b"\r\n".join(b"P%d,Nowhere,," % i for i in range(10_001)), "file"),
    "year one": (lambda w: csv_file(w, started_on="0001-01-01"), "started_on"),
    "31 February": (lambda w: csv_file(w, started_on="31/02/2026"), "started_on"),
    "29 February in a common year": (lambda w: csv_file(w, started_on="29/02/2025"), "started_on"),
    "year 9999": (lambda w: csv_file(w, started_on="31/12/9999"), "started_on"),
    "year 10000": (lambda w: csv_file(w, started_on="10000-01-01"), "started_on"),
    "day zero": (lambda w: csv_file(w, started_on="00/00/0000"), "started_on"),
    "a two-digit year": (lambda w: csv_file(w, started_on="01/03/26"), "started_on"),
    "a time with a zone": (lambda w: csv_file(w, started_on="2026-03-01T00:30:00+01:00"), "started_on"),
    "a keyworker of another role": (lambda w: csv_file(w, keyworkers=w.org["commissioner"]), "keyworker_emails"),
    "not an email": (lambda w: csv_file(w, keyworkers="'; DROP TABLE people; --"), "keyworker_emails"),
}


BOUNDARY = "tandem-hostile-csv"


def multipart(body: bytes) -> bytes:
    """The file as a form upload in the field `file`. (Encoded here: the test client's own encoder
    leaves a temporary file open for bodies over 500 KB.)"""
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + body + f"\r\n--{BOUNDARY}--\r\n".encode()


def test_the_csv_file_the_hostile_ones_start_from_is_accepted(world):
    api = world.users["manager"]
    for r in (api.client.post("/api/v1/imports/people?dry_run=true", data=csv_file(world), headers=api._h({"Content-Type": "text/csv"})),
              api.client.post("/api/v1/imports/people?dry_run=true", data=multipart(csv_file(world)),
                              headers=api._h({"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}))):
        assert r.status_code == 200 and r.get_json()["error_count"] == 0, r.get_json()
        assert [p["name"] for p in r.get_json()["people"]] == ["Sam Hostile"]


@pytest.mark.parametrize("case", sorted(HOSTILE_CSV))
def test_a_hostile_csv_file_is_refused_or_reported_and_nothing_is_created(world, case):
    """A dry run answers 200 with the problem on its row, or a 4xx naming the file or column; a
    real run answers a 4xx naming them. Never a 500, and nobody is created. The same file as a
    multipart upload gets the same answer."""
    make, name = HOSTILE_CSV[case]
    body = make(world)
    api = world.users["manager"]
    before = fingerprint(world.app)
    for dry_run in ("true", "false"):
        target = f"/api/v1/imports/people?dry_run={dry_run}"
        for r in (api.client.post(target, data=body, headers=api._h({"Content-Type": "text/csv"})),
                  api.client.post(target, data=multipart(body), headers=api._h({"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}))):
            reply = r.get_json()
            assert r.status_code < 500, (dry_run, r.status_code, reply)
            if name == "body":
                assert r.status_code == 413 and reply["error"]["code"] == "too_large", reply
                continue
            if r.status_code == 200:
                assert dry_run == "true" and reply["created"] == 0 and reply["people"] == [], reply
                row_errors = reply["errors"]
            else:
                assert 400 <= r.status_code < 500, (r.status_code, reply)
                row_errors = reply["error"].get("errors") or []
            named_here = set(reply["error"]["fields"]) if r.status_code != 200 else set()
            assert name in named_here | {e["field"] for e in row_errors}, reply
    assert fingerprint(world.app) == before


NOT_OBJECTS = [b"[]", b'"x"', b"1", b"true", b"{", b"\xff\xfe{}", b"[" * 100_000, b'{"a":' * 50_000, b'{"id": NaN}', b'{"score": Infinity}']


@pytest.mark.parametrize("key", sorted(k for k, case in REST.items() if case.body), ids=lambda k: f"{k[0]} {k[1]}")
def test_a_body_that_is_not_a_json_object_is_refused(world, key):
    """Not an object, not JSON, or nested so deep that the JSON reader gives up: a 4xx, nothing written."""
    method, rule = key
    case = REST[key]
    api = world.users[case.user]
    before = fingerprint(world.app)
    for body in NOT_OBJECTS:
        r = api.client.open(url(rule, case.path(world)), method=method, data=body, headers={**api._h(), "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (body[:20], r.status_code, r.get_json())
        assert r.get_json()["error"]["code"] in {"invalid_json", "validation", "bad_request"}, r.get_json()
    assert fingerprint(world.app) == before


@pytest.mark.parametrize("name", sorted(SYNC))
@HOSTILE
@given(data=st.data())
def test_a_hostile_sync_mutation_is_rejected_by_name_and_nothing_is_stored(world, name, data):
    user, args = SYNC[name]
    schema, _ = MUTATIONS[name]
    schema = schema() if isinstance(schema, type) else schema
    valid = {**args(world), **({"id": str(uuid.uuid4())} if name in SYNC_CREATES else {})}
    field, bad = data.draw(one_hostile_change(schema, valid), label="field, args")
    before = fingerprint(world.app, skip={"devices", "mutation_results"})
    r = world.users[user].post("/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": [{"id": 1, "name": name, "args": bad}]})
    assert r.status_code == 200, r.get_json()
    result = r.get_json()["results"][0]
    assert result["status"] == "rejected", result
    assert named(result["error"], field), result
    assert fingerprint(world.app, skip={"devices", "mutation_results"}) == before


# ---- every input schema is built on the base ----

ALLOWED_FIELDS = (Text, Choice, PlausibleDate, PlausibleDateTime, Int, Uuid, fields.Boolean, fields.Float, fields.List, fields.Nested)
# (schema, field): allowed exceptions, with the reason.
EXCEPTIONS = {
    (SyncMutationIn, "args"): "a dict checked by the mutation's own schema",
    (SyncPushIn, "mutations"): "at most SYNC_MAX_MUTATIONS, refused with 413 too_many_mutations",
}


def input_schemas(app):
    for view in app.view_functions.values():
        for parameter in (getattr(view, "_apidoc", {}).get("arguments") or {}).get("parameters", []):
            yield parameter["schema"]
    for schema, _ in MUTATIONS.values():
        yield schema


def test_every_input_schema_is_built_on_the_base(world):
    seen, problems = set(), []

    def check(schema):
        cls = schema if isinstance(schema, type) else type(schema)
        if cls in seen:
            return
        seen.add(cls)
        if not issubclass(cls, BaseInput):
            problems.append(f"{cls.__name__} does not inherit BaseInput")
        instance = schema() if isinstance(schema, type) else schema
        for name, field in instance.load_fields.items():
            check_field(cls, name, field)

    def check_field(cls, name, field):
        if (cls, name) in EXCEPTIONS:
            return
        if not isinstance(field, ALLOWED_FIELDS):
            problems.append(f"{cls.__name__}.{name} is a {type(field).__name__}")
        elif isinstance(field, fields.Nested):
            check(field.schema)
        elif isinstance(field, fields.List):
            if not any(isinstance(v, validate.Length) and v.max is not None for v in field.validators):
                problems.append(f"{cls.__name__}.{name} has no length limit")
            check_field(cls, f"{name}[]", field.inner)

    for schema in input_schemas(world.app):
        check(schema)
    assert len(seen) > 15
    assert not problems, problems
