"""Randomised sync (SYNC.md, "What the tests must prove"): several phones record reviews, outcomes and
notes offline, then push them in random splits, replay old batches, send gapped and reordered ones,
lose replies and see the server restart between apply and reply, while people move on and off a
caseload. A model of the server predicts every result; after every step the database holds exactly
the intended records, each once, and a fresh pull from 0 and an incremental pull both equal each
user's scope."""
from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from server import create_app
from server.domain import sync
from server.domain.changeseq import current_seq
from server.extensions import db
from server.models import CaseloadAssignment, Device, EvidenceNote, Outcome, Review, User
from tests import factories
from tests.conftest import Api, make_app, reset_database

PUSH, PULL = "/api/v1/sync/push", "/api/v1/sync/pull"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
USERS = ("A", "B", "M")  # two support workers with one person each, and their registered manager
WORKERS = ("A", "B")
PEOPLE = ("P1", "P2")
PAGE = 10


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Phone:
    device: str
    history: list = field(default_factory=list)  # every mutation this install made, in order
    outbox: list = field(default_factory=list)  # not yet acknowledged by a push reply
    cursor: int = 0
    replica: dict = field(default_factory=dict)  # what incremental pulls have built up
    pulled_at: int | None = None  # the change counter when the replica was last brought up to date

    def add(self, name, args):
        mutation = {"id": len(self.history) + 1, "name": name, "args": args}
        self.history.append(mutation)
        self.outbox.append(mutation)


@dataclass
class ServerModel:
    """What the server should hold, and what it should answer."""

    people: set  # every person id
    caseload: dict  # worker -> set of person ids
    outcomes: dict  # outcome id -> person
    reviews: dict = field(default_factory=dict)  # id -> (person, evidence count, args)
    notes: dict = field(default_factory=dict)  # evidence.create id -> (person, args)
    payloads: dict = field(default_factory=dict)  # outcome id -> args of its create
    devices: dict = field(default_factory=dict)  # device -> {"user", "last", "results"}

    def visible(self, user) -> set:
        return set(self.people) if user == "M" else set(self.caseload[user])

    def apply(self, user, mutation) -> str:
        name, args = mutation["name"], mutation["args"]
        seen = self.visible(user)
        if name == "review.create":
            if args["score"] not in range(1, 6):
                return "rejected"
            person = self.outcomes.get(args["outcome_id"])
            if person not in seen:
                return "rejected"
            if args["id"] in self.reviews:
                return "duplicate" if self.reviews[args["id"]][2] == args else "rejected"
            self.reviews[args["id"]] = (person, len(args["evidence"]), args)
            return "applied"
        if name == "outcome.create":
            if args["person_id"] not in seen:
                return "rejected"
            if args["id"] in self.outcomes:
                return "duplicate" if self.payloads.get(args["id"]) == args else "rejected"
            self.outcomes[args["id"]] = args["person_id"]
            self.payloads[args["id"]] = args
            return "applied"
        if name == "evidence.create":
            if "review_id" in args:
                if args["review_id"] not in self.reviews:
                    return "rejected"
                person = self.reviews[args["review_id"]][0]
            else:
                person = args["person_id"]
            if person not in seen:
                return "rejected"
            if args["id"] in self.notes:
                return "duplicate" if self.notes[args["id"]][1] == args else "rejected"
            self.notes[args["id"]] = (person, args)
            return "applied"
        raise AssertionError(name)

    def push(self, user, device, batch):
        """Predicted (results [(id, status, original status or None)], last, resume_from), or None for 403."""
        dev = self.devices.setdefault(device, {"user": user, "last": 0, "results": {}})
        if dev["user"] != user:
            return None
        results, resume = [], None
        for mutation in batch:
            n = mutation["id"]
            if n <= dev["last"]:
                results.append((n, "duplicate", dev["results"][n]))
            elif n > dev["last"] + 1:
                resume = dev["last"] + 1
                break
            else:
                status = self.apply(user, mutation)
                dev["results"][n] = status
                dev["last"] = n
                results.append((n, status, None))
        return results, dev["last"], resume

    def scope(self, user):
        seen = self.visible(user)
        keys = {("person", p) for p in seen}
        if user in WORKERS:
            keys |= {("caseload", p) for p in self.caseload[user]}
        keys |= {("outcome", o) for o, p in self.outcomes.items() if p in seen}
        keys |= {("review", r) for r, (p, _, _) in self.reviews.items() if p in seen}
        evidence = sum(n for p, n, _ in self.reviews.values() if p in seen) + sum(1 for p, _ in self.notes.values() if p in seen)
        return keys, evidence


def apply_changes(state: dict, changes: list) -> None:
    for change in changes:
        key = (change["entity"], change["id"])
        if change["op"] == "put":
            state[key] = change["data"]
        else:
            state.pop(key, None)
            if change["entity"] == "person":
                for other in [k for k, v in state.items() if v.get("person_id") == change["id"]]:
                    del state[other]


_BASE: dict = {}


def base_app():
    """One app per test run (make_app: a new SQLite file, or PostgreSQL truncated); every example
    then starts from an empty database."""
    if not _BASE:
        _BASE["dir"] = Path(tempfile.mkdtemp(prefix="tandem-sync-sm-"))
        atexit.register(shutil.rmtree, _BASE["dir"], ignore_errors=True)
        _BASE["app"] = make_app(_BASE["dir"])
        return _BASE["app"]
    app = _BASE["app"]
    reset_database(app)
    return app


class SyncMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.app = base_app()
        ids = factories.organisation(self.app)
        with self.app.app_context():
            a = db.session.execute(select(User).where(User.email == ids["support_worker"])).scalar_one()
            p1, p2 = db.session.get(User, ids["person_id"]).person_id, ids["other_person"]
            b = User(organisation_id=a.organisation_id, email="worker-b@org.example", name="Worker B",
                     role="support_worker", password_hash=factories._HASH)
            db.session.add(b)
            db.session.flush()
            db.session.add(CaseloadAssignment(user_id=b.id, person_id=p2))
            # A cheap hash: the machine signs in many times, and scrypt is deliberately slow.
            cheap = generate_password_hash(factories.PASSWORD, method="pbkdf2:sha256:1")
            db.session.execute(update(User).where(User.email.in_([ids["support_worker"], ids["registered_manager"], b.email])).values(password_hash=cheap))
            db.session.commit()
            self.user_ids = {"A": a.id, "B": b.id}
        self.people = {"P1": p1, "P2": p2}
        self.emails = {"A": ids["support_worker"], "B": "worker-b@org.example", "M": ids["registered_manager"]}
        o1, o2 = factories.outcome(self.app, p1), factories.outcome(self.app, p2)
        self.model = ServerModel(people={p1, p2}, caseload={"A": {p1}, "B": {p2}}, outcomes={o1: p1, o2: p2})
        self.all_outcomes = [o1, o2]  # every outcome any phone knows of, applied or not
        self.all_reviews = []
        self.phones = {u: Phone(device=new_id()) for u in USERS}
        self.checked = {}  # user -> (counter value, fresh pull) at the last check
        self.sign_in()

    def sign_in(self):
        self.apis = {}
        for user, email in self.emails.items():
            api = Api(self.app)
            assert api.login(email).status_code == 200
            self.apis[user] = api

    def keep_signed_in(self):
        """After a restart each phone still has its cookie (and the CSRF token in it): the session
        lives in the database, so it still works."""
        old, self.apis = self.apis, {}
        for user, before in old.items():
            api = Api.__new__(Api)
            api.app, api.client, api.csrf = self.app, self.app.test_client(), before.csrf
            cookie = before.client.get_cookie("tandem_session")
            api.client.set_cookie("tandem_session", cookie.value)
            self.apis[user] = api

    def teardown(self):
        # Deliver everything still waiting, then the database must still match the model.
        try:
            for user in USERS:
                while self.phones[user].outbox:
                    self._push(user, self.phones[user].device, self.phones[user].outbox[:50], ack=True)
            self.database_matches_the_model()
            self.pulls_equal_each_users_scope()
        finally:
            with self.app.app_context():
                db.session.remove()
                if self.app is not _BASE["app"]:  # restarted: this process ends here
                    db.engine.dispose()

    # ---- pushing ----

    def _push(self, user, device, batch, ack):
        expected = self.model.push(user, device, batch)
        r = self.apis[user].post(PUSH, json={"device_id": device, "mutations": batch})
        if expected is None:
            assert r.status_code == 403 and r.get_json()["error"]["code"] == "device_taken"
            return
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        results, last, resume = expected
        got = [(x["id"], x["status"], (x.get("original") or {}).get("status")) for x in body["results"]]
        assert got == results, (got, results, batch)
        assert body["last_mutation_id"] == last and body["resume_from"] == resume
        if ack:  # the phone drops exactly the entries the reply lists
            done = {x["id"] for x in body["results"]}
            phone = self.phones[user]
            if phone.device == device:
                phone.outbox = [m for m in phone.outbox if m["id"] not in done]

    @rule(user=st.sampled_from(USERS), k=st.integers(1, 6), lose_reply=st.booleans())
    def push_outbox(self, user, k, lose_reply):
        """The normal flush, possibly with the reply lost on the way back."""
        phone = self.phones[user]
        if phone.outbox:
            self._push(user, phone.device, phone.outbox[:k], ack=not lose_reply)

    @rule(user=st.sampled_from(USERS), data=st.data())
    def push_old_and_gapped(self, user, data):
        """Any ordered subset of everything this phone ever made: replays, and gaps that stop the batch."""
        phone = self.phones[user]
        if phone.history:
            picks = data.draw(st.lists(st.integers(0, len(phone.history) - 1), min_size=1, max_size=6, unique=True))
            self._push(user, phone.device, [phone.history[i] for i in sorted(picks)], ack=True)

    @rule(user=st.sampled_from(USERS))
    def push_reordered(self, user):
        phone = self.phones[user]
        if len(phone.outbox) >= 2:
            batch = list(reversed(phone.outbox[:3]))
            r = self.apis[user].post(PUSH, json={"device_id": phone.device, "mutations": batch})
            assert r.status_code == 422 and "mutations" in r.get_json()["error"]["fields"]

    @rule(user=st.sampled_from(USERS), owner=st.sampled_from(USERS))
    def push_with_someone_elses_device(self, user, owner):
        device = self.phones[owner].device
        known = self.model.devices.get(device)
        if owner != user and known is not None and known["user"] != user:
            batch = self.phones[user].outbox[:2] or [{"id": 1, "name": "review.create", "args": {}}]
            self._push(user, device, batch, ack=False)

    @rule()
    def restart_server(self):
        """A new process on the same database: what was committed is all there is."""
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": self.app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        with self.app.app_context():
            db.session.remove()
            if self.app is not _BASE["app"]:
                db.engine.dispose()
        self.app = create_app(config)
        self.app.instance_path = str(_BASE["dir"] / "instance")
        self.keep_signed_in()

    @rule(user=st.sampled_from(USERS))
    def reinstall(self, user):
        """The app is reinstalled with its outbox restored: a new device id re-sends every old mutation."""
        old = self.phones[user]
        phone = Phone(device=new_id(), cursor=old.cursor, replica=old.replica, pulled_at=old.pulled_at)
        for mutation in old.history:
            phone.add(mutation["name"], mutation["args"])
        self.phones[user] = phone

    # ---- recording offline ----

    @rule(user=st.sampled_from(USERS), pick=st.integers(0, 50), score=st.sampled_from([1, 2, 3, 4, 5, 7]),
          notes=st.integers(1, 3), hours=st.integers(1, 900))
    def record_review(self, user, pick, score, notes, hours):
        args = {
            "id": new_id(),
            "outcome_id": self.all_outcomes[pick % len(self.all_outcomes)],
            "score": score,
            "rated_by": "together",
            "happened_at": (NOW - timedelta(hours=hours)).isoformat(),
            "evidence": [f"Note {i} of {hours}" for i in range(notes)],
            "what_changed": "Something changed",
            "support_adjustment": "Support changes too",
        }
        self.phones[user].add("review.create", args)
        self.all_reviews.append(args["id"])

    @rule(user=st.sampled_from(USERS), person=st.sampled_from(PEOPLE))
    def record_outcome(self, user, person):
        args = {
            "id": new_id(),
            "person_id": self.people[person],
            "domain": "Going to the art group",
            "persons_words": "I want to paint with other people.",
            "indicator": "Goes to the group",
            "starts_on": (NOW - timedelta(days=200)).date().isoformat(),
            "review_by": (NOW + timedelta(days=60)).date().isoformat(),
        }
        self.phones[user].add("outcome.create", args)
        self.all_outcomes.append(args["id"])

    @rule(user=st.sampled_from(USERS), on_review=st.booleans(), pick=st.integers(0, 50), person=st.sampled_from(PEOPLE))
    def record_note(self, user, on_review, pick, person):
        args = {"id": new_id(), "text": "Walked to the shop"}
        if on_review and self.all_reviews:
            args["review_id"] = self.all_reviews[pick % len(self.all_reviews)]
        else:
            args["person_id"] = self.people[person]
        self.phones[user].add("evidence.create", args)

    # ---- scope changes ----

    @rule(worker=st.sampled_from(WORKERS), person=st.sampled_from(PEOPLE))
    def toggle_caseload(self, worker, person):
        person = self.people[person]
        with self.app.app_context():
            if person in self.model.caseload[worker]:
                assert sync.remove_from_caseload(self.user_ids[worker], person)
                self.model.caseload[worker].discard(person)
            else:
                sync.add_to_caseload(self.user_ids[worker], person)
                self.model.caseload[worker].add(person)
            db.session.commit()

    # ---- what must always hold ----

    def _model_ids(self):
        outcomes = set(self.model.outcomes)
        reviews = set(self.model.reviews)
        evidence = sum(n for _, n, _ in self.model.reviews.values()) + len(self.model.notes)
        return outcomes, reviews, evidence

    @invariant()
    def database_matches_the_model(self):
        outcomes, reviews, evidence = self._model_ids()
        with self.app.app_context():
            assert set(db.session.execute(select(Outcome.id)).scalars()) == outcomes
            assert set(db.session.execute(select(Review.id)).scalars()) == reviews
            assert db.session.execute(select(func.count()).select_from(EvidenceNote)).scalar_one() == evidence
            client_notes = set(db.session.execute(select(EvidenceNote.id).where(EvidenceNote.id.in_(list(self.model.notes) or [""]))).scalars())
            assert client_notes == set(self.model.notes)
            for rid, (_, n, _) in self.model.reviews.items():
                count = db.session.execute(
                    select(func.count()).select_from(EvidenceNote).where(EvidenceNote.review_id == rid, EvidenceNote.id.not_in(list(self.model.notes) or [""]))
                ).scalar_one()
                assert count == n, rid
            devices = {d.id: d.last_mutation_id for d in db.session.execute(select(Device)).scalars()}
            assert devices == {d: v["last"] for d, v in self.model.devices.items()}

    @invariant()
    def pulls_equal_each_users_scope(self):
        with self.app.app_context():
            seq = current_seq(db.session)
        for user in USERS:
            api = self.apis[user]
            keys, evidence = self.model.scope(user)
            # A pull is a function of the synced tables, and every write to them moves the counter:
            # when it has not moved since the last check, the fresh pull would be the same one.
            if self.checked.get(user, (None,))[0] == seq:
                fresh = self.checked[user][1]
            else:
                fresh = self.fresh_pull(api)
                self.checked[user] = (seq, fresh)
            assert {k for k in fresh if k[0] != "evidence"} == keys, user
            assert sum(1 for k in fresh if k[0] == "evidence") == evidence, user

            phone = self.phones[user]
            while phone.pulled_at != seq:
                body = api.get(f"{PULL}?cursor={phone.cursor}&limit={PAGE}").get_json()
                apply_changes(phone.replica, body["changes"])
                phone.cursor = body["cursor"]
                if not body["more"]:
                    phone.pulled_at = seq
            assert set(phone.replica) == set(fresh), user
            for key, value in fresh.items():
                if key[0] == "review":
                    assert phone.replica[key]["score"] == value["score"]

    @staticmethod
    def fresh_pull(api) -> dict:
        fresh, cursor = {}, 0
        while True:
            body = api.get(f"{PULL}?cursor={cursor}&limit={PAGE}").get_json()
            assert len(body["changes"]) <= PAGE and body["cursor"] >= cursor
            apply_changes(fresh, body["changes"])
            cursor = body["cursor"]
            if not body["more"]:
                return fresh


SyncMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
test_sync_state_machine = SyncMachine.TestCase
