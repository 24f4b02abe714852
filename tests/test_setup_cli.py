"""`flask setup`: a real provider's first run, without the demo; and several organisations in one
database that never see each other."""
from __future__ import annotations

from sqlalchemy import func, select

from server import create_app
from server.extensions import db
from server.models import AuditEvent, Invitation, Organisation, Service, User
from tests.conftest import Api, make_app
from tests.test_accounts_api import smtp_sink  # noqa: F401  (a local SMTP server, as a fixture)

GOOD = "plum tractor lantern"


def setup(runner, org="Riverside Care", email="jo@riverside.example", *extra):
    return runner.invoke(args=["setup", "--organisation", org, "--admin-email", email, *extra])


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Organisation, User, Invitation, AuditEvent))


def link_in(output: str) -> str:
    lines = [line for line in output.splitlines() if "/invite/" in line]
    assert len(lines) == 1, output
    return lines[0].strip()


def admin_from_link(app, output, email):
    url = link_in(output)
    token = url.rsplit("/invite/", 1)[1]
    anon = Api(app)
    assert anon.post(f"/api/v1/invites/{token}", json={"password": GOOD}).status_code == 200
    api = Api(app)
    assert api.login(email, GOOD).status_code == 200
    return api


def test_setup_on_an_empty_database_makes_the_organisation_and_its_admin(app, runner):
    result = setup(runner, "Riverside Care", "Jo@Riverside.example", "--admin-name", "Jo Bloggs", "--public-url", "https://tandem.riverside.example")
    assert result.exit_code == 0, result.output
    assert "Riverside Care" in result.output and "jo@riverside.example" in result.output
    url = link_in(result.output)
    assert url.startswith("https://tandem.riverside.example/invite/")
    assert "7 days" in result.output
    with app.app_context():
        org = db.session.execute(select(Organisation)).scalar_one()
        admin = db.session.execute(select(User)).scalar_one()
        assert (org.name, admin.email, admin.name, admin.role, admin.organisation_id) == (
            "Riverside Care", "jo@riverside.example", "Jo Bloggs", "admin", org.id)
        assert admin.password_hash.startswith("!")
        assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    assert Api(app).login("jo@riverside.example", "anything at all").status_code == 401

    admin = admin_from_link(app, result.output, "jo@riverside.example")
    assert admin.get("/api/v1/session").get_json()["user"]["role"] == "admin"
    assert [u["email"] for u in admin.get("/api/v1/users").get_json()] == ["jo@riverside.example"]
    assert admin.get("/api/v1/services").get_json() == []
    # the link works once
    token = url.rsplit("/invite/", 1)[1]
    assert Api(app).post(f"/api/v1/invites/{token}", json={"password": "a different passphrase"}).status_code == 410


def test_the_link_defaults_to_localhost(app, runner):
    result = setup(runner)
    assert result.exit_code == 0
    assert link_in(result.output).startswith("http://localhost:5000/invite/")


def test_a_second_setup_makes_a_second_organisation_that_sees_nothing_of_the_first(app, runner):
    one = setup(runner, "Riverside Care", "jo@riverside.example")
    two = setup(runner, "Hillside Support", "sam@hillside.example")
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    first = admin_from_link(app, one.output, "jo@riverside.example")
    second = admin_from_link(app, two.output, "sam@hillside.example")

    made = first.post("/api/v1/services", json={"name": "Elm Court", "kind": "residential"}).get_json()
    worker = first.post("/api/v1/users", json={"email": "w@riverside.example", "name": "W", "role": "support_worker",
                                               "service_ids": [made["id"]]}).get_json()["user"]
    jo = first.get("/api/v1/session").get_json()["user"]

    assert [u["email"] for u in second.get("/api/v1/users").get_json()] == ["sam@hillside.example"]
    assert second.get("/api/v1/services").get_json() == []
    assert second.patch(f"/api/v1/services/{made['id']}", json={"name": "Mine"}).status_code == 404
    assert second.patch(f"/api/v1/users/{worker['id']}", json={"active": False}).status_code == 404
    assert second.patch(f"/api/v1/users/{jo['id']}", json={"role": "senior_leader"}).status_code == 404
    assert second.post(f"/api/v1/users/{jo['id']}/password-reset").status_code == 404
    r = second.post("/api/v1/users", json={"email": "x@hillside.example", "name": "X", "role": "registered_manager",
                                            "service_ids": [made["id"]]})
    assert r.status_code == 404 and "service_ids" in r.get_json()["error"]["fields"]
    assert second.get(f"/api/v1/services/{made['id']}/measures").status_code == 404
    with app.app_context():
        assert db.session.get(Service, made["id"]).name == "Elm Court"
        assert db.session.get(User, worker["id"]).active
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 2


def test_setup_refuses_an_existing_organisation_or_email_and_writes_nothing(app, runner):
    assert setup(runner, "Riverside Care", "jo@riverside.example").exit_code == 0
    before = counts(app)
    same_name = setup(runner, "  riverside care ", "new@riverside.example")
    assert same_name.exit_code != 0
    assert "An organisation called" in same_name.output and "exists already" in same_name.output
    assert "Nothing was changed" in same_name.output
    same_email = setup(runner, "Another Org", "JO@riverside.example")
    assert same_email.exit_code != 0
    assert "jo@riverside.example exists already" in same_email.output
    bad_email = setup(runner, "Another Org", "not an email")
    assert bad_email.exit_code != 0 and "Not a valid email address" in bad_email.output
    no_name = setup(runner, "   ", "x@another.example")
    assert no_name.exit_code != 0 and "name" in no_name.output
    assert "Traceback" not in same_name.output + same_email.output + bad_email.output + no_name.output
    assert counts(app) == before


def test_setup_refuses_an_email_of_the_demo(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = counts(app)
    result = setup(runner, "Riverside Care", "admin@demo.example")
    assert result.exit_code != 0 and "exists already" in result.output
    assert counts(app) == before


def test_setup_before_the_database_is_made_says_what_to_do(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    app.instance_path = str(tmp_path)
    try:
        result = setup(app.test_cli_runner())
        assert result.exit_code != 0
        assert "db upgrade" in result.output and "Traceback" not in result.output
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_setup_also_emails_the_link_when_a_mail_server_is_set(tmp_path, smtp_sink):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    try:
        result = setup(app.test_cli_runner())
        assert result.exit_code == 0, result.output
        assert "also emailed to jo@riverside.example" in result.output
        [message] = smtp_sink.messages
        assert message["To"] == "jo@riverside.example" and "Riverside Care" in message["Subject"]
        assert link_in(result.output) in message.get_content()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
