"""The flask commands, through app.test_cli_runner(): `demo` and `users create`."""
from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Organisation, Person, Review, Service, User, UserService
from tests import factories


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def create(runner, *extra, email="new.worker@alpha.example", role="support_worker", password="a-long-password"):
    args = ["users", "create", "--email", email, "--name", "New Worker", "--role", role]
    if password is not None:
        args += ["--password", password]
    return runner.invoke(args=args + list(extra))


# ---- demo ----

def test_demo_loads_into_an_empty_database(app, runner, anon):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "worker@demo.example" in result.output
    assert count(app, Organisation) == 1
    assert count(app, Service) == 3
    assert count(app, Review) > 100
    assert anon.login("worker@demo.example").status_code == 200


def test_demo_refuses_a_database_that_holds_data(app, runner):
    factories.organisation(app, "Alpha")
    before = (count(app, Organisation), count(app, User), count(app, Person))
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "already holds data" in result.output
    assert (count(app, Organisation), count(app, User), count(app, Person)) == before


def test_demo_twice_loads_once(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    users = count(app, User)
    second = runner.invoke(args=["demo"])
    assert second.exit_code != 0 and "already holds data" in second.output
    assert count(app, User) == users and count(app, Organisation) == 1


# ---- users create ----

def test_users_create_adds_a_user_who_can_sign_in(app, runner, anon):
    ids = factories.organisation(app, "Alpha")
    result = create(runner, email="New.Worker@Alpha.example")
    assert result.exit_code == 0, result.output
    assert "Created support_worker new.worker@alpha.example" in result.output
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "new.worker@alpha.example")).scalar_one()
        assert user.role == "support_worker" and user.organisation_id == ids["org"]
        assert user.password_hash != "a-long-password" and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert db.session.execute(select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)).scalar_one()
    r = anon.login("new.worker@alpha.example", "a-long-password")
    assert r.status_code == 200
    assert r.get_json()["user"]["role"] == "support_worker"


def test_users_create_manager_with_services(app, runner, api_for):
    ids = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    result = create(runner, "--service", "Alpha residential", email="boss@alpha.example", role="registered_manager")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "boss@alpha.example")).scalar_one()
        assert [s.id for s in user.services] == [ids["services"][1]]
    # the people of the other service are not theirs
    assert api_for("boss@alpha.example", "a-long-password").get("/api/v1/people").get_json() == []


def test_users_create_person_account_links_to_their_record(app, runner, api_for):
    ids = factories.organisation(app, "Alpha")
    result = create(runner, "--person-id", ids["other_person"], email="me@alpha.example", role="person")
    assert result.exit_code == 0, result.output
    people = api_for("me@alpha.example", "a-long-password").get("/api/v1/people").get_json()
    assert [p["id"] for p in people] == [ids["other_person"]]


def test_users_create_in_a_new_organisation(app, runner, anon):
    result = create(runner, "--organisation", "Fresh Start Care", email="admin@fresh.example", role="admin")
    assert result.exit_code == 0, result.output
    with app.app_context():
        org = db.session.execute(select(Organisation)).scalar_one()
        assert org.name == "Fresh Start Care"
    assert anon.login("admin@fresh.example", "a-long-password").status_code == 200


def test_users_create_refuses_a_duplicate_email(app, runner):
    ids = factories.organisation(app, "Alpha")
    users = count(app, User)
    result = create(runner, email=ids["support_worker"].upper())
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert count(app, User) == users


def test_users_create_refuses_a_short_password(app, runner, anon):
    factories.organisation(app, "Alpha")
    users = count(app, User)
    result = create(runner, password="short")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert count(app, User) == users
    assert anon.login("new.worker@alpha.example", "short").status_code == 401


def test_users_create_refuses_an_unknown_role(app, runner):
    factories.organisation(app, "Alpha")
    users = count(app, User)
    result = create(runner, role="superuser")
    assert result.exit_code != 0 and "--role" in result.output
    assert count(app, User) == users


def test_users_create_refuses_an_address_nobody_could_sign_in_with(app, runner):
    factories.organisation(app, "Alpha")
    users = count(app, User)
    result = create(runner, email="not an email")
    assert result.exit_code != 0 and "--email" in result.output
    assert count(app, User) == users


def test_users_create_person_needs_their_record(app, runner):
    other = factories.organisation(app, "Beta")
    factories.organisation(app, "Alpha")
    users = count(app, User)
    result = create(runner, "--organisation", "Alpha", role="person")
    assert result.exit_code != 0 and "--person-id" in result.output
    # nor someone else's organisation's record
    result = create(runner, "--organisation", "Alpha", "--person-id", other["other_person"], role="person")
    assert result.exit_code != 0 and "--person-id" in result.output
    # and only person accounts link to one
    result = create(runner, "--organisation", "Beta", "--person-id", other["other_person"], role="support_worker")
    assert result.exit_code != 0 and "--person-id" in result.output
    assert count(app, User) == users


def test_users_create_with_an_unknown_service_saves_nothing(app, runner):
    factories.organisation(app, "Alpha")
    users, links = count(app, User), count(app, UserService)
    result = create(runner, "--service", "No Such Service", role="registered_manager")
    assert result.exit_code != 0 and "--service" in result.output
    assert (count(app, User), count(app, UserService)) == (users, links)


def test_users_create_needs_the_organisation_named_when_there_are_several(app, runner):
    factories.organisation(app, "Alpha")
    factories.organisation(app, "Beta")
    users = count(app, User)
    result = create(runner)
    assert result.exit_code != 0 and "--organisation" in result.output
    assert count(app, User) == users


def test_users_create_prompts_for_the_password_twice(app, runner, anon):
    factories.organisation(app, "Alpha")
    result = runner.invoke(args=["users", "create", "--email", "typed@alpha.example", "--name", "Typed", "--role", "senior_leader"],
                           input="typed-password\ntyped-password\n")
    assert result.exit_code == 0, result.output
    assert anon.login("typed@alpha.example", "typed-password").status_code == 200
