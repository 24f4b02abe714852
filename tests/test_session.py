"""Signing in and out, CSRF, the Origin check, rate limiting and revocable sessions."""
from server.extensions import db
from server.models import AuditEvent, AuthSession
from tests import factories


def test_sign_in_returns_user_and_new_csrf(app, anon):
    ids = factories.organisation(app)
    r = anon.login(ids["support_worker"])
    assert r.status_code == 200
    body = r.get_json()
    assert body["user"]["role"] == "support_worker"
    assert body["csrf_token"]
    assert anon.get("/api/v1/session").get_json()["user"]["email"] == ids["support_worker"]
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="sign_in").count() == 1


def test_wrong_password_and_unknown_email_look_the_same(app, anon):
    ids = factories.organisation(app)
    a = anon.login(ids["support_worker"], "wrong-password")
    b = anon.login("nobody@nowhere.example", "wrong-password")
    assert a.status_code == b.status_code == 401
    assert a.get_json() == b.get_json()
    assert a.get_json()["error"]["code"] == "bad_credentials"


def test_repeated_failures_are_rate_limited_per_account(app, anon):
    ids = factories.organisation(app)
    codes = [anon.login(ids["support_worker"], "nope").status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = anon.login(ids["support_worker"])
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "rate_limited"
    # another account from the same address is not locked by this one
    assert anon.login(ids["registered_manager"]).status_code == 200


def test_bad_sign_in_bodies_name_the_field(app, anon):
    r = anon.post("/api/v1/session", json={"email": "not-an-email"})
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert "email" in fields and "password" in fields
    r = anon.post("/api/v1/session", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] in {"invalid_json", "bad_request"}
    r = anon.post("/api/v1/session", json={"email": "a@b.example", "password": "x", "role": "admin"})
    assert r.status_code == 422 and "role" in r.get_json()["error"]["fields"]


def test_state_changes_need_the_csrf_token(app, client):
    ids = factories.organisation(app)
    r = client.post("/api/v1/session", json={"email": ids["support_worker"], "password": "demo-password"})
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "csrf"


def test_cross_site_origin_is_refused(app, anon):
    ids = factories.organisation(app)
    r = anon.post("/api/v1/session", json={"email": ids["support_worker"], "password": "demo-password"},
                  headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "bad_origin"
    r = anon.post("/api/v1/session", json={"email": ids["support_worker"], "password": "demo-password"},
                  headers={"Origin": "http://localhost"})
    assert r.status_code == 200


def test_sign_out_revokes_a_copied_cookie(app, api_for):
    ids = factories.organisation(app)
    api = api_for(ids["support_worker"])
    cookie = api.client.get_cookie("tandem_session").value
    thief = app.test_client()
    thief.set_cookie("tandem_session", cookie)
    assert thief.get("/api/v1/people").status_code == 200
    assert api.delete("/api/v1/session").status_code == 200
    assert thief.get("/api/v1/people").status_code == 401
    assert api.get("/api/v1/people").status_code == 401
    with app.app_context():
        assert db.session.query(AuthSession).filter(AuthSession.revoked_at.isnot(None)).count() == 1


def test_unauthenticated_api_calls_get_json_401(client):
    r = client.get("/api/v1/people")
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthenticated"


def test_api_replies_are_not_cached_and_pages_have_a_csp(app, api_for):
    ids = factories.organisation(app)
    api = api_for(ids["support_worker"])
    r = api.get("/api/v1/people")
    assert r.headers["Cache-Control"] == "no-store"
    with api.get("/") as page:
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_session_cookie_flags(app, anon):
    ids = factories.organisation(app)
    r = anon.login(ids["support_worker"])
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
