"""GET /api/v1/audit: managers read who has seen and changed records in their services, senior
leaders and admins their organisation's; everyone else is refused; another organisation's ids find
nothing. Newest first, keyset-paged, each entry a plain sentence."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from server.extensions import db
from server.models import AuditEvent, Person
from tests import factories

AUDIT = "/api/v1/audit"


@pytest.fixture
def org(app):
    ids = factories.organisation(app, "Alpha", services=("supported_living", "domiciliary"))
    ids["outcome"] = factories.outcome(app, ids["person"])
    with app.app_context():
        # Someone in the second service, which the manager does not manage.
        elsewhere = Person(organisation_id=ids["org"], service_id=ids["services"][1], name="Alpha Person Three")
        db.session.add(elsewhere)
        db.session.commit()
        ids["elsewhere"] = elsewhere.id
    return ids


ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def register(api, device, user_agent=ANDROID_CHROME):
    r = api.client.put("/api/v1/session/device", json={"device_id": device}, headers=api._h({"User-Agent": user_agent}))
    assert r.status_code == 200, r.get_json()


def test_a_manager_reads_who_has_seen_and_changed_a_persons_record(app, org, api_for):
    worker = api_for(org["support_worker"])
    phone = str(uuid.uuid4())
    register(worker, phone)
    assert worker.get(f"/api/v1/people/{org['person']}/outcomes").status_code == 200
    r = worker.post("/api/v1/reviews", json={
        "outcome_id": org["outcome"], "score": 3, "rated_by": "together",
        "happened_at": (datetime.now(timezone.utc) - timedelta(days=1)).isoformat(), "evidence": ["Went alone"]})
    assert r.status_code == 201

    manager = api_for(org["registered_manager"])
    r = manager.get(f"{AUDIT}?person_id={org['person']}")
    assert r.status_code == 200, r.get_json()
    assert r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["next_cursor"] is None
    summaries = [i["summary"] for i in body["items"]]
    assert summaries == [
        "Alpha support_worker (support worker) added Alpha Person One's review",
        "Alpha support_worker (support worker) viewed Alpha Person One's outcomes",
    ]
    newest, viewed = body["items"]
    assert viewed["user"] == {"id": org["support_worker_id"], "name": "Alpha support_worker", "role": "support_worker"}
    assert viewed["action"] == "view" and viewed["entity"] == "outcomes" and viewed["person_id"] == org["person"]
    assert viewed["person_name"] == "Alpha Person One" and viewed["service_id"] == org["service"]
    assert viewed["device"] == {"id": phone, "label": "Android phone (Chrome)"}
    assert datetime.fromisoformat(newest["at"]) >= datetime.fromisoformat(viewed["at"])
    # Reading a person's audit trail is itself recorded, and shows next time.
    again = manager.get(f"{AUDIT}?person_id={org['person']}").get_json()["items"]
    assert again[0]["summary"] == "Alpha registered_manager (registered manager) viewed Alpha Person One's audit trail"


def test_who_may_read_the_audit_log(app, org, api_for):
    worker = api_for(org["support_worker"])
    assert worker.get(f"/api/v1/people/{org['person']}").status_code == 200
    with app.app_context():
        from server.domain import audit
        from server.models import User

        user = db.session.get(User, org["support_worker_id"])
        audit.record(user, "view", "person", org["elsewhere"], person=db.session.get(Person, org["elsewhere"]))
        db.session.commit()

    for email in (org["support_worker"], org["commissioner"], org["person_email"]):
        r = api_for(email).get(AUDIT)
        assert r.status_code == 403, email
        assert r.get_json()["error"]["code"] == "forbidden"

    # A manager sees their own service only (and sign-ins, which belong to no service, not at all).
    manager = api_for(org["registered_manager"])
    people = {i["person_id"] for i in manager.get(AUDIT).get_json()["items"]}
    assert people == {org["person"]}
    r = manager.get(f"{AUDIT}?person_id={org['elsewhere']}")
    assert r.status_code == 404 and "person_id" in r.get_json()["error"]["fields"]

    # A senior leader sees the whole organisation, with names.
    senior = api_for(org["senior_leader"])
    items = senior.get(AUDIT).get_json()["items"]
    assert {i["person_id"] for i in items if i["person_id"]} == {org["person"], org["elsewhere"]}
    assert any(i["action"] == "sign_in" for i in items)

    # An admin sees the organisation's entries but no person's name (admins do not see records).
    admin = api_for(org["admin"])
    items = admin.get(AUDIT).get_json()["items"]
    assert {i["person_id"] for i in items if i["person_id"]} == {org["person"], org["elsewhere"]}
    assert {i["person_name"] for i in items} == {None}
    assert "Alpha support_worker (support worker) viewed a person's record" in [i["summary"] for i in items]
    assert admin.get(f"{AUDIT}?person_id={org['person']}").status_code == 200

    # Another organisation: nothing of Alpha's, whatever ids it sends.
    other = factories.organisation(app, "Beta")
    outsider = api_for(other["registered_manager"])
    assert all(i["person_id"] in (None, other["person"]) for i in outsider.get(AUDIT).get_json()["items"])
    r = outsider.get(f"{AUDIT}?person_id={org['person']}")
    assert r.status_code == 404
    r = outsider.get(f"{AUDIT}?user_id={org['support_worker_id']}")
    assert r.status_code == 404 and "user_id" in r.get_json()["error"]["fields"]
    senior_b = api_for(other["senior_leader"])
    assert org["person"] not in {i["person_id"] for i in senior_b.get(AUDIT).get_json()["items"]}

    assert api_for(org["registered_manager"]).client.get(AUDIT).status_code == 200
    assert app.test_client().get(AUDIT).status_code == 401


def test_filters_paging_and_bad_input(app, org, api_for):
    worker = api_for(org["support_worker"])
    for _ in range(5):
        assert worker.get(f"/api/v1/outcomes/{org['outcome']}").status_code == 200
    manager = api_for(org["registered_manager"])
    assert manager.get(f"/api/v1/people/{org['person']}").status_code == 200

    mine = manager.get(f"{AUDIT}?user_id={org['support_worker_id']}").get_json()["items"]
    assert len(mine) == 5 and {i["user"]["id"] for i in mine} == {org["support_worker_id"]}

    seen, cursor, pages = [], None, 0
    while True:
        page = manager.get(f"{AUDIT}?person_id={org['person']}&limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [i["id"] for i in seen]
    assert len(ids) == len(set(ids)) == 6 and pages == 3
    keys = [(i["at"], i["id"]) for i in seen]
    assert keys == sorted(keys, reverse=True)

    with app.app_context():
        middle = db.session.execute(select(AuditEvent).order_by(AuditEvent.id).offset(3).limit(1)).scalar_one()
        since = middle.at
    recent = manager.get(AUDIT, query_string={"since": since.isoformat()}).get_json()["items"]
    assert recent and all(datetime.fromisoformat(i["at"]) >= since for i in recent)
    assert len(recent) < len(manager.get(AUDIT).get_json()["items"])

    for query, field in (("cursor=nonsense", "cursor"), ("since=yesterday", "since"), ("person_id=42", "person_id"),
                         ("limit=0", "limit"), ("user_id=" + str(uuid.uuid4()), "user_id")):
        r = manager.get(f"{AUDIT}?{query}")
        assert r.status_code in (404, 422), query
        assert field in r.get_json()["error"]["fields"], (query, r.get_json())


def test_a_page_costs_the_same_statements_however_many_entries(app, org, api_for):
    worker = api_for(org["support_worker"])
    manager = api_for(org["registered_manager"])

    def statements():
        count = []
        with app.app_context():
            engine = db.engine
        listener = lambda *a, **k: count.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert manager.get(f"{AUDIT}?limit=50").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(count)

    worker.get(f"/api/v1/outcomes/{org['outcome']}")
    few = statements()
    for _ in range(30):
        worker.get(f"/api/v1/outcomes/{org['outcome']}")
    assert statements() == few


def test_the_audit_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/audit"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"person_id", "user_id", "since", "cursor"}


@pytest.mark.parametrize("user_agent,label", [
    (ANDROID_CHROME, "Android phone (Chrome)"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "iPhone (Safari)"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0", "Windows computer (Edge)"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Linux computer (Firefox)"),
    (None, "device"),
])
def test_devices_are_named_from_the_browser_that_registered_them(user_agent, label):
    from server.domain.audit import device_label

    assert device_label(user_agent) == label
