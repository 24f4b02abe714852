"""Accounts made by admins, one-time links, deactivation and password changes (API.md, "Running an
organisation"; ACCESS.md). What a user notices: who can sign in, with which password, and what an
admin of one organisation can never reach in another."""
from __future__ import annotations

import email
import email.policy
import hashlib
import socket
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from server.extensions import db
from server.models import AuditEvent, AuthSession, Invitation, Person, Service, Tombstone, User, utcnow
from tests import factories
from tests.conftest import Api

GOOD = "plum tractor lantern"


@pytest.fixture
def org(app):
    return factories.organisation(app, "Alpha", services=("supported_living", "residential"))


@pytest.fixture
def other(app, org):
    return factories.organisation(app, "Beta")


@pytest.fixture
def smtp_sink():
    """A local SMTP server on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []
            self.port = None

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 Message accepted"

    sink = Sink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        sink.port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def token_of(url: str) -> str:
    assert "/invite/" in url
    return url.rsplit("/invite/", 1)[1]


def new_worker(admin, org, email="new.worker@alpha.example", **extra):
    body = {"email": email, "name": "New Worker", "role": "support_worker", "service_ids": [org["service"]], **extra}
    r = admin.post("/api/v1/users", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def user_row(app, email):
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        db.session.expunge(user)
        return user


# ---- creating an account and using its link ----

def test_admin_makes_an_account_and_the_link_sets_its_password(app, org, api_for, anon):
    admin = api_for(org["admin"])
    body = new_worker(admin, org, email="  New.Worker@Alpha.example ")
    user = body["user"]
    assert user["email"] == "new.worker@alpha.example" and user["role"] == "support_worker"
    assert [s["id"] for s in user["services"]] == [org["service"]]
    assert user["active"] is True and user["password_set"] is False
    assert user["link"]["purpose"] == "invite"
    assert body["invite_url"].startswith("http://localhost/invite/")
    assert body["invite_qr"].startswith("data:image/svg+xml")
    assert body["email_sent"] is None  # no mail server in the default install
    token = token_of(body["invite_url"])
    assert len(token) >= 43

    with app.app_context():
        inv = db.session.execute(select(Invitation)).scalars().all()
        assert len(inv) == 1
        # only the hash is stored, and the link lasts 7 days
        assert inv[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in inv[0].token_hash
        assert timedelta(days=6, hours=23) < inv[0].expires_at - inv[0].created_at <= timedelta(days=7)
        assert inv[0].created_by == org["admin_id"]
        stored = db.session.execute(select(User).where(User.email == "new.worker@alpha.example")).scalar_one()
        assert stored.password_hash.startswith("!")  # no password matches until the link is used
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity == "user")).scalar_one()

    # nobody can sign in to the account before the link is used
    assert anon.login("new.worker@alpha.example", "").status_code in (401, 422)
    assert anon.login("new.worker@alpha.example", "!").status_code == 401

    page = anon.get(f"/api/v1/invites/{token}")
    assert page.status_code == 200
    assert page.get_json() == {"name": "New Worker", "email": "new.worker@alpha.example", "organisation": "Alpha",
                               "purpose": "invite", "expires_at": page.get_json()["expires_at"]}

    r = anon.post(f"/api/v1/invites/{token}", json={"password": GOOD})
    assert r.status_code == 200 and r.get_json() == {"email": "new.worker@alpha.example"}
    signed = Api(app).login("new.worker@alpha.example", GOOD)
    assert signed.status_code == 200 and signed.get_json()["user"]["role"] == "support_worker"

    again = anon.post(f"/api/v1/invites/{token}", json={"password": "another fine passphrase"})
    assert again.status_code == 410 and again.get_json()["error"]["code"] == "link_used"
    assert anon.get(f"/api/v1/invites/{token}").status_code == 410
    assert Api(app).login("new.worker@alpha.example", "another fine passphrase").status_code == 401
    listed = {u["email"]: u for u in admin.get("/api/v1/users").get_json()}
    assert listed["new.worker@alpha.example"]["password_set"] is True
    assert listed["new.worker@alpha.example"]["link"] is None


@pytest.mark.parametrize("password, message", [
    ("short", "at least 12 characters"),
    ("password1234", "most common passwords"),
    ("Sunshine2024!", "common password with numbers or symbols"),
    ("aaaaaaaaaaaaaa", "repeated characters"),
    ("123456789012", "runs such as"),
    ("new.worker@alpha.example", "email address"),
    ("x" * 257, "at most 256"),
])
def test_a_weak_password_is_refused_and_the_link_still_works(app, org, api_for, anon, password, message):
    admin = api_for(org["admin"])
    token = token_of(new_worker(admin, org)["invite_url"])
    r = anon.post(f"/api/v1/invites/{token}", json={"password": password})
    assert r.status_code == 422
    assert message in r.get_json()["error"]["fields"]["password"][0]
    assert anon.post(f"/api/v1/invites/{token}", json={"password": GOOD}).status_code == 200


def test_bad_bodies_for_a_link_name_the_field(app, org, api_for, anon):
    token = token_of(new_worker(api_for(org["admin"]), org)["invite_url"])
    r = anon.post(f"/api/v1/invites/{token}", json={})
    assert r.status_code == 422 and "password" in r.get_json()["error"]["fields"]
    r = anon.post(f"/api/v1/invites/{token}", json={"password": GOOD, "role": "admin"})
    assert r.status_code == 422 and "role" in r.get_json()["error"]["fields"]
    r = anon.post(f"/api/v1/invites/{token}", json={"password": 12345678901234})
    assert r.status_code == 422 and "password" in r.get_json()["error"]["fields"]


def test_unknown_and_expired_links(app, org, api_for, anon):
    assert anon.get("/api/v1/invites/not-a-real-token").status_code == 404
    assert anon.post("/api/v1/invites/not-a-real-token", json={"password": GOOD}).status_code == 404
    assert anon.get("/api/v1/invites/" + "x" * 300).status_code == 404
    token = token_of(new_worker(api_for(org["admin"]), org)["invite_url"])
    with app.app_context():  # eight days pass
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    r = anon.get(f"/api/v1/invites/{token}")
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
    r = anon.post(f"/api/v1/invites/{token}", json={"password": GOOD})
    assert r.status_code == 410
    assert user_row(app, "new.worker@alpha.example").password_hash.startswith("!")


def test_links_are_rate_limited_per_address(app, anon):
    codes = [anon.get(f"/api/v1/invites/guess-{i}").status_code for i in range(11)]
    assert codes[:10] == [404] * 10 and codes[10] == 429
    assert anon.post("/api/v1/invites/guess", json={"password": GOOD}).status_code == 429


def test_an_email_is_sent_when_a_mail_server_is_configured(tmp_path, smtp_sink):
    from tests.conftest import make_app

    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, MAIL_DEFAULT_SENDER="tandem@alpha.example")
    try:
        org = factories.organisation(app, "Alpha")
        admin = Api(app)
        assert admin.login(org["admin"]).status_code == 200
        body = new_worker(admin, org)
        assert body["email_sent"] is True
        assert len(smtp_sink.messages) == 1
        message = smtp_sink.messages[0]
        assert message["To"] == "new.worker@alpha.example" and message["From"] == "tandem@alpha.example"
        assert "Alpha" in message["Subject"]
        assert body["invite_url"] in message.get_content()
        reset = admin.post(f"/api/v1/users/{body['user']['id']}/password-reset").get_json()
        assert reset["email_sent"] is True and reset["invite_url"] in smtp_sink.messages[1].get_content()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unreachable_mail_server_still_makes_the_account(tmp_path):
    from tests.conftest import make_app

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=2)
    try:
        org = factories.organisation(app, "Alpha")
        admin = Api(app)
        admin.login(org["admin"])
        body = new_worker(admin, org)
        assert body["email_sent"] is False and "/invite/" in body["invite_url"]
        assert user_row(app, "new.worker@alpha.example").active
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ---- who may manage accounts ----

@pytest.mark.parametrize("role", ["support_worker", "registered_manager", "senior_leader", "commissioner", "person_email"])
def test_only_admins_manage_accounts_and_services(app, org, api_for, role):
    api = api_for(org[role])
    assert api.get("/api/v1/users").status_code == 403
    assert api.post("/api/v1/users", json={"email": "x@alpha.example", "name": "X", "role": "admin"}).status_code == 403
    assert api.patch(f"/api/v1/users/{org['support_worker_id']}", json={"active": False}).status_code == 403
    assert api.post(f"/api/v1/users/{org['support_worker_id']}/password-reset").status_code == 403
    assert api.post("/api/v1/services", json={"name": "New", "kind": "residential"}).status_code == 403
    assert api.patch(f"/api/v1/services/{org['service']}", json={"name": "Renamed"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 6
        assert db.session.get(User, org["support_worker_id"]).active
        assert db.session.get(Service, org["service"]).name == "Alpha supported_living"
    assert api.get("/api/v1/users").get_json()["error"]["code"] == "forbidden"


def test_signed_out_requests_are_refused(app, org, anon):
    assert anon.get("/api/v1/users").status_code == 401
    assert anon.post("/api/v1/users", json={}).status_code == 401
    assert anon.post("/api/v1/session/password", json={}).status_code == 401


def test_an_admin_never_reaches_another_organisation(app, org, other, api_for):
    admin = api_for(org["admin"])
    emails = {u["email"] for u in admin.get("/api/v1/users").get_json()}
    assert emails and all(e.endswith("@alpha.example") for e in emails)
    r = admin.patch(f"/api/v1/users/{other['support_worker_id']}", json={"active": False})
    assert r.status_code == 404
    assert admin.post(f"/api/v1/users/{other['support_worker_id']}/password-reset").status_code == 404
    r = admin.post("/api/v1/users", json={"email": "m@alpha.example", "name": "M", "role": "registered_manager",
                                          "service_ids": [org["service"], other["service"]]})
    assert r.status_code == 404 and "service_ids" in r.get_json()["error"]["fields"]
    r = admin.patch(f"/api/v1/users/{org['registered_manager_id']}", json={"service_ids": [other["service"]]})
    assert r.status_code == 404 and "service_ids" in r.get_json()["error"]["fields"]
    r = admin.post("/api/v1/users", json={"email": "p@alpha.example", "name": "P", "role": "person", "person_id": other["person"]})
    assert r.status_code == 404 and "person_id" in r.get_json()["error"]["fields"]
    assert admin.patch(f"/api/v1/services/{other['service']}", json={"name": "Mine now"}).status_code == 404
    assert {s["id"] for s in admin.get("/api/v1/services").get_json()} == set(org["services"])
    with app.app_context():
        assert db.session.get(User, other["support_worker_id"]).active
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email.in_(["m@alpha.example", "p@alpha.example"]))) == 0
        assert [s.id for s in db.session.get(User, org["registered_manager_id"]).services] == [org["service"]]
        assert db.session.get(Service, other["service"]).name == "Beta supported_living"


# ---- bad input ----

@pytest.mark.parametrize("body, field, status", [
    ({}, "email", 422),
    ({"email": "not-an-email", "name": "A", "role": "support_worker"}, "email", 422),
    ({"email": "a@alpha.example", "name": "  ", "role": "support_worker"}, "name", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "boss"}, "role", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "support_worker", "service_ids": ["nope"]}, "service_ids", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "support_worker", "service_ids": "x"}, "service_ids", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "registered_manager"}, "service_ids", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "commissioner", "service_ids": []}, "service_ids", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "senior_leader", "service_ids": ["SERVICE"]}, "service_ids", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "person"}, "person_id", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "support_worker", "person_id": "PERSON"}, "person_id", 422),
    ({"email": "a@alpha.example", "name": "A", "role": "person", "person_id": "PERSON"}, "person_id", 409),
    ({"email": "SUPPORT_WORKER", "name": "A", "role": "support_worker"}, "email", 409),
    ({"email": "a@alpha.example", "name": "A", "role": "support_worker", "password": "x"}, "password", 422),
    ({"email": "a@alpha.example", "name": "A" * 201, "role": "support_worker"}, "name", 422),
])
def test_bad_account_bodies_name_the_field_and_write_nothing(app, org, api_for, body, field, status):
    admin = api_for(org["admin"])
    fill = {"SERVICE": org["service"], "PERSON": org["person"], "SUPPORT_WORKER": org["support_worker"].upper()}
    body = {k: ([fill.get(x, x) for x in v] if isinstance(v, list) else fill.get(v, v)) for k, v in body.items()}
    r = admin.post("/api/v1/users", json=body)
    assert r.status_code == status, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 6
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_person_account_links_to_their_record(app, org, api_for, anon):
    admin = api_for(org["admin"])
    r = admin.post("/api/v1/users", json={"email": "two@alpha.example", "name": "Two", "role": "person", "person_id": org["other_person"]})
    assert r.status_code == 201
    token = token_of(r.get_json()["invite_url"])
    assert anon.post(f"/api/v1/invites/{token}", json={"password": GOOD}).status_code == 200
    me = api_for("two@alpha.example", GOOD)
    people = me.get("/api/v1/people").get_json()
    assert [p["id"] for p in people] == [org["other_person"]]


# ---- changing accounts ----

def test_deactivating_stops_every_session_and_tells_the_phone_to_wipe(app, org, api_for):
    admin = api_for(org["admin"])
    phone = api_for(org["support_worker"])
    laptop = api_for(org["support_worker"])
    assert phone.get("/api/v1/sync/pull?cursor=0").status_code == 200
    r = admin.patch(f"/api/v1/users/{org['support_worker_id']}", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    for client in (phone, laptop):
        pull = client.get("/api/v1/sync/pull?cursor=0")
        assert pull.status_code == 401 and pull.get_json()["error"]["code"] == "account_deactivated"
        assert client.get("/api/v1/people").get_json()["error"]["code"] == "account_deactivated"
        session = client.get("/api/v1/session").get_json()
        assert session["user"] is None and session["signed_out_reason"] == "account_deactivated"
    assert phone.post("/api/v1/sync/push", json={"device_id": "d", "mutations": []}).get_json()["error"]["code"] == "account_deactivated"
    assert Api(app).login(org["support_worker"]).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.user_id == org["support_worker_id"], AuthSession.revoked_at.is_(None))) == 0
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "deactivate")).scalar_one().entity_id == org["support_worker_id"]

    # reactivated: the old password works again, but the old sessions stay revoked
    r = admin.patch(f"/api/v1/users/{org['support_worker_id']}", json={"active": True})
    assert r.status_code == 200 and r.get_json()["active"] is True
    assert phone.get("/api/v1/people").get_json()["error"]["code"] == "unauthenticated"
    assert phone.get("/api/v1/session").get_json()["signed_out_reason"] is None
    assert Api(app).login(org["support_worker"]).status_code == 200


def test_deactivating_kills_an_unused_link(app, org, api_for, anon):
    admin = api_for(org["admin"])
    body = new_worker(admin, org)
    admin.patch(f"/api/v1/users/{body['user']['id']}", json={"active": False})
    r = anon.post(f"/api/v1/invites/{token_of(body['invite_url'])}", json={"password": GOOD})
    assert r.status_code == 410
    r = admin.post(f"/api/v1/users/{body['user']['id']}/password-reset")
    assert r.status_code == 422 and "active" in r.get_json()["error"]["fields"]


def test_the_last_active_admin_cannot_remove_themselves(app, org, api_for):
    admin = api_for(org["admin"])
    me = org["admin_id"]
    r = admin.patch(f"/api/v1/users/{me}", json={"role": "senior_leader"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "last_admin" and "role" in r.get_json()["error"]["fields"]
    r = admin.patch(f"/api/v1/users/{me}", json={"active": False})
    assert r.status_code == 409 and "active" in r.get_json()["error"]["fields"]
    assert user_row(app, org["admin"]).role == "admin"
    # with a second admin it is allowed
    assert admin.patch(f"/api/v1/users/{org['senior_leader_id']}", json={"role": "admin"}).status_code == 200
    r = admin.patch(f"/api/v1/users/{me}", json={"role": "senior_leader"})
    assert r.status_code == 200 and r.get_json()["role"] == "senior_leader"
    assert admin.get("/api/v1/users").status_code == 403  # no longer an admin, from the next request


def test_role_and_services_changes(app, org, api_for):
    admin = api_for(org["admin"])
    wid = org["support_worker_id"]
    r = admin.patch(f"/api/v1/users/{wid}", json={"role": "registered_manager"})
    assert r.status_code == 422 and "service_ids" in r.get_json()["error"]["fields"]
    r = admin.patch(f"/api/v1/users/{wid}", json={"role": "registered_manager", "service_ids": org["services"]})
    assert r.status_code == 200
    assert r.get_json()["role"] == "registered_manager"
    assert sorted(s["id"] for s in r.get_json()["services"]) == sorted(org["services"])
    # becoming a senior leader drops the services (they see every service)
    r = admin.patch(f"/api/v1/users/{wid}", json={"role": "senior_leader"})
    assert r.status_code == 200 and r.get_json()["services"] == []
    r = admin.patch(f"/api/v1/users/{wid}", json={"name": "Renamed Worker", "role": "commissioner", "service_ids": [org["service"]]})
    assert r.status_code == 200 and r.get_json()["name"] == "Renamed Worker"
    # a person's account and a staff account cannot be turned into each other
    r = admin.patch(f"/api/v1/users/{org['person_id']}", json={"role": "support_worker"})
    assert r.status_code == 422 and "role" in r.get_json()["error"]["fields"]
    r = admin.patch(f"/api/v1/users/{wid}", json={"role": "person"})
    assert r.status_code == 422
    r = admin.patch(f"/api/v1/users/{wid}", json={"active": "maybe"})
    assert r.status_code == 422 and "active" in r.get_json()["error"]["fields"]
    r = admin.patch(f"/api/v1/users/{wid}", json={"email": "new@alpha.example"})
    assert r.status_code == 422 and "email" in r.get_json()["error"]["fields"]
    assert admin.patch("/api/v1/users/no-such-id", json={"active": False}).status_code == 404
    with app.app_context():
        changes = db.session.execute(select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_id == wid)).scalars().all()
        assert len(changes) == 3


def test_a_managers_phone_follows_their_services(app, org, api_for):
    """Losing a service deletes its people from the manager's phone; gaining one brings them."""
    with app.app_context():
        resi = Person(organisation_id=org["org"], service_id=org["services"][1], name="Resi Dent")
        db.session.add(resi)
        db.session.commit()
        resi_id = resi.id
    manager = api_for(org["registered_manager"])
    first = manager.get("/api/v1/sync/pull?cursor=0").get_json()
    people = {c["id"] for c in first["changes"] if c["entity"] == "person"}
    assert people == {org["person"], org["other_person"]}
    admin = api_for(org["admin"])
    admin.patch(f"/api/v1/users/{org['registered_manager_id']}", json={"service_ids": [org["services"][1]]})
    second = manager.get(f"/api/v1/sync/pull?cursor={first['cursor']}").get_json()
    deleted = {c["id"] for c in second["changes"] if c["entity"] == "person" and c["op"] == "delete"}
    put = {c["id"] for c in second["changes"] if c["entity"] == "person" and c["op"] == "put"}
    assert deleted == {org["person"], org["other_person"]} and put == {resi_id}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tombstone).where(Tombstone.user_id == org["registered_manager_id"])) == 2


def test_reset_link_replaces_the_password_when_used(app, org, api_for, anon):
    admin = api_for(org["admin"])
    worker = api_for(org["support_worker"])
    first = admin.post(f"/api/v1/users/{org['support_worker_id']}/password-reset")
    assert first.status_code == 201
    second = admin.post(f"/api/v1/users/{org['support_worker_id']}/password-reset").get_json()
    assert second["user"]["link"]["purpose"] == "reset"
    # the old password still works until the link is used; the first link was replaced
    assert Api(app).login(org["support_worker"]).status_code == 200
    assert worker.get("/api/v1/people").status_code == 200
    r = anon.post(f"/api/v1/invites/{token_of(first.get_json()['invite_url'])}", json={"password": GOOD})
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
    assert anon.post(f"/api/v1/invites/{token_of(second['invite_url'])}", json={"password": GOOD}).status_code == 200
    assert worker.get("/api/v1/people").status_code == 401  # every session revoked
    assert Api(app).login(org["support_worker"]).status_code == 401
    assert Api(app).login(org["support_worker"], GOOD).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "password_reset_link")) == 2
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "password_set")).scalar_one().detail["purpose"] == "reset"


def test_listing_accounts_costs_the_same_whatever_their_number(app, org, api_for):
    admin = api_for(org["admin"])

    def statements():
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert admin.get("/api/v1/users").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for i in range(15):
        new_worker(admin, org, email=f"w{i}@alpha.example")
    assert statements() == few


# ---- changing one's own password ----

def test_changing_ones_password_revokes_the_other_sessions(app, org, api_for):
    here = api_for(org["support_worker"])
    there = api_for(org["support_worker"])
    r = here.post("/api/v1/session/password", json={"current_password": "wrong", "new_password": GOOD})
    assert r.status_code == 422 and "current_password" in r.get_json()["error"]["fields"]
    r = here.post("/api/v1/session/password", json={"current_password": "demo-password", "new_password": "iloveyou1234"})
    assert r.status_code == 422 and "new_password" in r.get_json()["error"]["fields"]
    r = here.post("/api/v1/session/password", json={"current_password": "demo-password", "new_password": "demo-password"})
    assert r.status_code == 422 and "new_password" in r.get_json()["error"]["fields"]
    r = here.post("/api/v1/session/password", json={"current_password": "demo-password"})
    assert r.status_code == 422 and "new_password" in r.get_json()["error"]["fields"]
    assert there.get("/api/v1/people").status_code == 200  # nothing changed yet

    r = here.post("/api/v1/session/password", json={"current_password": "demo-password", "new_password": GOOD})
    assert r.status_code == 200 and r.get_json()["user"]["email"] == org["support_worker"]
    assert here.get("/api/v1/people").status_code == 200
    assert there.get("/api/v1/people").status_code == 401
    assert Api(app).login(org["support_worker"]).status_code == 401
    assert Api(app).login(org["support_worker"], GOOD).status_code == 200
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "password_change")).scalar_one().user_id == org["support_worker_id"]


def test_guessing_the_current_password_is_rate_limited(app, org, api_for):
    here = api_for(org["support_worker"])
    codes = [here.post("/api/v1/session/password", json={"current_password": f"guess-{i}", "new_password": GOOD}).status_code
             for i in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429


def test_the_openapi_document_lists_the_account_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path, method in [("/api/v1/users", "post"), ("/api/v1/users/{user_id}", "patch"),
                         ("/api/v1/users/{user_id}/password-reset", "post"), ("/api/v1/invites/{token}", "get"),
                         ("/api/v1/invites/{token}", "post"), ("/api/v1/session/password", "post"),
                         ("/api/v1/services", "post"), ("/api/v1/services/{service_id}", "patch")]:
        assert method in paths[path], (path, method)
    assert "410" in paths["/api/v1/invites/{token}"]["post"]["responses"]
    created = paths["/api/v1/users"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    name = created.rsplit("/", 1)[1]
    assert {"user", "invite_url", "invite_qr", "email_sent"} <= set(spec["components"]["schemas"][name]["properties"])
