"""Services of an organisation: admins add and rename them; everyone lists the ones in their scope,
each with the number of people it supports."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Person, Service
from tests import factories


@pytest.fixture
def org(app):
    return factories.organisation(app, "Alpha", services=("supported_living", "residential"))


def test_admin_lists_every_service_with_its_people_count(app, org, api_for):
    rows = api_for(org["admin"]).get("/api/v1/services").get_json()
    assert [(r["name"], r["kind"], r["people_count"]) for r in rows] == [
        ("Alpha residential", "residential", 0), ("Alpha supported_living", "supported_living", 2)]


def test_a_manager_lists_only_their_services(app, org, api_for):
    rows = api_for(org["registered_manager"]).get("/api/v1/services").get_json()
    assert [(r["id"], r["people_count"]) for r in rows] == [(org["service"], 2)]


def test_admin_adds_and_renames_a_service(app, org, api_for):
    admin = api_for(org["admin"])
    r = admin.post("/api/v1/services", json={"name": "  Maple Lodge ", "kind": "residential"})
    assert r.status_code == 201
    made = r.get_json()
    assert made["name"] == "Maple Lodge" and made["kind"] == "residential" and made["people_count"] == 0
    r = admin.patch(f"/api/v1/services/{made['id']}", json={"name": "Maple House"})
    assert r.status_code == 200 and r.get_json()["name"] == "Maple House"
    r = admin.patch(f"/api/v1/services/{org['service']}", json={"kind": "domiciliary"})
    assert r.status_code == 200 and r.get_json() == {"id": org["service"], "name": "Alpha supported_living",
                                                      "kind": "domiciliary", "people_count": 2}
    with app.app_context():
        service = db.session.get(Service, made["id"])
        assert (service.name, service.organisation_id) == ("Maple House", org["org"])
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.entity == "service")).scalars().all()
        assert sorted(actions) == ["create", "update", "update"]
    # the new service can be given to a manager at once
    r = admin.post("/api/v1/users", json={"email": "m@alpha.example", "name": "M", "role": "registered_manager",
                                          "service_ids": [made["id"]]})
    assert r.status_code == 201


@pytest.mark.parametrize("body, field, status", [
    ({}, "name", 422),
    ({"name": "X"}, "kind", 422),
    ({"name": "X", "kind": "hospital"}, "kind", 422),
    ({"name": "", "kind": "residential"}, "name", 422),
    ({"name": "X" * 201, "kind": "residential"}, "name", 422),
    ({"name": "X", "kind": "residential", "organisation_id": "x"}, "organisation_id", 422),
    ({"name": "alpha RESIDENTIAL", "kind": "residential"}, "name", 409),
])
def test_bad_service_bodies_name_the_field(app, org, api_for, body, field, status):
    r = api_for(org["admin"]).post("/api/v1/services", json=body)
    assert r.status_code == status
    assert field in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Service)) == 2


def test_renaming_to_a_taken_name_or_a_bad_kind_is_refused(app, org, api_for):
    admin = api_for(org["admin"])
    r = admin.patch(f"/api/v1/services/{org['services'][1]}", json={"name": "Alpha Supported_Living"})
    assert r.status_code == 409 and "name" in r.get_json()["error"]["fields"]
    r = admin.patch(f"/api/v1/services/{org['services'][1]}", json={"kind": "castle"})
    assert r.status_code == 422 and "kind" in r.get_json()["error"]["fields"]
    assert admin.patch("/api/v1/services/nope", json={"name": "Y"}).status_code == 404


def test_another_organisations_services_are_out_of_reach(app, org, api_for):
    beta = factories.organisation(app, "Beta")
    admin = api_for(org["admin"])
    assert beta["service"] not in {s["id"] for s in admin.get("/api/v1/services").get_json()}
    r = admin.patch(f"/api/v1/services/{beta['service']}", json={"name": "Taken over"})
    assert r.status_code == 404
    # the same name is fine in another organisation
    assert admin.post("/api/v1/services", json={"name": "Beta supported_living", "kind": "domiciliary"}).status_code == 201
    with app.app_context():
        assert db.session.get(Service, beta["service"]).name == "Beta supported_living"
        assert db.session.scalar(select(func.count()).select_from(Person).where(Person.service_id == beta["service"])) == 2
