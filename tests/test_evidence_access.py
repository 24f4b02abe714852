"""Who may have which document (ACCESS.md), as a matrix: role × evidence endpoint × whose record.
A role that may never have a document is refused (403) whatever the id; a record outside the
user's scope, or in another organisation, is not found (404)."""
from __future__ import annotations

import pytest

from tests import factories

ROLES = ("support_worker", "registered_manager", "senior_leader", "commissioner", "admin", "person")

# endpoint -> (url template, {role: status for the user's own organisation's in-scope record})
MATRIX = {
    "report": ("/api/v1/services/{service}/report?format=csv",
               {"support_worker": 403, "registered_manager": 200, "senior_leader": 200, "commissioner": 200, "admin": 403, "person": 403}),
    "report named": ("/api/v1/services/{service}/report?format=csv&version=named",
                     {"support_worker": 403, "registered_manager": 200, "senior_leader": 200, "commissioner": 403, "admin": 403, "person": 403}),
    "cqc-pack": ("/api/v1/services/{service}/cqc-pack",
                 {"support_worker": 403, "registered_manager": 200, "senior_leader": 200, "commissioner": 403, "admin": 403, "person": 403}),
    "summary": ("/api/v1/people/{person}/summary",
                {"support_worker": 200, "registered_manager": 200, "senior_leader": 200, "commissioner": 403, "admin": 403, "person": 200}),
    "export": ("/api/v1/people/{person}/export",
               {"support_worker": 403, "registered_manager": 200, "senior_leader": 403, "commissioner": 403, "admin": 200, "person": 403}),
    "fhir": ("/api/v1/people/{person}/fhir",
             {"support_worker": 200, "registered_manager": 200, "senior_leader": 200, "commissioner": 403, "admin": 403, "person": 403}),
}


def email(ids, role):
    return ids["person_email"] if role == "person" else ids[role]


@pytest.fixture
def orgs(app):
    a = factories.organisation(app, "Alpha", services=("supported_living", "residential"))
    b = factories.organisation(app, "Beta")
    factories.outcome(app, a["person"])
    return a, b


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_documents_it_may_have(app, api_for, orgs, role):
    a, b = orgs
    api = api_for(email(a, role))
    for name, (url, expected) in MATRIX.items():
        target = {"service": a["service"], "person": a["person"]}
        r = api.get(url.format(**target))
        assert r.status_code == expected[role], (role, name, r.status_code, r.get_data(as_text=True)[:300])
        # Another organisation's record: never there.
        theirs = api.get(url.format(service=b["service"], person=b["person"]))
        assert theirs.status_code == (403 if expected[role] == 403 else 404), (role, name, "other organisation", theirs.status_code)
        assert "Beta" not in theirs.get_data(as_text=True)


def test_out_of_scope_records_inside_the_organisation_are_not_found(app, api_for, orgs):
    a, _ = orgs
    worker = api_for(a["support_worker"])  # has "person" on their caseload, not "other_person"
    for url in ("/api/v1/people/{p}/summary", "/api/v1/people/{p}/fhir"):
        assert worker.get(url.format(p=a["person"])).status_code == 200
        assert worker.get(url.format(p=a["other_person"])).status_code == 404
    person = api_for(a["person_email"])
    assert person.get(f"/api/v1/people/{a['other_person']}/summary").status_code == 404
    # The manager and commissioner have the first service only.
    second = a["services"][1]
    for role in ("registered_manager", "commissioner"):
        assert api_for(a[role]).get(f"/api/v1/services/{second}/report?format=csv").status_code == 404
    assert api_for(a["registered_manager"]).get(f"/api/v1/services/{second}/cqc-pack").status_code == 404
    assert api_for(a["senior_leader"]).get(f"/api/v1/services/{second}/cqc-pack").status_code == 200


def test_signed_out_gets_401_as_json(app, anon, orgs):
    a, _ = orgs
    for url, _ in MATRIX.values():
        r = anon.get(url.format(service=a["service"], person=a["person"]))
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthenticated"
