"""Who may see and do what (ACCESS.md), as a matrix: every role of one organisation against every
endpoint that takes an id, given another organisation's ids, gets nothing and changes nothing.
Then the rules inside one organisation, and the bad input every endpoint must refuse cleanly."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Action, AuthSession, EvidenceNote, Outcome, Person, Review, User
from tests import factories
from tests.conftest import Api, make_app

ROLES = ("support_worker", "registered_manager", "senior_leader", "commissioner", "admin", "person")
NO_NAMED_RECORDS = {"commissioner", "admin"}
TODAY = date.today()
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def organisation(app, name, **kw):
    """factories.organisation, with every role's email under "emails"."""
    ids = factories.organisation(app, name, **kw)
    ids["emails"] = {role: ids["person_email"] if role == "person" else ids[role] for role in ROLES}
    return ids


def records_for(app, ids, person_key="person", domain=None):
    """An outcome with an action, and a review with an evidence note, for one of the org's people."""
    oid = factories.outcome(app, ids[person_key], domain=domain or f"Secret goal of {ids[person_key][:8]}")
    with app.app_context():
        action = Action(outcome_id=oid, person_id=ids[person_key], description="Practise the route", owner_kind="person")
        rev = Review(outcome_id=oid, person_id=ids[person_key], score=3, rated_by="together", happened_at=NOW - timedelta(days=10))
        db.session.add_all([action, rev])
        db.session.flush()
        note = EvidenceNote(person_id=ids[person_key], review_id=rev.id, outcome_id=oid, text="Private note", happened_at=rev.happened_at)
        db.session.add(note)
        db.session.commit()
        return {"person": ids[person_key], "outcome": oid, "action": action.id, "review": rev.id, "note": note.id}


def snapshot(app) -> dict:
    """Row counts of every table, and the editable records' state."""
    with app.app_context():
        out = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one() for t in db.metadata.sorted_tables}
        out["outcomes*"] = sorted(db.session.execute(select(Outcome.id, Outcome.version, Outcome.domain, Outcome.status, Outcome.priority)).all())
        out["actions*"] = sorted(db.session.execute(select(Action.id, Action.version, Action.status, Action.description)).all())
        return out


def outcome_body(person_id):
    return {"person_id": person_id, "domain": "Planted goal", "persons_words": "x", "indicator": "y",
            "starts_on": TODAY.isoformat(), "review_by": (TODAY + timedelta(days=60)).isoformat()}


def review_body(outcome_id):
    return {"outcome_id": outcome_id, "score": 3, "rated_by": "person", "happened_at": NOW.isoformat(), "evidence": ["Planted"]}


# (name, method, url, body) built from the target's record ids
ENDPOINTS = {
    "GET people/{id}": lambda t: ("GET", f"/api/v1/people/{t['person']}", None),
    "GET people/{id}/outcomes": lambda t: ("GET", f"/api/v1/people/{t['person']}/outcomes", None),
    "GET outcomes/{id}": lambda t: ("GET", f"/api/v1/outcomes/{t['outcome']}", None),
    "GET outcomes/{id}/trajectory": lambda t: ("GET", f"/api/v1/outcomes/{t['outcome']}/trajectory", None),
    "PATCH outcomes/{id}": lambda t: ("PATCH", f"/api/v1/outcomes/{t['outcome']}", {"version": 1, "domain": "Hijacked"}),
    "POST outcomes person_id": lambda t: ("POST", "/api/v1/outcomes", outcome_body(t["person"])),
    "POST actions outcome_id": lambda t: ("POST", "/api/v1/actions", {"outcome_id": t["outcome"], "description": "Planted", "owner_kind": "person"}),
    "PATCH actions/{id}": lambda t: ("PATCH", f"/api/v1/actions/{t['action']}", {"version": 1, "status": "dropped"}),
    "POST reviews outcome_id": lambda t: ("POST", "/api/v1/reviews", review_body(t["outcome"])),
    "POST evidence person_id": lambda t: ("POST", "/api/v1/evidence", {"person_id": t["person"], "text": "Planted"}),
    "POST evidence review_id": lambda t: ("POST", "/api/v1/evidence", {"review_id": t["review"], "text": "Planted"}),
}
WRITES = [name for name in ENDPOINTS if not name.startswith("GET")]
READS = [name for name in ENDPOINTS if name.startswith("GET")]


def call(api, endpoint, target):
    method, url, body = ENDPOINTS[endpoint](target)
    if method == "GET":
        return api.get(url)
    return getattr(api, method.lower())(url, json=body)


@pytest.fixture
def two_orgs(app):
    a = organisation(app, "Alpha")
    b = organisation(app, "Beta")
    a["records"] = records_for(app, a, domain="Alpha goal")
    b["records"] = records_for(app, b, domain="Beta secret goal")
    with app.app_context():
        b["person_name"] = db.session.get(Person, b["person"]).name
    return a, b


# ---- organisations are isolated ----

@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_organisations_records(app, api_for, two_orgs, role, endpoint):
    a, b = two_orgs
    api = api_for(a["emails"][role])
    before = snapshot(app)
    r = call(api, endpoint, b["records"])
    allowed = {403, 404} if role in NO_NAMED_RECORDS else {404}
    assert r.status_code in allowed, (role, endpoint, r.status_code, r.get_json())
    text = r.get_data(as_text=True)
    assert "Beta secret goal" not in text and b["person_name"] not in text and "Private note" not in text
    assert r.get_json()["error"]["code"] in {"not_found", "forbidden"}
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ROLES)
def test_an_id_that_exists_elsewhere_looks_like_one_that_exists_nowhere(app, api_for, two_orgs, role):
    """Existence must not leak: another organisation's id and a made-up id get the same reply."""
    a, b = two_orgs
    api = api_for(a["emails"][role])
    made_up = {k: str(uuid.uuid4()) for k in b["records"]}
    for endpoint in ENDPOINTS:
        theirs, nobodys = call(api, endpoint, b["records"]), call(api, endpoint, made_up)
        assert (theirs.status_code, theirs.get_json()) == (nobodys.status_code, nobodys.get_json()), (role, endpoint)


def test_a_note_pairing_their_review_with_our_person_is_not_found(app, api_for, two_orgs):
    a, b = two_orgs
    api = api_for(a["support_worker"])
    before = snapshot(app)
    theirs = api.post("/api/v1/evidence", json={"review_id": b["records"]["review"], "person_id": a["person"], "text": "x"})
    nobodys = api.post("/api/v1/evidence", json={"review_id": str(uuid.uuid4()), "person_id": a["person"], "text": "x"})
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.get_json() == nobodys.get_json()
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ["support_worker", "registered_manager", "senior_leader", "person"])
def test_caseload_lists_never_include_another_organisation(app, api_for, two_orgs, role):
    a, b = two_orgs
    r = api_for(a["emails"][role]).get("/api/v1/people")
    assert r.status_code == 200
    ids = {p["id"] for p in r.get_json()}
    assert ids and not ids & {b["person"], b["other_person"]}


# ---- inside one organisation ----

@pytest.fixture
def one_org(app):
    ids = organisation(app, "Alpha", services=("supported_living", "residential"))
    with app.app_context():
        elsewhere = Person(organisation_id=ids["org"], service_id=ids["services"][1], name="Alpha Residential Person")
        db.session.add(elsewhere)
        db.session.commit()
        ids["elsewhere"] = elsewhere.id
    ids["mine"] = records_for(app, ids, "person")
    ids["off_caseload"] = records_for(app, ids, "other_person")
    ids["other_service"] = records_for(app, ids, "elsewhere")
    return ids


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_worker_gets_nothing_for_a_person_off_their_caseload(app, api_for, one_org, endpoint):
    api = api_for(one_org["support_worker"])
    before = snapshot(app)
    r = call(api, endpoint, one_org["off_caseload"])
    assert r.status_code == 404, (endpoint, r.get_json())
    assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_worker_may_read_and_write_for_their_caseload(app, api_for, one_org, endpoint):
    api = api_for(one_org["support_worker"])
    r = call(api, endpoint, one_org["mine"])
    assert r.status_code in {200, 201}, (endpoint, r.get_json())


def test_worker_lists_exactly_their_caseload(app, api_for, one_org):
    r = api_for(one_org["support_worker"]).get("/api/v1/people")
    assert [p["id"] for p in r.get_json()] == [one_org["person"]]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_manager_gets_nothing_outside_their_services(app, api_for, one_org, endpoint):
    api = api_for(one_org["registered_manager"])
    before = snapshot(app)
    r = call(api, endpoint, one_org["other_service"])
    assert r.status_code == 404, (endpoint, r.get_json())
    assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_manager_may_read_and_write_for_anyone_in_their_service(app, api_for, one_org, endpoint):
    api = api_for(one_org["registered_manager"])
    r = call(api, endpoint, one_org["off_caseload"])
    assert r.status_code in {200, 201}, (endpoint, r.get_json())


def test_manager_lists_their_services_people(app, api_for, one_org):
    r = api_for(one_org["registered_manager"]).get("/api/v1/people")
    assert {p["id"] for p in r.get_json()} == {one_org["person"], one_org["other_person"]}


@pytest.mark.parametrize("endpoint", READS)
def test_senior_reads_every_service(app, api_for, one_org, endpoint):
    api = api_for(one_org["senior_leader"])
    for target in ("mine", "off_caseload", "other_service"):
        r = call(api, endpoint, one_org[target])
        assert r.status_code == 200, (endpoint, target, r.get_json())


@pytest.mark.parametrize("endpoint", WRITES)
def test_senior_may_not_write(app, api_for, one_org, endpoint):
    api = api_for(one_org["senior_leader"])
    before = snapshot(app)
    r = call(api, endpoint, one_org["mine"])
    assert r.status_code == 403, (endpoint, r.get_json())
    assert r.get_json()["error"]["code"] == "forbidden"
    assert snapshot(app) == before


def test_senior_lists_everyone(app, api_for, one_org):
    r = api_for(one_org["senior_leader"]).get("/api/v1/people")
    assert {p["id"] for p in r.get_json()} == {one_org["person"], one_org["other_person"], one_org["elsewhere"]}


@pytest.mark.parametrize("role", sorted(NO_NAMED_RECORDS))
def test_commissioner_and_admin_get_no_named_records(app, api_for, one_org, role):
    api = api_for(one_org[role])
    assert api.get("/api/v1/people").status_code == 403
    for endpoint in READS:
        r = call(api, endpoint, one_org["mine"])
        assert r.status_code == 403, (endpoint, r.get_json())
        assert one_org["mine"]["outcome"] not in r.get_data(as_text=True)
    before = snapshot(app)
    for endpoint in WRITES:
        r = call(api, endpoint, one_org["mine"])
        assert r.status_code in {403, 404}, (endpoint, r.get_json())
    assert snapshot(app) == before


def test_person_sees_only_their_own_records(app, api_for, one_org):
    me = api_for(one_org["person_email"])
    r = me.get("/api/v1/people")
    assert [p["id"] for p in r.get_json()] == [one_org["person"]]
    for endpoint in READS:
        assert call(me, endpoint, one_org["mine"]).status_code == 200, endpoint
        for target in ("off_caseload", "other_service"):
            assert call(me, endpoint, one_org[target]).status_code == 404, (endpoint, target)
    [outcome] = me.get(f"/api/v1/people/{one_org['person']}/outcomes").get_json()
    assert outcome["id"] == one_org["mine"]["outcome"]


def test_a_persons_own_views_are_not_staff_views(app, api_for, one_org):
    from server.models import AuditEvent

    api_for(one_org["person_email"]).get(f"/api/v1/people/{one_org['person']}")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "view")).scalar_one() == 0


@pytest.mark.parametrize("endpoint", [e for e in WRITES if e != "POST reviews outcome_id"])
def test_person_changes_nothing_but_their_own_ratings(app, api_for, one_org, endpoint):
    me = api_for(one_org["person_email"])
    before = snapshot(app)
    r = call(me, endpoint, one_org["mine"])
    assert r.status_code == 403, (endpoint, r.get_json())
    r = call(me, endpoint, one_org["off_caseload"])
    assert r.status_code == 404, (endpoint, r.get_json())
    assert snapshot(app) == before


def test_person_reviews_their_own_outcome_only_as_themself(app, api_for, one_org):
    me = api_for(one_org["person_email"])
    mine = one_org["mine"]["outcome"]
    before = snapshot(app)
    r = me.post("/api/v1/reviews", json={**review_body(mine), "rated_by": "staff"})
    assert r.status_code == 422 and "rated_by" in r.get_json()["error"]["fields"]
    r = me.post("/api/v1/reviews", json=review_body(one_org["off_caseload"]["outcome"]))
    assert r.status_code == 404
    assert snapshot(app) == before
    r = me.post("/api/v1/reviews", json=review_body(mine))
    assert r.status_code == 201, r.get_json()


# ---- signed out ----

@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_signed_out_requests_get_a_json_401(app, anon, one_org, endpoint):
    before = snapshot(app)
    r = call(anon, endpoint, one_org["mine"])
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthenticated"
    assert snapshot(app) == before


# ---- bad input ----

def test_wrong_password_does_not_reveal_whether_the_email_exists(app, anon):
    ids = organisation(app, "Alpha")
    before = snapshot(app)
    known = anon.login(ids["support_worker"], "not-the-password")
    unknown = anon.login("nobody@alpha.example", "not-the-password")
    assert known.status_code == unknown.status_code == 401
    assert known.get_json() == unknown.get_json()
    assert anon.get("/api/v1/session").get_json()["user"] is None
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AuthSession)).scalar_one() == 0


def test_an_inactive_account_cannot_sign_in(app, anon):
    ids = organisation(app, "Alpha")
    with app.app_context():
        db.session.get(User, ids["support_worker_id"]).active = False
        db.session.commit()
    r = anon.login(ids["support_worker"])
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_credentials"


@pytest.fixture
def limited(tmp_path):
    """An app with rate limiting switched on explicitly: the limiter is one object shared by every app
    in the process, and an app made with RATELIMIT_ENABLED=False (the browser tests' live server)
    leaves it off for apps made after it that do not say."""
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_repeated_failures_from_one_address_are_rate_limited(limited):
    app, anon = limited, Api(limited)
    ids = organisation(app, "Alpha")
    codes = [anon.login(f"guess{i}@alpha.example", "nope").status_code for i in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
    r = anon.login(ids["support_worker"])
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"


def test_repeated_failures_on_one_account_are_rate_limited(limited):
    app, anon = limited, Api(limited)
    ids = organisation(app, "Alpha")
    codes = [anon.login(ids["registered_manager"], f"guess-{i}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    # even the right password waits, and the reply looks like any other rate limit
    r = anon.login(ids["registered_manager"])
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"


@pytest.mark.parametrize("endpoint", WRITES)
def test_malformed_json_is_a_400_and_saves_nothing(app, api_for, one_org, endpoint):
    api = api_for(one_org["support_worker"])
    method, url, _ = ENDPOINTS[endpoint](one_org["mine"])
    before = snapshot(app)
    r = getattr(api, method.lower())(url, data='{"version": 1,', headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (endpoint, r.get_json())
    assert r.get_json()["error"]["code"] in {"invalid_json", "bad_request"}
    assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", WRITES)
@pytest.mark.parametrize("body", [{}, [], "text", 5, None])
def test_empty_or_wrongly_shaped_bodies_are_4xx_and_save_nothing(app, api_for, one_org, endpoint, body):
    api = api_for(one_org["support_worker"])
    method, url, _ = ENDPOINTS[endpoint](one_org["mine"])
    before = snapshot(app)
    r = getattr(api, method.lower())(url, data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code in {400, 422}, (endpoint, body, r.status_code, r.get_json())
    assert r.get_json()["error"]["fields"], (endpoint, body)
    assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", WRITES)
def test_mistyped_fields_are_each_named(app, api_for, one_org, endpoint):
    api = api_for(one_org["support_worker"])
    method, url, body = ENDPOINTS[endpoint](one_org["mine"])
    wrong = {k: ({"nested": True} if not isinstance(v, dict) else "flat") for k, v in body.items()}
    before = snapshot(app)
    r = getattr(api, method.lower())(url, json=wrong)
    assert r.status_code == 422, (endpoint, r.get_json())
    assert set(body) <= set(r.get_json()["error"]["fields"]), (endpoint, r.get_json())
    assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", WRITES)
def test_no_csrf_token_is_a_403_and_saves_nothing(app, api_for, one_org, endpoint):
    api = api_for(one_org["support_worker"])
    method, url, body = ENDPOINTS[endpoint](one_org["mine"])
    before = snapshot(app)
    r = getattr(api.client, method.lower())(url, json=body)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf", endpoint
    r = getattr(api.client, method.lower())(url, json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf", endpoint
    assert snapshot(app) == before
    # the same request with the token goes through
    r = getattr(api, method.lower())(url, json=body)
    assert r.status_code in {200, 201}, (endpoint, r.get_json())


def test_another_users_csrf_token_does_not_work(app, api_for, one_org):
    worker = api_for(one_org["support_worker"])
    manager = api_for(one_org["registered_manager"])
    before = snapshot(app)
    r = worker.client.post("/api/v1/evidence", json={"person_id": one_org["person"], "text": "x"},
                           headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 403
    assert snapshot(app) == before


def test_a_cross_site_write_is_refused_even_with_the_token(app, api_for, one_org):
    worker = api_for(one_org["support_worker"])
    before = snapshot(app)
    r = worker.post("/api/v1/evidence", json={"person_id": one_org["person"], "text": "x"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "bad_origin"
    assert snapshot(app) == before
