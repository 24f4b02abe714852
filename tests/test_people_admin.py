"""Running an organisation's people: managers (for their services) and admins add a person, edit
them, move them, end their support, and set who has them on their caseload. What reaches phones is
checked through the pull a phone makes."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from server.domain import due, overdue_reviews
from server import jobs
from server.extensions import db
from server.models import AuditEvent, CaseloadAssignment, Notification, Outcome, Person, Review, User, UserService
from tests import factories
from tests.test_sync import pull_all, records_for

PEOPLE = "/api/v1/people"


def today() -> date:
    """Asked afresh by each test, so a run that crosses midnight still means the day the test runs."""
    return date.today()


class Day:
    """A date in a parametrized body, `offset` days from the day the test runs (resolved by `on_the_day`)."""

    def __init__(self, offset: int = 0):
        self.offset = offset

    def __repr__(self):
        return f"Day({self.offset})"


def on_the_day(body: dict) -> dict:
    return {k: (today() + timedelta(days=v.offset)).isoformat() if isinstance(v, Day) else v for k, v in body.items()}


def put(api, url, body):
    return api.client.put(url, json=body, headers=api._h())


def works_in(app, email, service_id):
    """The account works in the service (support workers) or manages it (managers)."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        db.session.add(UserService(user_id=user.id, service_id=service_id))
        db.session.commit()
        return user.id


def add_worker(app, org, email, service_id=None, role="support_worker", active=True):
    with app.app_context():
        user = User(organisation_id=org["org"], email=email, name=email.split("@")[0].title(), role=role,
                    password_hash=factories._HASH, active=active)
        db.session.add(user)
        db.session.flush()
        if service_id:
            db.session.add(UserService(user_id=user.id, service_id=service_id))
        db.session.commit()
        return user.id


@pytest.fixture
def org(app):
    """Two services; the manager manages the first only; the worker works in the first."""
    ids = factories.organisation(app, "Org", services=("supported_living", "residential"))
    ids["second"] = ids["services"][1]
    works_in(app, ids["support_worker"], ids["service"])
    return ids


def person_body(org, **kw):
    body = {"name": "Nia Roberts", "service_id": org["service"], "preferred_name": "Nia", "weekly_checks": True,
            "joined_on": (today() - timedelta(days=3)).isoformat()}
    body.update(kw)
    return body


def get_person(app, person_id):
    with app.app_context():
        return db.session.get(Person, person_id)


# ---- adding a person ----

def test_a_manager_adds_a_person_to_their_service_and_it_is_audited(app, api_for, org):
    manager = api_for(org["registered_manager"])
    r = manager.post(PEOPLE, json=person_body(org, name="  Nia Roberts  "))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "Nia Roberts" and body["preferred_name"] == "Nia" and body["weekly_checks"] is True
    assert body["service_id"] == org["service"] and body["service_name"] == "Org supported_living"
    assert body["ended_on"] is None and body["staff"] == [] and body["version"] == 1
    with app.app_context():
        person = db.session.get(Person, body["id"])
        assert person.organisation_id == org["org"] and person.joined_on == today() - timedelta(days=3)
        entry = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "person", AuditEvent.action == "create")).scalar_one()
        assert entry.person_id == person.id and entry.user_id == org["registered_manager_id"]
    # The manager's phone gets the new person in its next pull.
    state, _, _ = pull_all(manager)
    assert state[("person", body["id"])]["name"] == "Nia Roberts"


def test_a_manager_cannot_add_people_to_a_service_they_do_not_manage_but_an_admin_can(app, api_for, org):
    manager = api_for(org["registered_manager"])
    r = manager.post(PEOPLE, json=person_body(org, service_id=org["second"]))
    assert r.status_code == 404 and "service_id" in r.get_json()["error"]["fields"]
    admin = api_for(org["admin"])
    r = admin.post(PEOPLE, json=person_body(org, service_id=org["second"]))
    assert r.status_code == 201 and r.get_json()["service_id"] == org["second"]


@pytest.mark.parametrize("role", ["support_worker", "senior_leader", "commissioner", "person_email"])
def test_other_roles_cannot_add_edit_or_set_caseloads(app, api_for, org, role):
    api = api_for(org[role])
    before = get_person(app, org["person"]).version
    assert api.post(PEOPLE, json=person_body(org)).status_code == 403
    assert api.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "name": "Hijacked"}).status_code == 403
    assert put(api, f"{PEOPLE}/{org['person']}/staff", {"user_ids": []}).status_code == 403
    assert api.get(f"{PEOPLE}/{org['person']}/staff").status_code == 403
    assert api.get(f"{PEOPLE}/manage").status_code == 403
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Person)).scalar_one() == 2
        assert db.session.get(Person, org["person"]).version == before
        assert db.session.execute(select(func.count()).select_from(CaseloadAssignment)).scalar_one() == 1


def test_another_organisations_ids_are_not_found_and_change_nothing(app, api_for, org):
    other = factories.organisation(app, "Other")
    works_in(app, other["support_worker"], other["service"])
    for email in (org["registered_manager"], org["admin"]):
        api = api_for(email)
        assert api.post(PEOPLE, json=person_body(org, service_id=other["service"])).status_code == 404
        assert api.patch(f"{PEOPLE}/{other['person']}", json={"version": 1, "name": "Hijacked"}).status_code == 404
        assert api.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "service_id": other["service"]}).status_code == 404
        assert put(api, f"{PEOPLE}/{other['person']}/staff", {"user_ids": []}).status_code == 404
        assert api.get(f"{PEOPLE}/{other['person']}/staff").status_code == 404
        r = put(api, f"{PEOPLE}/{org['person']}/staff", {"user_ids": [org["support_worker_id"], other["support_worker_id"]]})
        assert r.status_code == 422 and "user_ids" in r.get_json()["error"]["fields"]
        listed = api.get(f"{PEOPLE}/manage?include_ended=true").get_json()["items"]
        assert {p["id"] for p in listed} == {org["person"], org["other_person"]}
    with app.app_context():
        assert db.session.get(Person, other["person"]).name == "Other Person One"
        assert db.session.get(Person, org["person"]).service_id == org["service"]


@pytest.mark.parametrize("body, field", [
    ({"service_id": None}, "service_id"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": None}, "name"),
    ({"service_id": "not-a-uuid"}, "service_id"),
    ({"joined_on": "01/03/2026"}, "joined_on"),
    ({"joined_on": "1066-10-14"}, "joined_on"),
    ({"weekly_checks": "sometimes"}, "weekly_checks"),
    ({"preferred_name": "y" * 101}, "preferred_name"),
    ({"name": "Nul\x00l"}, "name"),
    ({"ended_on": Day(0)}, "ended_on"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_to_add_a_person_is_a_422_naming_the_field(app, api_for, org, body, field):
    manager = api_for(org["registered_manager"])
    full = person_body(org)
    full.update(on_the_day(body))
    full = {k: v for k, v in full.items() if not (k == "service_id" and v is None)}
    r = manager.post(PEOPLE, json=full)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Person)).scalar_one() == 2


# ---- editing ----

def test_a_manager_edits_a_person_and_a_stale_edit_of_the_same_field_conflicts(app, api_for, org):
    manager = api_for(org["registered_manager"])
    worker = api_for(org["support_worker"])
    _, cursor, _ = pull_all(worker)
    r = manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "preferred_name": "Pip", "weekly_checks": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["preferred_name"] == "Pip" and r.get_json()["version"] == 2
    # The keyworker's phone gets the edit.
    state, _, _ = pull_all(worker, cursor)
    assert state[("person", org["person"])]["preferred_name"] == "Pip"
    stale = manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "preferred_name": "Other"})
    assert stale.status_code == 409 and "preferred_name" in stale.get_json()["error"]["fields"]
    # A different field from the same old version merges.
    assert manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "name": "Renamed"}).status_code == 200
    person = get_person(app, org["person"])
    assert (person.name, person.preferred_name, person.weekly_checks) == ("Renamed", "Pip", True)
    # A blank preferred name clears it.
    assert manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 3, "preferred_name": ""}).get_json()["preferred_name"] is None
    with app.app_context():
        fields = [e.detail["fields"] for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.entity == "person", AuditEvent.action == "update").order_by(AuditEvent.id)).scalars()]
        assert fields == [["preferred_name", "weekly_checks"], ["name"], ["preferred_name"]]


@pytest.mark.parametrize("body, field", [
    ({}, "version"),
    ({"version": 1, "name": ""}, "name"),
    ({"version": 1, "ended_on": "tomorrow"}, "ended_on"),
    ({"version": 1, "ended_on": Day(1)}, "ended_on"),
    ({"version": 1, "joined_on": Day(0), "ended_on": Day(-1)}, "ended_on"),
    ({"version": 1, "service_id": "nope"}, "service_id"),
    ({"version": 9, "name": "Later"}, "version"),
    ({"version": 1, "id": "x"}, "id"),
])
def test_bad_edits_are_a_4xx_naming_the_field_and_change_nothing(app, api_for, org, body, field):
    manager = api_for(org["registered_manager"])
    r = manager.patch(f"{PEOPLE}/{org['person']}", json=on_the_day(body))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    person = get_person(app, org["person"])
    assert person.version == 1 and person.ended_on is None
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(CaseloadAssignment)).scalar_one() == 1


def test_a_manager_cannot_edit_people_of_a_service_they_do_not_manage(app, api_for, org):
    with app.app_context():
        elsewhere = Person(organisation_id=org["org"], service_id=org["second"], name="Elsewhere")
        db.session.add(elsewhere)
        db.session.commit()
        elsewhere_id = elsewhere.id
    manager = api_for(org["registered_manager"])
    assert manager.patch(f"{PEOPLE}/{elsewhere_id}", json={"version": 1, "name": "Mine now"}).status_code == 404
    assert manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "service_id": org["second"]}).status_code == 404
    assert get_person(app, org["person"]).service_id == org["service"]
    admin = api_for(org["admin"])
    assert admin.patch(f"{PEOPLE}/{elsewhere_id}", json={"version": 1, "name": "Renamed by admin"}).status_code == 200


# ---- moving service ----

def test_moving_a_person_takes_them_off_phones_of_staff_who_do_not_work_in_the_new_service(app, api_for, org):
    recs = records_for(app, org["person"])
    stays = add_worker(app, org, "stays@org.example", org["service"])
    with app.app_context():
        db.session.add(UserService(user_id=stays, service_id=org["second"]))
        db.session.add(CaseloadAssignment(user_id=stays, person_id=org["person"]))
        db.session.add(UserService(user_id=org["registered_manager_id"], service_id=org["second"]))
        db.session.commit()
    second_manager = add_worker(app, org, "second-manager@org.example", org["second"], role="registered_manager")
    worker, staying = api_for(org["support_worker"]), api_for("stays@org.example")
    newcomer = api_for("second-manager@org.example")
    w_state, w_cursor, _ = pull_all(worker)
    s_state, s_cursor, _ = pull_all(staying)
    n_state, n_cursor, _ = pull_all(newcomer)
    assert ("person", org["person"]) in w_state and ("person", org["person"]) not in n_state

    manager = api_for(org["registered_manager"])
    r = manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "service_id": org["second"]})
    assert r.status_code == 200, r.get_json()
    assert [s["id"] for s in r.get_json()["staff"]] == [stays]

    # The old keyworker, who does not work in the new service, loses the person and their records.
    changes = worker.get(f"/api/v1/sync/pull?cursor={w_cursor}").get_json()["changes"]
    assert {(c["entity"], c["op"]) for c in changes} == {("caseload", "delete"), ("person", "delete")}
    w_state, _, _ = pull_all(worker, w_cursor, state=w_state)
    assert not any(k[1] == org["person"] or v.get("person_id") == org["person"] for k, v in w_state.items())
    # The keyworker who works in both keeps them; the new service's manager gets them with their records.
    s_state, _, _ = pull_all(staying, s_cursor, state=s_state)
    assert s_state[("person", org["person"])]["service_id"] == org["second"]
    n_state, _, _ = pull_all(newcomer, n_cursor, state=n_state)
    assert ("review", recs["review"]) in n_state and ("evidence", recs["note"]) in n_state
    with app.app_context():
        move = db.session.execute(select(AuditEvent).where(AuditEvent.action == "move")).scalar_one()
        assert move.detail == {"from_service_id": org["service"], "to_service_id": org["second"]}
        assert second_manager


# ---- ending support ----

def test_ending_support_takes_the_person_off_caseloads_lists_and_phones_but_keeps_their_history(app, api_for, org):
    recs = records_for(app, org["person"])
    with app.app_context():
        # The manager is a keyworker too, and the senior leader and the person hold the record on phones.
        db.session.add(CaseloadAssignment(user_id=org["registered_manager_id"], person_id=org["person"]))
        db.session.commit()
    phones = {role: api_for(org[role]) for role in ("support_worker", "registered_manager", "senior_leader", "person_email")}
    states = {role: pull_all(api) for role, api in phones.items()}
    for role, (state, _, _) in states.items():
        assert ("person", org["person"]) in state, role

    manager = phones["registered_manager"]
    ended = (today() - timedelta(days=1)).isoformat()
    r = manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "ended_on": ended})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["ended_on"] == ended and r.get_json()["staff"] == []

    for role, api in phones.items():
        state, cursor, _ = states[role]
        state, _, _ = pull_all(api, cursor, state=state)
        assert not any(k[1] == org["person"] or v.get("person_id") == org["person"] for k, v in state.items()), role
        fresh, _, _ = pull_all(api)
        assert ("person", org["person"]) not in fresh, role

    with app.app_context():
        person = db.session.get(Person, org["person"])
        assert person.ended_on == today() - timedelta(days=1)
        assert db.session.execute(select(func.count()).select_from(CaseloadAssignment).where(CaseloadAssignment.person_id == person.id)).scalar_one() == 0
        assert db.session.get(Review, recs["review"]) is not None and db.session.get(Outcome, recs["outcome"]) is not None
        actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.person_id == person.id)).scalars())
        assert {"update", "end_support", "caseload_remove"} <= actions

    # Gone from active lists; managers still read them, and their history.
    listed = manager.get(PEOPLE).get_json()
    assert org["person"] not in {p["id"] for p in listed}
    with_ended = manager.get(f"{PEOPLE}?include_ended=true").get_json()
    assert {p["id"]: p["ended_on"] for p in with_ended}[org["person"]] == ended
    detail = manager.get(f"{PEOPLE}/{org['person']}")
    assert detail.status_code == 200 and detail.get_json()["outcomes"]
    assert manager.get(f"/api/v1/outcomes/{recs['outcome']}/trajectory").status_code == 200
    assert phones["support_worker"].get(f"{PEOPLE}/{org['person']}").status_code == 404
    assert org["person"] not in {p["id"] for p in manager.get(f"{PEOPLE}/manage").get_json()["items"]}
    assert org["person"] in {p["id"] for p in manager.get(f"{PEOPLE}/manage?include_ended=true").get_json()["items"]}

    # Nobody can be put on their caseload while support is ended.
    r = put(manager, f"{PEOPLE}/{org['person']}/staff", {"user_ids": [org["support_worker_id"]]})
    assert r.status_code == 422 and "user_ids" in r.get_json()["error"]["fields"]


def test_an_ended_person_gets_no_reminders_or_overdue_alerts(app, api_for, org):
    factories.outcome(app, org["person"], starts_on=today() - timedelta(days=90))  # review long overdue
    manager = api_for(org["registered_manager"])
    with app.app_context():
        assert org["person"] in {i.person_id for i in due.review_items()}
        manager_user = db.session.get(User, org["registered_manager_id"])
        assert overdue_reviews.overdue_reviews(manager_user)
    assert manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "ended_on": today().isoformat()}).status_code == 200
    with app.app_context():
        assert org["person"] not in {i.person_id for i in due.due_items(today())}
        manager_user = db.session.get(User, org["registered_manager_id"])
        assert overdue_reviews.overdue_reviews(manager_user) == []
        jobs.send_reminders(today(), sleep=lambda s: None)
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0


def test_resuming_support_brings_the_person_back_to_managers_phones(app, api_for, org):
    recs = records_for(app, org["person"])
    manager = api_for(org["registered_manager"])
    manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 1, "ended_on": today().isoformat()})
    state, cursor, _ = pull_all(manager)
    assert ("person", org["person"]) not in state
    r = manager.patch(f"{PEOPLE}/{org['person']}", json={"version": 2, "ended_on": None})
    assert r.status_code == 200 and r.get_json()["ended_on"] is None
    state, _, _ = pull_all(manager, cursor, state=state)
    assert ("person", org["person"]) in state and ("review", recs["review"]) in state
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "resume_support")).scalar_one()


# ---- caseloads ----

def test_setting_the_caseload_brings_the_person_to_a_new_worker_and_takes_them_from_the_old(app, api_for, org):
    recs = records_for(app, org["person"])
    newcomer_id = add_worker(app, org, "new@org.example", org["service"])
    old, new = api_for(org["support_worker"]), api_for("new@org.example")
    old_state, old_cursor, _ = pull_all(old)
    new_state, new_cursor, _ = pull_all(new)
    assert new_state == {}

    manager = api_for(org["registered_manager"])
    current = manager.get(f"{PEOPLE}/{org['person']}/staff").get_json()
    assert [s["id"] for s in current["staff"]] == [org["support_worker_id"]]
    assert {s["id"] for s in current["eligible"]} == {org["support_worker_id"], newcomer_id, org["registered_manager_id"]}

    r = put(manager, f"{PEOPLE}/{org['person']}/staff", {"user_ids": [newcomer_id, newcomer_id]})
    assert r.status_code == 200, r.get_json()
    assert [s["id"] for s in r.get_json()["staff"]] == [newcomer_id]

    # The new worker's next pull brings the person and all their records.
    new_state, _, _ = pull_all(new, new_cursor, state=new_state)
    for key in (("person", org["person"]), ("caseload", org["person"]), ("outcome", recs["outcome"]),
                ("action", recs["action"]), ("review", recs["review"]), ("evidence", recs["note"])):
        assert key in new_state, key
    # The old worker's phone is told to delete them and everything of theirs.
    changes = old.get(f"/api/v1/sync/pull?cursor={old_cursor}").get_json()["changes"]
    assert {(c["entity"], c["op"], c["id"]) for c in changes} >= {("person", "delete", org["person"]), ("caseload", "delete", org["person"])}
    old_state, _, _ = pull_all(old, old_cursor, state=old_state)
    assert old_state == {}
    with app.app_context():
        actions = sorted(db.session.execute(select(AuditEvent.action).where(AuditEvent.entity == "caseload")).scalars())
        assert actions == ["caseload_add", "caseload_remove"]

    # An empty list takes everyone off.
    r = put(manager, f"{PEOPLE}/{org['person']}/staff", {"user_ids": []})
    assert r.status_code == 200 and r.get_json()["staff"] == []


def test_only_active_staff_who_work_in_the_service_can_be_put_on_a_caseload(app, api_for, org):
    elsewhere = add_worker(app, org, "elsewhere@org.example", org["second"])
    inactive = add_worker(app, org, "gone@org.example", org["service"], active=False)
    nowhere = add_worker(app, org, "nowhere@org.example")
    manager = api_for(org["registered_manager"])
    for bad in (elsewhere, inactive, nowhere, org["commissioner_id"], org["senior_leader_id"], org["admin_id"],
                org["person_id"], str(uuid.uuid4())):
        r = put(manager, f"{PEOPLE}/{org['person']}/staff", {"user_ids": [org["support_worker_id"], bad]})
        assert r.status_code == 422, bad
        error = r.get_json()["error"]
        assert "user_ids" in error["fields"] and bad in error["fields"]["user_ids"][0]
    for body in ({}, {"user_ids": "x"}, {"user_ids": ["not-a-uuid"]}, {"user_ids": [None]}, {"user_ids": [], "extra": 1}):
        r = put(manager, f"{PEOPLE}/{org['person']}/staff", body)
        assert r.status_code == 422, body
        assert set(r.get_json()["error"]["fields"]) & {"user_ids", "extra"}
    with app.app_context():
        rows = db.session.execute(select(CaseloadAssignment.user_id)).scalars().all()
        assert rows == [org["support_worker_id"]]
    # A manager of the service may be a keyworker too.
    r = put(manager, f"{PEOPLE}/{org['person']}/staff", {"user_ids": [org["support_worker_id"], org["registered_manager_id"]]})
    assert r.status_code == 200 and len(r.get_json()["staff"]) == 2


# ---- the list for the People screen ----

def test_the_manage_list_is_scoped_searchable_and_paged_by_keyset(app, api_for, org):
    with app.app_context():
        for i in range(7):
            db.session.add(Person(organisation_id=org["org"], service_id=org["service"], name=f"Zed {i:02d}"))
        db.session.add(Person(organisation_id=org["org"], service_id=org["second"], name="Zed elsewhere", preferred_name="Zee"))
        db.session.commit()
    manager = api_for(org["registered_manager"])
    seen, cursor = [], None
    while True:
        body = manager.get(f"{PEOPLE}/manage?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [p["name"] for p in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 9 and "Zed elsewhere" not in seen
    one = manager.get(f"{PEOPLE}/manage?q=person%20one").get_json()["items"]
    assert [p["name"] for p in one] == ["Org Person One"] and [s["id"] for s in one[0]["staff"]] == [org["support_worker_id"]]
    admin = api_for(org["admin"])
    assert [p["name"] for p in admin.get(f"{PEOPLE}/manage?q=zee").get_json()["items"]] == ["Zed elsewhere"]
    assert [p["name"] for p in admin.get(f"{PEOPLE}/manage?q=%25").get_json()["items"]] == []
    assert len(admin.get(f"{PEOPLE}/manage?service_id={org['second']}").get_json()["items"]) == 1
    assert manager.get(f"{PEOPLE}/manage?service_id={org['second']}").status_code == 404
    for bad in ("cursor=%%%", "limit=0", "limit=500", "service_id=nope"):
        r = manager.get(f"{PEOPLE}/manage?{bad}")
        assert r.status_code == 422, bad


def test_the_manage_list_costs_the_same_number_of_statements_whatever_its_size(app, api_for, org):
    manager = api_for(org["registered_manager"])

    def statements():
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert manager.get(f"{PEOPLE}/manage?limit=200").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    small = statements()
    with app.app_context():
        worker = db.session.get(User, org["support_worker_id"])
        for i in range(60):
            p = Person(organisation_id=org["org"], service_id=org["service"], name=f"Many {i:03d}")
            db.session.add(p)
            db.session.flush()
            db.session.add(CaseloadAssignment(user_id=worker.id, person_id=p.id))
        db.session.commit()
    assert statements() == small
