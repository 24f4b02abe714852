"""Web Push and the inbox through the API (issue 7): subscribing a browser, `flask reminders send`
delivering each reminder once to a real (local, HTTPS) push receiver with no names in it, the
in-app inbox, and the managers' overdue-reviews list with acknowledgements."""
from __future__ import annotations

import base64
import os
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Notification, Outcome, Person, PushSubscription, Review, ReviewAcknowledgement, User
from tests import factories
from tests.push_receiver import receiver  # noqa: F401 - the fixture

SUBS = "/api/v1/push/subscriptions"
INBOX = "/api/v1/notifications"
OVERDUE = "/api/v1/reviews/overdue"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_subscription(endpoint: str | None = None) -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "endpoint": endpoint or f"https://127.0.0.1:8443/push/{uuid.uuid4().hex}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


def stored(app) -> list[tuple[str, str]]:
    """(user email, endpoint) of every stored subscription."""
    with app.app_context():
        return sorted(db.session.execute(select(User.email, PushSubscription.endpoint).join(User, User.id == PushSubscription.user_id)).all())


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def people_names(app) -> list[str]:
    with app.app_context():
        names = set()
        for person in db.session.execute(select(Person)).scalars():
            names.add(person.name)
            names.update(person.name.split())
            if person.preferred_name:
                names.add(person.preferred_name)
        return sorted(names)


@pytest.fixture
def org(app):
    return factories.organisation(app, "Alpha")


# ---- the key and subscribing ----

def test_public_key_is_the_vapid_application_server_key(app, client):
    r = client.get("/api/v1/push/key")
    assert r.status_code == 200
    key = r.get_json()["public_key"]
    assert key == app.config["VAPID_PUBLIC_KEY"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4


def test_subscribe_update_and_list(app, org, api_for):
    worker = api_for(org["support_worker"])
    sub = browser_subscription()
    r = worker.post(SUBS, json=sub)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["endpoint"] == sub["endpoint"] and body["last_error"] is None and body["id"]
    # the same browser again (say, with fresh keys after the browser rotated them): updated, not doubled
    again = browser_subscription(sub["endpoint"])
    r = worker.post(SUBS, json=again)
    assert r.status_code == 200 and r.get_json()["id"] == body["id"]
    with app.app_context():
        [row] = db.session.execute(select(PushSubscription)).scalars().all()
        assert (row.p256dh, row.auth) == (again["keys"]["p256dh"], again["keys"]["auth"])
    assert [s["endpoint"] for s in worker.get(SUBS).get_json()] == [sub["endpoint"]]
    # padded base64url is accepted too, and stored unpadded
    padded = browser_subscription()
    padded["keys"]["auth"] += "=="
    assert worker.post(SUBS, json=padded).status_code == 201


def test_someone_elses_endpoint_is_refused_within_and_across_organisations(app, org, api_for):
    worker, manager = api_for(org["support_worker"]), api_for(org["registered_manager"])
    sub = browser_subscription()
    assert worker.post(SUBS, json=sub).status_code == 201
    other = factories.organisation(app, "Beta")
    for thief in (manager, api_for(other["registered_manager"])):
        r = thief.post(SUBS, json=browser_subscription(sub["endpoint"]))
        assert r.status_code == 409, r.get_json()
        error = r.get_json()["error"]
        assert error["code"] == "endpoint_taken" and "endpoint" in error["fields"]
        assert thief.get(SUBS).get_json() == []
    # Nothing moved, and the owner's keys were not replaced.
    assert stored(app) == [(org["support_worker"], sub["endpoint"])]
    with app.app_context():
        [row] = db.session.execute(select(PushSubscription)).scalars().all()
        assert (row.p256dh, row.auth) == (sub["keys"]["p256dh"], sub["keys"]["auth"])
        assert db.session.execute(select(AuditEvent).where(AuditEvent.entity == "push_subscription", AuditEvent.action == "delete")).first() is None
    # Once the owner removes it (the app does on sign-out), the next user may use that browser.
    assert worker.delete(SUBS, json={"endpoint": sub["endpoint"]}).status_code == 204
    assert manager.post(SUBS, json=sub).status_code == 201
    assert stored(app) == [(org["registered_manager"], sub["endpoint"])]


def test_unsubscribe_only_your_own(app, org, api_for):
    worker, manager = api_for(org["support_worker"]), api_for(org["registered_manager"])
    mine, theirs = browser_subscription(), browser_subscription()
    assert worker.post(SUBS, json=mine).status_code == 201
    assert manager.post(SUBS, json=theirs).status_code == 201

    r = worker.delete(SUBS, json={"endpoint": theirs["endpoint"]})
    assert r.status_code == 404
    error = r.get_json()["error"]
    assert "endpoint" in error["fields"] and "subscription" in error["message"].lower()
    assert len(stored(app)) == 2

    r = worker.delete(SUBS, json={})
    assert r.status_code == 422 and "endpoint" in r.get_json()["error"]["fields"]

    assert worker.delete(SUBS, json={"endpoint": mine["endpoint"]}).status_code == 204
    assert stored(app) == [(org["registered_manager"], theirs["endpoint"])]
    assert worker.delete(SUBS, json={"endpoint": mine["endpoint"]}).status_code == 404


def _off_curve_point() -> str:
    x = 1
    while True:  # 0x04 || x || y with y not on the curve for x
        raw = b"\x04" + x.to_bytes(32, "big") + (5).to_bytes(32, "big")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            return b64url(raw)
        x += 1


def _compressed_point() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint))


def _with(**changes):
    sub = browser_subscription()
    for path, value in changes.items():
        target = sub
        *parents, name = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[name]
        else:
            target[name] = value
    return sub


BAD = [
    ("no keys", lambda: _with(keys=...), ["keys"], "Missing data"),
    ("keys not an object", lambda: _with(keys="p256dh"), ["keys"], ""),
    ("no p256dh", lambda: _with(keys__p256dh=...), ["keys", "p256dh"], "Missing data"),
    ("no auth", lambda: _with(keys__auth=...), ["keys", "auth"], "Missing data"),
    ("p256dh not base64url", lambda: _with(keys__p256dh="not base64!!"), ["keys", "p256dh"], "base64url"),
    ("p256dh standard base64", lambda: _with(keys__p256dh="a+b/" * 22), ["keys", "p256dh"], "base64url"),
    ("p256dh compressed point", lambda: _with(keys__p256dh=_compressed_point()), ["keys", "p256dh"], "65 bytes"),
    ("p256dh not on the curve", lambda: _with(keys__p256dh=_off_curve_point()), ["keys", "p256dh"], "curve"),
    ("p256dh a number", lambda: _with(keys__p256dh=12345), ["keys", "p256dh"], "string"),
    ("auth wrong length", lambda: _with(keys__auth=b64url(os.urandom(12))), ["keys", "auth"], "16 bytes"),
    ("auth empty", lambda: _with(keys__auth=""), ["keys", "auth"], "base64url"),
    ("no endpoint", lambda: _with(endpoint=...), ["endpoint"], "Missing data"),
    ("http endpoint", lambda: _with(endpoint="http://127.0.0.1:8080/push/1"), ["endpoint"], "https"),
    ("host not allowed", lambda: _with(endpoint="https://push.attacker.example/push/1"), ["endpoint"], "push.attacker.example"),
    ("allowed host as a suffix trick", lambda: _with(endpoint="https://127.0.0.1.attacker.example/x"), ["endpoint"], "not allowed"),
    ("user info", lambda: _with(endpoint="https://user:pw@127.0.0.1/push/1"), ["endpoint"], "user name"),
    ("not a URL", lambda: _with(endpoint="https://[::1/x"), ["endpoint"], "valid https URL"),
    ("endpoint too long", lambda: _with(endpoint="https://127.0.0.1/" + "x" * 2100), ["endpoint"], "at most"),
    ("unknown field", lambda: {**browser_subscription(), "owner": "someone-else"}, ["owner"], "Unknown"),
]


@pytest.mark.parametrize("label,make,path,words", BAD, ids=[b[0] for b in BAD])
def test_bad_subscriptions_are_refused_by_field_and_nothing_is_stored(app, org, api_for, label, make, path, words):
    worker = api_for(org["support_worker"])
    r = worker.post(SUBS, json=make())
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation"
    found = error["fields"]
    for name in path:
        assert name in found, (path, error)
        found = found[name]
    assert words in " ".join(found), found
    assert count(app, PushSubscription) == 0
    with app.app_context():  # nothing half-written either
        assert db.session.execute(select(AuditEvent).where(AuditEvent.entity == "push_subscription")).first() is None


def test_subscribing_needs_a_signed_in_user_and_json(app, org, anon, api_for):
    assert anon.post(SUBS, json=browser_subscription()).status_code == 401
    worker = api_for(org["support_worker"])
    r = worker.post(SUBS, data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert count(app, PushSubscription) == 0


# ---- end to end: `flask reminders send` to a real push receiver ----

def _subscribe(api, receiver):
    sub = receiver.subscription()
    r = api.post(SUBS, json=sub)
    assert r.status_code == 201, r.get_json()
    return sub


def test_reminders_send_delivers_each_reminder_once_with_no_names(demo, api_for, runner, receiver):
    app = demo
    worker, manager = api_for("worker@demo.example"), api_for("manager@demo.example")
    to_worker, to_manager = _subscribe(worker, receiver), _subscribe(manager, receiver)

    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "2 pushed" in result.output

    assert len(receiver.received) == 2
    [w] = receiver.to(to_worker)
    [m] = receiver.to(to_manager)
    names = people_names(app)
    for push in (w, m):
        assert push.problems == [] and push.answered == 201
        assert set(push.payload) == {"title", "body", "url", "tag"}
        assert push.payload["url"] == "/notifications"
        assert push.ttl == app.config["PUSH_TTL_SECONDS"] and 24 * 3600 <= push.ttl <= 48 * 3600
        assert push.vapid_key == app.config["VAPID_PUBLIC_KEY"]
        assert push.claims["sub"] == app.config["VAPID_SUBJECT"] and push.claims["aud"] == receiver.origin
        leaked = [n for n in names if re.search(rf"\b{re.escape(n)}\b", push.plaintext, re.IGNORECASE)]
        assert leaked == [], (leaked, push.plaintext)
    # a reminder to the keyworker is "normal"; an overdue alert to the manager "high"
    assert w.urgency == "normal" and m.urgency == "high"
    assert "review" in (w.payload["title"] + w.payload["body"])
    assert "overdue in your services" in (m.payload["title"] + m.payload["body"])

    # the inbox has one row per item, all pushed, names shown to the signed-in keyworker
    inbox = worker.get(INBOX).get_json()
    rows = inbox["notifications"]
    assert inbox["unread"] == len(rows) >= 2
    assert {r["push_status"] for r in rows} == {"sent"}
    review = next(r for r in rows if r["kind"] == "review_due")
    assert review["person"]["name"] == "Sam Taylor" and review["outcome"]["domain"] == "Managing my own morning routine"
    assert review["url"] == f"/outcomes/{review['outcome']['id']}/review"
    assert date.fromisoformat(review["due_on"]) < date.today() and review["stage"] == "due" and review["subject"] == "review"
    assert review["read_at"] is None
    created = [r["created_at"] for r in rows]
    assert created == sorted(created, reverse=True)
    manager_rows = manager.get(INBOX).get_json()["notifications"]
    overdue = [r for r in manager_rows if r["kind"] == "review_overdue"]
    assert overdue and all(r["push_status"] == "sent" and r["url"] == "/reviews/overdue" for r in overdue)
    # the stored words name nobody either
    with app.app_context():
        for n in db.session.execute(select(Notification)).scalars():
            text = f"{n.title} {n.body}"
            assert not [x for x in names if re.search(rf"\b{re.escape(x)}\b", text)], text
    total = count(app, Notification)

    # a second run sends nothing new
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "Nothing new to send" in result.output
    assert len(receiver.received) == 2
    assert count(app, Notification) == total


def test_a_410_from_the_push_service_removes_the_subscription(demo, api_for, runner, receiver):
    app = demo
    worker = api_for("worker@demo.example")
    sub = _subscribe(worker, receiver)
    receiver.answer(sub, 410)
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "1 expired subscription removed" in result.output
    assert [r.answered for r in receiver.to(sub)] == [410]
    assert stored(app) == []
    rows = worker.get(INBOX).get_json()["notifications"]
    assert rows and {r["push_status"] for r in rows} == {"failed: 410 subscription removed"}


# ---- the inbox ----

def test_inbox_read_one_and_read_all_only_your_own(demo, api_for, runner):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    worker, manager = api_for("worker@demo.example"), api_for("manager@demo.example")
    inbox = worker.get(INBOX).get_json()
    first, unread = inbox["notifications"][0], inbox["unread"]
    assert unread >= 2 and {r["push_status"] for r in inbox["notifications"]} == {"no_subscription"}

    r = worker.post(f"{INBOX}/{first['id']}/read")
    assert r.status_code == 200 and r.get_json()["read_at"] and r.get_json()["id"] == first["id"]
    assert worker.get(INBOX).get_json()["unread"] == unread - 1
    # reading again is harmless
    assert worker.post(f"{INBOX}/{first['id']}/read").status_code == 200
    assert worker.get(INBOX).get_json()["unread"] == unread - 1

    theirs = manager.get(INBOX).get_json()
    r = worker.post(f"{INBOX}/{theirs['notifications'][0]['id']}/read")
    assert r.status_code == 404 and "notification_id" in r.get_json()["error"]["fields"]
    assert worker.post(f"{INBOX}/{uuid.uuid4()}/read").status_code == 404
    assert manager.get(INBOX).get_json()["unread"] == theirs["unread"]

    r = worker.post(f"{INBOX}/read-all")
    assert r.status_code == 200 and r.get_json() == {"marked": unread - 1, "unread": 0}
    assert worker.get(INBOX).get_json()["unread"] == 0
    assert manager.get(INBOX).get_json()["unread"] == theirs["unread"]

    assert len(worker.get(f"{INBOX}?limit=1").get_json()["notifications"]) == 1
    r = worker.get(f"{INBOX}?limit=0")
    assert r.status_code == 422 and "limit" in r.get_json()["error"]["fields"]


def test_inbox_hides_names_of_people_who_left_your_caseload(demo, api_for, runner):
    app = demo
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0
    worker = api_for("worker@demo.example")
    assert any(r["person"] for r in worker.get(INBOX).get_json()["notifications"])
    with app.app_context():
        from server.models import CaseloadAssignment

        user = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
        for a in db.session.execute(select(CaseloadAssignment).where(CaseloadAssignment.user_id == user.id)).scalars():
            db.session.delete(a)
        db.session.commit()
    rows = worker.get(INBOX).get_json()["notifications"]
    assert rows and all(r["person"] is None and r["outcome"] is None for r in rows)


def test_inbox_needs_sign_in(anon):
    assert anon.get(INBOX).status_code == 401
    assert anon.post(f"{INBOX}/read-all").status_code in (401, 403)


# ---- overdue reviews for managers ----

def _morning_routine(items):
    return next(i for i in items if i["person_name"] == "Sam Taylor" and i["domain"] == "Managing my own morning routine")


def test_manager_sees_overdue_reviews_in_their_services_and_acknowledges(demo, api_for):
    app = demo
    manager = api_for("manager@demo.example")
    r = manager.get(OVERDUE)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["today"] == date.today().isoformat()
    item = _morning_routine(body["overdue"])
    assert item["keyworkers"] == ["Alex Morgan"] and item["service_name"] == "Oak House Supported Living"
    assert item["days_late"] == (date.today() - date.fromisoformat(item["due_on"])).days > 0
    assert item["acknowledged"] is None
    lates = [i["days_late"] for i in body["overdue"]]
    assert lates == sorted(lates, reverse=True) and min(lates) > 0

    r = manager.post(f"{OVERDUE}/{item['outcome_id']}/acknowledge")
    assert r.status_code == 201, r.get_json()
    ack = r.get_json()["acknowledged"]
    assert ack["by"] == "Bea Okafor" and datetime.fromisoformat(ack["at"]) <= datetime.now(timezone.utc)
    assert _morning_routine(manager.get(OVERDUE).get_json()["overdue"])["acknowledged"]["by"] == "Bea Okafor"
    # again: harmless, the first acknowledgement stands
    r = manager.post(f"{OVERDUE}/{item['outcome_id']}/acknowledge")
    assert r.status_code == 200 and r.get_json()["acknowledged"]["at"] == ack["at"]
    with app.app_context():
        [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "acknowledge")).scalars().all()
        assert event.entity == "overdue_review" and event.entity_id == item["outcome_id"]
        assert event.detail["due_on"] == item["due_on"] and event.person_id == item["person_id"]
        # The acknowledgement itself lives in its own table; the audit trail only records it.
        [row] = db.session.execute(select(ReviewAcknowledgement)).scalars().all()
        assert (row.outcome_id, row.due_on.isoformat(), row.user_id) == (item["outcome_id"], item["due_on"], event.user_id)

    # a senior leader sees every service, with the acknowledgement
    senior = api_for("senior@demo.example")
    assert _morning_routine(senior.get(OVERDUE).get_json()["overdue"])["acknowledged"]["by"] == "Bea Okafor"

    # once the review is done it is no longer overdue, and there is nothing to acknowledge
    worker = api_for("worker@demo.example")
    r = worker.post("/api/v1/reviews", json={
        "outcome_id": item["outcome_id"], "score": 3, "rated_by": "together",
        "happened_at": datetime.now(timezone.utc).isoformat(), "evidence": ["Ready before the bus came"]})
    assert r.status_code == 201, r.get_json()
    assert item["outcome_id"] not in {i["outcome_id"] for i in manager.get(OVERDUE).get_json()["overdue"]}
    r = manager.post(f"{OVERDUE}/{item['outcome_id']}/acknowledge")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_overdue"


def test_overdue_list_by_role(demo, api_for):
    worker = api_for("worker@demo.example")
    items = worker.get(OVERDUE).get_json()["overdue"]
    assert _morning_routine(items)
    with demo.app_context():
        user = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
        from server.domain import access

        mine = set(db.session.execute(access.visible_people(user)).scalars())
    assert {i["person_id"] for i in items} <= mine
    r = worker.post(f"{OVERDUE}/{items[0]['outcome_id']}/acknowledge")
    assert r.status_code == 403
    for email in ("commissioner@demo.example", "admin@demo.example", "person@demo.example"):
        api = api_for(email)
        assert api.get(OVERDUE).status_code == 403, email
        assert api.post(f"{OVERDUE}/{items[0]['outcome_id']}/acknowledge").status_code == 403, email


def test_overdue_is_scoped_to_the_managers_services_and_organisation(app, api_for):
    alpha = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    beta = factories.organisation(app, "Beta")
    with app.app_context():
        elsewhere = Person(organisation_id=alpha["org"], service_id=alpha["services"][1], name="Alpha Elsewhere")
        db.session.add(elsewhere)
        db.session.commit()
        elsewhere_id, alpha_person = elsewhere.id, db.session.get(User, alpha["person_id"]).person_id
        beta_person = db.session.get(User, beta["person_id"]).person_id
    old = date.today() - timedelta(days=100)
    mine = factories.outcome(app, alpha_person, starts_on=old)
    other_service = factories.outcome(app, elsewhere_id, starts_on=old)
    other_org = factories.outcome(app, beta_person, starts_on=old)
    manager = api_for(alpha["registered_manager"])
    ids = {i["outcome_id"] for i in manager.get(OVERDUE).get_json()["overdue"]}
    assert ids == {mine}
    assert manager.post(f"{OVERDUE}/{other_service}/acknowledge").status_code == 404
    assert manager.post(f"{OVERDUE}/{other_org}/acknowledge").status_code == 404
    assert manager.post(f"{OVERDUE}/{uuid.uuid4()}/acknowledge").status_code == 404
    senior = api_for(alpha["senior_leader"])
    assert {i["outcome_id"] for i in senior.get(OVERDUE).get_json()["overdue"]} == {mine, other_service}
    assert senior.post(f"{OVERDUE}/{other_org}/acknowledge").status_code == 404
    with app.app_context():
        db.session.add(Review(outcome_id=mine, person_id=alpha_person, score=3, rated_by="staff",
                              happened_at=datetime.now(timezone.utc) - timedelta(days=5)))
        db.session.commit()
        assert db.session.get(Outcome, mine).status == "active"
    assert manager.get(OVERDUE).get_json()["overdue"] == []


def test_openapi_documents_the_push_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/push/key", SUBS, INBOX, f"{INBOX}/read-all", OVERDUE, "/api/v1/reviews/overdue/{outcome_id}/acknowledge"):
        assert path in paths, path
    assert {"post", "delete", "get"} <= set(paths[SUBS])


def test_allowed_hosts_are_exact_names_or_dot_suffixes():
    from server.config import DEFAULTS
    from server.domain.push import host_allowed, origin_of

    setting = ".push.services.mozilla.com, fcm.googleapis.com"
    assert host_allowed("updates.push.services.mozilla.com", setting)
    assert host_allowed("push.services.mozilla.com", setting)
    assert host_allowed("FCM.googleapis.com", setting)
    assert not host_allowed("xpush.services.mozilla.com", setting)
    assert not host_allowed("push.services.mozilla.com.attacker.example", setting)
    assert not host_allowed("sub.fcm.googleapis.com", setting)
    assert not host_allowed("", setting)
    # the default list takes the major browsers' push services
    for host in ("fcm.googleapis.com", "updates.push.services.mozilla.com", "wns2-par02p.notify.windows.com", "web.push.apple.com"):
        assert host_allowed(host, DEFAULTS["PUSH_ALLOWED_HOSTS"]), host
    assert not host_allowed("127.0.0.1", DEFAULTS["PUSH_ALLOWED_HOSTS"])
    assert origin_of("https://FCM.googleapis.com:443/fcm/send/x") == "https://fcm.googleapis.com"
    assert origin_of("https://127.0.0.1:8443/push/1") == "https://127.0.0.1:8443"
