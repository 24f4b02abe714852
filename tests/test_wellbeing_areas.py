"""Outcomes linked to the Care Act's areas of wellbeing (s.1(2)): chosen with the person when the
outcome is defined or edited, online or through sync; one list, served to the app and shipped in it."""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from server.extensions import db
from server.models import Outcome, OutcomeWellbeingArea
from server.models.wellbeing import WELLBEING_AREAS, WELLBEING_CODES
from tests import factories

TODAY = date.today()
CLIENT_LIST = Path(__file__).resolve().parent.parent / "client" / "js" / "wellbeing.js"


def body(person_id, **kw):
    data = {"person_id": person_id, "domain": "Going to the art group", "persons_words": "Painting with people who like painting.",
            "indicator": "Goes to the group alone", "starts_on": TODAY.isoformat(), "review_by": (TODAY + timedelta(days=60)).isoformat()}
    data.update(kw)
    return data


def areas_in_db(app, outcome_id):
    with app.app_context():
        return db.session.execute(select(OutcomeWellbeingArea.area).where(OutcomeWellbeingArea.outcome_id == outcome_id)).scalars().all()


def test_the_nine_areas_are_served_in_the_acts_order(app, api_for):
    ids = factories.organisation(app)
    r = api_for(ids["support_worker"]).get("/api/v1/wellbeing-areas")
    assert r.status_code == 200
    areas = r.get_json()
    assert [a["code"] for a in areas] == list(WELLBEING_CODES) and len(areas) == 9
    assert areas[0] == {"code": "dignity", "label": "Personal dignity", "easy_read": "Being treated with respect", "paragraph": "1(2)(a)"}
    assert [a["paragraph"] for a in areas] == [f"1(2)({c})" for c in "abcdefghi"]


def test_the_app_ships_the_same_list(app):
    """The outcome form works offline from client/js/wellbeing.js: it must be the server's list."""
    text = CLIENT_LIST.read_text()
    shipped = json.loads(re.search(r"export const WELLBEING_AREAS = (\[.*?\]);", text, re.S).group(1))
    assert shipped == [{k: a[k] for k in ("code", "label", "easy_read")} for a in WELLBEING_AREAS]


def test_an_outcome_is_defined_and_edited_with_its_areas(app, api_for):
    ids = factories.organisation(app)
    api = api_for(ids["support_worker"])
    r = api.post("/api/v1/outcomes", json=body(ids["person"], wellbeing_areas=["participation", "control", "participation"]))
    assert r.status_code == 201, r.get_json()
    outcome = r.get_json()
    assert outcome["wellbeing_areas"] == ["control", "participation"]  # the Act's order, once each
    assert sorted(areas_in_db(app, outcome["id"])) == ["control", "participation"]
    r = api.patch(f"/api/v1/outcomes/{outcome['id']}", json={"version": outcome["version"], "wellbeing_areas": ["relationships", "participation"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["wellbeing_areas"] == ["participation", "relationships"]
    assert r.get_json()["version"] == outcome["version"] + 1
    assert sorted(areas_in_db(app, outcome["id"])) == ["participation", "relationships"]
    assert api.get(f"/api/v1/outcomes/{outcome['id']}").get_json()["wellbeing_areas"] == ["participation", "relationships"]
    # Only reordering changes nothing.
    same = api.patch(f"/api/v1/outcomes/{outcome['id']}", json={"version": outcome["version"] + 1, "wellbeing_areas": ["relationships", "participation"]})
    assert same.get_json()["version"] == outcome["version"] + 1


def test_bad_areas_are_refused_by_name_and_nothing_is_saved(app, api_for):
    ids = factories.organisation(app)
    api = api_for(ids["support_worker"])
    for bad in (["happiness"], [], "control", [3], ["control", None]):
        r = api.post("/api/v1/outcomes", json=body(ids["person"], wellbeing_areas=bad))
        assert r.status_code == 422, (bad, r.get_json())
        assert "wellbeing_areas" in r.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(select(Outcome)).first() is None
    oid = factories.outcome(app, ids["person"])
    r = api.patch(f"/api/v1/outcomes/{oid}", json={"version": 1, "wellbeing_areas": []})
    assert r.status_code == 422 and "wellbeing_areas" in r.get_json()["error"]["fields"]
    assert areas_in_db(app, oid) == []


def test_the_database_refuses_an_unknown_area(app):
    ids = factories.organisation(app)
    oid = factories.outcome(app, ids["person"])
    with app.app_context():
        from sqlalchemy.exc import IntegrityError

        db.session.add(OutcomeWellbeingArea(outcome_id=oid, area="happiness"))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        else:
            raise AssertionError("the CHECK constraint let an unknown area in")


def test_an_app_installed_before_the_areas_can_still_define_outcomes(app, api_for):
    ids = factories.organisation(app)
    r = api_for(ids["support_worker"]).post("/api/v1/outcomes", json=body(ids["person"]))
    assert r.status_code == 201
    assert r.get_json()["wellbeing_areas"] == []


def test_sync_mutations_carry_the_areas_and_pull_returns_them(app, api_for):
    ids = factories.organisation(app)
    api = api_for(ids["support_worker"])
    device, oid = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat()
    create = {"id": 1, "name": "outcome.create", "at": now, "args": {**body(ids["person"], wellbeing_areas=["health"]), "id": oid}}
    r = api.post("/api/v1/sync/push", json={"device_id": device, "mutations": [create]})
    assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "applied", r.get_json()
    update = {"id": 2, "name": "outcome.update", "at": now, "args": {"id": oid, "version": 1, "wellbeing_areas": ["health", "accommodation"]}}
    r = api.post("/api/v1/sync/push", json={"device_id": device, "mutations": [update]})
    assert r.get_json()["results"][0]["status"] == "applied", r.get_json()
    assert sorted(areas_in_db(app, oid)) == ["accommodation", "health"]
    bad = {"id": 3, "name": "outcome.update", "at": now, "args": {"id": oid, "version": 2, "wellbeing_areas": ["wealth"]}}
    result = api.post("/api/v1/sync/push", json={"device_id": device, "mutations": [bad]}).get_json()["results"][0]
    assert result["status"] == "rejected" and "wellbeing_areas" in result["error"]["fields"]
    pulled = api.get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    mine = [c for c in pulled if c["entity"] == "outcome" and c["id"] == oid]
    assert mine and mine[-1]["data"]["wellbeing_areas"] == ["health", "accommodation"]


def test_every_demo_outcome_has_sensible_areas(demo):
    with demo.app_context():
        outcomes = db.session.execute(select(Outcome)).scalars().all()
        assert outcomes and all(o.wellbeing_areas for o in outcomes)
        by_domain = {o.domain: o.wellbeing_areas for o in outcomes}
    assert "health" in by_domain["Staying well at home"]
    assert "participation" in by_domain["Going to the art group"]
    assert "control" in by_domain["Confidence using buses"]
