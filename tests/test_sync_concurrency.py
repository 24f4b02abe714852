"""Two pushes of the same batch at the same moment apply each record exactly once (SYNC.md): a phone
retrying while its first request is still in flight, two tabs, or a restored app re-sending under a
new device id. Each push runs in its own thread with its own client and session against the same
database (a SQLite file, or PostgreSQL), and each holds its transaction open a little after locking
the device, so the two really overlap."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.domain import sync
from server.extensions import db
from server.models import AuditEvent, Device, EvidenceNote, MutationResult, Review, User
from tests import factories
from tests.conftest import Api

PUSH = "/api/v1/sync/push"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
HOLD = 0.3  # seconds each push keeps its transaction open after locking the device


def reviews(outcome_id, count, start=1):
    return [
        {
            "id": start + i,
            "name": "review.create",
            "args": {
                "id": str(uuid.uuid4()),
                "outcome_id": outcome_id,
                "score": 3,
                "rated_by": "together",
                "happened_at": (NOW - timedelta(hours=count - i)).isoformat(),
                "evidence": [f"Evidence {start + i}"],
            },
        }
        for i in range(count)
    ]


@pytest.fixture
def setup(app, monkeypatch):
    ids = factories.organisation(app)
    with app.app_context():
        person = db.session.get(User, ids["person_id"]).person_id
    ids["outcome"] = factories.outcome(app, person)
    clients = []
    for _ in range(2):  # two sessions of the same worker
        api = Api(app)
        assert api.login(ids["support_worker"]).status_code == 200
        clients.append(api)

    real_lock = sync.lock_device

    def slow_lock(user, device_id):
        device = real_lock(user, device_id)
        time.sleep(HOLD)
        return device

    monkeypatch.setattr(sync, "lock_device", slow_lock)
    return ids, clients


def at_once(*calls):
    """Run each (api, body) push in its own thread, released together; return the responses."""
    barrier = threading.Barrier(len(calls))
    replies: list = [None] * len(calls)

    def run(i, api, body):
        barrier.wait()
        try:
            r = api.post(PUSH, json=body)
            replies[i] = (r.status_code, r.get_json())
        except BaseException as exc:  # reported below, in the test's thread
            replies[i] = exc

    threads = [threading.Thread(target=run, args=(i, api, body)) for i, (api, body) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for reply in replies:
        if isinstance(reply, BaseException):
            raise reply
        assert reply is not None, "a push did not finish"
        assert reply[0] == 200, reply
    return [body for _, body in replies]


def statuses(body):
    return [r["status"] for r in body["results"]]


def stored(app):
    with app.app_context():
        return {
            "reviews": sorted(db.session.execute(select(Review.id)).scalars()),
            "evidence": db.session.execute(select(func.count()).select_from(EvidenceNote)).scalar_one(),
            "audit": db.session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "review")).scalar_one(),
            "results": db.session.execute(select(func.count()).select_from(MutationResult)).scalar_one(),
            "devices": {d.id: d.last_mutation_id for d in db.session.execute(select(Device)).scalars()},
        }


def one_applied_one_duplicate(first, second, count):
    applied, duplicate = sorted([first, second], key=lambda b: statuses(b) != ["applied"] * count)
    assert statuses(applied) == ["applied"] * count
    assert statuses(duplicate) == ["duplicate"] * count
    return applied, duplicate


def test_a_new_device_pushing_the_same_batch_twice_at_once_applies_it_once(app, setup):
    ids, (one, two) = setup
    device, batch = str(uuid.uuid4()), reviews(ids["outcome"], 20)
    body = {"device_id": device, "mutations": batch}
    first, second = at_once((one, body), (two, body))

    applied, duplicate = one_applied_one_duplicate(first, second, 20)
    assert [r["original"] for r in duplicate["results"]] == applied["results"]
    assert first["last_mutation_id"] == second["last_mutation_id"] == 20
    state = stored(app)
    assert state["reviews"] == sorted(m["args"]["id"] for m in batch)
    assert state["evidence"] == 20 and state["audit"] == 20 and state["results"] == 20
    assert state["devices"] == {device: 20}


def test_a_known_device_pushing_overlapping_batches_at_once_applies_each_mutation_once(app, setup):
    ids, (one, two) = setup
    device, batch = str(uuid.uuid4()), reviews(ids["outcome"], 25)
    assert statuses(one.post(PUSH, json={"device_id": device, "mutations": batch[:5]}).get_json()) == ["applied"] * 5

    # One request resends 1-20 (a lost reply), the other 3-25 (the outbox as it stood later).
    first, second = at_once(
        (one, {"device_id": device, "mutations": batch[:20]}),
        (two, {"device_id": device, "mutations": batch[2:]}),
    )
    by_id = {}
    for reply in (first, second):
        assert reply["last_mutation_id"] in {20, 25}
        for result in reply["results"]:
            by_id.setdefault(result["id"], []).append(result["status"])
    assert sorted(by_id) == list(range(1, 26))
    for n, seen in by_id.items():
        assert set(seen) <= {"applied", "duplicate"}, (n, seen)
        assert seen.count("applied") == (1 if n > 5 else 0), (n, seen)  # 1-5 were applied before
    state = stored(app)
    assert state["reviews"] == sorted(m["args"]["id"] for m in batch)
    assert state["evidence"] == 25 and state["audit"] == 25 and state["results"] == 25
    assert state["devices"] == {device: 25}


def test_two_devices_sending_the_same_records_at_once_create_each_record_once(app, setup):
    """A restored app re-sends its outbox under a new device id while the old install is still
    flushing: the records' own ids make the second copy a duplicate, even mid-transaction."""
    ids, (one, two) = setup
    batch = reviews(ids["outcome"], 15)
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    first, second = at_once(
        (one, {"device_id": old, "mutations": batch}),
        (two, {"device_id": new, "mutations": batch}),
    )
    one_applied_one_duplicate(first, second, 15)
    state = stored(app)
    assert state["reviews"] == sorted(m["args"]["id"] for m in batch)
    assert state["evidence"] == 15 and state["audit"] == 15 and state["results"] == 30
    assert state["devices"] == {old: 15, new: 15}
