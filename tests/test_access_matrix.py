"""The access matrix (ACCESS.md): every role against every GET endpoint and every pulled entity,
for a record of their own, one of their organisation that is outside their scope, and one of
another organisation.

The endpoints come from the app's url_map and the entities from the sync registry, so a new GET
endpoint or a new pulled table appears here by itself and fails until the tables below say what it
reads. The expectations are written from ACCESS.md, not read from server/domain/access.py: this
checks the policy rather than restating it.

Who is who (one organisation "Alpha" with two services, and "Beta"):
  alpha-one    Alpha's first service, on the support worker's caseload; the "person" account is theirs
  alpha-two    Alpha's first service, off the caseload (the registered manager's service)
  alpha-three  Alpha's second service (no one's but the senior leader's)
  beta-one     another organisation
Every one of them has an outcome, an action, a review with evidence, a staff note, a weekly check,
a feedback conversation and a restrictive practice event, each with text naming whose it is.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server import create_app
from server.domain import sync
from server.extensions import db
from server.models import (
    Action,
    AuditEvent,
    CaseloadAssignment,
    Change,
    EvidenceNote,
    FeedbackConversation,
    Notification,
    Outcome,
    Person,
    Review,
    ServiceEvent,
    Theme,
    WeeklyCheck,
)
from tests import factories
from tests.conftest import Api, make_app

ROLES = ("support_worker", "registered_manager", "senior_leader", "commissioner", "person", "admin")
STAFF = {"support_worker", "registered_manager", "senior_leader"}
EVERYONE = set(ROLES)
NOW = datetime.now(timezone.utc).replace(microsecond=0)
TODAY = date.today()

# ---- what ACCESS.md says each role reads ----

WHO_READS = {
    "person": STAFF | {"person"},  # a person: only themself
    "outcome": STAFF | {"person"},  # outcomes, their actions, reviews and review evidence
    "check": STAFF,
    "event": STAFF,
    "feedback": STAFF,
    "overdue": STAFF,
    "theme": STAFF,
    "tagging": {"registered_manager"},
    "change": STAFF | {"commissioner"},  # commissioners: anonymised
    "change_effect": {"registered_manager", "senior_leader", "commissioner"},  # commissioners: anonymised
    "measures": EVERYONE - {"person"},  # aggregate figures, never named
    "service": EVERYONE,
    "user": {"admin"},
    "audit": {"registered_manager", "senior_leader", "admin"},
    # Running an organisation: people's names, services and keyworkers (no notes); managers for their
    # services, admins for the organisation.
    "people_admin": {"registered_manager", "admin"},
    "token": EVERYONE,
    # Evidence out (ACCESS.md, API.md "Evidence out")
    "report": {"registered_manager", "senior_leader", "commissioner"},  # commissioners: anonymised
    "cqc_pack": {"registered_manager", "senior_leader"},
    "summary": STAFF | {"person"},
    "you_said_we_did": STAFF | {"person"},  # a person: their own words and the changes that answered them
    "subject_access": {"registered_manager", "admin"},  # admins: anyone in their organisation
    "fhir": STAFF,
    # Governance (escalations, dashboard, supervision, care-plan audits, learning): each role's own
    # records are checked in tests/test_governance_access.py and the governance tests; here every
    # role must learn nothing of another organisation or of people outside its scope.
    "governance": EVERYONE,  # a one-time link: no session needed, an unknown token is simply not found  # managers: their services; others: the organisation
    "sync": STAFF | {"person"},
    "own": EVERYONE,  # one's own inbox, push subscriptions
    "public": EVERYONE,  # no personal data at all
}

# Every GET endpoint: (what it reads, which record its path names). A new endpoint fails
# test_every_get_endpoint_by_role until it is added here.
READS = {
    "/api/v1/people": ("person", None),
    "/api/v1/people/<person_id>": ("person", "person"),
    "/api/v1/people/<person_id>/outcomes": ("outcome", "person"),
    "/api/v1/people/<person_id>/checks": ("check", "person"),
    "/api/v1/people/<person_id>/events": ("event", "person"),
    "/api/v1/people/<person_id>/you-said-we-did": ("you_said_we_did", "person"),
    "/api/v1/outcomes/<outcome_id>": ("outcome", "outcome"),
    "/api/v1/outcomes/<outcome_id>/trajectory": ("outcome", "outcome"),
    "/api/v1/feedback": ("feedback", None),
    "/api/v1/feedback/<feedback_id>": ("feedback", "feedback"),
    "/api/v1/feedback/<feedback_id>/suggested-themes": ("tagging", "feedback"),
    "/api/v1/themes": ("theme", None),
    "/api/v1/services/<service_id>/themes": ("theme", "service"),
    "/api/v1/changes": ("change", None),
    "/api/v1/changes/<change_id>": ("change", "change"),
    "/api/v1/changes/<change_id>/effect": ("change_effect", "change"),
    "/api/v1/reviews/overdue": ("overdue", None),
    "/api/v1/services": ("service", None),
    "/api/v1/services/<service_id>/measures": ("measures", "service"),
    "/reports/services/<service_id>": ("report", "service"),
    "/api/v1/sync/pull": ("sync", None),
    "/api/v1/users": ("user", None),
    "/api/v1/audit": ("audit", None),
    "/api/v1/people/manage": ("people_admin", None),
    "/api/v1/people/<person_id>/staff": ("people_admin", "person"),
    "/api/v1/imports/people/template": ("people_admin", None),
    "/api/v1/invites/<token>": ("token", None),
    "/api/v1/wellbeing-areas": ("public", None),
    "/api/v1/escalations": ("governance", None),
    "/api/v1/escalations/<escalation_id>": ("governance", "any"),
    "/api/v1/people/<person_id>/escalations": ("governance", "person"),
    "/api/v1/services/<service_id>/escalation-counts": ("governance", "service"),
    "/api/v1/services/<service_id>/dashboard": ("governance", "service"),
    "/api/v1/supervisions/prepare": ("governance", None),
    "/api/v1/supervisions/staff": ("governance", None),
    "/api/v1/supervisions": ("governance", None),
    "/api/v1/care-plan-audits": ("governance", None),
    "/api/v1/care-plan-audits/due": ("governance", None),
    "/api/v1/care-plan-audits/<audit_id>": ("governance", "any"),
    "/api/v1/learning": ("governance", None),
    "/api/v1/fhir/CodeSystem/<name>": ("public", None),
    "/api/v1/services/<service_id>/report": ("report", "service"),
    "/api/v1/services/<service_id>/cqc-pack": ("cqc_pack", "service"),
    "/api/v1/people/<person_id>/summary": ("summary", "person"),
    "/api/v1/people/<person_id>/export": ("subject_access", "person"),
    "/api/v1/people/<person_id>/fhir": ("fhir", "person"),
    "/api/v1/reviews": ("outcome", None),  # the reviews one recorded (needs_explanation filter)
    "/api/v1/notifications": ("own", None),
    "/api/v1/push/subscriptions": ("own", None),
    "/api/v1/session": ("public", None),
    "/api/v1/push/key": ("public", None),
    "/api/v1/openapi.json": ("public", None),
    "/api/v1/docs": ("public", None),
}
QUERY = {"/api/v1/sync/pull": "?cursor=0"}
# A list must show the caller's own record (so "nothing leaked" is not "nothing shown").
LIST_SHOWS = {
    "/api/v1/people": "person",
    "/api/v1/feedback": "feedback",
    "/api/v1/changes": "change",
    "/api/v1/reviews/overdue": "outcome",
    "/api/v1/services": "service",
    "/api/v1/sync/pull": "person",
}

# Whose records are in each role's scope, and which record stands for "theirs but outside scope"
# (None: nothing of their organisation is outside it).
SCOPE = {
    "support_worker": {"alpha-one"},
    "registered_manager": {"alpha-one", "alpha-two"},
    "senior_leader": {"alpha-one", "alpha-two", "alpha-three"},
    "person": {"alpha-one"},
    "commissioner": set(),
    "admin": set(),
}
OUT_OF_SCOPE = {
    "support_worker": {"person": "alpha-two", "change": "C2", "service": "S2"},
    "registered_manager": {"person": "alpha-three", "change": "C3", "service": "S2"},
    "senior_leader": {"person": None, "change": None, "service": None},
    "person": {"person": "alpha-two", "change": "C2", "service": "S2"},
    "commissioner": {"person": "alpha-three", "change": "C3", "service": "S2"},
    "admin": {"person": "alpha-three", "change": "C3", "service": None},
}
# Changes: C1 (first service) names alpha-one and alpha-two and answers their outcomes; C2 (first
# service) names alpha-two only; C3 is for the whole second service; CB is Beta's.
CHANGES_SEEN = {
    "support_worker": {"C1"},
    "registered_manager": {"C1", "C2"},
    "senior_leader": {"C1", "C2", "C3"},
    "commissioner": {"C1", "C2"},  # anonymised
    "person": set(),
    "admin": set(),
}
# What each entity of the pull carries, by role (ACCESS.md): the rows of the people in scope.
PULLED = {
    "person": STAFF | {"person"},
    "caseload": STAFF,  # the user's own caseload entries
    "outcome": STAFF | {"person"},
    "action": STAFF | {"person"},
    "review": STAFF | {"person"},
    "evidence": STAFF | {"person"},  # a person: only the evidence on their reviews
    "check": STAFF,
    "feedback": STAFF,
    "event": STAFF,
}
TAGS = ("alpha-one", "alpha-two", "alpha-three", "beta-one")
STAFF_ONLY = ("staff_note", "check", "feedback", "event")


def _get_rules() -> list[str]:
    app = create_app({"TESTING": True, "SECRET_KEY": "collect", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    return sorted({r.rule for r in app.url_map.iter_rules()
                   if "GET" in (r.methods or ()) and r.rule.startswith(("/api/v1/", "/reports/"))})


GET_RULES = _get_rules()


# ---- the world, built once for the module ----

@dataclass
class World:
    app: object
    ids: dict  # "alpha-one" -> {"person", "outcome", ...}; "C1", "S1", ... -> id
    texts: dict  # "alpha-one" -> {record: text}
    users: dict  # role -> user id
    api: dict = field(default_factory=dict)

    def record(self, role: str, record: str, where: str) -> str | None:
        """The id of `record` ("person", "outcome", "feedback", "change", "service") that is the
        role's own, out of its scope, or another organisation's."""
        if where == "other":
            key = {"change": "CB", "service": "SB"}.get(record, "beta-one")
        elif where == "own":
            key = {"change": "C1", "service": "S1"}.get(record, "alpha-one")
        else:
            key = OUT_OF_SCOPE[role]["person" if record in ("outcome", "feedback") else record]
            if key is None:
                return None
        if key.startswith(("C", "S")):
            return self.ids[key]
        return self.ids[key][record]

    def unseen(self, role: str) -> set[str]:
        """Strings that must not appear in any reply to `role`: names, ids and notes of people out of
        its scope (everyone, for anonymised roles), and of records it may not read."""
        hidden = set()
        for tag in TAGS:
            if tag in SCOPE[role]:
                if role == "person":
                    hidden |= {self.ids[tag][r] for r in STAFF_ONLY} | {self.texts[tag][r] for r in STAFF_ONLY}
                continue
            hidden |= set(self.texts[tag].values()) | set(self.ids[tag].values())
            hidden.add(self.texts[tag]["name"])
        if role == "admin":
            hidden.discard(self.ids["alpha-one"]["person"])  # the person's own account names them by id
        for change in ("C1", "C2", "C3", "CB"):
            hidden.add(self.texts[change])  # free text: only for those who read it by name
            if change not in CHANGES_SEEN[role]:
                hidden.add(self.ids[change])
        for change in CHANGES_SEEN[role]:
            # Commissioners read what a change was (its description holds no one's name here), never who it was for.
            if role in STAFF or role == "commissioner":
                hidden.discard(self.texts[change])
        return hidden


def _records(person_id: str, tag: str, staff_id: str) -> tuple[dict, dict]:
    texts = {
        "outcome": f"Goal of {tag}", "words": f"In the words of {tag}", "action": f"Action of {tag}",
        "evidence": f"Rating evidence of {tag}", "staff_note": f"Staff note about {tag}",
        "check": f"Check note about {tag}", "feedback": f"Feedback of {tag}", "event": f"Restraint note about {tag}",
    }
    outcome = Outcome(person_id=person_id, domain=texts["outcome"], persons_words=texts["words"], indicator="Travels alone",
                      starts_on=TODAY - timedelta(days=150), review_by=TODAY + timedelta(days=60))
    db.session.add(outcome)
    db.session.flush()
    action = Action(outcome_id=outcome.id, person_id=person_id, description=texts["action"], owner_kind="staff", owner_user_id=staff_id)
    review = Review(outcome_id=outcome.id, person_id=person_id, score=3, rated_by="together", happened_at=NOW - timedelta(days=100),
                    what_changed=f"What changed for {tag}")
    db.session.add_all([action, review])
    db.session.flush()
    evidence = EvidenceNote(person_id=person_id, review_id=review.id, outcome_id=outcome.id, text=texts["evidence"], happened_at=review.happened_at)
    staff_note = EvidenceNote(person_id=person_id, text=texts["staff_note"], happened_at=NOW - timedelta(days=3), created_by=staff_id)
    check = WeeklyCheck(person_id=person_id, week_of=TODAY - timedelta(days=TODAY.weekday() + 7), incidents=2, engagement=3, mood=3,
                        note=texts["check"], created_by=staff_id)
    feedback = FeedbackConversation(person_id=person_id, happened_at=NOW - timedelta(days=5), works_well=texts["feedback"],
                                    feels_difficult="Rushed visits", created_by=staff_id)
    event = ServiceEvent(person_id=person_id, kind="restrictive_practice", happened_at=NOW - timedelta(days=4), note=texts["event"],
                         created_by=staff_id)
    db.session.add_all([evidence, staff_note, check, feedback, event])
    db.session.flush()
    ids = {"person": person_id, "outcome": outcome.id, "action": action.id, "review": review.id, "evidence": evidence.id,
           "staff_note": staff_note.id, "check": check.id, "feedback": feedback.id, "event": event.id}
    return ids, texts


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("access_matrix"))
    alpha = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    beta = factories.organisation(app, "Beta")
    with app.app_context():
        third = Person(organisation_id=alpha["org"], service_id=alpha["services"][1], name="Alpha Person Three")
        db.session.add(third)
        db.session.flush()
        people = {"alpha-one": alpha["person"], "alpha-two": alpha["other_person"], "alpha-three": third.id, "beta-one": beta["person"]}
        ids, texts = {}, {}
        for tag, person_id in people.items():
            staff = (alpha if tag.startswith("alpha") else beta)["registered_manager_id"]
            ids[tag], texts[tag] = _records(person_id, tag, staff)
            texts[tag]["name"] = db.session.get(Person, person_id).name
        # A theme tagged on a reviewed conversation, so suggestions have something to compare with.
        theme = Theme(organisation_id=alpha["org"], name="Rushed visits")
        db.session.add(theme)
        db.session.flush()
        for tag in ("alpha-two", "alpha-three"):
            conversation = db.session.get(FeedbackConversation, ids[tag]["feedback"])
            conversation.themes = [theme]
            conversation.reviewed_at = NOW
        changes = {
            "C1": (alpha["service"], ["alpha-one", "alpha-two"]),
            "C2": (alpha["service"], ["alpha-two"]),
            "C3": (alpha["services"][1], []),
            "CB": (beta["service"], ["beta-one"]),
        }
        for key, (service_id, tags) in changes.items():
            texts[key] = f"Change {key} described by staff"
            change = Change(service_id=service_id, description=texts[key], starts_on=TODAY - timedelta(days=20), co_produced_with="Residents")
            change.people = [db.session.get(Person, people[t]) for t in tags]
            change.outcomes = [db.session.get(Outcome, ids[t]["outcome"]) for t in tags]
            db.session.add(change)
            db.session.flush()
            ids[key] = change.id
        ids.update({"S1": alpha["service"], "S2": alpha["services"][1], "SB": beta["service"]})
        # Inbox rows: one about someone still on the worker's caseload, one about someone who left it.
        worker = alpha["support_worker_id"]
        due = TODAY.isoformat()
        db.session.add_all([
            Notification(user_id=worker, kind="review_due", title="Review due today", body="Due today.",
                         url=f"/outcomes/{ids['alpha-one']['outcome']}/review", dedupe_key=f"review_due:{ids['alpha-one']['outcome']}:{due}:{worker}"),
            Notification(user_id=worker, kind="feedback_due", title="Feedback conversation due", body="Due today.",
                         url=f"/people/{people['alpha-two']}", dedupe_key=f"feedback_due:{people['alpha-two']}:{due}:{worker}"),
            Notification(user_id=alpha["registered_manager_id"], kind="weekly_check_overdue", title="Weekly check overdue in your service",
                         body="Was due.", url=f"/people/{people['alpha-three']}",
                         dedupe_key=f"weekly_check_overdue:{people['alpha-three']}:{due}:{alpha['registered_manager_id']}"),
        ])
        db.session.commit()
    users = {role: alpha[f"{role}_id"] for role in ROLES}
    w = World(app=app, ids=ids, texts=texts, users=users)
    for role in ROLES:
        api = Api(app)
        r = api.login(alpha["person_email"] if role == "person" else alpha[role])
        assert r.status_code == 200, r.get_json()
        w.api[role] = api
    yield w
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ---- the endpoint matrix ----

# Public paths whose parameter is a fixed name, not a record.
FIXED = {"/api/v1/fhir/CodeSystem/<name>": "/api/v1/fhir/CodeSystem/progress-scale"}


def _url(rule: str, record_id: str) -> str:
    if rule in FIXED:
        return FIXED[rule]
    return re.sub(r"<[^>]+>", record_id, rule) + QUERY.get(rule, "")


def _assert_nothing_unseen(world, role, url, response, kind=None):
    body = response.get_data(as_text=True)
    hidden = world.unseen(role)
    if kind == "people_admin" and role == "admin":  # an admin runs the whole organisation's people
        hidden -= {world.texts[tag]["name"] for tag in TAGS if tag.startswith("alpha")}
        hidden -= {world.ids[tag]["person"] for tag in TAGS if tag.startswith("alpha")}
    if kind == "subject_access" and role == "admin":  # an admin answers requests about anyone in their organisation
        hidden -= {v for tag in TAGS if tag.startswith("alpha") for v in (*world.texts[tag].values(), *world.ids[tag].values())}
        hidden -= {world.texts[c] for c in ("C1", "C2", "C3")} | {world.ids[c] for c in ("C1", "C2", "C3")}  # changes applied to them
    leaked = sorted(s for s in hidden if s in body)
    assert not leaked, f"{role} GET {url} ({response.status_code}) shows what it may not: {leaked}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", GET_RULES)
def test_every_get_endpoint_by_role(world, rule, role):
    assert rule in READS, f"GET {rule} is not in READS: say what it reads and for whom (ACCESS.md)"
    kind, record = READS[rule]
    api = world.api[role]
    allowed = role in WHO_READS[kind]
    if kind == "governance":
        # Another organisation's person or service, or an id that exists nowhere: never found, never shown.
        record_id = str(uuid.uuid4()) if record == "any" else world.record(role, record, "other") if record else ""
        r = api.get(_url(rule, record_id))
        assert r.status_code < 500, (role, rule, r.status_code)
        if record:
            assert r.status_code in (403, 404), (role, rule, r.status_code, r.get_data(as_text=True)[:300])
        _assert_nothing_unseen(world, role, rule, r)
        return
    if kind == "token":
        r = api.get(_url(rule, "not-a-link-anyone-was-given"))
        assert r.status_code == 404, (role, rule, r.status_code)
        _assert_nothing_unseen(world, role, rule, r)
        return
    if record is None:
        url = _url(rule, "")
        r = api.get(url)
        assert r.status_code == (200 if allowed else 403), (role, url, r.status_code, r.get_data(as_text=True)[:300])
        _assert_nothing_unseen(world, role, url, r, kind)
        if allowed and rule in LIST_SHOWS and kind not in {"public", "own"}:
            mine = world.record(role, LIST_SHOWS[rule], "own")
            if role != "commissioner" or LIST_SHOWS[rule] in {"change", "service"}:
                assert mine in r.get_data(as_text=True), (role, url, "does not show the caller's own record")
        return
    for where in ("own", "out", "other"):
        record_id = world.record(role, record, where)
        if record_id is None:
            continue
        url = _url(rule, record_id)
        r = api.get(url)
        # An admin's people_admin scope is the whole organisation: "out of scope" is only another's.
        mine = where == "own" or (where == "out" and kind in {"people_admin", "subject_access"} and role == "admin")
        expected = 403 if not allowed else 200 if mine else 404
        assert r.status_code == expected, (role, where, url, r.status_code, r.get_data(as_text=True)[:300])
        _assert_nothing_unseen(world, role, url, r, kind)


def test_the_table_names_only_endpoints_that_exist():
    assert sorted(set(READS) - set(GET_RULES)) == []


def test_signed_out_gets_401_from_every_personal_endpoint(world):
    anon = Api(world.app)
    for rule, (kind, record) in READS.items():
        if kind in {"public", "token"}:
            continue
        url = _url(rule, str(uuid.uuid4()) if record == "any" else world.record("senior_leader", record, "own") if record else "")
        r = anon.get(url)
        assert r.status_code == 401, (url, r.status_code)
        body = r.get_data(as_text=True)
        assert not [t for tag in TAGS for t in (world.texts[tag]["name"], world.ids[tag]["person"]) if t in body], url


# ---- the pull matrix ----

def _pull_all(api) -> list[dict]:
    cursor, changes = 0, []
    for _ in range(100):
        r = api.get(f"/api/v1/sync/pull?cursor={cursor}&limit=50")
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["more"]:
            return changes
    raise AssertionError("the pull never ended")


def _expected_pull(world, role: str) -> dict[str, set[str]]:
    """entity -> the keys `role` should receive, straight from the tables."""
    people = {world.ids[tag]["person"] for tag in SCOPE[role]}
    out = {}
    with world.app.app_context():
        for name, entity in sync.ENTITIES.items():
            if role not in PULLED.get(name, ()):
                out[name] = set()
                continue
            rows = db.session.execute(select(entity.model)).scalars().all()
            keep = set()
            for row in rows:
                person_id = row.id if entity.model is Person else row.person_id
                if person_id not in people:
                    continue
                if entity.model is CaseloadAssignment and row.user_id != world.users[role]:
                    continue
                if entity.model is EvidenceNote and role == "person" and row.review_id is None:
                    continue
                keep.add(entity.key(row))
            out[name] = keep
    return out


def test_every_pulled_entity_is_in_the_table():
    assert set(sync.ENTITIES) == set(PULLED), "say who receives each pulled entity (ACCESS.md)"


@pytest.mark.parametrize("role", ROLES)
def test_every_pulled_entity_by_role(world, role):
    api = world.api[role]
    if role not in WHO_READS["sync"]:
        r = api.get("/api/v1/sync/pull?cursor=0")
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
        return
    changes = _pull_all(api)
    got: dict[str, set[str]] = {name: set() for name in sync.ENTITIES}
    for change in changes:
        assert change["op"] == "put"
        got[change["entity"]].add(change["id"])
    expected = _expected_pull(world, role)
    for name in sync.ENTITIES:
        assert got[name] == expected[name], (role, name, got[name] ^ expected[name])
    if role == "support_worker":
        assert all(expected[name] for name in sync.ENTITIES), "every entity has a row to pull"
    body = json.dumps(changes)
    leaked = sorted(s for s in world.unseen(role) if s in body)
    assert not leaked, f"{role}'s pull carries what it may not: {leaked}"


# ---- staff reads of lists and pulls are audited ----

def _views_since(world, user_id: str, since: int) -> set[tuple[str, str | None]]:
    with world.app.app_context():
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > since, AuditEvent.user_id == user_id, AuditEvent.action == "view")
        ).scalars().all()
        return {(e.entity, e.person_id) for e in rows}


def _last_audit_id(world) -> int:
    with world.app.app_context():
        return db.session.execute(select(func.max(AuditEvent.id))).scalar() or 0


@pytest.mark.parametrize("url, entity", [
    ("/api/v1/people", "people_list"),
    ("/api/v1/feedback", "feedback_list"),
    ("/api/v1/reviews/overdue", "overdue_reviews"),
    ("/api/v1/changes", "changes_list"),
    ("/api/v1/sync/pull?cursor=0", "sync_pull"),
    ("/api/v1/notifications", "notifications"),
])
def test_a_staff_list_or_pull_leaves_one_view_entry_per_person_shown(world, url, entity):
    one, two = world.ids["alpha-one"]["person"], world.ids["alpha-two"]["person"]
    worker, manager = world.api["support_worker"], world.api["registered_manager"]
    since = _last_audit_id(world)
    assert worker.get(url).status_code == 200
    assert _views_since(world, world.users["support_worker"], since) == {(entity, one)}
    if entity != "notifications":
        since = _last_audit_id(world)
        assert manager.get(url).status_code == 200
        assert _views_since(world, world.users["registered_manager"], since) == {(entity, one), (entity, two)}


def test_who_has_seen_a_persons_record_finds_list_and_pull_reads(world):
    one = world.ids["alpha-one"]["person"]
    since = _last_audit_id(world)
    world.api["support_worker"].get("/api/v1/sync/pull?cursor=0")
    world.api["senior_leader"].get("/api/v1/people")
    with world.app.app_context():
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > since, AuditEvent.person_id == one, AuditEvent.action == "view")
        ).scalars().all()
        seen_by = {(e.user_id, e.entity) for e in rows}
        assert seen_by == {(world.users["support_worker"], "sync_pull"), (world.users["senior_leader"], "people_list")}
        pull = next(e for e in rows if e.entity == "sync_pull")
        assert pull.service_id == db.session.get(Person, one).service_id
        assert f"outcome:{world.ids['alpha-one']['outcome']}" in pull.detail["ids"]


def test_a_person_reading_their_own_records_is_not_a_staff_view(world):
    since = _last_audit_id(world)
    me = world.api["person"]
    for url in ("/api/v1/people", "/api/v1/sync/pull?cursor=0", f"/api/v1/outcomes/{world.ids['alpha-one']['outcome']}/trajectory"):
        assert me.get(url).status_code == 200
    assert _views_since(world, world.users["person"], since) == set()


# ---- the person's own screens ----

def test_my_goals_has_what_it_needs_and_nothing_staff_only(world):
    """My goals shows each goal in the person's words, Then and Now from their ratings, and the open
    actions with who helps. The pull carries exactly that."""
    changes = _pull_all(world.api["person"])
    by_entity: dict[str, list[dict]] = {}
    for change in changes:
        by_entity.setdefault(change["entity"], []).append(change["data"])
    assert set(by_entity) == {"person", "outcome", "action", "review", "evidence"}
    [goal] = by_entity["outcome"]
    assert goal["persons_words"] == "In the words of alpha-one"
    [action] = by_entity["action"]
    assert action["description"] == "Action of alpha-one" and action["owner_label"] == "Alpha registered_manager"
    [review] = by_entity["review"]
    assert review["score"] == 3 and [e["text"] for e in review["evidence"]] == ["Rating evidence of alpha-one"]
    assert [e["text"] for e in by_entity["evidence"]] == ["Rating evidence of alpha-one"]
    trajectory = world.api["person"].get(f"/api/v1/outcomes/{goal['id']}/trajectory").get_json()
    assert [m["kind"] for m in trajectory["markers"]] == ["action"]  # no staff-written change log


def test_a_worker_sees_a_change_only_through_their_caseload(world):
    worker = world.api["support_worker"]
    listed = worker.get("/api/v1/changes").get_json()
    assert [c["id"] for c in listed] == [world.ids["C1"]]
    [c1] = listed
    assert c1["person_ids"] == [world.ids["alpha-one"]["person"]]
    assert c1["outcome_ids"] == [world.ids["alpha-one"]["outcome"]]
    assert c1["people_count"] == 2  # how many it applies to, not who
    assert worker.get(f"/api/v1/changes/{world.ids['C2']}").status_code == 404
    manager = world.api["registered_manager"].get(f"/api/v1/changes/{world.ids['C1']}").get_json()
    assert manager["person_ids"] == sorted([world.ids["alpha-one"]["person"], world.ids["alpha-two"]["person"]])


def test_inbox_links_to_people_out_of_scope_are_dropped(world):
    rows = world.api["support_worker"].get("/api/v1/notifications").get_json()["notifications"]
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["review_due"]["person"]["id"] == world.ids["alpha-one"]["person"]
    assert by_kind["review_due"]["url"] == f"/outcomes/{world.ids['alpha-one']['outcome']}/review"
    assert by_kind["feedback_due"]["person"] is None and by_kind["feedback_due"]["url"] == "/notifications"

