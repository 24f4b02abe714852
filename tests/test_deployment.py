"""Deployment settings: behind the TLS proxy the README recommends, PROXY_FIX_X_FOR makes login rate
limits count the client's address rather than the proxy's; HSTS is sent outside development; the
push library in use has the exception attributes the code reads."""
from __future__ import annotations

import pytest

from server import create_app
from server.extensions import db
from tests.conftest import Api, make_app
from tests.factories import organisation


def _app(tmp_path, **config):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, **config)
    return app


@pytest.fixture
def cleanup():
    apps = []
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _fail_twenty(anon, address):
    codes = [anon.login_from(address, f"guess{i}@alpha.example", "nope") for i in range(20)]
    assert codes == [401] * 20
    assert anon.login_from(address, "guess-more@alpha.example", "nope") == 429


class ForwardedApi(Api):
    def login_from(self, address, email, password="demo-password"):
        r = self.client.post("/api/v1/session", json={"email": email, "password": password},
                             headers=self._h({"X-Forwarded-For": address}))
        return r.status_code


def test_behind_one_proxy_failed_logins_lock_out_only_the_address_they_came_from(tmp_path, cleanup):
    app = _app(tmp_path, PROXY_FIX_X_FOR=1)
    cleanup.append(app)
    ids = organisation(app, "Alpha")
    anon = ForwardedApi(app)
    _fail_twenty(anon, "203.0.113.5")
    # Someone else, behind the same proxy: not locked out.
    assert anon.login_from("198.51.100.7", ids["support_worker"]) == 200
    # A client that forges the header in front of the proxy cannot escape the limit: only the
    # address the trusted proxy appended (the rightmost) counts.
    assert ForwardedApi(app).login_from("198.51.100.99, 203.0.113.5", "another@alpha.example", "nope") == 429


def test_without_the_setting_the_header_is_not_believed(tmp_path, cleanup):
    app = _app(tmp_path)  # PROXY_FIX_X_FOR defaults to 0
    cleanup.append(app)
    assert app.config["PROXY_FIX_X_FOR"] == 0
    ids = organisation(app, "Alpha")
    anon = ForwardedApi(app)
    _fail_twenty(anon, "203.0.113.5")
    # Every request has the same (proxy's) address, whatever the header says.
    assert anon.login_from("198.51.100.7", ids["support_worker"]) == 429


def test_proxy_settings_come_from_the_environment_and_bad_values_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_FIX_X_FOR", "2")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}"})
    assert app.config["PROXY_FIX_X_FOR"] == 2 and app.config["PROXY_FIX_X_PROTO"] == 0
    monkeypatch.setenv("PROXY_FIX_X_FOR", "two")
    with pytest.raises(ValueError, match="PROXY_FIX_X_FOR"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}"})


@pytest.mark.parametrize("x_proto,status", [(1, 200), (0, 403)])
def test_forwarded_proto_lets_the_origin_check_see_https(tmp_path, cleanup, x_proto, status):
    """The browser's Origin is https://…; behind a TLS-terminating proxy the app hears http unless
    it believes the proxy's X-Forwarded-Proto."""
    app = _app(tmp_path, PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=x_proto)
    cleanup.append(app)
    ids = organisation(app, "Alpha")
    client = app.test_client()
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    csrf = client.get("/api/v1/session", base_url="http://tandem.example", headers=proxied).get_json()["csrf_token"]
    r = client.post("/api/v1/session", base_url="http://tandem.example",
                    json={"email": ids["support_worker"], "password": "demo-password"},
                    headers={**proxied, "Origin": "https://tandem.example", "X-CSRF-Token": csrf})
    assert r.status_code == status, r.get_json()
    if status == 403:
        assert r.get_json()["error"]["code"] == "bad_origin"


@pytest.mark.parametrize("config,sent", [
    ({}, True),  # production: neither development nor testing
    ({"DEVELOPMENT": True}, False),
    ({"TESTING": True}, False),
    ({"TESTING": True, "HSTS": True}, True),
])
def test_strict_transport_security_outside_development(tmp_path, config, sent):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.sqlite3'}", **config})
    response = app.test_client().get("/api/v1/push/key")
    assert response.status_code == 200
    if sent:
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    else:
        assert "Strict-Transport-Security" not in response.headers
    with app.app_context():
        db.engine.dispose()


def test_the_push_library_has_what_the_code_reads():
    """server/domain/push.deliver reads status_code, retry_after, message and response from
    WebPushException. pywebpush 2.3.0 and earlier have no status_code or retry_after; pyproject.toml
    requires 2.5.0, the version this suite runs on."""
    from pywebpush import WebPushException

    class Reply:
        status_code = 429
        headers = {"Retry-After": "7"}
        reason = "Too Many Requests"
        text = ""

    exc = WebPushException("Push failed", response=Reply())
    assert (exc.status_code, exc.retry_after, exc.message, exc.response.reason) == (429, "7", "Push failed", "Too Many Requests")
    assert WebPushException("no response").status_code is None
